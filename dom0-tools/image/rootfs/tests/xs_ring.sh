# Hostile store rings: domUs (tests/guests/xs_ring, given to dom0 as a tern.file) that break
# the ring protocol in turn; xenstored stops serving each of them alone and keeps serving
# dom0 and the next domain. The guests' verdicts are on the hypervisor's console.
. /tests/lib.sh
k=/usr/lib/tern/tests/xs_ring.elf
xslog=/var/log/tern/xenstored.log
if [ ! -f "$k" ]; then
    tern_result xs_ring FAIL "no $k (boot with the xs_ring guest as tern.file)"
    exit 1
fi
gone() { # gone NAME SECONDS: the domain ended and its monitor removed it
    n=0
    while tern list | awk 'NR > 1 { print $1 }' | grep -qx "$1" && [ $n -lt $(($2 * 10)) ]; do
        n=$((n + 1)); sleep 0.1
    done
    ! tern list | awk 'NR > 1 { print $1 }' | grep -qx "$1"
}
for mode in toolong badidx flood good; do
    cat > "/tmp/xs-$mode.cfg" <<CFG
name = "xs-$mode"
memory = 16
kernel = "$k"
cmdline = "mode=$mode"
on_poweroff = "destroy"
on_crash = "destroy"
CFG
    tern create "/tmp/xs-$mode.cfg" > /dev/null || { tern_result "xs_$mode" FAIL "tern create"; continue; }
    if gone "xs-$mode" 180; then
        tern_result "xs_$mode" PASS "ended"
    else
        tern_result "xs_$mode" FAIL "still running after 180 s"
        tern destroy "xs-$mode"
    fi
done
# the daemon said why it stopped serving each hostile one, and is still up for everyone
closed=$(grep -c "its store connection is closed" "$xslog")
if kill -0 "$(cat /run/tern/xenstored.pid)" 2>/dev/null && tern xs write /tern-test/after ok &&
   [ "$(tern xs read /tern-test/after)" = ok ] && [ "$closed" -eq 2 ]; then
    tern_result xs_daemon PASS "alive, closed=$closed"
else
    tail -n 20 "$xslog"
    tern_result xs_daemon FAIL "closed=$closed"
fi
# nothing of the four domains is left in the store
left=$(tern xs ls /local/domain | grep -vx '0' | tr '\n' ' ')
if [ -z "$left" ]; then
    tern_result xs_clean PASS "only dom0 under /local/domain"
else
    tern_result xs_clean FAIL "left: $left"
fi
