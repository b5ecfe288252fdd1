# Devices of a running guest: tern network-attach gives it a vif (it pings dom0 through it),
# network-detach takes it away (the guest's eth0 and dom0's vifD.N go); block-attach gives it
# an image with known data (it reads them and writes a mark after them), block-detach takes
# it away (the mark is in the image, no loop device is left). Each step is listed by
# network-list / block-list; wrong requests are refused.
. /tests/lib.sh
log=/var/log/tern/hp.log
img=/var/lib/tern/hotplug.img
awk 'BEGIN { for (i = 0; i < 1024; i++) { s = sprintf("%07d\n", i); while (length(s) < 4096) s = s s; printf "%s", s } }' > "$img"
truncate -s 16M "$img"
want=$(head -c 4194304 "$img" | md5sum | cut -d' ' -f1)
linux_cfg /tmp/hp.cfg hp 128 "tern.script=hotplug tern.ip=169.254.1.7/16 tern.peer=169.254.0.1"
wait_line() { # wait_line TEXT SECONDS: the console line holding TEXT
    n=0
    while ! grep -q "$1" "$log" 2>/dev/null && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    grep "$1" "$log" | tail -n 1 | sed 's/^.*TERN-TEST/TERN-TEST/'
}
attached() { for f in /sys/block/loop*/loop/backing_file; do [ -e "$f" ] && cat "$f"; done; }

tern create /tmp/hp.cfg > /dev/null || { tern_result hotplug_create FAIL "tern create"; exit 1; }
id=$(tern list | awk '$1 == "hp" { print $2 }')
wait_line HOTPLUG-READY 120 > /dev/null

# a vif
bad=0
tern network-attach hp 'bridge=nosuchbr' 2> /tmp/err && bad=$((bad + 1))
grep -q "no bridge 'nosuchbr'" /tmp/err || bad=$((bad + 1))
tern network-attach hp > /tmp/out || bad=$((bad + 1))
cat /tmp/out
ports=$(ls /sys/class/net/br0/brif | tr '\n' ' ')
wait_line "TERN-TEST hotplug_net " 120
tern network-list hp | tee /tmp/list
grep -q "^0 .* br0 *Connected *Connected *vif$id.0" /tmp/list || bad=$((bad + 1))
tern network-detach hp 7 2> /tmp/err && bad=$((bad + 1))
grep -q "no vif '7'" /tmp/err || bad=$((bad + 1))
mac=$(tern xs read "/local/domain/0/backend/vif/$id/0/mac")
tern network-detach hp "$mac" || bad=$((bad + 1))
left=$(ls /sys/class/net | grep "^vif" | tr '\n' ' ')
entries=$(tern xs ls "/local/domain/0/backend/vif/$id" 2>/dev/null; tern xs ls "/local/domain/$id/device/vif" 2>/dev/null)
case " $ports " in *" vif$id.0 "*) ;; *) bad=$((bad + 1)) ;; esac
[ -z "$left" ] && [ -z "$entries" ] && [ "$(tern network-list hp | wc -l)" -eq 1 ] || bad=$((bad + 1))
wait_line "TERN-TEST hotplug_net_gone" 120
if [ $bad -eq 0 ]; then
    tern_result hotplug_vif PASS "vif$id.0 mac=$mac was in br0, detached, nothing left"
else
    tern_result hotplug_vif FAIL "$bad checks failed; ports: $ports left: $left entries: $entries"
fi

# a disk
bad=0
tern block-attach hp "file:$img,xvdb,w" > /tmp/out || bad=$((bad + 1))
cat /tmp/out
tern block-attach hp "file:$img,xvdc,r" 2> /tmp/err && bad=$((bad + 1))
grep -q "in use by domain $id" /tmp/err || bad=$((bad + 1))
tern block-attach hp "file:/nonexistent.img,xvdb,r" 2> /tmp/err && bad=$((bad + 1))
grep -q "has a xvdb already" /tmp/err || bad=$((bad + 1))
r=$(wait_line "TERN-TEST hotplug_disk " 120)
echo "$r"
tern block-list hp | tee /tmp/list
grep -q "^xvdb *51728 *w *Connected *Connected */dev/loop" /tmp/list || bad=$((bad + 1))
tern block-detach hp xvdb || bad=$((bad + 1))
mark=$(dd if="$img" bs=4096 skip=1024 count=1 2>/dev/null | head -n 1)
entries=$(tern xs ls "/local/domain/0/backend/vbd/$id" 2>/dev/null; tern xs ls "/local/domain/$id/device/vbd" 2>/dev/null)
left=$(attached | tr '\n' ' ')
case $r in *"md5=$want "*) ;; *) bad=$((bad + 1)) ;; esac
[ "$mark" = written-by-the-guest ] && [ -z "$left" ] && [ -z "$entries" ] || bad=$((bad + 1))
wait_line "TERN-TEST hotplug_disk_gone" 120
if [ $bad -eq 0 ]; then
    tern_result hotplug_vbd PASS "the guest read md5=$want and wrote its mark; detached, nothing left"
else
    tern_result hotplug_vbd FAIL "$bad checks failed; mark='$mark' left: $left entries: $entries"
fi
n=0
while tern list | grep -q '^hp ' && [ $n -lt 300 ]; do n=$((n + 1)); sleep 0.1; done
rm -f "$img"

# the example config with a vif and a disk: the guest's eth0 has the address its command
# line names, both devices connect
truncate -s 64M /var/lib/tern/server.img
if tern create /etc/tern/examples/server.cfg > /dev/null; then
    n=0
    until ping -c 1 -W 1 169.254.1.10 > /dev/null 2>&1 || [ $n -ge 90 ]; do n=$((n + 1)); done
    n=0
    while ! tern block-list server | grep -q "Connected *Connected" && [ $n -lt 300 ]; do n=$((n + 1)); sleep 0.1; done
    nets=$(tern network-list server | grep -c "Connected *Connected")
    disks=$(tern block-list server | grep -c "Connected *Connected")
    if ping -c 1 -W 2 169.254.1.10 > /dev/null 2>&1 && [ "$nets" = 1 ] && [ "$disks" = 1 ]; then
        tern_result example_server PASS "answers at 169.254.1.10; its vif and disk are connected"
    else
        tern_result example_server FAIL "nets=$nets disks=$disks; $(tail -n 5 /var/log/tern/server.log | tr '\n' '|')"
    fi
    tern destroy server
else
    tern_result example_server FAIL "tern create"
fi
rm -f /var/lib/tern/server.img
