# The checks that make sense on bare (emulated) hardware, lighter, for a quick native boot.
. /tests/lib.sh
tern_run_set uname meminfo clock memtouch:50% forkexec:200 threads
