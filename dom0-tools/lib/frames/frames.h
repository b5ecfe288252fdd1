/*
 * A domain's frames copied by the hypervisor to or from dom0 memory (Tern's
 * XEN_DOMCTL_copy_frames): one hypercall per 1024 frames, where a foreign mapping costs
 * a page-table update to map and another to unmap each frame, and a TLB flush.
 */
#ifndef TERN_FRAMES_H
#define TERN_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctrl;

#define FRAMES_BATCH 1024

/* A buffer for n frames the hypervisor can reach at any time (resident, its pages in place
 * from the start: faulting them in one by one costs a trip through the hypervisor each),
 * zeroed, or NULL. */
void *frames_buf_alloc(size_t n);
void frames_buf_free(void *buf, size_t n);
/* The n (<= FRAMES_BATCH) frames mfns of domid into buf, in order (write: buf into them).
 * On a read each mfns entry gets the frame's type in its top four bits, as
 * XEN_DOMCTL_getpageframeinfo3 gives it. 0 or -errno (-ENOSYS: not this hypervisor). */
int frames_copy(struct ctrl *c, uint16_t domid, uint64_t *mfns, size_t n, void *buf, bool write);

#endif
