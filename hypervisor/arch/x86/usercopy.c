/*
 * Copies to and from guest virtual addresses. The guest's page tables are live while
 * the hypervisor runs on its behalf, so the copy is a plain `rep movs` whose faults
 * are caught by the exception-fixup table and turned into -EFAULT.
 */
#include <tern/errno.h>
#include <asm/uaccess.h>

extern const struct exception_fixup __ex_table_start[], __ex_table_end[];

bool fixup_exception(unsigned long *rip)
{
    for (const struct exception_fixup *f = __ex_table_start; f < __ex_table_end; f++) {
        if (f->insn == *rip) {
            *rip = f->fixup;
            return true;
        }
    }
    return false;
}

/* Returns the number of bytes not copied. Eight bytes a step, then the tail: under
 * emulation each step of a rep string instruction costs the same whatever its width. */
static size_t raw_copy(void *dst, const void *src, size_t len)
{
    size_t left = len / 8;

    asm volatile("1: rep movsq\n"
                 "   mov %[tail], %%rcx\n"
                 "2: rep movsb\n"
                 "   jmp 3f\n"
                 "4: lea (%[tail], %%rcx, 8), %%rcx\n" /* a fault in the words: all not copied */
                 "3:\n"
                 ".pushsection .ex_table, \"a\"\n"
                 ".balign 8\n"
                 ".quad 1b, 4b\n"
                 ".quad 2b, 3b\n"
                 ".popsection\n"
                 : "+D"(dst), "+S"(src), "+c"(left)
                 : [tail] "r"(len % 8)
                 : "memory");
    return left;
}

int copy_from_guest(void *dst, uint64_t guest_va, size_t len)
{
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return raw_copy(dst, (const void *)guest_va, len) ? -EFAULT : 0;
}

int copy_to_guest(uint64_t guest_va, const void *src, size_t len)
{
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return raw_copy((void *)guest_va, src, len) ? -EFAULT : 0;
}
