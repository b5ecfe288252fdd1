# Create and destroy a Linux domU over and over (default 50), destroying it mid-boot; then 20
# more with a vif and a disk. Nothing may stay behind: in each set the second half of the
# cycles leaves the host's free memory exactly where the first half left it (the first half
# may still grow what the hypervisor keeps once made, such as dom0's grant maptrack, which
# grows the first time a backend maps a guest's rings), and no vif netdev, loop device or
# store entry is left.
. /tests/lib.sh
count=${1:-50}
# Free memory once it is settled: a destroyed domain's frame that a backend still maps is
# freed when the backend lets go of it, a moment after the domain is gone.
free_kib() {
    local a b n=0
    b=$(tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p')
    until [ "$a" = "$b" ] || [ $n -ge 40 ]; do
        a=$b n=$((n + 1))
        sleep 0.25
        b=$(tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p')
    done
    echo "$b"
}
gone() {
    n=0
    while [ "$(tern list | grep -c '^cycle')" -gt 0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
}
cycles() { # cycles CONFIG N: N create/destroy cycles, failures added to $failed
    i=0
    while [ $i -lt "$2" ]; do
        tern create "$1" > /dev/null || failed=$((failed + 1))
        tern destroy cycle || failed=$((failed + 1))
        i=$((i + 1))
    done
    gone
}
sed 's/^name = .*/name = "cycle"/; s/^memory = .*/memory = 128/' /etc/tern/examples/linux.cfg > /tmp/cycle.cfg
failed=0
free0=$(free_kib)
t0=$(cut -d' ' -f1 /proc/uptime)
cycles /tmp/cycle.cfg $((count / 2))
free1=$(free_kib)
cycles /tmp/cycle.cfg $((count - count / 2))
t1=$(cut -d' ' -f1 /proc/uptime)
free2=$(free_kib)
per=$(awk -v a="$t0" -v b="$t1" -v n="$count" 'BEGIN { printf "%.2f", (b - a) / n }')
if [ $failed -eq 0 ] && [ "$free2" -eq "$free1" ]; then
    tern_result cycles PASS "cycles=$count seconds_per_cycle=$per free_kib=$free0,$free1,$free2"
else
    tern_result cycles FAIL "failed=$failed free_kib=$free0,$free1,$free2"
fi

# with devices: the backends come and go with the domain
dev_count=${2:-20}
[ "$dev_count" -gt 0 ] || exit 0
img=/var/lib/tern/cycle.img
truncate -s 16M "$img"
{ cat /tmp/cycle.cfg; echo "vif = [ 'bridge=br0' ]"; echo "disk = [ 'file:$img,xvda,w' ]"; } > /tmp/dcycle.cfg
# one guest whose devices connect first: what dom0's backends make the hypervisor keep
# (dom0's maptrack) is then made before anything is measured
failed=0
tern create /tmp/dcycle.cfg > /dev/null || failed=$((failed + 1))
id=$(tern list | awk '$1 == "cycle" { print $2 }')
n=0
until [ "$(tern xs read "/local/domain/0/backend/vbd/$id/51712/state" 2>/dev/null)" = 4 ] &&
      [ "$(tern xs read "/local/domain/0/backend/vif/$id/0/state" 2>/dev/null)" = 4 ] || [ $n -ge 600 ]; do
    n=$((n + 1)); sleep 0.1
done
tern destroy cycle || failed=$((failed + 1))
gone
free0=$(free_kib)
cycles /tmp/dcycle.cfg $((dev_count / 2))
free1=$(free_kib)
cycles /tmp/dcycle.cfg $((dev_count - dev_count / 2))
free2=$(free_kib)
vifs=$(ls /sys/class/net | grep -c '^vif')
loops=0
for f in /sys/block/loop*/loop/backing_file; do [ -e "$f" ] && loops=$((loops + 1)); done
entries=$( (tern xs ls /local/domain/0/backend/vif; tern xs ls /local/domain/0/backend/vbd) 2>/dev/null | wc -l)
doms=$(tern xs ls /local/domain | grep -vcx 0)
# One page may go between the halves: a slab page of the hypervisor's small-object heap
# stays while any object in it lives, and where dom0's long-lived state (its own channels
# and grant bookkeeping, grown to a new peak by the guests' I/O) lands is a matter of timing.
# A leak would lose a page or more every cycle, ten or more here.
if [ $failed -eq 0 ] && [ "$free2" -ge $((free1 - 4)) ] && [ "$vifs" -eq 0 ] && [ $loops -eq 0 ] &&
   [ "$doms" -eq 0 ] && [ "$entries" -eq 0 ]; then
    tern_result cycles_devices PASS "cycles=$dev_count free_kib=$free0,$free1,$free2 vifs=0 loops=0"
else
    tern xs ls -r /local/domain/0/backend
    tern_result cycles_devices FAIL "failed=$failed free_kib=$free0,$free1,$free2 vifs=$vifs loops=$loops domains=$doms backends=$entries"
fi
rm -f "$img"
