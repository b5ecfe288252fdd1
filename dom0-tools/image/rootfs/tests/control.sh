# dom0's toolstack against the hypervisor: list, info, pause, unpause and destroy a boot
# domain (domain 1, a CPU-bound test guest), and the errors for what must not work.
. /tests/lib.sh

field() { # field ID COLUMN: a column of `tern list` for domain ID (1 name ... 6 time)
    tern list | awk -v id="$1" -v col="$2" 'NR > 1 && $2 == id { print $col }'
}

tern info
tern list | head -4
if [ "$(field 0 3)" -gt 0 ] && [ -n "$(field 1 1)" ] && tern list --json | grep -q '"id": *1'; then
    tern_result list PASS "dom0_mem=$(field 0 3) dom0_vcpus=$(field 0 4) d1_state=$(field 1 5)"
else
    tern_result list FAIL "$(tern list 2>&1 | head -5 | tr '\n' '|')"
fi

# boot modules 2-301 wait for hours: the list is read in chunks of 256 and must have them all
n=$(tern list | awk 'NR > 1' | wc -l) last=$(tern list | awk 'NR > 1 { print $2 }' | tail -1)
nj=$(tern list --json | grep -o '"id": *[0-9]*' | wc -l)
if [ "$n" -ge 302 ] && [ "$nj" -eq "$n" ] && [ "$last" -ge 301 ]; then
    tern_result list_many PASS "domains=$n json=$nj last_id=$last"
else
    tern_result list_many FAIL "domains=$n json=$nj last_id=$last"
fi

tern pause 1
s1=$(field 1 5) t1=$(field 1 6)
sleep 1
t2=$(field 1 6)
tern unpause 1
s2=$(field 1 5)
n=0
while [ "$(field 1 6)" = "$t2" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
t3=$(field 1 6)
case "$s1/$s2" in
??p*/??-*)
    if [ "$t1" = "$t2" ] && [ "$t3" != "$t2" ]; then
        tern_result pause PASS "paused=$s1 time=$t1,$t2 unpaused=$s2 time=$t3"
    else
        tern_result pause FAIL "cpu time while paused $t1,$t2 after $t3"
    fi ;;
*) tern_result pause FAIL "states $s1 then $s2" ;;
esac

free0=$(tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p')
tern destroy 1
n=0
while [ -n "$(field 1 1)" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
free1=$(tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p')
if [ -z "$(field 1 1)" ] && [ "$free1" -gt "$free0" ]; then
    tern_result destroy PASS "free_kib=$free0,$free1"
else
    tern_result destroy FAIL "still listed or no memory back: free_kib=$free0,$free1"
fi

bad=0
tern pause 0 && bad=$((bad + 1))
tern unpause 1 && bad=$((bad + 1))
tern destroy 999 && bad=$((bad + 1))
tern pause nonsense; [ $? -eq 1 ] || bad=$((bad + 1))
tern pause; [ $? -eq 2 ] || bad=$((bad + 1))
tern list --bogus; [ $? -eq 2 ] || bad=$((bad + 1))
if [ $bad -eq 0 ]; then
    tern_result refusals PASS "errors for dom0 itself, missing domains and bad usage"
else
    tern_result refusals FAIL "$bad refusals missing"
fi

# dom0's builder loads a kernel linked at 1 MiB with no VIRT_BASE note (tests/guests/lower_half,
# given as a tern.file); its own verdict is on the hypervisor's console
k=/usr/lib/tern/tests/lower_half.elf
printf 'name = "low"\nmemory = 16\nkernel = "%s"\non_poweroff = "destroy"\non_crash = "destroy"\n' \
    "$k" > /tmp/low.cfg
if [ ! -f "$k" ]; then
    tern_result lower_half FAIL "no $k"
elif tern create /tmp/low.cfg; then
    n=0
    while tern list | awk 'NR > 1 { print $1 }' | grep -qx low && [ $n -lt 600 ]; do n=$((n + 1)); sleep 0.1; done
    tern list | awk 'NR > 1 { print $1 }' | grep -qx low && tern_result lower_half FAIL "still running" ||
        tern_result lower_half PASS "created and ended"
else
    tern_result lower_half FAIL "tern create refused it"
fi
