# The micro-benchmarks, as "BENCH name value unit" lines.
. /tests/lib.sh
bench all
rc=$?
if [ $rc -eq 0 ]; then
    tern_result bench PASS
else
    tern_result bench FAIL "rc=$rc"
fi
