# The guest's vif (netfront): eth0 takes the address tern.ip=A/N from the command line and
# pings tern.peer=B (dom0 or another guest on the bridge); with tern.send=MIB it then sends B
# that many MiB of random data over TCP (port 5000) and waits for B's word (port 5001) that
# it has them all, so that it does not power off with data still in flight. With
# tern.recv=ADDR it is the receiving end instead: it takes the data on port 5000 and gives
# ADDR its word.
. /tests/lib.sh
addr= peer= send= recv=
for arg in $(cat /proc/cmdline); do
    case $arg in
    tern.recv=*) recv=${arg#tern.recv=} ;;
    tern.send=*) send=${arg#tern.send=} ;;
    tern.ip=*) addr=${arg#tern.ip=} ;;
    tern.peer=*) peer=${arg#tern.peer=} ;;
    esac
done
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
if [ ! -e /sys/class/net/eth0 ]; then
    tern_result net FAIL "no eth0 (devices: $(ls /sys/bus/xen/devices | tr '\n' ' '))"
    exit 1
fi
ip addr add "$addr" dev eth0 2> /dev/null # (S10net may have done it)
ip link set eth0 up
n=0
until ping -c 1 -W 1 "$peer" > /dev/null 2>&1 || [ $n -ge 30 ]; do n=$((n + 1)); done
if ping -c 3 -W 2 "$peer" > /tmp/ping.out 2>&1; then
    queues=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l)
    tern_result net PASS "mac=$(cat /sys/class/net/eth0/address) queues=$queues $(tail -n 1 /tmp/ping.out)"
else
    tern_result net FAIL "$(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
fi
if [ -n "$recv" ]; then
    # busybox nc ends at EOF of its input: a FIFO held open keeps it reading the socket
    mkfifo /tmp/hold
    exec 3<> /tmp/hold
    nc -l -p 5000 < /tmp/hold > /tmp/recv
    exec 3>&-
    echo "TERN-RECEIVED $(md5sum < /tmp/recv | cut -d' ' -f1) $(wc -c < /tmp/recv)"
    n=0
    until echo "received $(wc -c < /tmp/recv)" | nc "$recv" 5001; do n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; done
    tern_result net_recv PASS "received $(wc -c < /tmp/recv) bytes"
    exit 0
fi
[ -n "$send" ] || exit 0
dd if=/dev/urandom of=/tmp/data bs=1M count="$send" 2>/dev/null
echo "TERN-SENT $(md5sum < /tmp/data | cut -d' ' -f1) $(wc -c < /tmp/data)"
n=0
until nc "$peer" 5000 < /tmp/data; do n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; done
rm -f /tmp/data
dmesg | grep -iE "netfront|eth0|grant" | tail -n 10
if timeout 300 nc -l -p 5001 > /tmp/done; then
    tern_result net_tcp PASS "sent $send MiB, peer: $(cat /tmp/done)"
else
    tern_result net_tcp FAIL "no word from $peer"
fi
