# Figures for bench_dom0: tern create -> the domU's first userspace line (256 MiB), the first
# time and again (the kernel file is in the page cache by then); then create+destroy cycles.
. /tests/lib.sh
log=/var/log/tern/linux.log
for round in cold warm; do
    rm -f "$log"
    t0=$(cut -d' ' -f1 /proc/uptime)
    tern create /etc/tern/examples/linux.cfg > /dev/null
    t1=$(cut -d' ' -f1 /proc/uptime)
    n=0
    while ! grep -q TERN-GUEST-READY "$log" 2>/dev/null && [ $n -lt 3000 ]; do n=$((n + 1)); sleep 0.05; done
    t2=$(cut -d' ' -f1 /proc/uptime)
    echo "TERN-BENCH $round create_to_userspace_s=$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')" \
         "create_returns_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
    tern destroy linux
done
sh /tests/cycles.sh 10 0
