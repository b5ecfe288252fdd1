/* Guest entry points: __HYPERVISOR_callback_op(int cmd, void *arg). */
#ifndef __XEN_PUBLIC_CALLBACK_H__
#define __XEN_PUBLIC_CALLBACK_H__

#include "xen.h"

/*
 * Where the hypervisor enters the guest kernel (always on FLAT_KERNEL_CS with
 * a bounce frame, see the design notes of the PV entry code):
 *  event     event upcall (evtchn_upcall_pending with the mask clear)
 *  failsafe  returning to the guest failed (bad segment or iret frame)
 *  syscall   `syscall` from 64-bit guest user mode
 *  nmi       NMI delivery (Linux does not register it)
 *  sysenter, syscall32: 32-bit user mode entries; optional.
 */
#define CALLBACKTYPE_event               0
#define CALLBACKTYPE_failsafe            1
#define CALLBACKTYPE_syscall             2
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi                 4
#define CALLBACKTYPE_sysenter            5
#define CALLBACKTYPE_syscall32           7

/* Mask events (set evtchn_upcall_mask) when entering through this callback. */
#define _CALLBACKF_mask_events 0
#define CALLBACKF_mask_events  (1U << _CALLBACKF_mask_events)

/*
 * register: arg = callback_register. 0, -EINVAL for an unknown type, a
 * non-canonical address or unknown flags. unregister: arg =
 * callback_unregister; -EINVAL for types that cannot be unregistered
 * (event and failsafe).
 */
#define CALLBACKOP_register   0
#define CALLBACKOP_unregister 1

#ifndef __ASSEMBLER__

struct callback_register {
    uint16_t type;          /* IN: CALLBACKTYPE_* */
    uint16_t flags;         /* IN: CALLBACKF_* */
    uint32_t _pad0;
    xen_callback_t address; /* IN: handler VA */
};
typedef struct callback_register callback_register_t;
XEN_ABI_SIZE(struct callback_register, 16);
XEN_ABI_OFFSET(struct callback_register, address, 8);

struct callback_unregister {
    uint16_t type;    /* IN */
    uint16_t _unused;
};
typedef struct callback_unregister callback_unregister_t;
XEN_ABI_SIZE(struct callback_unregister, 4);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_CALLBACK_H__ */
