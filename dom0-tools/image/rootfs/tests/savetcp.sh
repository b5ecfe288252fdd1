# A TCP connection from dom0 to a guest outlives the guest's save and restore (a new domain,
# its vif reconnected to br0) and a checkpoint: the numbered lines the guest sends arrive
# with none lost, repeated or out of order, on the one connection dom0 opened.
. /tests/lib.sh
ip=169.254.1.6
linux_cfg /tmp/tcp.cfg tcp 128 "tern.script=tcpseq tern.ip=$ip/16" "vif = [ 'bridge=br0' ]"
tern create /tmp/tcp.cfg > /dev/null || { tern_result savetcp FAIL "tern create refused"; exit 1; }
lines() { wc -l < /tmp/seq; }
wait_lines() { # wait_lines N SECONDS: until N lines have come (bounded)
    local n=0
    while [ "$(lines)" -lt "$1" ] && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    [ "$(lines)" -ge "$1" ]
}
# connect once the guest listens (nc ends at once when refused); nc's input is a FIFO held
# open, so that it sends nothing and never sees an end of input
mkfifo /tmp/tcphold
exec 3<> /tmp/tcphold
tries=0 nc=
while [ $tries -lt 240 ]; do
    : > /tmp/seq
    nc $ip 5100 < /tmp/tcphold > /tmp/seq &
    nc=$!
    wait_lines 1 1 && break
    kill $nc 2> /dev/null
    wait $nc 2> /dev/null
    nc= tries=$((tries + 1))
done
# contiguous from 0? prints the first line out of place, or nothing
gaps() { awk 'NR - 1 != $1 { print "line " NR ": " $0; exit }' /tmp/seq; }
steps= fail=
check() { # check WHAT: 40 more lines arrive, the same nc is alive, the count has no gap
    local before=$(lines)
    if ! wait_lines $((before + 40)) 120; then
        fail="no more lines after $1 (stuck at $before)"
    elif ! kill -0 $nc 2> /dev/null; then
        fail="dom0's connection ended after $1"
    elif [ -n "$(gaps)" ]; then
        fail="after $1: $(gaps)"
    else
        steps="$steps $1@$(lines)"
    fi
    [ -z "$fail" ]
}
if [ -z "$nc" ]; then
    fail="no connection to $ip:5100 ($(grep TCPSEQ /var/log/tern/tcp.log))"
elif check connect; then
    out=$(tern save tcp /tmp/tcp.sav 2>&1) && out=$(tern restore /tmp/tcp.sav 2>&1) || fail="save/restore: $out"
    [ -z "$fail" ] && check restore &&
        { out=$(tern save tcp /tmp/tcp.sav -c 2>&1) || fail="checkpoint: $out"; }
    [ -z "$fail" ] && check checkpoint
fi
rm -f /tmp/tcp.sav
if [ -z "$fail" ]; then
    tern_result savetcp PASS "lines 0..$(($(lines) - 1)) in order on one connection:$steps"
else
    tail -n 15 /var/log/tern/tcp.log
    tern_result savetcp FAIL "$fail"
fi
kill $nc 2> /dev/null
exec 3>&-
rm -f /tmp/tcphold
tern destroy tcp 2> /dev/null
exit 0
