/*
 * memory_exchange: XENMEM_exchange trades 4 single frames for one machine-contiguous
 * 4-frame extent below 4 GiB (as swiotlb-xen asks) and back; frames still in use, other
 * domains' memory, uneven sizes and impossible address limits are refused, nothing lost.
 */
#include "pv.h"

const char test_title[] = "XENMEM_exchange: single frames for a contiguous extent and back, refusals";

#define N 4
static uint8_t buf[N][4096] __attribute__((aligned(4096 * N)));

static long current_pages(void)
{
    domid_t self = DOMID_SELF;
    return hypervisor_memory_op(XENMEM_current_reservation, &self);
}

static void set_p2m(uint64_t pfn, uint64_t mfn)
{
    ((uint64_t *)(uintptr_t)start_info->mfn_list)[pfn] = mfn;
}

static long exchange(xen_pfn_t *in, unsigned int in_n, unsigned int in_order, xen_pfn_t *out,
                     unsigned int out_n, unsigned int out_order, unsigned int bits, uint64_t *done)
{
    struct xen_memory_exchange x = { 0 };

    set_xen_guest_handle(x.in.extent_start, in);
    x.in.nr_extents = in_n;
    x.in.extent_order = in_order;
    x.in.domid = DOMID_SELF;
    set_xen_guest_handle(x.out.extent_start, out);
    x.out.nr_extents = out_n;
    x.out.extent_order = out_order;
    x.out.mem_flags = bits; /* XENMEMF_address_bits */
    x.out.domid = DOMID_SELF;
    long rc = hypervisor_memory_op(XENMEM_exchange, &x);
    *done = x.nr_exchanged;
    return rc;
}

void test_main(void)
{
    struct xen_machphys_mapping mm;
    uint64_t pfn0 = ((uint64_t)(uintptr_t)buf - GUEST_VIRT_BASE) >> 12, done;
    xen_pfn_t in[N], out[N];
    long pages = current_pages();

    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, &mm), 0);
    const uint64_t *m2p = (const uint64_t *)(uintptr_t)mm.v_start;
    for (unsigned int i = 0; i < N; i++) {
        buf[i][0] = 0xab;
        in[i] = pv_virt_to_mfn(buf[i]);
    }

    /* still mapped: refused, nothing exchanged */
    out[0] = pfn0;
    ASSERT_RC(exchange(in, N, 0, out, 1, 2, 32, &done), -XEN_EINVAL);
    ASSERT_EQ(done, 0);
    ASSERT_EQ(buf[3][0], 0xab);

    for (unsigned int i = 0; i < N; i++)
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], 0, UVMF_INVLPG), 0);
    /* refusals with the frames free to trade */
    ASSERT_RC(exchange(in, N, 0, out, 1, 1, 32, &done), -XEN_EINVAL);  /* 4 frames for 2 */
    ASSERT_RC(exchange(in, N, 0, out, 1, 2, 13, &done), -XEN_ENOMEM);  /* no 16 KiB extent below 8 KiB */
    xen_pfn_t twice[N] = { in[0], in[0], in[1], in[2] };
    ASSERT_RC(exchange(twice, N, 0, out, 1, 2, 32, &done), -XEN_EINVAL); /* one frame twice */
    ASSERT_EQ(done, 0);
    struct xen_memory_exchange other = { 0 };
    other.in.domid = other.out.domid = 0;
    if (pv_domid() != 0)
        ASSERT_RC(hypervisor_memory_op(XENMEM_exchange, &other), -XEN_EPERM);
    ASSERT_RC(hypervisor_memory_op(XENMEM_exchange, (void *)0xffff830000000000ULL), -XEN_EFAULT);
    ASSERT_EQ(current_pages(), pages);

    /* 4 single frames for one 4-frame extent below 4 GiB */
    out[0] = pfn0;
    ASSERT_RC(exchange(in, N, 0, out, 1, 2, 32, &done), 0);
    ASSERT_EQ(done, N);
    uint64_t base = out[0];
    ASSERT_EQ(base & (N - 1), 0);          /* an aligned order-2 block */
    ASSERT(base < (1ull << 20));           /* below 4 GiB */
    ASSERT_EQ(current_pages(), pages);     /* as many frames as before */
    for (unsigned int i = 0; i < N; i++) {
        ASSERT_EQ(m2p[base + i], pfn0 + i);
        set_p2m(pfn0 + i, base + i);
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], (base + i) << 12 | PTE_RW_FLAGS,
                                               UVMF_INVLPG), 0);
        ASSERT_EQ(buf[i][0], 0);          /* scrubbed */
        buf[i][1] = (uint8_t)i;
    }
    /* the old frames are not ours any more */
    for (unsigned int i = 0; i < N; i++)
        if (in[i] < base || in[i] >= base + N)
            ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[0], in[i] << 12 | PTE_RO_FLAGS,
                                                   UVMF_INVLPG), -XEN_EPERM);
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[0], base << 12 | PTE_RW_FLAGS, UVMF_INVLPG), 0);

    /* and back: the extent for 4 single frames at the same PFNs */
    for (unsigned int i = 0; i < N; i++) {
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], 0, UVMF_INVLPG), 0);
        out[i] = pfn0 + i;
    }
    in[0] = base;
    ASSERT_RC(exchange(in, 1, 2, out, N, 0, 0, &done), 0);
    ASSERT_EQ(done, 1);
    for (unsigned int i = 0; i < N; i++) {
        set_p2m(pfn0 + i, out[i]);
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], out[i] << 12 | PTE_RW_FLAGS,
                                               UVMF_INVLPG), 0);
        buf[i][2] = 0x5a;
        ASSERT_EQ(buf[i][2], 0x5a);
    }
    ASSERT_EQ(current_pages(), pages);
    guest_printf("memory_exchange: extent at mfn %#llx\n", (unsigned long long)base);
}
