/* Physical interrupts of the hardware domain as event channels (arch/x86/pv/pirq.c). */
#ifndef ASM_PV_IRQ_H
#define ASM_PV_IRQ_H

#include <tern/types.h>
#include <public/event_channel.h>

struct domain;

void pirq_init(void);
/* PHYSDEVOP_eoi, irq_status_query, map_pirq, unmap_pirq, setup_gsi, alloc_irq_vector. */
long pirq_physdev_op(unsigned int cmd, uint64_t arg);
/* EVTCHNOP_bind_pirq / close (the event channel lock held): 0 or -errno. */
int pirq_bind(struct domain *d, uint32_t pirq, evtchn_port_t port);
void pirq_unbind(struct domain *d, uint32_t pirq);
void pirq_domain_destroy(struct domain *d);

#endif
