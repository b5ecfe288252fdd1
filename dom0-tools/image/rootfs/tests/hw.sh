# dom0 drives the host's hardware: its NIC (e1000, interrupts through PIRQ event channels, DMA
# through swiotlb-xen) in br0, and its state disk. With tern.peer=M it pings host M and sends it
# 64 MiB over TCP (the lower-numbered host sends), both sides printing the data's checksum.
# Then each host starts a guest with a vif in br0, and the guests do the same across the
# hosts' link (169.254.1.1H; their lines relayed as guest_*, GUEST-SENT, GUEST-RECEIVED).
. /tests/lib.sh
host= peer=
for arg in $(cat /proc/cmdline); do
    case $arg in
    tern.host=*) host=${arg#tern.host=} ;;
    tern.peer=*) peer=${arg#tern.peer=} ;;
    esac
done
n=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
if [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] && ip addr show br0 | grep -q "169.254.0.$host/16"; then
    tern_result hw_nic PASS "eth0 $(cat /sys/class/net/eth0/address) in br0 as 169.254.0.$host"
else
    tern_result hw_nic FAIL "$(ip addr | tr '\n' '|')"
fi
# the state disk: what an earlier boot of this host left is still there
if mount | grep -q '^/dev/vda on /var/lib/tern type ext4'; then
    boots=$(($(cat /var/lib/tern/boots 2>/dev/null || echo 0) + 1))
    echo "$boots" > /var/lib/tern/boots
    sync
    tern_result hw_disk PASS "boots=$boots"
fi
[ -n "$peer" ] || exit 0
n=0
while ! ping -c 1 -W 1 "host$peer" > /dev/null 2>&1 && [ $n -lt 60 ]; do n=$((n + 1)); done
if ping -c 3 -W 2 "host$peer" > /tmp/ping.out 2>&1; then
    tern_result hw_ping PASS "$(tail -n 1 /tmp/ping.out)"
else
    tern_result hw_ping FAIL "$(tr '\n' '|' < /tmp/ping.out)"
fi
grep eth0 /proc/interrupts
if [ "$host" -lt "$peer" ]; then
    dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null
    echo "TERN-SENT $(md5sum < /tmp/data | cut -d' ' -f1) $(wc -c < /tmp/data)"
    n=0
    until nc "host$peer" 5000 < /tmp/data; do n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; done
    # the receiver says when it has it all, so that neither host powers off first
    nc -l -p 5001 > /tmp/done
    tern_result hw_tcp PASS "sent, peer: $(cat /tmp/done)"
else
    t0=$(cut -d' ' -f1 /proc/uptime)
    nc -l -p 5000 > /tmp/recv
    t1=$(cut -d' ' -f1 /proc/uptime)
    echo "TERN-RECEIVED $(md5sum < /tmp/recv | cut -d' ' -f1) $(wc -c < /tmp/recv)"
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    tern_result hw_tcp PASS "received $(wc -c < /tmp/recv) bytes in $secs s"
    n=0
    until echo "received $(wc -c < /tmp/recv)" | nc "host$peer" 5001; do n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; done
fi

# a guest on each host, on the segment br0 extends across the hosts; named after its host, as
# a MAC derived from the name must differ between them
me=169.254.1.1$host other=169.254.1.1$peer
if [ "$host" -lt "$peer" ]; then
    role="tern.send=64"
else
    role="tern.recv=$other"
fi
linux_cfg /tmp/gnet.cfg "gnet$host" 256 "tern.script=net tern.ip=$me/16 tern.peer=$other $role" \
    "vif = [ 'bridge=br0' ]"
if tern create /tmp/gnet.cfg > /dev/null; then
    n=0
    while tern list | grep -q "^gnet$host " && [ $n -lt 6000 ]; do n=$((n + 1)); sleep 0.1; done
    grep -E "TERN-TEST net|TERN-SENT|TERN-RECEIVED" "/var/log/tern/gnet$host.log" |
        sed 's/^.*TERN-TEST /TERN-TEST guest_/; s/^.*TERN-SENT/GUEST-SENT/; s/^.*TERN-RECEIVED/GUEST-RECEIVED/'
    grep -q "TERN-TEST net PASS" "/var/log/tern/gnet$host.log" || tail -n 30 "/var/log/tern/gnet$host.log"
    tern list | grep -q "^gnet$host " && { tern destroy "gnet$host"; tern_result guest_done FAIL "still running after 600 s"; }
else
    tern_result guest_net FAIL "tern create"
fi
