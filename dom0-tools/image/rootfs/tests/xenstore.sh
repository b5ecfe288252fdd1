# xenstore in a running system: dom0's kernel and a domU's Linux talk to tern-xenstored
# through their rings, the toolstack's entries, permissions as a domU sees them, and
# shutdown/reboot requests through control/shutdown.
. /tests/lib.sh
log=/var/log/tern/linux.log
wait_log() { # wait_log PATTERN SECONDS
    n=0
    while ! grep -q "$1" "$log" 2>/dev/null && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    grep -q "$1" "$log" 2>/dev/null
}
in_guest() { # in_guest MARKER COMMAND: run in the domU's shell, wait for MARKER in its log
    (echo "$2; echo $1-\$?"; wait_log "$1-[0-9]" 30) | timeout 60 tern console linux > /dev/null
}

# dom0's own kernel through its xenfs ring (TERN_XS_SOCKET empty: /dev/xen/xenbus only)
v=$(TERN_XS_SOCKET= xs read /local/domain/0/name)
if [ "$v" = Domain-0 ]; then
    tern_result xs_dom0_ring PASS "dom0's kernel reads the store through its ring"
else
    tern_result xs_dom0_ring FAIL "read gave '$v'"
fi

tern create /etc/tern/examples/linux.cfg
id=$(tern list | awk '$1 == "linux" { print $2 }')
if wait_log "Tern test guest. Checks" 240; then
    tern_result xs_create PASS "domain $id reached its shell with xenbus on"
else
    tail -n 30 "$log"
    tern_result xs_create FAIL "no shell in the domU's console log"
fi
# Linux's xenbus in the domU wrote its shutdown features into its own control directory
f=$(tern xs read /local/domain/$id/control/feature-poweroff /local/domain/$id/control/feature-reboot | tr '\n' ,)
name=$(tern xs read /local/domain/$id/name)
if [ "$f" = "1,1," ] && [ "$name" = linux ]; then
    tern_result xs_domu_xenbus PASS "features=$f name=$name"
else
    tern xs ls -r /local/domain/$id
    tern_result xs_domu_xenbus FAIL "features='$f' name='$name'"
fi

# permissions as the domU sees them
tern xs write /secret/key s3cret
in_guest P1 "xs read name > /tmp/r1; xs read /secret/key > /tmp/r2; xs write /local/domain/0/evil x > /tmp/r3; \
xs write data/mine ok > /tmp/r4; xs perms /local/domain/$id/name n$id > /tmp/r5; \
cat /tmp/r1 /tmp/r2 /tmp/r3 /tmp/r4 /tmp/r5 | sed 's/^/XSOUT /'"
out=$(grep XSOUT "$log" | tr '\r\n' '  ')
mine=$(tern xs read /local/domain/$id/data/mine)
evil=$(tern xs read /local/domain/0/evil 2>&1)
case "$out" in
*"XSOUT linux"*"XSOUT xs read /secret/key: error Permission denied"*"XSOUT xs write /local/domain/0/evil: error Permission denied"*"XSOUT xs perms /local/domain/$id/name: error Permission denied"*)
    if [ "$mine" = ok ] && echo "$evil" | grep -q "No such file"; then
        tern_result xs_perms PASS "own nodes read/written, others' refused"
    else
        tern_result xs_perms FAIL "mine='$mine' evil='$evil'"
    fi ;;
*) tern_result xs_perms FAIL "$out" ;;
esac

# a watch in dom0 sees what the guest writes
tern xs watch /local/domain/$id/data -n 2 -t 30 > /tmp/watch.out &
wpid=$!
n=0; while [ ! -s /tmp/watch.out ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
in_guest P2 "xs write data/ping pong"
wait $wpid
if grep -q "^/local/domain/$id/data/ping tern" /tmp/watch.out; then
    tern_result xs_watch PASS "$(tr '\n' '|' < /tmp/watch.out)"
else
    tern_result xs_watch FAIL "$(tr '\n' '|' < /tmp/watch.out)"
fi

# reboot through xenstore: the guest reboots itself, the monitor makes it again
tern reboot linux -w -t 60
nid=""
n=0
while [ $n -lt 300 ]; do
    nid=$(tern list | awk '$1 == "linux" { print $2 }')
    [ -n "$nid" ] && [ "$nid" != "$id" ] && break
    n=$((n + 1)); sleep 0.1
done
old=$(tern xs read /local/domain/$id/name 2>&1)
if [ -n "$nid" ] && [ "$nid" != "$id" ] && echo "$old" | grep -q "No such file"; then
    tern_result xs_reboot PASS "domain $id rebooted as $nid, its entries gone"
else
    tern_result xs_reboot FAIL "new id '$nid', old entries '$old'"
fi

# shutdown through xenstore: on_poweroff destroys it; nothing of it is left in the store
: > "$log"
wait_log "Tern test guest. Checks" 240
tern shutdown linux -w -t 90
rc=$?
n=0
while tern list | grep -q '^linux ' && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
left=$(tern xs ls /local/domain | tr '\n' ,)
if [ $rc -eq 0 ] && ! tern list | grep -q '^linux ' && [ "$left" = "0," ]; then
    tern_result xs_shutdown PASS "powered off on request; /local/domain holds $left"
else
    tern_result xs_shutdown FAIL "rc=$rc left=$left $(tern list | tr '\n' '|')"
fi
grep -v "^\[" /var/log/tern/xenstored.log | head -5
tail -n 5 /var/log/tern/xenstored.log

# then guests that break their store ring (one boot for both sets of checks)
sh /tests/xs_ring.sh
