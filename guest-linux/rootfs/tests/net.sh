# The guest's vif (netfront): eth0 takes the address tern.ip=A/N from the command line and
# pings tern.peer=B (dom0 or another guest on the bridge).
. /tests/lib.sh
addr= peer=
for arg in $(cat /proc/cmdline); do
    case $arg in
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
ip addr add "$addr" dev eth0 && ip link set eth0 up
n=0
until ping -c 1 -W 1 "$peer" > /dev/null 2>&1 || [ $n -ge 30 ]; do n=$((n + 1)); done
if ping -c 3 -W 2 "$peer" > /tmp/ping.out 2>&1; then
    tern_result net PASS "mac=$(cat /sys/class/net/eth0/address) $(tail -n 1 /tmp/ping.out)"
else
    tern_result net FAIL "$(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
fi
