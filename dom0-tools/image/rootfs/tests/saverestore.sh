# Save and restore of a running Linux guest whose memory checks itself (memguard: every
# page checked pass after pass), N times (default 20): after each restore it goes on with
# its passes, from where it was, and never finds a bad page; its clock agrees with dom0's.
# Then a checkpoint (save -c: it carries on in place), damaged files refused before any
# domain is made, and a guest that never answers the suspend request left running.
# usage: saverestore.sh [N]
. /tests/lib.sh
log=/var/log/tern/guard.log
cycles=${1:-20}
ms() { sed -n "s/.*$1 \([0-9]*\) ms.*/\1/p"; }

rm -f $log
linux_cfg /tmp/guard.cfg guard 128 "tern.script=memguard" 'vcpus = 2'
tern create /tmp/guard.cfg > /dev/null
wait_store /local/domain/$(domid guard)/data/memguard running 240 && wait_pass $log 1 120 ||
    tern_result saverestore FAIL "memguard never started"
done=0 saves= restores=
while [ $done -lt $cycles ]; do
    p=$(last_pass $log)
    out=$(tern save guard /tmp/guard.sav 2>&1) || { echo "$out"; break; }
    saves="$saves $(echo "$out" | ms save)"
    out=$(tern restore /tmp/guard.sav 2>&1) || { echo "$out"; break; }
    restores="$restores $(echo "$out" | sed -n 's/.* \([0-9]*\) ms$/\1/p')"
    # two whole passes after the restore: every page checked at least once since
    wait_pass $log $((p + 2)) 120 || { echo "no pass after restore $done"; tail -n 5 $log; break; }
    done=$((done + 1))
done
bad=$(grep -c "is wrong\|bad=[1-9]" $log)
# the pass numbers go on across restores: the process kept its place
order=$(grep "MEMGUARD pass=" $log | sed 's/.*pass=\([0-9]*\).*/\1/' | awk 'NR > 1 && $1 != prev + 1 { n++ } { prev = $1 } END { print n + 0 }')
if [ $done -eq $cycles ] && [ "$bad" = 0 ] && [ "$order" = 0 ]; then
    tern_result saverestore PASS "cycles=$done passes=$(last_pass $log) save_ms=$(echo $saves | tr ' ' ,) restore_ms=$(echo $restores | tr ' ' ,)"
else
    tail -n 20 $log
    tern_result saverestore FAIL "cycles=$done of $cycles, bad=$bad, out-of-order=$order"
fi
wall=$(grep "MEMGUARD pass=" $log | tail -n 1 | sed 's/.*wall=\([0-9]*\).*/\1/')
skew=$(( $(date +%s) - wall ))
if [ "$skew" -ge -2 ] && [ "$skew" -le 3 ]; then
    tern_result saverestore_clock PASS "guest wall clock within ${skew}s of dom0's after $done restores"
else
    tern_result saverestore_clock FAIL "guest wall clock off by ${skew}s"
fi

# a checkpoint: the guest carries on in the same domain
id=$(domid guard) p=$(last_pass $log)
if tern save guard /tmp/guard.sav -c --json > /tmp/save.json && [ "$(domid guard)" = "$id" ] &&
   wait_pass $log $((p + 2)) 120 && grep -q '"pages":32768,' /tmp/save.json && grep -q '"save_ms":' /tmp/save.json; then
    tern_result checkpoint PASS "domain $id carried on to pass $(last_pass $log); $(cat /tmp/save.json)"
else
    tern_result checkpoint FAIL "domain $(domid guard), last pass $(last_pass $log); $(cat /tmp/save.json)"
fi

# damaged files: refused, and no domain is made; the pages taken in before the damage was
# found (the hypervisor's stage) are free again
free_kib() { tern info --json | sed 's/.*"free_memory_kib":\([0-9]*\).*/\1/'; }
before=$(tern list | wc -l) f0=$(free_kib)
size=$(stat -c %s /tmp/guard.sav)
head -c $((size / 2)) /tmp/guard.sav > /tmp/short.sav
cp /tmp/guard.sav /tmp/flip.sav
printf '\377\377\377\377' | dd of=/tmp/flip.sav bs=1 seek=$((size / 3)) conv=notrunc 2> /dev/null
tern restore /tmp/short.sav --name short 2> /tmp/short.err; rs=$?
tern restore /tmp/flip.sav --name flip 2> /tmp/flip.err; rf=$?
cat /tmp/short.err /tmp/flip.err
f1=$(free_kib)
if [ $rs -ne 0 ] && [ $rf -ne 0 ] && grep -q "refused" /tmp/short.err && grep -q "offset" /tmp/flip.err &&
   [ "$(tern list | wc -l)" = "$before" ] && [ $((f1 + 1024)) -ge $f0 ]; then
    tern_result restore_damaged PASS "truncated and corrupted files refused, no domain made, free memory $f0 -> $f1 KiB"
else
    tern_result restore_damaged FAIL "rc=$rs,$rf; $(tern list | wc -l) lines listed, $before before; free $f0 -> $f1 KiB"
fi
# the tool killed once the whole file is staged: the hypervisor frees the stage once it has
# gone unused for 10 s (polled, at most 30 s)
TERN_KILL_AT=restore-staged tern restore /tmp/guard.sav --name killed 2> /dev/null; rk=$?
f2=$(free_kib) n=0
while [ $(($(free_kib) + 1024)) -lt $f0 ] && [ $n -lt 300 ]; do n=$((n + 1)); sleep 0.1; done
f3=$(free_kib)
if [ $rk -eq 137 ] && [ $((f0 - f2)) -gt 32768 ] && [ $((f3 + 1024)) -ge $f0 ] && [ "$(tern list | wc -l)" = "$before" ]; then
    tern_result restore_killed PASS "free memory $f0 KiB, $f2 with the stage held, $f3 after ${n}00 ms"
else
    tern_result restore_killed FAIL "rc=$rk; free memory $f0 KiB, $f2 after the kill, $f3 after ${n}00 ms"
fi
tern restore /tmp/guard.sav 2> /tmp/dup.err && echo "restore: no refusal of a taken name"
grep -q "exists already" /tmp/dup.err && tern_result restore_name PASS "$(cat /tmp/dup.err)" ||
    tern_result restore_name FAIL "$(cat /tmp/dup.err)"
rm -f /tmp/guard.sav /tmp/short.sav /tmp/flip.sav # dom0's root is a small tmpfs

tern xs write /local/domain/$(domid guard)/data/stop 1
n=0
while ! grep -q "TERN-TEST memguard" $log && [ $n -lt 1200 ]; do n=$((n + 1)); sleep 0.1; done
grep -q "TERN-TEST memguard PASS" $log && tern_result saverestore_guest PASS "$(grep 'TERN-TEST memguard' $log)" ||
    tern_result saverestore_guest FAIL "$(grep 'TERN-TEST memguard' $log)"
tern destroy guard 2> /dev/null

# a guest that never answers: the save gives up and it keeps running
k=/usr/lib/tern/tests/xs_logdirty.elf
printf 'name = "deaf"\nmemory = 16\nkernel = "%s"\non_poweroff = "destroy"\n' $k > /tmp/deaf.cfg
tern create /tmp/deaf.cfg > /dev/null
wait_store /local/domain/$(domid deaf)/data/ready 1 120
tern save deaf /tmp/deaf.sav -t 2000 2> /tmp/deaf.err; rc=$?
cat /tmp/deaf.err
state=$(tern list | awk '$1 == "deaf" { print $5 }')
if [ $rc -ne 0 ] && grep -q "did not answer the suspend request" /tmp/deaf.err && [ ! -e /tmp/deaf.sav ] &&
   [ -n "$state" ] && ! echo "$state" | grep -q s; then
    tern_result save_unanswered PASS "$(cat /tmp/deaf.err)"
else
    tern_result save_unanswered FAIL "rc=$rc state=$state"
fi
tern xs write /local/domain/$(domid deaf)/data/stop 1
sh /tests/savetcp.sh
exit 0
