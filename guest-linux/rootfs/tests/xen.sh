# The kernel found Xen PV, as its log says.
. /tests/lib.sh
dmesg | grep -i xen | head -n 60
n=$(dmesg | grep -ci xen)
f=$(grep -cw fsgsbase /proc/cpuinfo) # CPUs on which the kernel uses rd/wr{fs,gs}base
# a 32-bit program, its system calls through the vDSO's syscall (AMD) or sysenter (Intel)
compat32 > /dev/null
c=$?
if [ $c != 0 ]; then
    tern_result xen FAIL "compat32=$c (a 32-bit program's system call failed)"
elif dmesg | grep -q 'Hypervisor detected: Xen PV' && dmesg | grep -q 'Booting kernel on Xen'; then
    tern_result xen PASS "xen_log_lines=$n fsgsbase_cpus=$f compat32=$c"
else
    tern_result xen FAIL "xen_log_lines=$n (no 'Hypervisor detected: Xen PV')"
fi
