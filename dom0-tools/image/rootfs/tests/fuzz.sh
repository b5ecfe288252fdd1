# The control-interface fuzzer against a running victim (domain 1): afterwards the hypervisor
# and dom0 are up, the victim is still there, and the toolstack still works.
. /tests/lib.sh
n=${1:-1000000}
/usr/lib/tern/tests/tern-fuzz-ctrl "$n" 0x5eed
rc=$?
# the fuzzer may have paused the victim any number of times
while tern unpause 1 2>/dev/null; do :; done
state=$(tern list | awk 'NR > 1 && $2 == 1 { print $5 }')
if [ $rc -eq 0 ] && [ -n "$state" ] && tern info > /dev/null; then
    tern_result fuzz PASS "calls=$n victim_state=$state"
else
    tern_result fuzz FAIL "rc=$rc victim_state=${state:-gone}"
fi
