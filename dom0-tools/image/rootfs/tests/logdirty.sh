# Log-dirty (tern-check-logdirty: no page changes without its bit) on a running Linux guest
# that writes and checks its memory, whose own checks pass throughout; then on a test guest
# that writes its memory through the hypervisor every way it can (tests/guests/
# xs_logdirty, a tern.file), left in log-dirty mode until it ends. Afterwards free
# memory is back where it was: no shadow table is left behind.
. /tests/lib.sh
free_kib() { tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p'; }
settled_free() { # the free figure once two reads a moment apart agree
    a=$(free_kib); n=0
    while [ $n -lt 100 ]; do sleep 0.1; b=$(free_kib); [ "$a" = "$b" ] && break; a=$b; n=$((n + 1)); done
    echo "$a"
}
wait_log() { # wait_log FILE PATTERN SECONDS
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ $n -lt $(($3 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    grep -q "$2" "$1" 2>/dev/null
}
gone() { ! tern list | awk 'NR > 1 { print $1 }' | grep -qx "$1"; }
check() { # check NAME ID ROUNDS MS [keep]
    out=$(timeout 600 /usr/lib/tern/tests/tern-check-logdirty "$2" "$3" "$4" $5 2>&1)
    rc=$?
    echo "$out"
    last=$(echo "$out" | tail -n 1)
    if [ $rc -eq 0 ]; then
        tern_result "$1" PASS "${last#LOGDIRTY PASS }"
    else
        tern_result "$1" FAIL "rc=$rc $last"
    fi
}

free0=$(settled_free)
linux_cfg /tmp/soak.cfg soak 128 "tern.script=memsoak" 'vcpus = 2'
tern create /tmp/soak.cfg > /dev/null
id=$(tern list | awk '$1 == "soak" { print $2 }')
wait_store /local/domain/$id/data/soak running 240 || tern_result logdirty FAIL "the workload never started"
check logdirty "$id" 6 400
# twice more: log-dirty goes on and off again on the same running guest
check logdirty_again "$id" 2 200
tern xs write /local/domain/$id/data/stop 1
log=/var/log/tern/soak.log
if wait_log $log "TERN-TEST memsoak" 600 && grep -q "TERN-TEST memsoak PASS" $log; then
    tern_result logdirty_guest PASS "$(grep 'TERN-TEST memsoak' $log | head -n 1)"
else
    tail -n 20 $log
    tern_result logdirty_guest FAIL "the guest's memory checks did not pass"
fi
tern destroy soak 2>/dev/null

k=/usr/lib/tern/tests/xs_logdirty.elf
cat > /tmp/sly.cfg <<CFG
name = "sly"
memory = 16
kernel = "$k"
on_poweroff = "destroy"
on_crash = "destroy"
CFG
if [ ! -f $k ]; then
    tern_result logdirty_hostile FAIL "no $k (boot with it as tern.file)"
else
    tern create /tmp/sly.cfg > /dev/null
    id=$(tern list | awk '$1 == "sly" { print $2 }')
    if wait_store /local/domain/$id/data/ready 1 120; then
        check logdirty_hostile "$id" 6 200 keep
    else
        tern_result logdirty_hostile FAIL "the guest never got ready"
    fi
    # it ends by itself, still in log-dirty mode, and its monitor destroys it
    tern xs write /local/domain/$id/data/stop 1
    n=0
    while ! gone sly && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
    gone sly || tern destroy sly
fi
free1=$(settled_free)
if [ "$free1" = "$free0" ]; then
    tern_result logdirty_memory PASS "free_kib=$free0,$free1"
else
    tern_result logdirty_memory FAIL "free_kib=$free0,$free1"
fi
exit 0
