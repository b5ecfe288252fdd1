# Several Linux domUs at once from dom0 (default 8, 128 MiB each), all reaching their shell,
# then destroyed with every page back.
. /tests/lib.sh
count=${1:-8}
free_kib() { tern info --json | sed -n 's/.*"free_memory_kib": *\([0-9]*\).*/\1/p'; }
free0=$(free_kib)
i=1
while [ $i -le $count ]; do
    sed "s/^name = .*/name = \"vm$i\"/; s/^memory = .*/memory = 128/" /etc/tern/examples/linux.cfg > /tmp/vm$i.cfg
    tern create /tmp/vm$i.cfg || echo "create vm$i failed"
    i=$((i + 1))
done
tern list
n=0 up=0
while [ $n -lt 3600 ]; do
    up=$(grep -l "Tern test guest. Checks" /var/log/tern/vm*.log 2>/dev/null | wc -l)
    [ "$up" -eq "$count" ] && break
    n=$((n + 1))
    sleep 0.1
done
tern list
listed=$(tern list | grep -c '^vm')
if [ "$up" -eq "$count" ] && [ "$listed" -eq "$count" ]; then
    tern_result many PASS "domains=$count shells=$up after_s=$((n / 10))"
else
    tern_result many FAIL "shells=$up listed=$listed of $count"
fi
i=1
while [ $i -le $count ]; do tern destroy vm$i; i=$((i + 1)); done
n=0
while [ "$(tern list | grep -c '^vm')" -gt 0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
free1=$(free_kib)
if [ "$free1" -eq "$free0" ]; then
    tern_result many_destroy PASS "free_kib=$free0,$free1"
else
    tern_result many_destroy FAIL "free_kib=$free0,$free1"
fi
