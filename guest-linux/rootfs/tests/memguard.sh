# A region whose every page is checked pass after pass (memguard), running until the guest
# is told to stop: dom0's save, snapshot and migration tests watch its lines and that it
# never reports a bad page. data/memguard = running once it has started.
# usage: memguard.sh [SIZE] (or tern.memguard=SIZE on the kernel command line; 32M)
. /tests/lib.sh
size=${1:-$(sed -n 's/.*tern.memguard=\([0-9]*[KMG]\).*/\1/p' /proc/cmdline)}
memguard "${size:-32M}" &
pid=$!
xs write data/memguard running
n=0
bad32=
while [ "$(xs read data/stop 2>/dev/null)" != 1 ] && kill -0 $pid 2>/dev/null && [ $n -lt 36000 ]; do
    n=$((n + 1))
    # a 32-bit program's syscall enters through a callback the kernel registered once, at
    # boot: a save/restore or rollback must keep it
    if [ $((n % 10)) = 0 ] && ! compat32 > /dev/null; then
        bad32=$n
        break
    fi
    sleep 0.1
done
if [ -n "$bad32" ]; then
    kill $pid
    wait $pid
    tern_result memguard FAIL "a 32-bit program's syscall failed (look ${bad32} in)"
elif kill -0 $pid 2>/dev/null; then
    kill $pid
    wait $pid
    tern_result memguard PASS "stopped after its checks passed"
else
    wait $pid
    tern_result memguard FAIL "memguard ended by itself (rc=$?)"
fi
