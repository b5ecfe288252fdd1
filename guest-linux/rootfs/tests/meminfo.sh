# The kernel sees memory; the caller compares MemTotal with what the domain was given.
. /tests/lib.sh
head -n 3 /proc/meminfo
kb=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
if [ -n "$kb" ] && [ "$kb" -gt 0 ]; then
    tern_result meminfo PASS "MemTotal_kB=$kb"
else
    tern_result meminfo FAIL "MemTotal_kB=${kb:-missing}"
fi
