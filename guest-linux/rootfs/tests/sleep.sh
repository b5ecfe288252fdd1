# For the host-side clock check: guest time around a sleep, between two marker lines.
. /tests/lib.sh
s=${1:-10}
echo "TERN-SLEEP start date_s=$(date +%s) uptime=$(cut -d' ' -f1 /proc/uptime)"
sleep "$s"
echo "TERN-SLEEP end date_s=$(date +%s) uptime=$(cut -d' ' -f1 /proc/uptime)"
tern_result sleep PASS "seconds=$s"
