/* Grant tables, versions 1 and 2: frames a domain lets others map or copy (common/grant_table.c). */
#ifndef TERN_GRANT_TABLE_H
#define TERN_GRANT_TABLE_H

#include <tern/spinlock.h>
#include <tern/types.h>
#include <public/grant_table.h>

struct domain;
struct vcpu;

#define GNTTAB_MAX_FRAMES 64U                /* table frames per domain (Xen's default) */
#define GNTTAB_PER_FRAME 512U                /* 8-byte v1 entries in 4 KiB */
#define GNTTAB_MAX_ENTRIES (GNTTAB_MAX_FRAMES * GNTTAB_PER_FRAME)
#define GNTTAB_MAPTRACK_CHUNK 256U           /* handles allocated at a time */
#define GNTTAB_MAPTRACK (1024U * GNTTAB_MAPTRACK_CHUNK) /* live mappings per domain (Xen's) */
#define GNTTAB_MAX_BATCH 512U                /* entries per map/unmap/copy call */

/* Domain life cycle: init at creation; destroy once its page tables are gone. Destroy
 * releases the domain's own mappings of others' grants, and leaves mappings others hold
 * of its frames alive (each holds references on its frame). */
int gnttab_domain_init(struct domain *d);
void gnttab_domain_destroy(struct domain *d);

/* The pv_mm_ops hook: a foreign frame may enter an L1 entry of `domid` only while
 * GNTTABOP_map_grant_ref installs that very mapping, on the calling vCPU. */
bool gnttab_may_map_foreign(uint32_t domid, mfn_t mfn, bool writable);

long do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count);

/*
 * Between the grant-table files. All grant state (every table, active entry and
 * maptrack entry) is guarded by the one gnttab_lock; operations are short and bounded.
 */
struct grant_table;
extern spinlock_t gnttab_lock;

/* The live table of domid (DOMID_SELF resolved by the caller), or NULL. */
struct grant_table *gnttab_lookup(uint16_t domid);
uint16_t gnttab_owner(const struct grant_table *gt);
/* The bytes of its frame a grant covers: all of it but for v2 sub-page grants. */
struct gnttab_window {
    uint16_t start, length;
};
/* Validates entry `ref` for `user` and pins it (GTF_reading, and GTF_writing unless
 * readonly): GNTST_okay with *mfn set, or the GNTST_* error with nothing changed. A copy
 * passes window and may pin sub-page grants; a map passes NULL and may not. */
int16_t gnttab_pin(struct grant_table *gt, uint32_t ref, uint16_t user, bool readonly,
                   mfn_t *mfn, struct gnttab_window *window);
void gnttab_unpin(struct grant_table *gt, uint32_t ref, bool readonly);
unsigned int gnttab_nr_frames(const struct grant_table *gt);
/* GNTTABOP_set_version for gt: 0 or -Exxx; *version is then the version in force. */
long gnttab_set_version(struct grant_table *gt, uint32_t *version);
unsigned int gnttab_version(const struct grant_table *gt);
/* The first nr v2 status frames: GNTST_okay, or GNTST_general_error (v1, too many). */
int16_t gnttab_status_frames(struct grant_table *gt, unsigned int nr, mfn_t *mfns);
/* Grows gt to nr frames (never shrinks) and lists the first nr: 0, -E2BIG or -ENOMEM. */
int gnttab_setup(struct grant_table *gt, unsigned int nr, mfn_t *mfns);
/* One entry of map_grant_ref / unmap_grant_ref for d: a GNTST_* code. */
int16_t gnttab_map_one(struct domain *d, struct gnttab_map_grant_ref *op);
int16_t gnttab_unmap_one(struct domain *d, const struct gnttab_unmap_grant_ref *op, bool *batch);
void gnttab_unmap_finish(struct domain *d, const uint32_t *handles, unsigned int n);
int16_t gnttab_unmap_replace_one(struct domain *d, const struct gnttab_unmap_and_replace *op);
/* GNTTABOP_copy, one entry (grant_ops.c). */
int16_t gnttab_copy_one(struct domain *d, const struct gnttab_copy *op);

/* x86 PV: the mapping's L1 entry (arch/x86/pv/grant_pte.c). map returns a GNTST_* code
 * and where the entry is; unmap clears it if it still maps mfn, and returns 0 or -Exxx
 * when it could not; without flush the caller owes arch_gnttab_flush before the frame
 * may go. */
int16_t arch_gnttab_map(struct vcpu *v, uint64_t host_addr, uint32_t flags, mfn_t mfn,
                        mfn_t *l1, unsigned int *index);
int arch_gnttab_unmap(uint16_t domid, mfn_t l1, unsigned int index, mfn_t mfn, bool flush);
void arch_gnttab_flush(uint16_t domid);
/* unmap_and_replace: the entry mapping new_addr moves into the grant's slot (which must
 * still map mfn) and new_addr's slot is cleared; a GNTST_* code. */
int16_t arch_gnttab_replace(struct vcpu *v, mfn_t l1, unsigned int index, mfn_t mfn, uint64_t new_addr);

#endif
