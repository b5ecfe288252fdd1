# The domain-0 checks, then every check a PV guest must pass, then one summary line.
. /tests/lib.sh
tern_run_set dom0 uname xen meminfo clock memtouch forkexec threads
