# Most of the free memory (80%, or $1) can be taken, written and read back intact.
. /tests/lib.sh
tern_workload memtouch memtouch "${1:-80%}"
