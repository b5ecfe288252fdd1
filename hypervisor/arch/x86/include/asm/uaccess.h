/* Guest memory access from the hypervisor, through the guest's own page tables. */
#ifndef ASM_UACCESS_H
#define ASM_UACCESS_H

#include <tern/types.h>
#include <asm/config.h>

/* A guest range is acceptable if it is canonical, outside the hypervisor's hole and does not wrap. */
static inline bool guest_range_ok(uint64_t va, size_t len)
{
    uint64_t end = va + len;

    if (end < va)
        return false;
    if (len == 0)
        return true;
    /* lower half: end may reach exactly 2^47 */
    if (end <= 0x0000800000000000ull)
        return true;
    return va >= HV_VIRT_END && va >= 0xffff800000000000ull;
}

/* Return 0, or -EFAULT when the range is bad or a page is not mapped as the guest may use it. */
int copy_from_guest(void *dst, uint64_t guest_va, size_t len);
int copy_to_guest(uint64_t guest_va, const void *src, size_t len);

/* Exception fixups: a fault at a listed address resumes at its fixup. */
struct exception_fixup {
    unsigned long insn, fixup;
};
bool fixup_exception(unsigned long *rip);

#endif
