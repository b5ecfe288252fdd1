# A guest with a vif: netback's vifD.0 joins br0, the guest pings dom0 through it and sends
# it 64 MiB over TCP (checksummed on both ends), and once the guest is gone nothing of the vif
# is left (no netdev, no backend or frontend entries). Then two guests on the bridge: one
# sends the other 64 MiB.
. /tests/lib.sh
log=/var/log/tern/vnet.log
cat > /tmp/vnet.cfg <<CFG
name = "vnet"
memory = 256
kernel = "/usr/lib/tern/guest/vmlinux"
ramdisk = "/usr/lib/tern/guest/initramfs.cpio.gz"
cmdline = "console=hvc0 tern.script=net tern.ip=169.254.1.2/16 tern.peer=169.254.0.1 tern.send=64"
vif = [ 'bridge=br0' ]
on_poweroff = "destroy"
CFG
# busybox nc ends at EOF of its input: give it a FIFO held open (read-write) by this shell
mkfifo /tmp/hold
exec 3<> /tmp/hold
nc -l -p 5000 < /tmp/hold > /tmp/recv &
recv=$!
if ! tern create /tmp/vnet.cfg; then
    tern_result vif_create FAIL "tern create refused the config"
    exit 1
fi
id=$(tern list | awk '$1 == "vnet" { print $2 }')
ports=$(ls /sys/class/net/br0/brif | tr '\n' ' ')
mac=$(tern xs read "/local/domain/$id/device/vif/0/mac")
be=$(tern xs read "/local/domain/0/backend/vif/$id/0/hotplug-status")
case " $ports " in
*" vif$id.0 "*) tern_result vif_create PASS "vif$id.0 in br0, mac=$mac hotplug-status=$be" ;;
*) tern_result vif_create FAIL "br0 ports: $ports" ;;
esac
n=0
while ! grep -q "TERN-TEST net" "$log" 2>/dev/null && [ $n -lt 1200 ]; do n=$((n + 1)); sleep 0.1; done
grep "TERN-TEST net" "$log" || { tail -n 20 "$log"; echo "TERN-TEST net FAIL no result"; }
# the guest's data, as it arrives; then the word it waits for
t0=$(cut -d' ' -f1 /proc/uptime)
n=0
while kill -0 $recv 2>/dev/null && [ $n -lt 3000 ]; do n=$((n + 1)); sleep 0.1; done
t1=$(cut -d' ' -f1 /proc/uptime)
kill $recv 2>/dev/null
exec 3>&-
rm -f /tmp/hold
grep TERN-SENT "$log" | tail -n 1 | sed 's/^.*TERN-SENT/TERN-SENT/'
echo "TERN-RECEIVED $(md5sum < /tmp/recv | cut -d' ' -f1) $(wc -c < /tmp/recv)"
echo "vif: received $(wc -c < /tmp/recv) bytes, the last of them $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s after the ping"
n=0
until echo "received $(wc -c < /tmp/recv)" | nc 169.254.1.2 5001; do n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; done
rm -f /tmp/recv
n=0
while ! grep -q "TERN-TEST net_tcp" "$log" 2>/dev/null && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
grep "TERN-TEST net_tcp" "$log" || echo "TERN-TEST net_tcp FAIL no result"
state=$(tern xs read "/local/domain/0/backend/vif/$id/0/state" 2>/dev/null)
n=0
while tern list | grep -q '^vnet ' && [ $n -lt 300 ]; do n=$((n + 1)); sleep 0.1; done
left=$(ls /sys/class/net | grep '^vif' | tr '\n' ' ')
be_left=$(tern xs ls /local/domain/0/backend/vif 2>/dev/null | tr '\n' ' ')
if ! tern list | grep -q '^vnet ' && [ -z "$left" ] && [ -z "$be_left" ]; then
    tern_result vif_gone PASS "no vif netdev, no backend entries"
else
    tern_result vif_gone FAIL "netdevs: $left backends: $be_left state=$state"
fi

# guest to guest through br0, each with two vCPUs: netfront asks netback for two queues, each
# with its own tx and rx event channels
mk() { # mk NAME IP ARGS
    sed "s/^name = .*/name = \"$1\"/; s/^memory = .*/memory = 200\nvcpus = 2/; s|tern.ip=[^ ]*|tern.ip=$2/16|; s|tern.peer=[^ ]* tern.send=64|$3|" /tmp/vnet.cfg > "/tmp/$1.cfg"
}
mk vrecv 169.254.1.3 "tern.peer=169.254.0.1 tern.recv=169.254.1.4"
mk vsend 169.254.1.4 "tern.peer=169.254.1.3 tern.send=64"
tern create /tmp/vrecv.cfg > /dev/null && tern create /tmp/vsend.cfg > /dev/null
n=0
while tern list | grep -q '^vrecv \|^vsend ' && [ $n -lt 3000 ]; do n=$((n + 1)); sleep 0.1; done
# their lines, renamed so as not to mix with the first transfer's
grep -h "TERN-SENT" /var/log/tern/vsend.log | sed 's/^.*TERN-SENT/G2G-SENT/'
grep -h "TERN-RECEIVED" /var/log/tern/vrecv.log | sed 's/^.*TERN-RECEIVED/G2G-RECEIVED/'
for g in vsend vrecv; do
    grep -h "TERN-TEST" "/var/log/tern/$g.log" | sed "s/^.*TERN-TEST /TERN-TEST ${g}_/"
done
