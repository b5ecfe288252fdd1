/* desc_gdt: set_gdt and update_descriptor accept checked descriptors, fix DPLs and refuse the rest. */
#include "desc.h"

const char test_title[] = "guest GDT: set_gdt, update_descriptor, guest selectors and refused descriptors";

static uint64_t gdt[512] __attribute__((aligned(4096)));
static uint64_t scratch[512] __attribute__((aligned(4096)));
static uint64_t plain[512] __attribute__((aligned(4096)));

#define GATE_TARGET_OFF 0x1234

/* Fills the scratch page with one descriptor at index 1 and tries it as a one-page GDT. */
static long try_one(uint64_t desc, uint64_t next)
{
    uint64_t mfn = pv_virt_to_mfn(scratch);
    long rc;

    ASSERT_RC(pv_set_page_rw(scratch, true), 0);
    memset(scratch, 0, sizeof(scratch));
    scratch[1] = desc;
    scratch[2] = next;
    ASSERT_RC(pv_set_page_rw(scratch, false), 0);
    rc = set_gdt(&mfn, 512);
    if (rc == 0)
        ASSERT_RC(set_gdt(NULL, 0), 0);
    return rc;
}

/* A frame of another domain from the M2P, or the hypervisor's image frame if none runs. */
static uint64_t foreign_mfn(void)
{
    struct xen_machphys_mapping m;
    const uint64_t *m2p;

    if (hypervisor_memory_op(XENMEM_machphys_mapping, &m))
        return 0x200;
    m2p = (const uint64_t *)(uintptr_t)m.v_start;
    for (uint64_t mfn = 0x100; mfn <= m.max_mfn; mfn++) {
        uint64_t pfn = m2p[mfn];
        if (pfn < (1ULL << 36) && (pfn >= start_info->nr_pages || pv_pfn_to_mfn(pfn) != mfn))
            return mfn;
    }
    return 0x200;
}

static void refused_gdts(void)
{
    uint64_t frames[15], hv = 0x200, other = foreign_mfn(), huge = 1ULL << 40;

    ASSERT_RC(try_one(DATA(3), 0), 0);
    ASSERT_RC(try_one(D_P | D_TYPE(0x9) | 0x67, 0), -XEN_EINVAL);        /* 64-bit TSS */
    ASSERT_RC(try_one(D_P | D_TYPE(0x2) | 0xfff, 0), -XEN_EINVAL);       /* LDT descriptor */
    ASSERT_RC(try_one(D_P | D_DPL(3) | D_TYPE(0xe) | (0xe008ULL << 16), 0), -XEN_EINVAL); /* interrupt gate */
    ASSERT_RC(try_one(CALL_GATE(0xe008, 0x1000, 3), 0), -XEN_EINVAL);    /* gate into the hypervisor */
    ASSERT_RC(try_one(CALL_GATE(0x08, 0x1000, 3) | (1ULL << 32), 0), -XEN_EINVAL); /* reserved bits */
    ASSERT_RC(try_one(CALL_GATE(0x08, 0x1000, 3), 0), 0);
    ASSERT_RC(try_one(CALL_GATE(FLAT_KERNEL_CS, 0x1000, 3), 0), 0);
    ASSERT_RC(try_one(0x00005a5a5a5a5a5aULL, 0), 0);                  /* not present: harmless */

    for (unsigned int i = 0; i < 15; i++)
        frames[i] = pv_virt_to_mfn(gdt);
    ASSERT_RC(set_gdt(frames, 7169), -XEN_EINVAL);                        /* > 14 frames */
    ASSERT_RC(set_gdt(frames, 0xffffffffu), -XEN_EINVAL);
    ASSERT_RC(set_gdt(&hv, 512), -XEN_EINVAL);                            /* the hypervisor's frame */
    ASSERT_RC(set_gdt(&other, 512), -XEN_EINVAL);                         /* another owner's frame */
    ASSERT_RC(set_gdt(&huge, 1), -XEN_EINVAL);                            /* no such frame */
    ASSERT_RC(set_gdt((const uint64_t *)0x10, 512), -XEN_EFAULT);
    frames[0] = pv_virt_to_mfn(plain);                                /* mapped writable */
    ASSERT_RC(set_gdt(frames, 512), -XEN_EINVAL);
    guest_printf("refused: TSS, LDT, interrupt gate, gate to 0xe008, >14 frames, foreign mfn %#llx, writable frame\n",
                 (unsigned long long)other);
}

static void installed_gdt(void)
{
    uint64_t mfn = pv_virt_to_mfn(gdt), slot4 = (mfn << 12) + 4 * 8;
    uint32_t limit = 0;
    long r;

    gdt[1] = CODE64(0);                                      /* DPL 0: raised to 3 */
    gdt[2] = DATA(0);
    gdt[3] = DATA(3);
    gdt[5] = CALL_GATE(0x08, GATE_TARGET_OFF, 3);
    gdt[6] = DATA(3) & ~D_P;
    gdt[7] = 0x00005a5a5a5a5a5aULL;                          /* not present */
    ASSERT_RC(pv_set_page_rw(gdt, false), 0);
    ASSERT_RC(set_gdt(&mfn, 512), 0);

    ASSERT_EQ((gdt[1] >> 45) & 3, 3);                        /* fixed up in place */
    ASSERT_EQ((gdt[2] >> 45) & 3, 3);
    ASSERT(gdt[1] & D_ACCESSED);
    ASSERT_EQ((gdt[5] >> 45) & 3, 0);                        /* gate: DPL 0, unusable from ring 3 */
    ASSERT_EQ((gdt[5] >> 16) & 0xffff, 0x0b);                /* its target gets RPL 3 */
    ASSERT_EQ(gdt[7], 0x00005a5a5a5a5a5aULL);
    ASSERT(pv_set_page_rw(gdt, true) != 0);                  /* no writable mapping while in use */

    ASSERT_EQ((selector_rights(0x0b) >> 13) & 3, 3);
    ASSERT_EQ(selector_rights(0x4b), -1);                     /* past the entries: null */
    ASSERT_RC(load_ds(0x13), 0);
    ASSERT_EQ(read_ds(), 0x13);
    ASSERT_RC(load_ds(0x1b), 0);
    ASSERT_EQ(read_ds(), 0x1b);
    ASSERT_RC(load_ds(0), 0);
    ASSERT_RC(load_ds(0x23), 13);                             /* a zero entry: #GP to our handler */
    ASSERT_RC(load_ds(0x33), 11);                             /* not present: #NP */
    ASSERT_RC(load_ds(0xe013), 13);                           /* the hypervisor's DPL-0 data */

    /* a TLS-like entry: base 0x1000, limit 0xfff, then used through %fs */
    ASSERT_RC(update_descriptor(slot4, (DATA(3) & ~(D_G | 0xf00000000ffffULL)) | 0xfff | (0x1000ULL << 16)), 0);
    __asm__ volatile("lsl %1, %0" : "=r"(limit) : "r"(0x23u) : "cc");
    ASSERT_EQ(limit, 0xfff);
    ASSERT_EQ((gdt[4] >> 45) & 3, 3);
    ASSERT_RC(load_fs(0x23), 0);
    ASSERT_RC(load_fs(0), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0), 0);
    ASSERT_RC(update_descriptor(slot4 + 1, DATA(3)), -XEN_EINVAL);               /* misaligned */
    ASSERT_RC(update_descriptor(slot4, D_P | D_TYPE(0x9) | 0x67), -XEN_EINVAL);   /* TSS */
    ASSERT_RC(update_descriptor(slot4, CALL_GATE(0xe008, 0, 3)), -XEN_EINVAL);
    ASSERT_RC(update_descriptor(0x200000, DATA(3)), -XEN_EINVAL);                 /* not ours */
    ASSERT_RC(update_descriptor(pv_virt_to_mfn((void *)(uintptr_t)start_info->pt_base) << 12, DATA(3)),
              -XEN_EINVAL);                                                        /* a page table */
    ASSERT_RC(update_descriptor((pv_virt_to_mfn(plain) << 12) + 8, DATA(0)), 0); /* plain memory */
    ASSERT_EQ((plain[1] >> 45) & 3, 3);

    /* iret with the DPL-0 code selector at RPL 0 still lands in ring 3 */
    r = desc_iret_probe((uint64_t)(uintptr_t)desc_landing, 0x08, 0x10);
    ASSERT_EQ(r & 0xffff, 0x0b);
    ASSERT_EQ(r >> 16, 0x13);
    guest_printf("iret to 0x08:landing ran on cs %#lx ss %#lx\n", r & 0xffff, r >> 16);

    ASSERT_RC(set_gdt(NULL, 0), 0);
    ASSERT_EQ(selector_rights(0x0b), -1);
    ASSERT_RC(pv_set_page_rw(gdt, true), 0);                 /* an ordinary page again */
}

void test_main(void)
{
    traps_install();
    refused_gdts();
    installed_gdt();
}
