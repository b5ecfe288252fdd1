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

/*
 * A restore's pages held by the hypervisor before their domain exists (XEN_SYSCTL_stage):
 * create a stage for at most max_pages pages at pfns below max_pfn; put n (<= FRAMES_BATCH)
 * pages at buf for pfns (each mfns entry: in ~0 for a new frame or the one an earlier put
 * gave that pfn, out the frame); adopt hands n of them to domid at their pfns; drop frees
 * what is left. 0 or -errno.
 */
int frames_stage_create(struct ctrl *c, uint64_t max_pages, uint64_t max_pfn, uint32_t *id);
int frames_stage_put(struct ctrl *c, uint32_t id, const uint64_t *pfns, uint64_t *mfns, size_t n,
                     const void *buf);
int frames_stage_adopt(struct ctrl *c, uint32_t id, uint16_t domid, const uint64_t *mfns, size_t n);
int frames_stage_drop(struct ctrl *c, uint32_t id);

#endif
