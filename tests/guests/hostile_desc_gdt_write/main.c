/* hostile_desc_gdt_write: its installed GDT frame cannot be made writable nor written. */
#include "desc.h"

const char test_title[] = "writing an installed GDT frame crashes the domain";

static uint64_t gdt[512] __attribute__((aligned(4096)));

void test_main(void)
{
    uint64_t mfn = pv_virt_to_mfn(gdt);
    long rc;

    gdt[1] = DATA(3);
    if (pv_set_page_rw(gdt, false))
        test_failure_exit("cannot make the GDT page read-only");
    rc = set_gdt(&mfn, 512);
    if (rc)
        test_failure_exit("set_gdt returned %ld", rc);
    rc = pv_set_page_rw(gdt, true);
    if (rc != -XEN_EBUSY && rc != -XEN_EINVAL)
        test_failure_exit("mapping the GDT frame writable returned %ld", rc);
    guest_printf("hostile_desc_gdt_write: storing a DPL-0 code descriptor into the GDT\n");
    *(volatile uint64_t *)&gdt[2] = CODE64(0);
    test_failure_exit("the store into the GDT frame succeeded");
}
