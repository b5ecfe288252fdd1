# The kernel runs as the initial, privileged domain: XENFEAT_dom0 (bit 11) is offered and
# Linux did not take itself for an unprivileged domain.
. /tests/lib.sh
features=$(cat /sys/hypervisor/properties/features 2>/dev/null)
unpriv=$(dmesg | grep -c 'ACPI in unprivileged domain')
# the file the hypervisor appended to the initramfs (tern.file), when there is one
kernel=$(md5sum /usr/lib/tern/guest/vmlinux 2>/dev/null | cut -d' ' -f1)
if [ -n "$features" ] && [ $(( 0x$features >> 11 & 1 )) -eq 1 ] && [ "$unpriv" -eq 0 ]; then
    tern_result dom0 PASS "features=$features guest_kernel_md5=${kernel:-none}"
else
    tern_result dom0 FAIL "features=${features:-none} unprivileged_lines=$unpriv"
fi
