# Every CPU runs one of the busy threads at some point.
. /tests/lib.sh
tern_workload threads threads 2
