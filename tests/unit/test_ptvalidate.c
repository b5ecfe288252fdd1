/* Unit tests for hypervisor/arch/x86/pv/ptvalidate.c: PV page-table types.
 *
 * A fake machine of NR frames backed by one array, its frame table and a
 * buddy heap; frames are handed to domains D1 and D2. After every case the
 * reference counts of every frame are recomputed from scratch (from the
 * allocation refs, pins, base pointers the test holds and the entries of
 * every live table) and compared with the frame table, so a leaked or
 * missing reference anywhere fails the case. */
#include <pthread.h>
#include <string.h>

#include <asm/page.h>
#include <asm/pv_mm.h>
#include <tern/buddy.h>
#include <tern/errno.h>
#include <tern/page.h>

#include "harness.h"

#define NR 4096
#define FIRST_RAM 16
#define D1 1
#define D2 2
#define P _PAGE_PRESENT
#define RW _PAGE_RW
#define US _PAGE_USER
#define PADDR_BITS 40

static struct page_info table[NR];
static uint64_t mem[NR][512] __attribute__((aligned(4096)));
static struct buddy heap;
static int maps_out;        /* map_frame calls not yet unmapped */
static int frees;
static int foreign_policy;  /* 0 deny, 1 read-only, 2 read-write */
static uint64_t extra_gen[NR], extra_typ[NR]; /* refs the test holds itself */
static uint64_t tmpl[PV_L4_XEN_SLOTS];

static void *fake_map(mfn_t mfn)
{
    if (mfn >= NR)
        test_fail(__FILE__, __LINE__, "map of mfn %llu", (unsigned long long)mfn);
    __atomic_fetch_add(&maps_out, 1, __ATOMIC_SEQ_CST);
    return mem[mfn];
}

static void fake_unmap(void *va)
{
    (void)va;
    __atomic_fetch_sub(&maps_out, 1, __ATOMIC_SEQ_CST);
}

static bool fake_foreign(uint32_t domid, mfn_t mfn, bool writable)
{
    (void)domid;
    (void)mfn;
    return foreign_policy == 2 || (foreign_policy == 1 && !writable);
}

static void fake_free(struct page_info *pg)
{
    frees++;
    buddy_free(&heap, page_to_mfn(pg), 0);
}

static const struct pv_mm_ops ops = {
    .map_frame = fake_map,
    .unmap_frame = fake_unmap,
    .may_map_foreign = fake_foreign,
    .free_page = fake_free,
    .paddr_bits = PADDR_BITS,
};

static void setup(void)
{
    frame_table_init(table, NR);
    buddy_init(&heap, table, NR);
    buddy_add_range(&heap, FIRST_RAM, NR - FIRST_RAM);
    CHECK_EQ(pv_mm_init(&ops), 0);
    for (unsigned i = 0; i < PV_L4_XEN_SLOTS; i++)
        tmpl[i] = 0x8000000000000063ULL | ((uint64_t)(100 + i) << 12);
    pv_set_l4_template(tmpl);
    maps_out = frees = foreign_policy = 0;
    memset(extra_gen, 0, sizeof(extra_gen));
    memset(extra_typ, 0, sizeof(extra_typ));
}

/* A zeroed frame from the heap, owned by dom. */
static mfn_t frame(uint32_t dom)
{
    int64_t m = buddy_alloc(&heap, 0);

    CHECK(m >= FIRST_RAM);
    CHECK_EQ(frame_assign(&table[m], dom), 0);
    memset(mem[m], 0, sizeof(mem[m]));
    return (mfn_t)m;
}

static uint64_t pte(mfn_t mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static unsigned level_of(uint64_t type_info)
{
    uint64_t t = type_info & PGT_type_mask;

    return t >= PGT_l1_page_table && t <= PGT_l4_page_table ? (unsigned)(t >> PGT_type_shift) : 0;
}

/* Expected counts from first principles, compared with every frame. */
static void check_counts(void)
{
    static uint64_t gen[NR], typ[NR];
    static int64_t lin[NR];

    CHECK_EQ(maps_out, 0);
    memset(lin, 0, sizeof(lin));
    for (mfn_t m = 0; m < NR; m++) {
        gen[m] = extra_gen[m] + !!(table[m].count_info & PGC_allocated);
        typ[m] = extra_typ[m];
        if (table[m].type_info & PGT_pinned) {
            gen[m]++;
            typ[m]++;
        }
    }
    for (mfn_t m = 0; m < NR; m++) {
        uint64_t ti = table[m].type_info;
        unsigned lvl = level_of(ti);

        if (!lvl || !(ti & PGT_count_mask))
            continue;
        CHECK(ti & PGT_validated);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = mem[m][i];
            mfn_t t = (e & PV_PTE_ADDR_MASK) >> PAGE_SHIFT;

            if (!(e & P) || (lvl == 4 && i >= 256 && i < 272))
                continue;
            CHECK(t < NR);
            if (lvl > 1 && t == m)
                continue; /* a linear entry naming its own table holds nothing */
            if (lvl > 1 && level_of(table[t].type_info) == lvl) {
                CHECK(!(e & RW)); /* linear entries are read-only */
                lin[m]++;
                lin[t]--;
            }
            gen[t]++;
            if (lvl > 1 || (e & RW))
                typ[t]++;
        }
    }
    for (mfn_t m = 0; m < NR; m++) {
        if (table[m].linear_pt_count != lin[m])
            test_fail(__FILE__, __LINE__, "mfn %llu: linear count %d, expected %lld",
                      (unsigned long long)m, table[m].linear_pt_count, (long long)lin[m]);
        if (page_get_count(&table[m]) != gen[m] || page_get_type_count(&table[m]) != typ[m])
            test_fail(__FILE__, __LINE__, "mfn %llu: count %llu type count %llu, expected %llu %llu",
                      (unsigned long long)m, (unsigned long long)page_get_count(&table[m]),
                      (unsigned long long)page_get_type_count(&table[m]),
                      (unsigned long long)gen[m], (unsigned long long)typ[m]);
    }
}

/* Releases every domain frame; all must go back to the heap. */
static void check_teardown(void)
{
    check_counts();
    for (mfn_t m = FIRST_RAM; m < NR; m++)
        if (table[m].count_info & PGC_allocated)
            CHECK(frame_release(&table[m]));
    for (mfn_t m = 0; m < NR; m++) {
        CHECK_EQ(page_get_count(&table[m]), 0);
        CHECK_EQ(page_get_type_count(&table[m]), 0);
        CHECK_EQ(table[m].owner, DOMID_INVALID);
    }
    CHECK_EQ(buddy_free_pages(&heap), NR - FIRST_RAM);
}

struct tree {
    mfn_t l4, l3, l2, l1, data[8];
};

/* l4[0] -> l3[0] -> l2[0] -> l1, whose entries 0..7 map data RW. */
static void build_tree(struct tree *t, uint32_t dom)
{
    t->l4 = frame(dom);
    t->l3 = frame(dom);
    t->l2 = frame(dom);
    t->l1 = frame(dom);
    for (unsigned i = 0; i < 8; i++) {
        t->data[i] = frame(dom);
        mem[t->l1][i] = pte(t->data[i], P | RW | US);
    }
    mem[t->l2][0] = pte(t->l1, P | RW | US);
    mem[t->l3][0] = pte(t->l2, P | RW | US);
    mem[t->l4][0] = pte(t->l3, P | RW | US);
}

static void test_init_rejects_bad_ops(void)
{
    struct pv_mm_ops bad = ops;

    setup();
    CHECK_EQ(pv_mm_init(NULL), -EINVAL);
    bad.map_frame = NULL;
    CHECK_EQ(pv_mm_init(&bad), -EINVAL);
    bad = ops;
    bad.unmap_frame = NULL;
    CHECK_EQ(pv_mm_init(&bad), -EINVAL);
    bad = ops;
    bad.paddr_bits = 12;
    CHECK_EQ(pv_mm_init(&bad), -EINVAL);
    bad.paddr_bits = 53;
    CHECK_EQ(pv_mm_init(&bad), -EINVAL);
}

static void test_pin_tree_and_unpin(void)
{
    struct tree t;
    mfn_t empty_l3;

    setup();
    build_tree(&t, D1);
    empty_l3 = frame(D1);
    mem[t.l4][300] = pte(empty_l3, P); /* a guest slot above the hypervisor's */
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK(table[t.l4].type_info & PGT_pinned);
    CHECK_EQ(page_get_type(&table[t.l4]), PGT_l4_page_table);
    CHECK_EQ(page_get_type(&table[t.l3]), PGT_l3_page_table);
    CHECK_EQ(page_get_type(&table[t.l2]), PGT_l2_page_table);
    CHECK_EQ(page_get_type(&table[t.l1]), PGT_l1_page_table);
    CHECK_EQ(page_get_type(&table[t.data[3]]), PGT_writable_page);
    CHECK_EQ(page_get_count(&table[t.l1]), 2);
    CHECK_EQ(page_get_type(&table[empty_l3]), PGT_l3_page_table);
    CHECK_EQ(page_get_count(&table[t.data[0]]), 2); /* alloc, l1 RW */
    for (unsigned i = 0; i < PV_L4_XEN_SLOTS; i++)
        CHECK_EQ(mem[t.l4][256 + i], tmpl[i]);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    for (unsigned i = 0; i < PV_L4_XEN_SLOTS; i++)
        CHECK_EQ(mem[t.l4][256 + i], 0); /* no hypervisor addresses left */
    CHECK_EQ(page_get_type_count(&table[t.l1]), 0);
    CHECK(!(table[t.l1].type_info & PGT_validated));
    CHECK_EQ(page_get_count(&table[t.data[0]]), 1);
    check_teardown();
}

/* Frames the domain gave up while still mapped are freed by the unpin. */
static void test_release_while_pinned(void)
{
    struct tree t;

    setup();
    build_tree(&t, D1);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK(frame_release(&table[t.data[5]]));
    CHECK(frame_release(&table[t.l2]));
    CHECK_EQ(frees, 0);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    CHECK_EQ(frees, 2);
    CHECK_EQ(table[t.l2].owner, DOMID_INVALID);
    check_teardown();
}

struct entry_case {
    const char *what;
    unsigned level;  /* table holding the entry */
    uint64_t flags;  /* added to a valid entry for that level */
    int rc;
};

/* Each entry on its own in a fresh table of `level`, pinned directly. */
static const struct entry_case entry_cases[] = {
    { "l1 plain RW", 1, P | RW | US, 0 },
    { "l1 global", 1, P | _PAGE_GLOBAL, -EINVAL },
    { "l1 nx, avail, A/D", 1, P | _PAGE_NX | PV_PAGE_AVAIL | PV_PAGE_AVAIL_HIGH | _PAGE_ACCESSED | _PAGE_DIRTY, 0 },
    { "l1 PWT", 1, P | _PAGE_PWT, -EINVAL },
    { "l1 PCD", 1, P | _PAGE_PCD, -EINVAL },
    { "l1 PAT", 1, P | PV_PAGE_PAT_L1, -EINVAL },
    { "l1 address beyond the machine", 1, P | (1ULL << PADDR_BITS), -EINVAL },
    { "l1 top address bit", 1, P | (1ULL << 51), -EINVAL },
    { "l1 not present, junk", 1, 0xFFFFFFFFFFFFFFFEULL, 0 },
    { "l2 PSE", 2, P | RW | _PAGE_PSE, -EINVAL },
    { "l2 global", 2, P | _PAGE_GLOBAL, -EINVAL },
    { "l2 PCD", 2, P | _PAGE_PCD, -EINVAL },
    { "l2 nx user", 2, P | US | _PAGE_NX, 0 },
    { "l3 PSE", 3, P | _PAGE_PSE, -EINVAL },
    { "l3 PWT", 3, P | _PAGE_PWT, -EINVAL },
    { "l3 plain", 3, P | RW, 0 },
    { "l4 PSE", 4, P | _PAGE_PSE, -EINVAL },
    { "l4 address beyond the machine", 4, P | (1ULL << (PADDR_BITS + 3)), -EINVAL },
    { "l4 plain", 4, P | RW | US, 0 },
};

/* A frame usable as the target of an entry in a table of `level`. */
static mfn_t valid_target(unsigned level, uint32_t dom)
{
    mfn_t m = frame(dom);

    if (level > 2)
        mem[m][0] = pte(valid_target(level - 1, dom), P | RW);
    else if (level == 2)
        mem[m][0] = pte(frame(dom), P | RW);
    return m;
}

static void test_entry_bits(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(entry_cases); c++) {
        const struct entry_case *ec = &entry_cases[c];
        mfn_t tbl, tgt;
        int rc;

        setup();
        tbl = frame(D1);
        tgt = valid_target(ec->level, D1);
        mem[tbl][7] = (ec->flags & P) ? pte(tgt, ec->flags) : ec->flags;
        rc = pv_pin_table(D1, tbl, ec->level);
        if (rc != ec->rc)
            test_fail(__FILE__, __LINE__, "%s: pin gave %d, expected %d", ec->what, rc, ec->rc);
        check_counts();
        if (!rc)
            CHECK_EQ(pv_unpin_table(D1, tbl), 0);
        /* The same entry through mod_entry into an empty pinned table. */
        mem[tbl][7] = 0;
        CHECK_EQ(pv_pin_table(D1, tbl, ec->level), 0);
        rc = pv_mod_entry(D1, tbl, 7, (ec->flags & P) ? pte(tgt, ec->flags) : ec->flags, false);
        if (rc != ec->rc)
            test_fail(__FILE__, __LINE__, "%s: mod gave %d, expected %d", ec->what, rc, ec->rc);
        CHECK(rc ? mem[tbl][7] == 0 : mem[tbl][7] != 0);
        check_counts();
        CHECK_EQ(pv_unpin_table(D1, tbl), 0);
        check_teardown();
    }
}

/* Targets of an entry that must be refused, by level. */
static void test_bad_targets(void)
{
    struct tree t;
    mfn_t l1, l2, other, busy;

    setup();
    build_tree(&t, D1);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    l1 = frame(D1);
    l2 = frame(D1);
    other = frame(D2);
    busy = t.data[0]; /* in use as PGT_writable_page through t.l1 */
    const struct { mfn_t tbl; unsigned level; uint64_t e; int rc; } cases[] = {
        { l1, 1, pte(other, P), -EPERM },            /* another domain's frame */
        { l1, 1, pte(other, P | RW), -EPERM },
        { l1, 1, pte(3, P), -EPERM },                /* reserved, not RAM */
        { l1, 1, pte(NR + 5, P), -EPERM },           /* beyond the frame table */
        { l1, 1, pte(t.l2, P | RW), -EBUSY },        /* a page table, writable */
        { l1, 1, pte(t.l4, P | RW), -EBUSY },
        { l1, 1, pte(l1, P | RW), -EBUSY },          /* itself, writable */
        { l2, 2, pte(busy, P), -EBUSY },             /* a writable page in use */
        { l2, 2, pte(l2, P | RW), -EBUSY },          /* itself (linear), writable */
        { l2, 2, pte(t.l2, P | RW), -EBUSY },        /* an L2 as L1, writable */
        { l2, 2, pte(other, P), -EPERM },
        { l2, 3, pte(t.l1, P), -EBUSY },             /* an L1 as L2 */
        { l2, 4, pte(t.l4, P | RW), -EBUSY },        /* an L4 as L3, writable */
        { l2, 4, pte(l2, P | RW), -EBUSY },          /* itself, writable */
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        memset(mem[cases[c].tbl], 0, 4096);
        mem[cases[c].tbl][9] = pte(t.data[1], P);   /* taken, then undone */
        if (cases[c].level > 1)
            mem[cases[c].tbl][9] = pte(valid_target(cases[c].level - 1, D1), P);
        mem[cases[c].tbl][10] = cases[c].e;
        int rc = pv_pin_table(D1, cases[c].tbl, cases[c].level);
        if (rc != cases[c].rc)
            test_fail(__FILE__, __LINE__, "case %zu: pin gave %d, expected %d", c, rc, cases[c].rc);
        check_counts();
        mem[cases[c].tbl][10] = 0;
        CHECK_EQ(pv_pin_table(D1, cases[c].tbl, cases[c].level), 0);
        CHECK_EQ(pv_mod_entry(D1, cases[c].tbl, 10, cases[c].e, false), cases[c].rc);
        CHECK_EQ(mem[cases[c].tbl][10], 0);
        check_counts();
        CHECK_EQ(pv_unpin_table(D1, cases[c].tbl), 0);
    }
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

/* An L1 may map itself, its parents and other tables read-only. */
static void test_readonly_maps_of_tables(void)
{
    struct tree t;

    setup();
    build_tree(&t, D1);
    mem[t.l1][100] = pte(t.l1, P);
    mem[t.l1][101] = pte(t.l2, P | _PAGE_NX);
    mem[t.l1][102] = pte(t.l4, P);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(page_get_count(&table[t.l1]), 3); /* alloc, l2 entry, itself */
    CHECK_EQ(page_get_count(&table[t.l4]), 3); /* alloc, pin, l1 entry */
    check_counts();
    /* Upgrading such a mapping to RW is refused and changes nothing. */
    CHECK_EQ(pv_mod_entry(D1, t.l1, 100, pte(t.l1, P | RW), false), -EBUSY);
    CHECK_EQ(mem[t.l1][100], pte(t.l1, P | _PAGE_USER)); /* validation adds the user bit */
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

/* Linear page tables: read-only entries naming a table of their own level. */
static void test_linear_tables(void)
{
    struct tree t, u;
    mfn_t c;

    setup();
    build_tree(&t, D1);
    build_tree(&u, D1);
    mem[t.l4][5] = pte(t.l4, P);                 /* itself: holds nothing */
    mem[t.l2][6] = pte(t.l2, P);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    check_counts();
    CHECK_EQ(table[t.l4].linear_pt_count, 0);
    /* to another live table, never writable */
    CHECK_EQ(pv_pin_table(D1, u.l4, 4), 0);
    CHECK_EQ(pv_mod_entry(D1, t.l4, 7, pte(u.l4, P | RW), false), -EBUSY);
    CHECK_EQ(pv_mod_entry(D1, t.l4, 7, pte(u.l4, P), false), 0);
    CHECK_EQ(table[t.l4].linear_pt_count, 1);
    CHECK_EQ(table[u.l4].linear_pt_count, -1);
    check_counts();
    /* an upgrade to writable is refused, with the same frame */
    CHECK_EQ(pv_mod_entry(D1, t.l4, 7, pte(u.l4, P | RW), false), -EBUSY);
    CHECK_EQ(pv_mod_entry(D1, t.l4, 5, pte(t.l4, P | RW), false), -EBUSY);
    check_counts();
    /* no deeper recursion: a target cannot have linear entries, a table with them cannot
     * be a target */
    c = frame(D1);
    CHECK_EQ(pv_pin_table(D1, c, 4), 0);
    CHECK_EQ(pv_mod_entry(D1, u.l4, 8, pte(c, P), false), -EBUSY);
    CHECK_EQ(pv_mod_entry(D1, c, 8, pte(t.l4, P), false), -EBUSY);
    CHECK_EQ(pv_mod_entry(D1, c, 8, pte(u.l4, P), false), 0);   /* two uses of one target */
    CHECK_EQ(table[u.l4].linear_pt_count, -2);
    CHECK_EQ(pv_mod_entry(D1, u.l4, 9, pte(u.l4, P), false), 0); /* itself is not recursion */
    check_counts();
    /* a target keeps its type while named: it cannot become writable */
    CHECK_EQ(pv_unpin_table(D1, u.l4), 0);
    CHECK_EQ(page_get_type(&table[u.l4]), PGT_l4_page_table);
    /* at L3: an L3 naming another live L3 */
    CHECK_EQ(pv_mod_entry(D1, t.l3, 3, pte(u.l3, P), false), 0);
    check_counts();
    /* the entries go: counts back to zero, and the old target is free to be retyped */
    CHECK_EQ(pv_mod_entry(D1, t.l4, 7, 0, false), 0);
    CHECK_EQ(pv_mod_entry(D1, c, 8, 0, false), 0);
    check_counts();
    CHECK_EQ(table[u.l4].linear_pt_count, 0);
    CHECK_EQ(page_get_type_count(&table[u.l4]), 0);
    CHECK_EQ(pv_unpin_table(D1, c), 0);
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_counts();
    for (mfn_t m = 0; m < NR; m++)
        CHECK_EQ(table[m].linear_pt_count, 0);
    check_teardown();
}

/* Failure deep in a tree unwinds every level already validated. */
static void test_deep_failure_unwinds(void)
{
    struct tree t;
    mfn_t l2b, l1b, other;

    setup();
    build_tree(&t, D1);
    other = frame(D2);
    l2b = frame(D1);
    l1b = frame(D1);
    for (unsigned i = 0; i < 511; i++)
        mem[l1b][i] = pte(t.data[i % 8], P | (i & 1 ? RW : 0));
    mem[l1b][511] = pte(other, P); /* the very last entry is bad */
    mem[l2b][0] = pte(t.l1, P);
    mem[l2b][1] = pte(l1b, P);
    mem[t.l3][1] = pte(l2b, P);     /* after the good subtree at l3[0] */
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), -EPERM);
    CHECK_EQ(page_get_type_count(&table[t.l1]), 0);
    CHECK_EQ(page_get_type(&table[t.l4]), PGT_none);
    check_counts();
    /* Once fixed the same tree pins. */
    mem[l1b][511] = 0;
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(page_get_type_count(&table[t.l1]), 2); /* shared by l2 and l2b */
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

static void test_foreign_hook(void)
{
    mfn_t l1 = 0, other = 0;
    const struct { int policy; uint64_t flags; int rc; } cases[] = {
        { 0, P, -EPERM }, { 0, P | RW, -EPERM }, { 1, P, 0 },
        { 1, P | RW, -EPERM }, { 2, P | RW, 0 },
    };

    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        setup();
        l1 = frame(D1);
        other = frame(D2);
        foreign_policy = cases[c].policy;
        mem[l1][0] = pte(other, cases[c].flags);
        CHECK_EQ(pv_pin_table(D1, l1, 1), cases[c].rc);
        check_counts();
        if (!cases[c].rc) {
            CHECK_EQ(page_get_count(&table[other]), 2);
            CHECK_EQ(pv_unpin_table(D1, l1), 0);
        }
        check_teardown();
    }
    /* Without a policy hook nothing foreign is mapped. */
    setup();
    struct pv_mm_ops no_hook = ops;
    no_hook.may_map_foreign = NULL;
    CHECK_EQ(pv_mm_init(&no_hook), 0);
    l1 = frame(D1);
    other = frame(D2);
    mem[l1][0] = pte(other, P);
    CHECK_EQ(pv_pin_table(D1, l1, 1), -EPERM);
    check_teardown();
}

static void test_l4_hypervisor_slots(void)
{
    struct tree t;
    uint64_t before;

    setup();
    build_tree(&t, D1);
    for (unsigned i = 256; i < 272; i++)
        mem[t.l4][i] = pte(t.data[0], P | RW); /* ignored, takes nothing */
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(page_get_count(&table[t.data[0]]), 2);
    for (unsigned i = 256; i < 272; i++) {
        before = mem[t.l4][i];
        CHECK_EQ(pv_mod_entry(D1, t.l4, i, pte(t.l3, P), false), -EPERM);
        CHECK_EQ(pv_mod_entry(D1, t.l4, i, 0, false), -EPERM);
        CHECK_EQ(mem[t.l4][i], before);
    }
    check_counts();
    CHECK_EQ(pv_mod_entry(D1, t.l4, 255, pte(t.l3, P), false), 0);
    CHECK_EQ(pv_mod_entry(D1, t.l4, 272, pte(t.l3, P), false), 0);
    CHECK_EQ(page_get_type_count(&table[t.l3]), 3);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

static void test_mod_transfers_refs(void)
{
    struct tree t;
    mfn_t d0, d1;

    setup();
    build_tree(&t, D1);
    d0 = t.data[0];
    d1 = frame(D1);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, pte(d1, P | US), false), 0);
    CHECK_EQ(page_get_count(&table[d0]), 1);
    CHECK_EQ(page_get_type_count(&table[d0]), 0);
    CHECK_EQ(page_get_count(&table[d1]), 2);
    CHECK_EQ(page_get_type_count(&table[d1]), 0);
    check_counts();
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, pte(d1, P | RW), false), 0); /* RO -> RW */
    CHECK_EQ(page_get_type_count(&table[d1]), 1);
    check_counts();
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, pte(d1, P), false), 0);      /* RW -> RO */
    CHECK_EQ(page_get_type_count(&table[d1]), 0);
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, 0x1234ULL << 1, false), 0);  /* not present */
    CHECK_EQ(page_get_count(&table[d1]), 1);
    check_counts();
    /* Now d1 can become a page table, and the L1 can no longer map it RW. */
    CHECK_EQ(pv_mod_entry(D1, t.l2, 1, pte(d1, P), false), 0);
    CHECK_EQ(page_get_type(&table[d1]), PGT_l1_page_table);
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, pte(d1, P | RW), false), -EBUSY);
    CHECK_EQ(mem[t.l1][0], 0x1234ULL << 1);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

/* Flag changes that keep the mapping keep the references; preserve_ad
 * keeps A/D the CPU set. */
static void test_mod_flags_and_ad(void)
{
    struct tree t;
    uint64_t gen, typ;

    setup();
    build_tree(&t, D1);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    gen = page_get_count(&table[t.data[2]]);
    typ = page_get_type_count(&table[t.data[2]]);
    CHECK_EQ(pv_mod_entry(D1, t.l1, 2, pte(t.data[2], P | RW | _PAGE_NX), false), 0);
    CHECK_EQ(page_get_count(&table[t.data[2]]), gen);
    CHECK_EQ(page_get_type_count(&table[t.data[2]]), typ);
    mem[t.l1][2] |= _PAGE_ACCESSED | _PAGE_DIRTY; /* as the CPU would */
    CHECK_EQ(pv_mod_entry(D1, t.l1, 2, pte(t.data[2], P | RW), true), 0);
    CHECK_EQ(mem[t.l1][2], pte(t.data[2], P | RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY));
    CHECK_EQ(pv_mod_entry(D1, t.l1, 2, pte(t.data[2], P | RW), false), 0);
    CHECK_EQ(mem[t.l1][2], pte(t.data[2], P | RW | _PAGE_USER));
    CHECK_EQ(page_get_count(&table[t.data[2]]), gen);
    /* Same L1 again in the L2: refs stable there too. */
    CHECK_EQ(pv_mod_entry(D1, t.l2, 0, pte(t.l1, P | _PAGE_NX), false), 0);
    CHECK_EQ(page_get_type_count(&table[t.l1]), 1);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

/* Replacing an L2 entry validates the new subtree and tears down the old. */
static void test_mod_swaps_subtree(void)
{
    struct tree t;
    mfn_t l1b, d;

    setup();
    build_tree(&t, D1);
    l1b = frame(D1);
    d = frame(D1);
    mem[l1b][4] = pte(d, P | RW);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(pv_mod_entry(D1, t.l2, 0, pte(l1b, P | RW), false), 0);
    CHECK_EQ(page_get_type(&table[l1b]), PGT_l1_page_table);
    CHECK_EQ(page_get_type(&table[d]), PGT_writable_page);
    CHECK_EQ(page_get_type_count(&table[t.l1]), 0);
    CHECK(!(table[t.l1].type_info & PGT_validated));
    CHECK_EQ(page_get_type_count(&table[t.data[0]]), 0);
    check_counts();
    /* The old L1 is plain memory again: mod_entry just writes it. */
    CHECK_EQ(pv_mod_entry(D1, t.l1, 0, pte(t.l4, P | RW), false), 0);
    CHECK_EQ(mem[t.l1][0], pte(t.l4, P | RW));
    CHECK_EQ(page_get_type_count(&table[t.l1]), 0);
    /* ...and refuses to become an L1 with that entry. */
    CHECK_EQ(pv_mod_entry(D1, t.l2, 1, pte(t.l1, P), false), -EBUSY);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

static void test_mod_entry_errors(void)
{
    struct tree t;
    mfn_t desc;

    setup();
    build_tree(&t, D1);
    desc = frame(D1);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    CHECK_EQ(get_page_type(&table[desc], PGT_seg_desc_page), 0);
    extra_typ[desc]++;
    CHECK_EQ(pv_mod_entry(D1, t.l1, 512, 0, false), -EINVAL);
    CHECK_EQ(pv_mod_entry(D1, t.l1, ~0U, 0, false), -EINVAL);
    CHECK_EQ(pv_mod_entry(D2, t.l1, 0, 0, false), -EPERM);     /* not its table */
    CHECK_EQ(pv_mod_entry(D1, NR + 1, 0, 0, false), -EPERM);
    CHECK_EQ(pv_mod_entry(D1, 3, 0, 0, false), -EPERM);        /* reserved */
    CHECK_EQ(pv_mod_entry(D1, desc, 0, 0, false), -EBUSY);     /* descriptor page */
    CHECK_EQ(mem[t.l1][0], pte(t.data[0], P | RW | US));
    check_counts();
    put_page_type(&table[desc]);
    extra_typ[desc]--;
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

static void test_pin_rules(void)
{
    struct tree t;

    setup();
    build_tree(&t, D1);
    CHECK_EQ(pv_pin_table(D1, t.l1, 0), -EINVAL);
    CHECK_EQ(pv_pin_table(D1, t.l1, 5), -EINVAL);
    CHECK_EQ(pv_pin_table(D2, t.l1, 1), -EPERM);
    CHECK_EQ(pv_pin_table(D1, NR, 1), -EPERM);
    CHECK_EQ(pv_pin_table(D1, t.l1, 1), 0);
    CHECK_EQ(pv_pin_table(D1, t.l1, 1), -EINVAL);   /* already pinned */
    CHECK_EQ(pv_pin_table(D1, t.l1, 2), -EBUSY);    /* typed L1 */
    CHECK_EQ(pv_pin_table(D1, t.data[0], 1), -EBUSY); /* writable in use */
    check_counts();
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);         /* shares the pinned L1 */
    CHECK_EQ(page_get_type_count(&table[t.l1]), 2);
    CHECK_EQ(pv_unpin_table(D2, t.l1), -EPERM);
    CHECK_EQ(pv_unpin_table(D1, t.l2), -EINVAL);    /* typed, not pinned */
    CHECK_EQ(pv_unpin_table(D1, t.data[1]), -EINVAL);
    CHECK_EQ(pv_unpin_table(D1, NR + 9), -EPERM);
    CHECK_EQ(pv_unpin_table(D1, t.l1), 0);
    CHECK_EQ(pv_unpin_table(D1, t.l1), -EINVAL);
    CHECK_EQ(page_get_type_count(&table[t.l1]), 1); /* still under the L4 */
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

static void test_baseptr(void)
{
    struct tree a, b;
    mfn_t base = PV_MFN_NONE, old = 0;

    setup();
    build_tree(&a, D1);
    build_tree(&b, D1);
    CHECK_EQ(pv_new_baseptr(D1, a.l4, &base, &old), 0);
    CHECK_EQ(base, a.l4);
    CHECK_EQ(old, PV_MFN_NONE);
    extra_gen[a.l4]++, extra_typ[a.l4]++;
    check_counts();
    CHECK_EQ(pv_new_baseptr(D1, a.l3, &base, &old), -EBUSY);  /* an L3 */
    CHECK_EQ(pv_new_baseptr(D2, b.l4, &base, &old), -EPERM);
    CHECK_EQ(pv_new_baseptr(D1, NR, &base, &old), -EPERM);
    CHECK_EQ(base, a.l4);
    CHECK_EQ(pv_new_baseptr(D1, b.l4, &base, &old), 0);
    CHECK_EQ(old, a.l4);
    CHECK_EQ(base, b.l4);
    extra_gen[b.l4]++, extra_typ[b.l4]++;
    check_counts();
    pv_put_baseptr(old);
    extra_gen[a.l4]--, extra_typ[a.l4]--;
    CHECK_EQ(page_get_type(&table[a.l3]), PGT_l3_page_table);
    CHECK(!(table[a.l3].type_info & PGT_validated)); /* torn down */
    CHECK_EQ(pv_new_baseptr(D1, b.l4, &base, &old), 0); /* same again */
    pv_put_baseptr(old);
    pv_put_baseptr(PV_MFN_NONE);
    check_counts();
    pv_put_baseptr(base);
    extra_gen[b.l4]--, extra_typ[b.l4]--;
    check_teardown();
}

/* Untyped pages of the domain are written as they are. */
static void test_mod_plain_page(void)
{
    mfn_t pg;

    setup();
    pg = frame(D1);
    CHECK_EQ(pv_mod_entry(D1, pg, 3, 0xdeadbeef, false), 0);
    CHECK_EQ(mem[pg][3], 0xdeadbeef);
    CHECK_EQ(page_get_type(&table[pg]), PGT_writable_page);
    check_teardown();
}

/* Random updates at every level; the recount must hold after each. */
static void test_random_updates(void)
{
    struct tree t;
    mfn_t pool[24];
    unsigned ok = 0, refused = 0;

    setup();
    build_tree(&t, D1);
    for (unsigned i = 0; i < ARRAY_SIZE(pool); i++)
        pool[i] = i < 8 ? t.data[i] : frame(i < 20 ? D1 : D2);
    CHECK_EQ(pv_pin_table(D1, t.l4, 4), 0);
    for (unsigned n = 0; n < 3000; n++) {
        static const uint64_t flags[] = { P, P | RW, P | RW | US, 0, P | _PAGE_PSE, P | _PAGE_ACCESSED };
        mfn_t tables[] = { t.l1, t.l2, t.l3, t.l4, pool[test_rand_below(24)] };
        mfn_t tbl = tables[test_rand_below(5)];
        mfn_t tgt = test_rand_below(5) ? pool[test_rand_below(24)] : tables[test_rand_below(5)];
        unsigned idx = (unsigned)test_rand_below(8);
        int rc = pv_mod_entry(D1, tbl, idx, pte(tgt, flags[test_rand_below(6)]),
                              test_rand_below(2));

        CHECK(rc == 0 || rc == -EINVAL || rc == -EBUSY || rc == -EPERM);
        rc ? refused++ : ok++;
        if (n % 50 == 0)
            check_counts();
    }
    CHECK(ok > 100 && refused > 100);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, t.l4), 0);
    check_teardown();
}

#define THREADS 4
static struct tree race_tree;
static mfn_t race_targets[4];
static pthread_barrier_t start_line;
static int thread_errors, thread_done;

/* Threads fight over the same few L1 and L2 entries. */
static void *race_worker(void *arg)
{
    uint64_t r = 0x9E3779B97F4A7C15ULL * (uint64_t)((long)arg + 1);

    pthread_barrier_wait(&start_line);
    for (unsigned n = 0; n < 20000; n++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        mfn_t tgt = race_targets[r % 4];
        int rc;

        if ((r >> 8) % 4 == 0)
            rc = pv_mod_entry(D1, race_tree.l2, 1 + (r >> 12) % 2,
                              (r >> 20) % 3 ? pte(race_tree.l1, P) : 0, false);
        else
            rc = pv_mod_entry(D1, race_tree.l1, (r >> 12) % 3,
                              pte(tgt, (r >> 20) % 2 ? P | RW : P), (r >> 24) & 1);
        if (rc == 0)
            __atomic_fetch_add(&thread_done, 1, __ATOMIC_SEQ_CST);
        else if (rc != -EAGAIN)
            __atomic_fetch_add(&thread_errors, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_concurrent_updates(void)
{
    pthread_t th[THREADS];

    setup();
    build_tree(&race_tree, D1);
    for (unsigned i = 0; i < 4; i++)
        race_targets[i] = race_tree.data[i];
    CHECK_EQ(pv_pin_table(D1, race_tree.l4, 4), 0);
    thread_errors = thread_done = 0;
    pthread_barrier_init(&start_line, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, race_worker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_line);
    CHECK_EQ(thread_errors, 0);
    CHECK(thread_done > THREADS * 20000 / 2);
    check_counts();
    CHECK_EQ(pv_unpin_table(D1, race_tree.l4), 0);
    check_teardown();
}

static const struct test_case cases[] = {
    TEST(test_init_rejects_bad_ops),
    TEST(test_pin_tree_and_unpin),
    TEST(test_release_while_pinned),
    TEST(test_entry_bits),
    TEST(test_bad_targets),
    TEST(test_readonly_maps_of_tables),
    TEST(test_linear_tables),
    TEST(test_deep_failure_unwinds),
    TEST(test_foreign_hook),
    TEST(test_l4_hypervisor_slots),
    TEST(test_mod_transfers_refs),
    TEST(test_mod_flags_and_ad),
    TEST(test_mod_swaps_subtree),
    TEST(test_mod_entry_errors),
    TEST(test_pin_rules),
    TEST(test_baseptr),
    TEST(test_mod_plain_page),
    TEST(test_random_updates),
    TEST(test_concurrent_updates),
};

TEST_MAIN(cases)
