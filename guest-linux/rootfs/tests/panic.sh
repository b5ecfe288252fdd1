# A kernel panic on purpose: the hypervisor must crash this domain alone.
echo "TERN-PANIC now"
echo c > /proc/sysrq-trigger
echo "TERN-PANIC survived"
