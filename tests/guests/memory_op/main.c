/* memory_op: reservations within the allotment and refused beyond it; memory map; machphys. */
#include "pv.h"

const char test_title[] = "memory_op: current/maximum reservation, decrease/increase/populate, memory_map";

#define SPARE 4
static uint8_t spare[SPARE][4096] __attribute__((aligned(4096)));

static long mem(unsigned int cmd, void *arg)
{
    return hypervisor_memory_op(cmd, arg);
}

static long reservation(unsigned int cmd)
{
    domid_t self = DOMID_SELF;

    return mem(cmd, &self);
}

void test_main(void)
{
    xen_pfn_t frames[SPARE], extra[2];
    struct xen_memory_reservation r = { .domid = DOMID_SELF };
    long cur = reservation(XENMEM_current_reservation), max = reservation(XENMEM_maximum_reservation);
    domid_t other = 0;

    ASSERT(cur > 0 && max >= cur);
    ASSERT(start_info->nr_pages <= (uint64_t)max);
    ASSERT_RC(mem(XENMEM_current_reservation, &other), -XEN_EPERM);
    ASSERT_RC(mem(XENMEM_current_reservation, (void *)0xffff830000000000ULL), -XEN_EFAULT);

    /* give back SPARE pages: they must not be mapped any more */
    for (unsigned int i = 0; i < SPARE; i++) {
        frames[i] = pv_virt_to_mfn(spare[i]);
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)spare[i], 0, UVMF_INVLPG), 0);
    }
    set_xen_guest_handle(r.extent_start, frames);
    r.nr_extents = SPARE;
    ASSERT_RC(mem(XENMEM_decrease_reservation, &r), SPARE);
    ASSERT_EQ(reservation(XENMEM_current_reservation), cur - SPARE);
    /* the same frames again: not ours any more */
    ASSERT_RC(mem(XENMEM_decrease_reservation, &r), 0);
    /* a frame still mapped is refused */
    xen_pfn_t busy = pv_virt_to_mfn(&r);
    set_xen_guest_handle(r.extent_start, &busy);
    r.nr_extents = 1;
    ASSERT_RC(mem(XENMEM_decrease_reservation, &r), 0);

    /* back within the allotment: increase 2 (MFNs written back), populate 2 at given PFNs */
    set_xen_guest_handle(r.extent_start, frames);
    r.nr_extents = 2;
    ASSERT_RC(mem(XENMEM_increase_reservation, &r), 2);
    uint64_t gpfn = ((uint64_t)(uintptr_t)spare[2] - GUEST_VIRT_BASE) >> 12;
    extra[0] = gpfn;
    extra[1] = gpfn + 1;
    set_xen_guest_handle(r.extent_start, extra);
    ASSERT_RC(mem(XENMEM_populate_physmap, &r), 2);
    /* not translated: the MFNs come back in the list, and the M2P knows their PFNs */
    struct xen_machphys_mapping mm;
    ASSERT_RC(mem(XENMEM_machphys_mapping, &mm), 0);
    ASSERT_EQ(((const uint64_t *)(uintptr_t)mm.v_start)[extra[0]], gpfn);
    ASSERT_EQ(((const uint64_t *)(uintptr_t)mm.v_start)[extra[1]], gpfn + 1);
    ASSERT_EQ(reservation(XENMEM_current_reservation), cur);
    /* beyond the allotment: nothing */
    set_xen_guest_handle(r.extent_start, frames + 2);
    r.nr_extents = 1;
    ASSERT_RC(mem(XENMEM_increase_reservation, &r), 0);
    ASSERT_EQ(reservation(XENMEM_current_reservation), cur);

    /* the new frames are ours: map them and use them */
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)spare[0], frames[0] << 12 | PTE_RW_FLAGS, UVMF_INVLPG), 0);
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)spare[2], extra[0] << 12 | PTE_RW_FLAGS, UVMF_INVLPG), 0);
    spare[0][100] = 0x5a;
    spare[2][100] = 0xa5;
    ASSERT_EQ(spare[0][100], 0x5a);
    ASSERT_EQ(spare[2][100], 0xa5);
    /* a frame given back and not had again cannot be mapped */
    for (unsigned int i = 2; i < SPARE; i++) {
        if (frames[i] == frames[0] || frames[i] == frames[1] || frames[i] == extra[0] || frames[i] == extra[1])
            continue;
        ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)spare[3], frames[i] << 12 | PTE_RW_FLAGS, UVMF_INVLPG), -XEN_EPERM);
    }

    /* refusals */
    r.extent_order = 10;
    ASSERT_RC(mem(XENMEM_increase_reservation, &r), -XEN_EINVAL);
    r.extent_order = 0;
    r.domid = 0;
    ASSERT_RC(mem(XENMEM_increase_reservation, &r), -XEN_EPERM);
    ASSERT_RC(mem(XENMEM_increase_reservation, NULL), -XEN_EFAULT);

    /* memory map: one RAM entry covering the allotment */
    struct e820entry e[2];
    struct xen_memory_map map = { .nr_entries = 2 };
    set_xen_guest_handle(map.buffer, e);
    ASSERT_RC(mem(XENMEM_memory_map, &map), 0);
    ASSERT_EQ(map.nr_entries, 1);
    ASSERT_EQ(e[0].addr, 0);
    ASSERT_EQ(e[0].size, (uint64_t)max << 12);
    ASSERT_EQ(e[0].type, E820_RAM);
    map.nr_entries = 0;
    ASSERT_RC(mem(XENMEM_memory_map, &map), -XEN_EINVAL);
    map.nr_entries = 1;
    set_xen_guest_handle(map.buffer, (struct e820entry *)0xffff830000000000ULL);
    ASSERT_RC(mem(XENMEM_memory_map, &map), -XEN_EFAULT);
}
