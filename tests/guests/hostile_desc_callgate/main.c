/* hostile_desc_callgate: a far call through its own call gate faults; without a handler it dies. */
#include "desc.h"

const char test_title[] = "a call gate cannot be used from ring 3";

static uint64_t gdt[512] __attribute__((aligned(4096)));

void test_main(void)
{
    uint64_t mfn = pv_virt_to_mfn(gdt);
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) target = { 0, 0x10 | 3 };
    long rc;

    gdt[1] = CODE64(3);
    gdt[2] = CALL_GATE(0x08, 0x1000, 3);
    if (pv_set_page_rw(gdt, false))
        test_failure_exit("cannot make the GDT page read-only");
    rc = set_gdt(&mfn, 512);
    if (rc)
        test_failure_exit("set_gdt returned %ld", rc);
    if (((gdt[2] >> 45) & 3) != 0)
        test_failure_exit("the gate kept DPL %llu", (unsigned long long)((gdt[2] >> 45) & 3));
    guest_printf("hostile_desc_callgate: lcall through gate 0x13\n");
    __asm__ volatile("lcall *%0" ::"m"(target) : "memory");
    test_failure_exit("the call through the gate returned");
}
