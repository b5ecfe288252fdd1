# Sourced by snapshot.sh with guard running memguard: the toolstack process killed in the
# middle of a snapshot or save (at each step, and once from outside at whatever moment)
# leaves the guest running in the same domain with no bad page, out of log-dirty mode (the
# next snapshot works), and a store that verifies with no trace of the killed snapshot.
id=$(domid guard)
kills= fail=
for at in snapshot-live snapshot-suspended snapshot-stopped snapshot-flushing save-paused outside; do
    p=$(last_pass $log)
    rm -f /tmp/kill.err
    case $at in
    save-*) TERN_KILL_AT=$at tern save guard /tmp/kill.sav 2> /tmp/kill.err ;;
    outside)
        # (the killed snapshots before left what they had written in the store)
        du0=$(du -s $TERN_STORE | cut -f1)
        tern snapshot guard killed 2> /tmp/kill.err &
        pid=$!
        # once the pre-copy is under way (8 MiB of its pages arrived in the store)
        n=0
        while [ "$(du -s $TERN_STORE | cut -f1)" -lt $((du0 + 8192)) ] && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
        kill -9 $pid
        wait $pid ;;
    *) TERN_KILL_AT=$at tern snapshot guard killed 2> /tmp/kill.err ;;
    esac
    rc=$?
    # the guardian has the last word (bounded)
    n=0
    while ! grep -q "ended half-way" /tmp/kill.err && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
    said=$(grep "ended half-way" /tmp/kill.err)
    if [ $rc -ne 137 ] || [ -z "$said" ]; then
        fail="$at: rc=$rc, guardian: $(cat /tmp/kill.err)"
    elif [ "$(domid guard)" != "$id" ] || ! wait_pass $log $((p + 2)) 120 || [ "$(bad)" != 0 ]; then
        fail="$at: the guest did not carry on (domain $(domid guard), pass $(last_pass $log), bad $(bad)); $said"
    fi
    [ -n "$fail" ] && break
    echo "killed at $at: $said"
    kills="$kills $at"
done
rm -f /tmp/kill.sav
if [ -z "$fail" ] && tern snapshot-list | grep -q "^killed "; then
    fail="the killed snapshot is listed"
elif [ -z "$fail" ] && ! tern store verify > /tmp/verify.out 2>&1; then
    fail="the store does not verify: $(tail -n 3 /tmp/verify.out)"
fi
if [ -z "$fail" ]; then
    tern_result snapshot_killed PASS "the guest carried on in domain $id after kills at$kills"
else
    tail -n 5 $log
    tern_result snapshot_killed FAIL "$fail"
fi
