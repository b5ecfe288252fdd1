# Every check the PV guest must pass, in turn, then one summary line.
. /tests/lib.sh
tern_run_set uname xen meminfo clock memtouch forkexec threads
