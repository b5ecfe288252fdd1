/*
 * console_ring: output through the PV console ring (start_info.console.domU) with an
 * event-channel notification, drained by the hypervisor; then input typed on the serial
 * line after the focus moved to this domain, echoed back.
 */
#include "pt.h"
#include <public/io/console.h>
#include <public/event_channel.h>

const char test_title[] = "PV console ring: output drained, input delivered";

#define SPIN_LIMIT 20000000ULL

static void notify(uint32_t port)
{
    struct evtchn_send s = { .port = port };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
}

void test_main(void)
{
    struct xencons_interface *r = pt_va_of_pfn(pt_pfn_of(start_info->console.domU.mfn));
    static const char msg[] = "written through the console ring\n";
    uint32_t port = start_info->console.domU.evtchn, prod;
    char line[64];
    unsigned int n = 0;
    uint64_t spins;

    ASSERT_NE(port, 0);
    prod = r->out_prod;
    for (unsigned int i = 0; i < sizeof(msg) - 1; i++)
        r->out[MASK_XENCONS_IDX(prod++, r->out)] = msg[i];
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
    notify(port);
    for (spins = 0; __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE) != prod && spins < SPIN_LIMIT; spins++)
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    ASSERT_EQ(r->out_cons, prod);

    guest_printf("console_ring: waiting for input\n");
    for (spins = 0; n < sizeof(line) - 1 && spins < SPIN_LIMIT; spins++) {
        uint32_t cons = r->in_cons;
        if (cons == __atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE)) {
            hypervisor_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        char c = r->in[MASK_XENCONS_IDX(cons, r->in)];
        __atomic_store_n(&r->in_cons, cons + 1, __ATOMIC_RELEASE);
        if (c == '\r' || c == '\n')
            break;
        line[n++] = c;
    }
    line[n] = 0;
    guest_printf("console_ring: got '%s'\n", line);
    ASSERT(n == 4 && line[0] == 'p' && line[1] == 'i' && line[2] == 'n' && line[3] == 'g');
}
