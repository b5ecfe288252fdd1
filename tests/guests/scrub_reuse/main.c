/*
 * scrub_reuse: frames given back and taken again never show what was in them. Each round the
 * guest fills 16 pages with a pattern, gives their frames back (decrease_reservation), naps
 * on every other round (the CPU goes idle and the hypervisor scrubs free frames then), takes
 * 16 frames again (increase_reservation; every third round as four blocks of four, which the
 * allocator takes from frames the scrubber marked when it can) and checks every word of
 * each is zero. Run two at once on two CPUs, one's frees and allocations meet the other
 * CPU's idle scrubbing.
 */
#include "pv.h"

const char test_title[] = "frames taken after others were given back are zero, with idle scrubbing";

#define N 16
#define ROUNDS 40
static uint64_t buf[N][512] __attribute__((aligned(4096)));

static void set_p2m(uint64_t pfn, uint64_t mfn)
{
    ((uint64_t *)(uintptr_t)start_info->mfn_list)[pfn] = mfn;
}

static void nap(evtchn_port_t *port, uint64_t ns)
{
    struct sched_poll p = { .ports = port, .nr_ports = 1, .timeout = pv_now() + ns };

    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &p), 0);
}

void test_main(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct xen_memory_reservation r = { .domid = DOMID_SELF, .nr_extents = N };
    uint64_t pfn0 = ((uint64_t)(uintptr_t)buf - GUEST_VIRT_BASE) >> 12;
    xen_pfn_t frames[N];
    uint64_t checked = 0;

    pv_map_shared_info();
    events_disable();
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0);
    evt_mask(au.port);
    set_xen_guest_handle(r.extent_start, frames);
    for (unsigned int round = 0; round < ROUNDS; round++) {
        for (unsigned int i = 0; i < N; i++) {
            for (unsigned int w = 0; w < 512; w++)
                buf[i][w] = 0x5c5c000000000000ULL | ((uint64_t)round << 24) | (i << 12) | w;
            frames[i] = pv_virt_to_mfn(buf[i]);
            ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], 0, UVMF_INVLPG), 0);
        }
        ASSERT_RC(hypervisor_memory_op(XENMEM_decrease_reservation, &r), N);
        if (round & 1)
            nap(&au.port, 2000000ULL); /* 2 ms idle */
        if (round % 3 == 2) {
            struct xen_memory_reservation q = { .domid = DOMID_SELF, .nr_extents = N / 4, .extent_order = 2 };
            xen_pfn_t heads[N / 4];
            set_xen_guest_handle(q.extent_start, heads);
            ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, &q), N / 4);
            for (unsigned int i = 0; i < N; i++)
                frames[i] = heads[i / 4] + i % 4;
        } else {
            ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, &r), N);
        }
        for (unsigned int i = 0; i < N; i++) {
            set_p2m(pfn0 + i, frames[i]);
            ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)buf[i], frames[i] << 12 | PTE_RW_FLAGS,
                                                   UVMF_INVLPG), 0);
            for (unsigned int w = 0; w < 512; w++) {
                if (buf[i][w])
                    test_fail("round %u: frame %#llx word %u holds %#llx", round,
                              (unsigned long long)frames[i], w, (unsigned long long)buf[i][w]);
                checked++;
            }
        }
    }
    guest_printf("scrub_reuse: %llu words of %u frames taken again were zero\n",
                 (unsigned long long)checked, ROUNDS * N);
}
