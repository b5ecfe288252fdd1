# Writes and verifies memory round after round (a fresh 16 MiB mapping each round, so page
# tables come and go too) until dom0 writes data/stop = 1, at most 600 rounds: a workload
# for log-dirty and save tests that checks its own memory all along.
. /tests/lib.sh
xs write data/soak running
i=0
while [ $i -lt 600 ] && [ "$(xs read data/stop 2>/dev/null)" != 1 ]; do
    if ! out=$(memtouch 16M 1 2>&1); then
        echo "$out"
        tern_result memsoak FAIL "round $i"
        exit 1
    fi
    i=$((i + 1))
done
tern_result memsoak PASS "rounds=$i"
