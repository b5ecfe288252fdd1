# Devices given to and taken from this running guest by dom0 (tern network-attach/-detach,
# block-attach/-detach): each appears, works, and goes. dom0 reads the result lines on the
# console and does the next step. tern.ip=A/N and tern.peer=B as in net.sh; the disk holds
# 4 MiB of known data, and the guest writes a mark after them.
. /tests/lib.sh
addr= peer=
for arg in $(cat /proc/cmdline); do
    case $arg in
    tern.ip=*) addr=${arg#tern.ip=} ;;
    tern.peer=*) peer=${arg#tern.peer=} ;;
    esac
done
until_true() { # until_true SECONDS TEST...: 0 once TEST holds, 1 when the time is up
    limit=$(($1 * 10))
    shift
    n=0
    until "$@"; do
        n=$((n + 1))
        [ $n -ge $limit ] && return 1
        sleep 0.1
    done
}
gone() { [ ! -e "$1" ]; }

echo "HOTPLUG-READY"
if until_true 120 test -e /sys/class/net/eth0; then
    ip addr add "$addr" dev eth0 2> /dev/null # (S10net may have done it)
    ip link set eth0 up
    n=0
    until ping -c 1 -W 1 "$peer" > /dev/null 2>&1 || [ $n -ge 30 ]; do n=$((n + 1)); done
    if ping -c 3 -W 2 "$peer" > /tmp/ping.out 2>&1; then
        tern_result hotplug_net PASS "mac=$(cat /sys/class/net/eth0/address) $(tail -n 1 /tmp/ping.out)"
    else
        tern_result hotplug_net FAIL "$(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
    fi
else
    tern_result hotplug_net FAIL "no eth0 within 120 s (devices: $(ls /sys/bus/xen/devices | tr '\n' ' '))"
fi
if until_true 120 gone /sys/class/net/eth0; then
    tern_result hotplug_net_gone PASS "eth0 went away; devices: $(ls /sys/bus/xen/devices | tr '\n' ' ')"
else
    tern_result hotplug_net_gone FAIL "eth0 is still there"
fi

if until_true 120 test -b /dev/xvdb; then
    got=$(dd if=/dev/xvdb bs=4096 count=1024 2>/dev/null | md5sum | cut -d' ' -f1)
    if echo "written-by-the-guest" | dd of=/dev/xvdb bs=4096 seek=1024 conv=sync,notrunc,fsync 2>/dev/null; then
        tern_result hotplug_disk PASS "read md5=$got sectors=$(cat /sys/block/xvdb/size), wrote the mark"
    else
        tern_result hotplug_disk FAIL "read md5=$got, cannot write the mark"
    fi
else
    tern_result hotplug_disk FAIL "no /dev/xvdb within 120 s (devices: $(ls /sys/bus/xen/devices | tr '\n' ' '))"
fi
if until_true 120 gone /dev/xvdb; then
    tern_result hotplug_disk_gone PASS "xvdb went away"
else
    tern_result hotplug_disk_gone FAIL "/dev/xvdb is still there"
fi
