/*
 * gnttab_v2: grant tables version 2. The switch (reserved entries carried over both ways,
 * refused while a grant is in use), status frames, maps and copies of v2 grants with the
 * reading/writing bits in the status array (whose frame blocks the way back while mapped),
 * sub-page grants (copies inside the window
 * only, never a map), read-only grants, and the refusals.
 */
#include "gnttab.h"

const char test_title[] = "grant tables v2: set_version, status frames, map, copy, sub-page";

#define TABLE_VA SPARE_VA                               /* our table frames */
#define STATUS_VA (SPARE_VA + 8 * PAGE_BYTES)           /* our status frame, read-only */
#define MAP_VA(i) (SPARE_VA + (16ULL + (i)) * PAGE_BYTES)
#define PAGE_PFN(i) (770ULL + (i))

static volatile uint64_t *page(unsigned int i)
{
    return pt_va_of_pfn(PAGE_PFN(i));
}

static uint64_t page_mfn(unsigned int i)
{
    return pt_mfn_of(PAGE_PFN(i));
}

static long set_version(uint32_t v, uint32_t *now)
{
    struct gnttab_set_version sv = { .version = v };
    long rc = gnttab_op(GNTTABOP_set_version, &sv, 1);

    *now = sv.version;
    return rc;
}

static uint32_t get_version(void)
{
    struct gnttab_get_version gv = { .dom = DOMID_SELF };

    ASSERT_EQ(gnttab_op(GNTTABOP_get_version, &gv, 1), 0);
    return gv.version;
}

static void grant_v2(volatile grant_entry_v2_t *e, domid_t to, uint64_t mfn, uint16_t flags)
{
    e->full_page.frame = mfn;
    e->hdr.domid = to;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    e->hdr.flags = GTF_permit_access | flags;
}

static void grant_sub_page(volatile grant_entry_v2_t *e, domid_t to, uint64_t mfn, uint16_t off, uint16_t len)
{
    e->sub_page.frame = mfn;
    e->sub_page.page_off = off;
    e->sub_page.length = len;
    e->hdr.domid = to;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    e->hdr.flags = GTF_permit_access | GTF_sub_page;
}

void test_main(void)
{
    domid_t me = gnttab_own_domid();
    volatile struct grant_entry_v1 *v1;
    volatile grant_entry_v2_t *v2;
    volatile grant_status_t *status;
    struct gnttab_get_status_frames gs;
    uint64_t sframes[9];
    grant_handle_t h = 0;
    uint32_t now;

    ASSERT_NE(me, DOMID_INVALID);
    pt_spare_l1();
    v1 = gnttab_map_own_table(1, TABLE_VA);
    if (!v1)
        test_failure_exit("could not set up and map the table");
    ASSERT_EQ(get_version(), 1);
    ASSERT_EQ(set_version(3, &now), -XEN_EINVAL);
    ASSERT_EQ(now, 1);
    ASSERT_EQ(set_version(1, &now), 0);
    /* no status frames for a v1 table */
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = DOMID_SELF, .frame_list = sframes };
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_general_error);

    /* a reserved entry and an ordinary one, then v2: only the reserved one survives */
    gnttab_grant(&v1[1], 0x7002, 0x12345, true);
    gnttab_grant(&v1[9], me, page_mfn(0), false);
    ASSERT_EQ(set_version(2, &now), 0);
    ASSERT_EQ(now, 2);
    ASSERT_EQ(get_version(), 2);
    v2 = (volatile grant_entry_v2_t *)v1;
    ASSERT_EQ(v2[1].hdr.flags, GTF_permit_access | GTF_readonly);
    ASSERT_EQ(v2[1].hdr.domid, 0x7002);
    ASSERT_EQ(v2[1].full_page.frame, 0x12345);
    ASSERT_EQ(v2[9].hdr.flags, 0);

    /* status frames: one for our one table frame */
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_okay);
    gs.nr_frames = 2;
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_general_error);
    gs.nr_frames = 1;
    gs.dom = 0x7000;
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_bad_domain);
    gs.dom = DOMID_SELF;
    gs.frame_list = (uint64_t *)0xffff830000000000ULL;
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), -XEN_EFAULT);
    ASSERT_EQ(hypervisor_update_va_mapping(STATUS_VA, (sframes[0] << 12) | GUEST_PTE_PRESENT | GUEST_PTE_ACCESSED,
                                           UVMF_INVLPG), 0);
    status = (volatile grant_status_t *)(uintptr_t)STATUS_VA;
    ASSERT_EQ(status[1], 0);
    /* 256 entries a frame now: ref 256 is beyond our one frame */
    ASSERT_EQ(gnttab_map(me, 256, MAP_VA(0), GNTMAP_host_map, &h, NULL), GNTST_bad_gntref);

    /* a full-page grant: mapped, the bits in the status array, the header untouched */
    page(0)[0] = 0x5151;
    grant_v2(&v2[10], me, page_mfn(0), 0);
    ASSERT_EQ(gnttab_map(me, 10, MAP_VA(0), GNTMAP_host_map, &h, NULL), GNTST_okay);
    ASSERT_EQ(status[10], GTF_reading | GTF_writing);
    ASSERT_EQ(v2[10].hdr.flags, GTF_permit_access);
    ASSERT_EQ(*(volatile uint64_t *)(uintptr_t)MAP_VA(0), 0x5151);
    /* in use: no going back to v1 */
    ASSERT_EQ(set_version(1, &now), -XEN_EBUSY);
    ASSERT_EQ(now, 2);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_okay);
    ASSERT_EQ(status[10], 0);

    /* read-only: a writable map refused, a read-only one sets reading alone */
    grant_v2(&v2[11], me, page_mfn(1), GTF_readonly);
    ASSERT_EQ(gnttab_map(me, 11, MAP_VA(1), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(status[11], 0);
    ASSERT_EQ(gnttab_map(me, 11, MAP_VA(1), GNTMAP_host_map | GNTMAP_readonly, &h, NULL), GNTST_okay);
    ASSERT_EQ(status[11], GTF_reading);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(1)), GNTST_okay);
    ASSERT_EQ(status[11], 0);
    /* someone else's grant, a revoked one */
    grant_v2(&v2[12], 0x7001, page_mfn(1), 0);
    ASSERT_EQ(gnttab_map(me, 12, MAP_VA(1), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    v2[10].hdr.flags = 0;
    ASSERT_EQ(gnttab_map(me, 10, MAP_VA(1), GNTMAP_host_map, &h, NULL), GNTST_general_error);

    /* copies: a full-page grant either way; a sub-page grant only inside its window */
    grant_v2(&v2[13], me, page_mfn(2), 0);
    page(1)[0] = 0xabcdef;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(1), 0, DOMID_SELF, 13, 8, 8), GNTST_okay);
    ASSERT_EQ(page(2)[1], 0xabcdef);
    ASSERT_EQ(status[13], 0);
    grant_sub_page(&v2[14], me, page_mfn(3), 256, 512);
    page(3)[32] = 0x7777; /* byte 256 */
    page(3)[31] = 0x6666; /* byte 248: outside */
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, DOMID_SELF, 14, 256, DOMID_SELF, page_mfn(2), 0, 512), GNTST_okay);
    ASSERT_EQ(page(2)[0], 0x7777);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, DOMID_SELF, 14, 248, DOMID_SELF, page_mfn(2), 0, 16),
              GNTST_general_error);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, DOMID_SELF, 14, 512, DOMID_SELF, page_mfn(2), 0, 512),
              GNTST_general_error);
    ASSERT_EQ(status[14], 0);
    ASSERT_EQ(gnttab_map(me, 14, MAP_VA(2), GNTMAP_host_map | GNTMAP_readonly, &h, NULL), GNTST_general_error);
    grant_sub_page(&v2[15], me, page_mfn(3), 4000, 200); /* runs off the page */
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, DOMID_SELF, 15, 4000, DOMID_SELF, page_mfn(2), 0, 8),
              GNTST_general_error);
    /* a frame beyond 32 bits, a transitive grant */
    grant_v2(&v2[16], me, 1ULL << 40, 0);
    ASSERT_EQ(gnttab_map(me, 16, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    v2[17].transitive.trans_domid = me;
    v2[17].transitive.gref = 13;
    v2[17].hdr.domid = me;
    v2[17].hdr.flags = GTF_transitive;
    ASSERT_EQ(gnttab_map(me, 17, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_general_error);

    /* back to v1: not while we map a status frame; then the reserved entry comes back in
     * v1 form, the rest is cleared */
    ASSERT_EQ(set_version(1, &now), -XEN_EBUSY);
    ASSERT_EQ(hypervisor_update_va_mapping(STATUS_VA, 0, UVMF_INVLPG), 0);
    ASSERT_EQ(set_version(1, &now), 0);
    ASSERT_EQ(now, 1);
    ASSERT_EQ(get_version(), 1);
    ASSERT_EQ(v1[1].flags, GTF_permit_access | GTF_readonly);
    ASSERT_EQ(v1[1].domid, 0x7002);
    ASSERT_EQ(v1[1].frame, 0x12345);
    ASSERT_EQ(v1[13].flags, 0);
    gs.frame_list = sframes;
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_general_error);
    /* and v1 grants work as before */
    gnttab_grant(&v1[9], me, page_mfn(0), false);
    ASSERT_EQ(gnttab_map(me, 9, MAP_VA(0), GNTMAP_host_map, &h, NULL), GNTST_okay);
    ASSERT_EQ(v1[9].flags, GTF_permit_access | GTF_reading | GTF_writing);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_okay);
    /* a reserved entry that cannot be v1 keeps the table at v2 */
    ASSERT_EQ(set_version(2, &now), 0);
    grant_v2(&v2[2], me, 1ULL << 40, 0);
    ASSERT_EQ(set_version(1, &now), -XEN_ERANGE);
    ASSERT_EQ(now, 2);
    v2[2].hdr.flags = 0;
    ASSERT_EQ(set_version(1, &now), 0);
}
