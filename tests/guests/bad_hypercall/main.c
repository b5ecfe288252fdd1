/* bad_hypercall: hostile hypercall arguments get errors, and the guest keeps running. */
#include "test.h"

const char test_title[] = "unknown hypercalls and bad console_io pointers";

#define HV_DIRECTMAP 0xffff830000000000ULL /* the hypervisor's direct map */

static const char text[] = "bad_hypercall: valid console write\n";

static void check_unknown_numbers(void)
{
    static const uint64_t numbers[] = {
        11,                                        /* hole in the table */
        56, 100, 127, 128, 4096,                   /* past the end */
        0x7fffffff, 0xffffffff,
        (1ULL << 32) | __HYPERVISOR_xen_version,  /* high bits must not be ignored */
        ~0ULL,
    };

    for (size_t i = 0; i < ARRAY_SIZE(numbers); i++) {
        long rc = hypercall_syscall(numbers[i], 0, 0, 0, 0, 0);

        if (rc != -XEN_ENOSYS)
            test_fail("hypercall %#llx returned %ld, expected -ENOSYS (-38)",
                      (unsigned long long)numbers[i], rc);
    }
}

static void check_console_pointers(void)
{
    static const struct {
        const char *what;
        uint64_t buf, len;
    } cases[] = {
        { "NULL buffer", 0, 16 },
        { "hypervisor direct map", HV_DIRECTMAP, 16 },
        { "hypervisor image", 0xffff82d040200000ULL, 16 },
        { "M2P area", 0xffff800000000000ULL, 16 },
        { "non-canonical", 0x8000000000000000ULL, 16 },
        { "end of user half", 0x00007ffffffffff8ULL, 16 },
        { "top of address space", 0xfffffffffffffff0ULL, 32 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        long rc = hypervisor_console_io(CONSOLEIO_write, cases[i].len,
                                        (const void *)(uintptr_t)cases[i].buf);

        if (rc != -XEN_EFAULT)
            test_fail("console_io write from %s returned %ld, expected -EFAULT (-14)",
                      cases[i].what, rc);
    }
}

/*
 * A valid start but a count running far past it. The second page of `guard`
 * is unmapped first, so the buffer ends 16 bytes after its start whatever the
 * hypervisor's copy strategy (and nothing large reaches the console).
 */
static uint8_t guard[2][4096] __attribute__((aligned(4096)));

static void check_console_counts(void)
{
    static const uint64_t counts[] = { 0x10000000, 0x7fffffff, 0xffffffff };
    const char *buf = (const char *)guard[1] - 16;
    long rc;

    memcpy(guard[0] + 4096 - 16, "0123456789abcde\n", 16);
    rc = hypervisor_update_va_mapping((uint64_t)(uintptr_t)guard[1], 0, UVMF_INVLPG);
    if (rc) {
        test_fail("cannot unmap a guard page (update_va_mapping %ld): count cases skipped", rc);
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
        rc = hypervisor_console_io(CONSOLEIO_write, counts[i], buf);
        if (rc != -XEN_EFAULT)
            test_fail("console_io write of %#llx bytes returned %ld, expected -EFAULT (-14)",
                      (unsigned long long)counts[i], rc);
    }
}

void test_main(void)
{
    long rc;

    check_unknown_numbers();
    check_console_pointers();
    check_console_counts();

    ASSERT_EQ(hypervisor_console_io(0x7777, sizeof(text) - 1, text), -XEN_ENOSYS);
    ASSERT_EQ(hypervisor_xen_version(XENVER_extraversion, (void *)(uintptr_t)HV_DIRECTMAP),
              -XEN_EFAULT);
    ASSERT_EQ(hypervisor_xen_version(XENVER_get_features, NULL), -XEN_EFAULT);

    /* Still alive and the console still works. */
    rc = hypervisor_console_write(text, sizeof(text) - 1);
    ASSERT_CONSOLE_WRITE_OK(rc, sizeof(text) - 1);
}
