/* desc_ldt: MMUEXT_SET_LDT takes read-only pages of checked descriptors; LDT selectors then load. */
#include "desc.h"

const char test_title[] = "guest LDT: MMUEXT_SET_LDT, LDT selectors and refused LDTs";

static uint64_t ldt[512] __attribute__((aligned(4096)));
static uint64_t bad[512] __attribute__((aligned(4096)));

void test_main(void)
{
    long r;

    traps_install();
    ldt[0] = DATA(0);            /* DPL raised to 3 */
    ldt[1] = CODE64(3);
    ASSERT_RC(set_ldt(ldt, 2), -XEN_EINVAL);                 /* still mapped writable */
    ASSERT_RC(pv_set_page_rw(ldt, false), 0);
    ASSERT_RC(set_ldt((char *)ldt + 8, 2), -XEN_EINVAL);     /* not page aligned */
    ASSERT_RC(set_ldt(ldt, 8193), -XEN_EINVAL);              /* > 64 KiB */
    ASSERT_RC(set_ldt(ldt, 1024), -XEN_EINVAL);              /* second page writable */
    ASSERT_RC(set_ldt((void *)0x1000, 2), -XEN_EINVAL);      /* nothing mapped there */
    ASSERT_RC(set_ldt((void *)0xffff830000000000ULL, 2), -XEN_EINVAL); /* the hypervisor's */
    bad[3] = D_P | D_TYPE(0x9) | 0x67;                      /* a TSS */
    ASSERT_RC(pv_set_page_rw(bad, false), 0);
    ASSERT_RC(set_ldt(bad, 8), -XEN_EINVAL);
    ASSERT_RC(pv_set_page_rw(bad, true), 0);                 /* refused pages stay ordinary */

    ASSERT_RC(set_ldt(ldt, 2), 0);
    ASSERT_EQ((ldt[0] >> 45) & 3, 3);
    ASSERT(pv_set_page_rw(ldt, true) != 0);                  /* no writable mapping while in use */
    ASSERT_EQ((selector_rights(0x07) >> 13) & 3, 3);
    ASSERT_EQ(selector_rights(0x17), -1);                     /* beyond the two entries */
    ASSERT_RC(load_ds(0x07), 0);
    ASSERT_EQ(read_ds(), 0x07);
    ASSERT_RC(load_ds(0), 0);
    ASSERT_RC(load_ds(0x17), 13);

    r = desc_iret_probe((uint64_t)(uintptr_t)desc_landing, 0x0c, 0x04);
    ASSERT_EQ(r & 0xffff, 0x0f);
    ASSERT_EQ(r >> 16, 0x07);
    guest_printf("iret to LDT 0x0c:landing ran on cs %#lx ss %#lx\n", r & 0xffff, r >> 16);

    ASSERT_RC(set_ldt(NULL, 0), 0);
    ASSERT_EQ(selector_rights(0x07), -1);
    ASSERT_RC(load_ds(0x07), 13);
    ASSERT_RC(pv_set_page_rw(ldt, true), 0);
}
