# tern create from dom0: Debian's kernel as a domU built by our domain builder, its console
# through the monitor, list/pause/destroy, memory back, and the refusals.
. /tests/lib.sh
log=/var/log/tern/linux.log

field() { # field NAME COLUMN of `tern list`
    tern list | awk -v n="$1" -v col="$2" 'NR > 1 && $1 == n { print $col }'
}
free_kib() { tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p'; }
wait_log() { # wait_log PATTERN SECONDS
    n=0
    while ! grep -q "$1" "$log" 2>/dev/null && [ $n -lt $(($2 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    grep -q "$1" "$log" 2>/dev/null
}

free0=$(free_kib)
t0=$(cut -d' ' -f1 /proc/uptime)
tern create /etc/tern/examples/linux.cfg
if wait_log "Tern test guest. Checks" 240; then
    t1=$(cut -d' ' -f1 /proc/uptime)
    tern_result create PASS "shell_after_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
else
    tail -n 30 "$log"
    tern_result create FAIL "no shell in the domU's console log"
fi
tern list
if [ "$(field linux 3)" = 256 ] && [ "$(field linux 4)" = 1 ]; then
    tern_result create_list PASS "mem=$(field linux 3) vcpus=$(field linux 4) state=$(field linux 5)"
else
    tern_result create_list FAIL "$(tern list | tr '\n' '|')"
fi

# typed input reaches the domU's shell through its console; input ends once the answer is in
# the log, which detaches the console
(echo 'echo typed-$((6*7))'; wait_log typed-42 30) | timeout 60 tern console linux > /tmp/console.out
if grep -q typed-42 /tmp/console.out && grep -q typed-42 "$log"; then
    tern_result console PASS "input and output through the monitor"
else
    tern_result console FAIL "$(tr '\n' '|' < /tmp/console.out | tail -c 300)"
fi

tern pause linux
s1=$(field linux 5)
tern unpause linux
s2=$(field linux 5)
case "$s1/$s2" in
??p*/??-*) tern_result create_pause PASS "$s1 then $s2" ;;
*) tern_result create_pause FAIL "$s1 then $s2" ;;
esac

bad=0
printf 'name = "x"\nmemory = lots\n' > /tmp/bad.cfg
tern create /tmp/bad.cfg 2> /tmp/err; [ $? -eq 1 ] && grep -q '/tmp/bad.cfg:2: expected a number' /tmp/err || bad=$((bad + 1))
cat /tmp/err
tern create /etc/tern/examples/linux.cfg 2> /tmp/err; grep -q "exists already" /tmp/err || bad=$((bad + 1))
cat /tmp/err
sed 's/^name = .*/name = "huge"/; s/^memory = .*/memory = 100000/' /etc/tern/examples/linux.cfg > /tmp/huge.cfg
tern create /tmp/huge.cfg 2> /tmp/err; grep -q "not enough memory for 'huge': it needs 100000 MiB" /tmp/err || bad=$((bad + 1))
cat /tmp/err
sed 's/^name = .*/name = "nokernel"/; s/^memory = .*/memory = 16/; s|^kernel = .*|kernel = "/etc/profile"|' \
    /etc/tern/examples/linux.cfg > /tmp/nok.cfg
tern create /tmp/nok.cfg 2> /tmp/err; grep -q "not a 64-bit" /tmp/err || bad=$((bad + 1))
printf 'name = "v"\nkernel = "/k"\nvif = [ "mac=01:00:5e:00:00:01" ]\n' > /tmp/badvif.cfg
tern create /tmp/badvif.cfg 2> /tmp/err; grep -q '/tmp/badvif.cfg:3: vif: .* is not a unicast MAC' /tmp/err || bad=$((bad + 1))
printf 'name = "v"\nkernel = "/k"\nvif = [ "bridge=br0", "speed=9" ]\n' > /tmp/badvif.cfg
tern create /tmp/badvif.cfg 2> /tmp/err; grep -q "vif: unknown key 'speed'" /tmp/err || bad=$((bad + 1))
printf 'name = "v"\nkernel = "/usr/lib/tern/guest/vmlinux"\nmemory = 128\nvif = [ "bridge=nosuchbr" ]\n' > /tmp/badvif.cfg
tern create /tmp/badvif.cfg 2> /tmp/err; grep -q "cannot put vif[0-9]*.0 in bridge nosuchbr" /tmp/err && ! tern list | grep -q '^v ' || bad=$((bad + 1))
cat /tmp/err
if [ $bad -eq 0 ]; then
    tern_result create_refusals PASS "bad line, taken name, too much memory, not a kernel, bad vifs"
else
    tern_result create_refusals FAIL "$bad refusals missing"
fi

tern destroy linux
n=0
while [ -n "$(field linux 1)" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
free1=$(free_kib)
if [ -z "$(field linux 1)" ] && [ "$free1" -eq "$free0" ]; then
    tern_result create_destroy PASS "free_kib=$free0,$free1"
else
    tern_result create_destroy FAIL "free_kib=$free0,$free1 listed=$(field linux 1)"
fi

# then a guest with a network interface (one boot for both sets of checks)
sh /tests/vif.sh
