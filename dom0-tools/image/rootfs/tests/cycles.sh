# Create and destroy a Linux domU over and over (default 50), destroying it mid-boot: the
# host's free memory comes back to the same figure, and a last one still boots. Then 20 more
# with a vif and a disk: no vif netdev, loop device or store entry is left either.
. /tests/lib.sh
count=${1:-50}
free_kib() { tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p'; }
sed 's/^name = .*/name = "cycle"/; s/^memory = .*/memory = 128/' /etc/tern/examples/linux.cfg > /tmp/cycle.cfg
free0=$(free_kib)
t0=$(cut -d' ' -f1 /proc/uptime)
i=0 failed=0
while [ $i -lt $count ]; do
    tern create /tmp/cycle.cfg > /dev/null || failed=$((failed + 1))
    tern destroy cycle || failed=$((failed + 1))
    i=$((i + 1))
done
t1=$(cut -d' ' -f1 /proc/uptime)
n=0
while [ "$(tern list | grep -c '^cycle')" -gt 0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
free1=$(free_kib)
per=$(awk -v a="$t0" -v b="$t1" -v n="$count" 'BEGIN { printf "%.2f", (b - a) / n }')
if [ $failed -eq 0 ] && [ "$free1" -eq "$free0" ]; then
    tern_result cycles PASS "cycles=$count seconds_per_cycle=$per free_kib=$free0,$free1"
else
    tern_result cycles FAIL "failed=$failed free_kib=$free0,$free1"
fi

# with devices: the backends come and go with the domain
dev_count=${2:-20}
img=/var/lib/tern/cycle.img
truncate -s 16M "$img"
{ cat /tmp/cycle.cfg; echo "vif = [ 'bridge=br0' ]"; echo "disk = [ 'file:$img,xvda,w' ]"; } > /tmp/dcycle.cfg
free0=$(free_kib)
i=0 failed=0
while [ $i -lt "$dev_count" ]; do
    tern create /tmp/dcycle.cfg > /dev/null || failed=$((failed + 1))
    tern destroy cycle || failed=$((failed + 1))
    i=$((i + 1))
done
n=0
while [ "$(tern list | grep -c '^cycle')" -gt 0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
free1=$(free_kib)
vifs=$(ls /sys/class/net | grep -c '^vif')
loops=0
for f in /sys/block/loop*/loop/backing_file; do [ -e "$f" ] && loops=$((loops + 1)); done
entries=$( (tern xs ls /local/domain/0/backend/vif; tern xs ls /local/domain/0/backend/vbd) 2>/dev/null | wc -l)
doms=$(tern xs ls /local/domain | grep -vcx 0)
if [ $failed -eq 0 ] && [ "$free1" -eq "$free0" ] && [ "$vifs" -eq 0 ] && [ $loops -eq 0 ] &&
   [ "$doms" -eq 0 ] && [ "$entries" -eq 0 ]; then
    tern_result cycles_devices PASS "cycles=$dev_count free_kib=$free0,$free1 vifs=0 loops=0"
else
    tern xs ls -r /local/domain/0/backend
    tern_result cycles_devices FAIL "failed=$failed free_kib=$free0,$free1 vifs=$vifs loops=$loops domains=$doms backends=$entries"
fi
rm -f "$img"
