# Live snapshots into the store of a guest running memguard: it keeps running in the same
# domain through each; rollback returns it to a snapshot (its passes go back to that
# point and carry on with no bad page); a second guest restored from a snapshot runs beside
# it; snapshots of one guest share their unchanged pages; rm and the store's verify. First,
# snapshots and a save whose process is killed half-way (snapkill.sh).
. /tests/lib.sh
export TERN_STORE=/var/lib/tern/store
# dom0's root is a tmpfs without room for a store: one of its own (on a host, the state disk)
mkdir -p $TERN_STORE
grep -q " $TERN_STORE " /proc/mounts || mount -t tmpfs -o size=192m tmpfs $TERN_STORE
log=/var/log/tern/guard.log
bad() { grep -c "is wrong\|bad=[1-9]" ${1:-$log}; }

rm -rf $TERN_STORE/* $log /var/log/tern/twin.log
linux_cfg /tmp/guard.cfg guard 128 "tern.script=memguard tern.memguard=8M" 'vcpus = 2'
tern create /tmp/guard.cfg > /dev/null
wait_store /local/domain/$(domid guard)/data/memguard running 240 && wait_pass $log 1 120 ||
    tern_result snapshot FAIL "memguard never started"
. /tests/snapkill.sh
id=$(domid guard)
ok=1 details=
for s in s1 s2; do
    eval "start_$s=$(last_pass $log)"
    # s2 with room held for only 256 of the stop's pages: the others go out during the stop
    out=$([ $s = s2 ] && export TERN_SNAPSHOT_STAGE=256; tern snapshot guard $s 2>&1) || { echo "$out"; ok=0; break; }
    echo "$out"
    eval "pass_$s=$(last_pass $log)"
    details="$details $s:$(echo "$out" | sed -n 's/.*stopped \([0-9]*\) ms (suspend handshake \([0-9]*\) ms).*/pause=\1ms,handshake=\2ms/p')"
    [ "$(domid guard)" = "$id" ] && wait_pass $log $(($(last_pass $log) + 2)) 120 || { ok=0; break; }
done
if [ $ok = 1 ] && [ "$(bad)" = 0 ]; then
    tern_result snapshot PASS "the guest ran on in domain $id through 2 snapshots;$details"
else
    tail -n 10 $log
    tern_result snapshot FAIL "ok=$ok bad=$(bad)"
fi
tern snapshot-list guard
n=$(tern snapshot-list guard | grep -c "^s[12] ")
[ "$n" = 2 ] && tern_result snapshot_list PASS "2 snapshots of guard listed" ||
    tern_result snapshot_list FAIL "$n listed"

# rollback to each snapshot, the later first: the passes go back to where that snapshot was
# taken (between the passes seen when it began and when it ended) and carry on with no bad
# page. The old guest prints on until it is destroyed; the restored one's first line is
# where the numbers drop.
rollback_check() { # rollback_check SNAP RESULT
    local snap=$1 res=$2 before lines first out start pass
    eval "start=\$start_$snap pass=\$pass_$snap"
    before=$(last_pass $log)
    lines=$(wc -l < $log)
    after() { tail -n +$((lines + 1)) $log | grep "MEMGUARD pass=" | sed 's/.*pass=\([0-9]*\).*/\1/' |
              awk 'prev && $1 < prev { found = 1 } found { print } { prev = $1 }'; }
    if ! out=$(tern rollback guard $snap 2>&1); then
        tern_result $res FAIL "$out"
        return
    fi
    echo "$out"
    n=0
    while [ "$(after | wc -l)" -lt 3 ] && [ $n -lt 1200 ]; do n=$((n + 1)); sleep 0.1; done
    first=$(after | head -n 1)
    if [ -n "$first" ] && [ "$first" -gt "$start" ] && [ "$first" -le $((pass + 1)) ] &&
       [ "$(after | wc -l)" -ge 3 ] && [ "$(bad)" = 0 ]; then
        tern_result $res PASS "back from pass $before to pass $first ($snap taken between passes $start and $pass); $out"
    else
        tail -n 10 $log
        tern_result $res FAIL "first pass after rollback to $snap ${first:-none}, taken between $start and $pass, before $before"
    fi
}
rollback_check s2 rollback_s2
rollback_check s1 rollback

# a second guest from s2, beside the first
if out=$(tern restore --snapshot s2 --name twin 2>&1); then
    echo "$out"
    wait_pass /var/log/tern/twin.log $((pass_s2 + 3)) 240 && [ "$(bad /var/log/tern/twin.log)" = 0 ] &&
        [ -n "$(domid guard)" ] && tern_result snapshot_restore PASS "$out" ||
        tern_result snapshot_restore FAIL "twin at pass $(last_pass /var/log/tern/twin.log)"
else
    tern_result snapshot_restore FAIL "$out"
fi
for g in guard twin; do
    tern xs write /local/domain/$(domid $g)/data/stop 1
done
n=0
while [ "$(grep -h 'TERN-TEST memguard' $log /var/log/tern/twin.log | wc -l)" -lt 2 ] && [ $n -lt 1200 ]; do n=$((n + 1)); sleep 0.1; done
[ "$(grep -h 'TERN-TEST memguard PASS' $log /var/log/tern/twin.log | wc -l)" = 2 ] &&
    tern_result snapshot_guests PASS "both guests' checks passed to the end" ||
    tern_result snapshot_guests FAIL "$(grep -h 'TERN-TEST memguard' $log /var/log/tern/twin.log)"
tern destroy guard 2> /dev/null
tern destroy twin 2> /dev/null

tern store du
tern snapshot-rm s1
left=$(tern snapshot-list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')
if [ "$left" = "s2 " ] && tern store verify; then
    tern_result snapshot_rm PASS "s2 left, the store verifies"
else
    tern_result snapshot_rm FAIL "left: $left"
fi
exit 0
