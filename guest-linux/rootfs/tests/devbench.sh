# Figures for bench_devices, from the guest's side: round trip to tern.peer (dom0) through
# the vif, 64 MiB sent to it over TCP (port 5000), and 64 MiB written to and read from the
# disk xvdb with direct I/O (no page cache in the guest; the median of three rounds). One
# TERN-BENCH line each; without tern.peer, the disk only.
. /tests/lib.sh
peer=
for arg in $(cat /proc/cmdline); do
    case $arg in
    tern.peer=*) peer=${arg#tern.peer=} ;;
    tern.ip=*) addr=${arg#tern.ip=} ;;
    esac
done
if [ -n "$peer" ]; then # (a guest given no peer measures its disk only)
    n=0
    while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
    ip addr add "$addr" dev eth0 2> /dev/null # (S10net may have done it)
    ip link set eth0 up
    n=0
    until ping -c 1 -W 1 "$peer" > /dev/null 2>&1 || [ $n -ge 30 ]; do n=$((n + 1)); done
    rtt=$(ping -A -c 50 "$peer" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    n=0
    t0=$(now)
    until dd if=/dev/zero bs=1M count=64 2> /dev/null | nc "$peer" 5000; do
        n=$((n + 1)); [ $n -ge 60 ] && break; sleep 0.5; t0=$(now)
    done
    t1=$(now)
    [ $n -lt 60 ] && echo "TERN-BENCH net rtt_ms=$rtt tcp_mib_s=$(rate "$t0" "$t1" 64)"
fi
n=0
while [ ! -b /dev/xvdb ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
rates=$(disk_rates /dev/xvdb) && echo "TERN-BENCH disk $rates"
