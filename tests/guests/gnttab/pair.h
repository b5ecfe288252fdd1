/* gnttab, two domains: the granter's and the mapper's side of each scenario (roles). */

/* Waits (bounded, yielding) until cond holds, evaluating it once per round (it may
 * have side effects, such as a map); false on time-out. */
#define WAIT_FOR(cond)                                                         \
    ({                                                                         \
        bool ok_ = false;                                                      \
        for (unsigned int n_ = 0; !(ok_ = (cond)) && n_ < WAIT_ROUNDS; n_++)   \
            gnttab_yield();                                                    \
        ok_;                                                                   \
    })

static volatile struct grant_entry_v1 *granter_setup(domid_t peer)
{
    volatile struct grant_entry_v1 *gt;

    pt_spare_l1(); /* the L1 under TABLE_VA */
    gt = gnttab_map_own_table(1, TABLE_VA);
    if (!gt)
        test_failure_exit("could not set up the grant table");
    for (unsigned int i = 0; i < 4; i++)
        for (unsigned int w = 0; w < 512; w++)
            page(i)[w] = 0;
    page(0)[0] = 0xa0a0;
    page(1)[0] = 0xb1b1;
    page(1)[511] = 0xb1ff;
    gnttab_grant(&gt[REF_RW], peer, page_mfn(0), false);
    gnttab_grant(&gt[REF_RO], peer, page_mfn(1), true);
    gnttab_grant(&gt[REF_COPY], peer, page_mfn(2), false);
    gnttab_grant(&gt[REF_OTHER], (domid_t)(peer + 40), page_mfn(3), false);
    gnttab_grant(&gt[REF_RO2], peer, page_mfn(3), true);
    return gt;
}

static bool in_use(volatile struct grant_entry_v1 *e)
{
    return e->flags & (GTF_reading | GTF_writing);
}

/* role=granter: grants, waits for the mapper's "done", checks what it left. */
static void granter(domid_t peer)
{
    volatile struct grant_entry_v1 *gt = granter_setup(peer);

    if (!WAIT_FOR(page(2)[0] == MAGIC_DONE))
        test_failure_exit("the mapper never reported done");
    ASSERT_EQ(page(0)[1], 0x5eed);   /* written through its RW mapping */
    ASSERT_EQ(page(2)[1], 0xc09e);   /* copied in with dest_gref */
    ASSERT_EQ(page(1)[1], 0);        /* the RO grant stayed untouched */
    /* the copy that wrote "done" may still hold its pin for a moment */
    WAIT_FOR(!in_use(&gt[REF_COPY]));
    for (unsigned int r = REF_RW; r <= REF_RO2; r++) {
        if (in_use(&gt[r]))
            test_fail("ref %u still in use: flags %#x", r, gt[r].flags);
        else if (!gnttab_revoke(&gt[r]))
            test_fail("ref %u could not be revoked: flags %#x", r, gt[r].flags);
    }
}

/* role=granter_wait: the mapper ends with its maps held; teardown must release them. */
static void granter_wait(domid_t peer)
{
    volatile struct grant_entry_v1 *gt = granter_setup(peer);

    if (!WAIT_FOR(page(2)[0] == MAGIC_DONE))
        test_failure_exit("the mapper never reported done");
    ASSERT_EQ(page(0)[1], 0xdead);
    if (!WAIT_FOR(!in_use(&gt[REF_RW]) && !in_use(&gt[REF_RO])))
        test_failure_exit("the dead mapper's grants stay in use");
    ASSERT(gnttab_revoke(&gt[REF_RW]));
}

/* role=granter_exit: ends while the mapper holds a writable map of page 0. */
static void granter_exit(domid_t peer)
{
    volatile struct grant_entry_v1 *gt = granter_setup(peer);

    if (!WAIT_FOR(page(2)[0] == MAGIC_MAPPED))
        test_failure_exit("the mapper never mapped");
    ASSERT(in_use(&gt[REF_RW]));
}

/* Maps ref of the granter at MAP_VA(slot), retrying while it is not granted yet. */
static grant_handle_t map_when_granted(domid_t peer, grant_ref_t ref, unsigned int slot,
                                       uint32_t flags, uint64_t *bus)
{
    grant_handle_t h = 0;
    int16_t st = GNTST_general_error;

    if (!WAIT_FOR((st = gnttab_map(peer, ref, MAP_VA(slot), GNTMAP_host_map | flags, &h, bus)) ==
                  GNTST_okay))
        test_failure_exit("map of ref %u never succeeded (status %d)", ref, st);
    return h;
}

static void mapper_negatives(domid_t peer, uint64_t mfn_rw, volatile uint64_t *l1)
{
    grant_handle_t h;
    mmu_update_t u = { .ptr = (pt_mfn_of(SPARE_L1_PFN) << 12) + 30 * 8, .val = (mfn_rw << 12) | PTE_FLAGS_RW };

    /* the granted frame, straight into another L1 slot: refused, RW and RO */
    ASSERT_EQ(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    u.val = (mfn_rw << 12) | GUEST_PTE_PRESENT;
    ASSERT_EQ(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    ASSERT_EQ(hypervisor_update_va_mapping(MAP_VA(14), (mfn_rw << 12) | PTE_FLAGS_RW, UVMF_INVLPG), -XEN_EPERM);
    ASSERT_EQ(l1[30], 0);
    /* neither the neighbour frame, which nobody granted */
    u.val = ((mfn_rw + 1) << 12) | GUEST_PTE_PRESENT;
    ASSERT_EQ(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    /* RW of a RO grant, a grant to someone else, a ref never granted */
    ASSERT_EQ(gnttab_map(peer, REF_RO, MAP_VA(5), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gnttab_map(peer, REF_RO2, MAP_VA(5), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(gnttab_map(peer, REF_OTHER, MAP_VA(5), GNTMAP_host_map | GNTMAP_readonly, &h, NULL),
              GNTST_general_error);
    ASSERT_EQ(gnttab_map(peer, REF_NEVER, MAP_VA(5), GNTMAP_host_map, &h, NULL), GNTST_general_error);
    ASSERT_EQ(l1[16 + 5], 0);
    /* copies: into a RO grant, out of bounds, from a grant that is not ours */
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(0), 0, peer, REF_RO, 0, 8),
              GNTST_general_error);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, peer, REF_RO, 4095, DOMID_SELF, page_mfn(0), 0, 2),
              GNTST_bad_copy_arg);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, peer, REF_OTHER, 0, DOMID_SELF, page_mfn(0), 0, 8),
              GNTST_general_error);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, peer, REF_RO, 0, peer, page_mfn(0), 0, 8),
              GNTST_permission_denied);
}

/* role=mapper: everything against a live granter, then "done" through a copy. */
static void mapper(domid_t peer)
{
    volatile uint64_t *l1 = pt_spare_l1();
    uint64_t mfn_rw = 0, mfn_ro = 0;
    grant_handle_t hrw = map_when_granted(peer, REF_RW, 0, 0, &mfn_rw);
    grant_handle_t hro = map_when_granted(peer, REF_RO, 1, GNTMAP_readonly, &mfn_ro);
    struct gnttab_query_size q = { .dom = peer };
    uint64_t v;

    mfn_rw >>= 12;
    ASSERT_EQ(*at(MAP_VA(0)), 0xa0a0);
    *at(MAP_VA(0) + 8) = 0x5eed;
    ASSERT_EQ(*at(MAP_VA(1)), 0xb1b1);
    ASSERT_EQ(l1[17] & GUEST_PTE_RW, 0);
    ASSERT_EQ(gnttab_op(GNTTABOP_query_size, &q, 1), 0);
    ASSERT_EQ(q.status, GNTST_permission_denied); /* not our table */
    mapper_negatives(peer, mfn_rw, l1);
    /* copies both ways */
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref, peer, REF_RO, 511 * 8, DOMID_SELF, page_mfn(0), 0, 8),
              GNTST_okay);
    ASSERT_EQ(page(0)[0], 0xb1ff);
    page(0)[1] = 0xc09e;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(0), 8, peer, REF_COPY, 8, 8),
              GNTST_okay);
    ASSERT_EQ(gnttab_copy1(GNTCOPY_source_gref | GNTCOPY_dest_gref, peer, REF_RO, 0, peer, REF_COPY,
                           16, 8), GNTST_okay);
    /* unmap: wrong address, right one, twice */
    ASSERT_EQ(gnttab_unmap(hrw, MAP_VA(1)), GNTST_general_error);
    ASSERT_EQ(gnttab_unmap(hrw, MAP_VA(0)), GNTST_okay);
    ASSERT_EQ(gnttab_unmap(hrw, MAP_VA(0)), GNTST_bad_handle);
    ASSERT_EQ(gnttab_unmap(hro, MAP_VA(1)), GNTST_okay);
    ASSERT_EQ(l1[16], 0);
    mapper_negatives(peer, mfn_rw, l1); /* and nothing more after the unmap */
    v = MAGIC_DONE;
    page(1)[0] = v;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(1), 0, peer, REF_COPY, 0, 8),
              GNTST_okay);
}

/* role=mapper_hold: ends with two maps live, after saying so. */
static void mapper_hold(domid_t peer)
{
    pt_spare_l1();
    map_when_granted(peer, REF_RW, 0, 0, NULL);
    map_when_granted(peer, REF_RO, 1, GNTMAP_readonly, NULL);
    *at(MAP_VA(0) + 8) = 0xdead;
    page(1)[0] = MAGIC_DONE;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(1), 0, peer, REF_COPY, 0, 8),
              GNTST_okay);
}

/* role=mapper_outlive: keeps a writable map while the granter ends, then unmaps. */
static void mapper_outlive(domid_t peer)
{
    grant_handle_t h, dummy;

    pt_spare_l1();
    h = map_when_granted(peer, REF_RW, 0, 0, NULL);
    page(1)[0] = MAGIC_MAPPED;
    ASSERT_EQ(gnttab_copy1(GNTCOPY_dest_gref, DOMID_SELF, page_mfn(1), 0, peer, REF_COPY, 0, 8),
              GNTST_okay);
    if (!WAIT_FOR(gnttab_map(peer, REF_NEVER, MAP_VA(3), GNTMAP_host_map, &dummy, NULL) ==
                  GNTST_bad_domain))
        test_failure_exit("the granter never went away");
    /* the frame outlives its owner while mapped */
    ASSERT_EQ(*at(MAP_VA(0)), 0xa0a0);
    *at(MAP_VA(0) + 16) = 0x77;
    ASSERT_EQ(*at(MAP_VA(0) + 16), 0x77);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_okay);
    ASSERT_EQ(gnttab_unmap(h, MAP_VA(0)), GNTST_bad_handle);
}

static void pair_main(domid_t peer)
{
    static const struct {
        const char *role;
        void (*fn)(domid_t);
    } roles[] = {
        { "granter", granter },         { "granter_wait", granter_wait },
        { "granter_exit", granter_exit }, { "mapper", mapper },
        { "mapper_hold", mapper_hold }, { "mapper_outlive", mapper_outlive },
    };

    for (unsigned int i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (cmdline_role(roles[i].role)) {
            guest_printf("gnttab: role %s, peer %u\n", roles[i].role, peer);
            roles[i].fn(peer);
            return;
        }
    test_error("unknown role in \"%s\"", start_info->cmd_line);
}
