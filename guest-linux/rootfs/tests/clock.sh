# Time moves: the two clocks agree over a sleep and date(1) advances by about as much.
. /tests/lib.sh
date
d0=$(date +%s)
clockcheck 2
rc=$?
d1=$(date +%s)
date
step=$((d1 - d0))
if [ $rc -eq 0 ] && [ $step -ge 2 ] && [ $step -le 8 ]; then
    tern_result clock PASS "date_step_s=$step"
else
    tern_result clock FAIL "clockcheck_rc=$rc date_step_s=$step"
fi
