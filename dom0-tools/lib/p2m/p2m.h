/*
 * A running PV guest's pfn -> mfn table, read the way Xen's save does: from the 3-level
 * tree the guest publishes in shared_info (arch.pfn_to_mfn_frame_list_list, 512 entries
 * a page at each level, arch.max_pfn entries in all). Returns 0 or -errno; never prints.
 */
#ifndef TERN_P2M_H
#define TERN_P2M_H

#include <stdint.h>

struct call;
struct ctrl;

#define P2M_INVALID (~(uint64_t)0)

struct p2m {
    uint64_t nr;     /* entries: pfns 0 .. nr-1 */
    uint64_t *mfn;   /* P2M_INVALID where the guest has no frame */
    uint64_t nr_leaves;
    uint64_t *leaf_mfn; /* the frames holding the table: leaf i covers pfns i*512.. */
};

/* -ENOENT when the guest has not published its table (yet); -EPROTO when the table
 * names frames that are not its own or is larger than the guest. */
int p2m_read(struct ctrl *c, uint16_t dom, struct p2m *out);
void p2m_free(struct p2m *p);

#endif
