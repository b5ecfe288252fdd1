# The guest's end of a TCP connection that must outlive save/restore and checkpoints: eth0
# takes tern.ip=A/N, and whoever connects to port 5100 gets a numbered line every 50 ms
# (0, 1, 2 ...), so that the other end can tell a lost, repeated or reordered byte.
. /tests/lib.sh
addr=
for arg in $(cat /proc/cmdline); do
    case $arg in tern.ip=*) addr=${arg#tern.ip=} ;; esac
done
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
[ -e /sys/class/net/eth0 ] || { tern_result tcpseq FAIL "no eth0"; exit 1; }
ip addr add "$addr" dev eth0 2> /dev/null
ip link set eth0 up
echo "TCPSEQ listening on ${addr%/*}:5100"
i=0
while :; do
    echo "$i"
    i=$((i + 1))
    sleep 0.05
done | nc -l -p 5100
tern_result tcpseq PASS "the connection ended"
