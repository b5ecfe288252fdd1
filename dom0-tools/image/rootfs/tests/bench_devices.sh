# Figures for bench_devices, in one boot: dom0 -> dom0 over its own loopback (round trip, 64 MiB
# over TCP) and dom0's direct I/O to an image through a loop device (64 MiB written, read,
# the median of three rounds);
# then a guest does the same through its vif and its disk (that image, via blkback), and
# another its disk through Tern's own backend.
. /tests/lib.sh
img=/var/lib/tern/bench.img
listen() { # a TCP sink on port 5000 (busybox nc ends at EOF of its input: a FIFO held open)
    rm -f /tmp/hold && mkfifo /tmp/hold
    exec 3<> /tmp/hold
    nc -l -p 5000 < /tmp/hold > /dev/null &
    sink=$!
}
ended() { # ended PID SECONDS: waits (bounded) for PID to end
    n=0
    while kill -0 "$1" 2> /dev/null && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    kill "$1" 2> /dev/null
}
listen
rtt=$(ping -A -c 50 127.0.0.1 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
t0=$(now)
if dd if=/dev/zero bs=1M count=64 2> /dev/null | nc 127.0.0.1 5000; then
    t1=$(now)
    echo "TERN-BENCH dom0_net rtt_ms=$rtt tcp_mib_s=$(rate "$t0" "$t1" 64)"
fi
ended $sink 30

truncate -s 80M "$img"
loop=$(losetup -f) && losetup "$loop" "$img"
rates=$(disk_rates "$loop") && echo "TERN-BENCH dom0_disk $rates"
losetup -d "$loop"

listen
linux_cfg /tmp/bench.cfg bench 256 "tern.script=devbench tern.ip=169.254.1.9/16 tern.peer=169.254.0.1" \
    "vif = [ 'bridge=br0' ]" "disk = [ 'file:$img,xvdb,w' ]"
tern create /tmp/bench.cfg > /dev/null || echo "TERN-BENCH-FAILED tern create"
n=0
while tern list | grep -q '^bench ' && [ $n -lt 6000 ]; do n=$((n + 1)); sleep 0.1; done
ended $sink 1
grep "TERN-BENCH" /var/log/tern/bench.log | sed 's/^.*TERN-BENCH /TERN-BENCH guest_/'

# the same disk through Tern's own backend (backendtype=qdisk), disk figures only
linux_cfg /tmp/benchq.cfg benchq 256 "tern.script=devbench" "disk = [ 'file:$img,xvdb,w,backendtype=qdisk' ]"
tern create /tmp/benchq.cfg > /dev/null || echo "TERN-BENCH-FAILED tern create (qdisk)"
n=0
while tern list | grep -q '^benchq ' && [ $n -lt 6000 ]; do n=$((n + 1)); sleep 0.1; done
grep "TERN-BENCH" /var/log/tern/benchq.log | sed 's/^.*TERN-BENCH /TERN-BENCH qdisk_/'
rm -f "$img"
