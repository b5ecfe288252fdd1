# Process creation works a thousand (or $1) times over.
. /tests/lib.sh
tern_workload forkexec forkexec "${1:-1000}"
