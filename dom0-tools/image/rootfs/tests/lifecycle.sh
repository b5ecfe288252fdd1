# What the monitor does when a domU ends by itself: poweroff and crash destroy it (its memory
# comes back), reboot with on_reboot = "restart" builds it again under a new id.
. /tests/lib.sh
free_kib() { tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p'; }
listed() { tern list | awk -v n="$1" 'NR > 1 && $1 == n { print $2 }'; }
wait_gone() { # wait_gone NAME SECONDS
    n=0
    while [ -n "$(listed "$1")" ] && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    [ -z "$(listed "$1")" ]
}
mkcfg() { # mkcfg NAME SCRIPT
    sed "s/^name = .*/name = \"$1\"/; s/^memory = .*/memory = 128/; s/^cmdline = .*/cmdline = \"console=hvc0 tern.script=$2\"/" \
        /etc/tern/examples/linux.cfg > /tmp/$1.cfg
}

free0=$(free_kib)
for what in poweroff:uname crash:panic; do
    name=${what%%:*} script=${what#*:}
    mkcfg "$name" "$script"
    tern create /tmp/$name.cfg > /dev/null
    if wait_gone "$name" 240 && grep -q "shut down ($name): destroy" /var/log/tern/$name.log; then
        tern_result "on_$name" PASS "destroyed by its monitor"
    else
        tail -n 5 /var/log/tern/$name.log
        tern_result "on_$name" FAIL "still listed or no monitor line"
    fi
done
free1=$(free_kib)
n=0
while [ "$free1" -ne "$free0" ] && [ $n -lt 50 ]; do n=$((n + 1)); sleep 0.1; free1=$(free_kib); done
if [ "$free1" -eq "$free0" ]; then
    tern_result lifecycle_memory PASS "free_kib=$free0,$free1"
else
    tern_result lifecycle_memory FAIL "free_kib=$free0,$free1"
fi

mkcfg again reboot
tern create /tmp/again.cfg > /dev/null
id0=$(listed again)
# one sample of the list per look: while the old one dies and the new one starts, the name
# may be listed for both
n=0
id1=$(listed again)
while { [ -z "$id1" ] || [ "$id1" = "$id0" ] || [ "$(echo "$id1" | wc -l)" -ne 1 ]; } && [ $n -lt 2400 ]; do
    n=$((n + 1)); sleep 0.1; id1=$(listed again)
done
if [ -n "$id1" ] && [ "$id1" != "$id0" ] && grep -q "shut down (reboot): restart" /var/log/tern/again.log; then
    tern_result on_reboot PASS "domain $id0 came back as $id1"
else
    tail -n 20 /var/log/tern/again.log; tern list
    tern_result on_reboot FAIL "ids $id0 then ${id1:-none}"
fi
tern destroy again
