/* The PV console ring shared between a guest and its console backend. */
#ifndef __XEN_PUBLIC_IO_CONSOLE_H__
#define __XEN_PUBLIC_IO_CONSOLE_H__

#include "../xen-compat.h"

#ifndef __ASSEMBLER__

/*
 * One page (MFN and event channel in start_info.console.domU). Indexes run
 * freely and wrap modulo 2^32; a byte's slot is MASK_XENCONS_IDX(idx, ring).
 * Guest -> backend: the guest writes out[] and then out_prod; the backend
 * reads and advances out_cons. Backend -> guest: the backend writes in[] and
 * in_prod; the guest advances in_cons. Each side notifies the other through
 * the event channel after moving an index, and never trusts the other's
 * index beyond the ring size (prod - cons <= sizeof(ring)).
 */
typedef uint32_t XENCONS_RING_IDX;
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

#define XENCONSOLE_CONNECTED    0
#define XENCONSOLE_DISCONNECTED 1

struct xencons_interface {
    char in[1024];                     /* backend writes */
    char out[2048];                    /* guest writes */
    XENCONS_RING_IDX in_cons, in_prod;   /* guest, backend */
    XENCONS_RING_IDX out_cons, out_prod; /* backend, guest */
    uint8_t connection;                /* backend: XENCONSOLE_* */
    uint8_t _pad0[3];
};
XEN_ABI_SIZE(struct xencons_interface, 3092);
XEN_ABI_OFFSET(struct xencons_interface, in_cons, 3072);
XEN_ABI_OFFSET(struct xencons_interface, out_prod, 3084);
XEN_ABI_OFFSET(struct xencons_interface, connection, 3088);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_IO_CONSOLE_H__ */
