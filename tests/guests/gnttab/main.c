/*
 * gnttab: grant tables v1. Alone, the guest checks its own table (setup_table, query_size,
 * set_version), maps, unmaps (also by unmap_and_replace) and copies its own grants, and
 * every error it can provoke. With
 * "role=<r> peer=<domid>" on its command line it plays one side of a two-domain test
 * (see tests/system/test_grant_tables.py); the sides meet through fixed grant refs.
 */
#include "gnttab.h"

const char test_title[] = "grant tables v1: table, map, unmap, copy, errors";

#define TABLE_VA SPARE_VA                          /* our own table frames, 4 pages */
#define MAP_VA(i) (SPARE_VA + (16ULL + (i)) * PAGE_BYTES) /* grant mappings land here */
#define PAGE_PFN(i) (770ULL + (i))                  /* data pages: mapped, unused */
#define WAIT_ROUNDS 200000U                         /* yields before a wait gives up */

/* Fixed refs of the two-domain tests. */
enum { REF_RW = 10, REF_RO = 11, REF_COPY = 12, REF_OTHER = 13, REF_RO2 = 14, REF_NEVER = 15 };
#define MAGIC_MAPPED 0x4d41505045440000ULL
#define MAGIC_DONE 0x444f4e4521000000ULL

static volatile uint64_t *page(unsigned int i)
{
    return pt_va_of_pfn(PAGE_PFN(i));
}

static uint64_t page_mfn(unsigned int i)
{
    return pt_mfn_of(PAGE_PFN(i));
}

static volatile uint64_t *at(uint64_t va)
{
    return (volatile uint64_t *)(uintptr_t)va;
}

static bool cmdline_role(const char *role)
{
    const char *s = start_info->cmd_line;
    size_t n = strlen(role);

    for (; *s; s++)
        if (!strncmp(s, "role=", 5) && !strncmp(s + 5, role, n) && (s[5 + n] == ' ' || !s[5 + n]))
            return true;
    return false;
}

static void table_ops(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    struct gnttab_set_version sv = { .version = 1 };
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    xen_pfn_t frames[72];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 65, .frame_list = frames };

    ASSERT_EQ(gnttab_op(GNTTABOP_query_size, &q, 1), 0);
    ASSERT_EQ(q.status, GNTST_okay);
    ASSERT_EQ(q.nr_frames, 1);
    ASSERT_EQ(q.max_nr_frames, 64); /* Xen's default max_grant_frames */
    /* too many frames, bad count, bad pointers, another domain's table */
    ASSERT_EQ(gnttab_op(GNTTABOP_setup_table, &st, 1), 0);
    ASSERT_EQ(st.status, GNTST_general_error);
    st.nr_frames = 2;
    ASSERT_EQ(gnttab_op(GNTTABOP_setup_table, &st, 2), -XEN_EINVAL);
    ASSERT_EQ(gnttab_op(GNTTABOP_setup_table, (void *)0xffff830000000000ULL, 1), -XEN_EFAULT);
    st.frame_list = (xen_pfn_t *)0xffff830000000000ULL;
    ASSERT_EQ(gnttab_op(GNTTABOP_setup_table, &st, 1), -XEN_EFAULT);
    st.frame_list = frames;
    st.dom = 0x7000;
    ASSERT_EQ(gnttab_op(GNTTABOP_setup_table, &st, 1), 0);
    ASSERT_EQ(st.status, GNTST_bad_domain);
    q.dom = 0x7000;
    ASSERT_EQ(gnttab_op(GNTTABOP_query_size, &q, 1), 0);
    ASSERT_EQ(q.status, GNTST_bad_domain);
    /* version 1 to version 1 is fine; v2 has its own guest (gnttab_v2) */
    ASSERT_EQ(gnttab_op(GNTTABOP_set_version, &sv, 1), 0);
    ASSERT_EQ(sv.version, 1);
    sv.version = 3;
    ASSERT_EQ(gnttab_op(GNTTABOP_set_version, &sv, 1), -XEN_EINVAL);
    ASSERT_EQ(gnttab_op(GNTTABOP_get_version, &gv, 1), 0);
    ASSERT_EQ(gv.version, 1);
    /* operations not provided, and unknown ones; status frames of a v1 table */
    ASSERT_EQ(gnttab_op(GNTTABOP_transfer, frames, 1), -XEN_ENOSYS);
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF, .frame_list = frames };
    ASSERT_EQ(gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    ASSERT_EQ(gs.status, GNTST_general_error); /* a v1 table has none */
    ASSERT_EQ(gnttab_op(99, frames, 1), -XEN_ENOSYS);
}

/* Maps, unmaps and copies our own grants, with the errors around them. */
static void self_ops(volatile struct grant_entry_v1 *gt, domid_t me, volatile uint64_t *l1)
{
    grant_handle_t h = 0, h2 = 0;
    uint64_t bus = 0;
    struct gnttab_map_grant_ref many[2];

    page(0)[0] = 0x1111;
    gnttab_grant(&gt[8], me, page_mfn(0), false);
    gnttab_grant(&gt[9], 0x7001, page_mfn(0), false); /* someone else's */
    gnttab_grant(&gt[10], me, page_mfn(1), true);

    ASSERT_EQ(gnttab_map(me, 8, MAP_VA(0), GNTMAP_host_map, &h, &bus), GNTST_okay);
    ASSERT_EQ(bus, page_mfn(0) << 12);
    ASSERT_EQ(gt[8].flags, GTF_permit_access | GTF_reading | GTF_writing);
    ASSERT_EQ(l1[16] & 0x000ffffffffff000ULL, page_mfn(0) << 12);
    ASSERT_EQ(*at(MAP_VA(0)), 0x1111);
    *at(MAP_VA(0) + 8) = 0x2222;
    ASSERT_EQ(page(0)[1], 0x2222);
    ASSERT(!gnttab_revoke(&gt[8])); /* in use */
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(1)), GNTST_general_error); /* not where it is */
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_okay);
    ASSERT_EQ(l1[16], 0);
    ASSERT_EQ(gt[8].flags, GTF_permit_access);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_bad_handle); /* twice */
    ASSERT_EQ(gnttab_unmap(9999, MAP_VA(0)), GNTST_bad_handle);

    /* read-only grant: RO map fine, RW refused; device-only map pins without a PTE */
    ASSERT_EQ(gnttab_map(me, 10, MAP_VA(1), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gnttab_map(me, 10, MAP_VA(1), GNTMAP_host_map | GNTMAP_readonly, &h, NULL), GNTST_okay);
    ASSERT_EQ(l1[17] & GUEST_PTE_RW, 0);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly | GTF_reading);
    ASSERT_EQ(gnttab_map(me, 10, 0, GNTMAP_device_map | GNTMAP_readonly, &h2, &bus), GNTST_okay);
    ASSERT_EQ(bus, page_mfn(1) << 12);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(1)), GNTST_okay);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly | GTF_reading); /* h2 holds it */
    /* an unmap naming neither address takes nothing away, as on Xen; the bus address must
     * be the frame's, and takes the device mapping */
    ASSERT_EQ(gnttab_unmap(h2, 0), GNTST_okay);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly | GTF_reading);
    ASSERT_EQ(gnttab_unmap_dev(h2, bus + PAGE_BYTES), GNTST_bad_dev_addr);
    ASSERT_EQ(gnttab_unmap_dev(h2, bus), GNTST_okay);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly);
    ASSERT_EQ(gnttab_unmap_dev(h2, bus), GNTST_bad_handle);

    /* host and device mapping in one: each unmap takes its own part */
    ASSERT_EQ(gnttab_map(me, 10, MAP_VA(1), GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly, &h, &bus),
              GNTST_okay);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(1)), GNTST_okay);
    ASSERT_EQ(l1[17], 0);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly | GTF_reading); /* the device part */
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(1)), GNTST_okay);                       /* no host part left */
    ASSERT_EQ(gnttab_unmap_dev(h, bus), GNTST_okay);
    ASSERT_EQ(gt[10].flags, GTF_permit_access | GTF_readonly);

    /* refs and flags that name nothing we may map */
    ASSERT_EQ(gnttab_map(me, 9, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gnttab_map(me, 7, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gnttab_map(me, 5000, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_bad_gntref);
    ASSERT_EQ(gnttab_map(me, 8, MAP_VA(2), 0, &h, NULL), GNTST_bad_gntref);
    ASSERT_EQ(gnttab_map(0x7002, 8, MAP_VA(2), GNTMAP_host_map, &h, NULL), GNTST_bad_domain);
    ASSERT_EQ(gnttab_map(me, 8, 0xffff830000000000ULL, GNTMAP_host_map, &h, NULL), GNTST_bad_virt_addr);
    ASSERT_EQ(gnttab_map(me, 8, 0x10000000000ULL, GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gt[8].flags, GTF_permit_access); /* failed maps leave no pin */
    ASSERT_EQ(l1[18], 0);
    /* garbage pointers and counts */
    ASSERT_EQ(gnttab_op(GNTTABOP_map_grant_ref, (void *)0xffff830000000000ULL, 1), -XEN_EFAULT);
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_grant_ref, (void *)8, 1), -XEN_EFAULT);
    ASSERT_EQ(gnttab_op(GNTTABOP_map_grant_ref, many, 100000), -XEN_EINVAL);
    ASSERT_EQ(gnttab_op(GNTTABOP_map_grant_ref, many, 0), 0);

    /* copies: own frame <-> own grant, and the argument checks */
    page(2)[0] = 0xc0c0;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(2), 0, me, 8, 64, 8), GNTST_okay);
    ASSERT_EQ(page(0)[8], 0xc0c0);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, me, 10, 0, DOMID_SELF, page_mfn(2), 8, 16), GNTST_okay);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, me, 8, 4000, DOMID_SELF, page_mfn(2), 0, 200), GNTST_bad_copy_arg);
    ASSERT_EQ(gnttab_copy1(0, DOMID_SELF, page_mfn(2), 0, DOMID_SELF, page_mfn(3), 4090, 7), GNTST_bad_copy_arg);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(2), 0, me, 10, 0, 8), GNTST_general_error);
    ASSERT_EQ(gnttab_copy1(0, me, page_mfn(2), 0, DOMID_SELF, page_mfn(3), 0, 8), GNTST_permission_denied);
    ASSERT_EQ(gnttab_copy1(0, DOMID_SELF, 0x200, 0, DOMID_SELF, page_mfn(3), 0, 8), GNTST_bad_page);
    /* never into a page table, even our own */
    ASSERT_EQ(gnttab_copy1(0, DOMID_SELF, page_mfn(2), 0, DOMID_SELF, pt_mfn_of(SPARE_L1_PFN), 0, 8),
              GNTST_bad_page);
    ASSERT_EQ(gt[8].flags, GTF_permit_access);
    ASSERT(gnttab_revoke(&gt[8]));
    ASSERT_EQ(gnttab_map(me, 8, MAP_VA(0), GNTMAP_host_map, &h, NULL), GNTST_general_error);
}

/* One grant mapped at 70 addresses, all unmapped in one call (past the hypervisor's chunk of
 * 64 unmaps that share a flush), the first handle named again at the end: every entry is
 * cleared, the handle given twice is refused the second time, and the grant is free after. */
#define BATCH_MAPS 70
static struct gnttab_map_grant_ref batch_map[BATCH_MAPS];
static struct gnttab_unmap_grant_ref batch_unmap[BATCH_MAPS + 1];

static void batch_ops(volatile struct grant_entry_v1 *gt, domid_t me, volatile uint64_t *l1)
{
    page(0)[0] = 0x7070;
    gnttab_grant(&gt[21], me, page_mfn(0), false);
    for (unsigned int i = 0; i < BATCH_MAPS; i++)
        batch_map[i] = (struct gnttab_map_grant_ref){ .host_addr = MAP_VA(8 + i), .flags = GNTMAP_host_map,
                                                      .ref = 21, .dom = me };
    ASSERT_EQ(gnttab_op(GNTTABOP_map_grant_ref, batch_map, BATCH_MAPS), 0);
    for (unsigned int i = 0; i < BATCH_MAPS; i++) {
        ASSERT_EQ(batch_map[i].status, GNTST_okay);
        ASSERT_EQ(*at(MAP_VA(8 + i)), 0x7070);
        batch_unmap[i] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_VA(8 + i),
                                                          .handle = batch_map[i].handle };
    }
    batch_unmap[BATCH_MAPS] = batch_unmap[0];
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_grant_ref, batch_unmap, BATCH_MAPS + 1), 0);
    for (unsigned int i = 0; i < BATCH_MAPS; i++) {
        ASSERT_EQ(batch_unmap[i].status, GNTST_okay);
        ASSERT_EQ(l1[24 + i], 0);
    }
    ASSERT_EQ(batch_unmap[BATCH_MAPS].status, GNTST_bad_handle);
    ASSERT_EQ(gt[21].flags, GTF_permit_access);
    ASSERT(gnttab_revoke(&gt[21]));
}

/* unmap_and_replace: the grant's slot takes the page mapped at new_addr, which is left
 * empty, and the grant is released; new_addr 0 is a plain unmap. */
static void replace_ops(volatile struct grant_entry_v1 *gt, domid_t me, volatile uint64_t *l1)
{
    grant_handle_t h = 0;
    struct gnttab_unmap_and_replace r;

    page(0)[0] = 0x1111;
    page(2)[0] = 0x3333;
    gnttab_grant(&gt[20], me, page_mfn(0), false);
    ASSERT_EQ(hypervisor_update_va_mapping(MAP_VA(5), (page_mfn(2) << 12) | PTE_FLAGS_RW, UVMF_INVLPG), 0);
    ASSERT_EQ(gnttab_map(me, 20, MAP_VA(4), GNTMAP_host_map, &h, NULL), GNTST_okay);
    ASSERT_EQ(*at(MAP_VA(4)), 0x1111);

    r = (struct gnttab_unmap_and_replace){ .host_addr = MAP_VA(3), .new_addr = MAP_VA(5), .handle = h };
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    ASSERT_EQ(r.status, GNTST_general_error); /* not where the grant is */
    r.host_addr = MAP_VA(4);
    r.handle = 9999;
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    ASSERT_EQ(r.status, GNTST_bad_handle);
    ASSERT_EQ(gt[20].flags, GTF_permit_access | GTF_reading | GTF_writing); /* still mapped */

    r.handle = h;
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    ASSERT_EQ(r.status, GNTST_okay);
    ASSERT_EQ(l1[16 + 4] & 0x000ffffffffff000ULL, page_mfn(2) << 12);
    ASSERT_EQ(l1[16 + 5], 0);
    ASSERT_EQ(*at(MAP_VA(4)), 0x3333);
    ASSERT_EQ(gt[20].flags, GTF_permit_access); /* released */
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    ASSERT_EQ(r.status, GNTST_bad_handle); /* twice */
    ASSERT_EQ(hypervisor_update_va_mapping(MAP_VA(4), 0, UVMF_INVLPG), 0);

    /* new_addr 0: a plain unmap */
    ASSERT_EQ(gnttab_map(me, 20, MAP_VA(4), GNTMAP_host_map, &h, NULL), GNTST_okay);
    r = (struct gnttab_unmap_and_replace){ .host_addr = MAP_VA(4), .new_addr = 0, .handle = h };
    ASSERT_EQ(gnttab_op(GNTTABOP_unmap_and_replace, &r, 1), 0);
    ASSERT_EQ(r.status, GNTST_okay);
    ASSERT_EQ(l1[16 + 4], 0);
    ASSERT(gnttab_revoke(&gt[20]));
}

static void solo(void)
{
    volatile uint64_t *l1 = pt_spare_l1();
    domid_t me = gnttab_own_domid();
    volatile struct grant_entry_v1 *gt;
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    mmu_update_t u = { .ptr = (pt_mfn_of(SPARE_L1_PFN) << 12) + 20 * 8,
                       .val = (0x200ULL << 12) | PTE_FLAGS_RW };

    ASSERT_NE(me, DOMID_INVALID);
    table_ops();
    gt = gnttab_map_own_table(2, TABLE_VA);
    if (!gt)
        test_failure_exit("could not set up and map a 2-frame table");
    ASSERT_EQ(gnttab_op(GNTTABOP_query_size, &q, 1), 0);
    ASSERT_EQ(q.nr_frames, 2);
    self_ops(gt, me, l1);
    replace_ops(gt, me, l1);
    batch_ops(gt, me, l1);
    /* a frame of nobody's grant, straight into an L1: refused */
    ASSERT_EQ(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    guest_printf("gnttab: domain %u checked its own table, maps and copies\n", me);
}

#include "pair.h"

void test_main(void)
{
    if (!cmdline_num("peer", 0))
        solo();
    else
        pair_main((domid_t)cmdline_num("peer", 0));
}
