/*
 * tern-check-logdirty DOMID ROUNDS MS [keep]: does log-dirty miss a page? For each round, with
 * the guest paused: CLEAN the bitmap and fingerprint every page it owns (through its own
 * p2m); let it run MS milliseconds; pause again, PEEK, fingerprint again. A page whose
 * contents changed but whose bit is clear escaped tracking. Prints one line per round
 * and a LOGDIRTY PASS|FAIL summary; exit status 0 on PASS. Leaves the guest running, and
 * log-dirty off unless "keep" (to see a guest torn down with it on).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"
#include "../lib/foreign/foreign.h"
#include "../lib/p2m/p2m.h"

#define PAGE 4096u

static uint64_t fingerprint(const uint64_t *p)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (unsigned int i = 0; i < PAGE / 8; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void fingerprint_all(const uint8_t *map, size_t n, uint64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fingerprint((const uint64_t *)(map + i * PAGE));
}

static void run_for_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

    /* the workload's time slice, not a wait for anything */
    while (nanosleep(&t, &t) && errno == EINTR)
        ;
}

static int fail(const char *what, int rc)
{
    printf("LOGDIRTY FAIL %s: %s\n", what, strerror(-rc));
    return 1;
}

int main(int argc, char **argv)
{
    struct xen_domctl_shadow_op_stats st;
    struct ctrl c;
    struct p2m p2m;
    uint64_t *pfns, *mfns, *before, *after, pages, total_dirty = 0, total_changed = 0;
    uint8_t *bitmap, *map;
    long rounds, ms;
    size_t n = 0;
    uint16_t dom;
    int rc, escaped_total = 0;

    bool keep = argc == 5 && !strcmp(argv[4], "keep");

    if ((argc != 4 && !keep) || (dom = (uint16_t)atoi(argv[1])) == 0 || (rounds = atol(argv[2])) < 1 ||
        (ms = atol(argv[3])) < 1) {
        fprintf(stderr, "usage: tern-check-logdirty DOMID ROUNDS MS [keep]\n");
        return 2;
    }
    if ((rc = ctrl_open(&c)))
        return fail("open", rc);
    /* refusals first: nothing to read before it is on, and no second enable */
    pages = 64;
    uint8_t probe[8];
    if (ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_PEEK, probe, &pages, NULL) != -EINVAL)
        return fail("PEEK while off was not refused", -EPROTO);
    if ((rc = p2m_read(&c, dom, &p2m)))
        return fail("p2m", rc);
    pfns = calloc(p2m.nr, sizeof(*pfns));
    mfns = calloc(p2m.nr, sizeof(*mfns));
    before = calloc(p2m.nr, sizeof(*before));
    after = calloc(p2m.nr, sizeof(*after));
    bitmap = calloc((p2m.nr + 7) / 8, 1);
    if (!pfns || !mfns || !before || !after || !bitmap)
        return fail("memory", -ENOMEM);
    for (uint64_t pfn = 0; pfn < p2m.nr; pfn++) {
        if (p2m.mfn[pfn] == P2M_INVALID)
            continue;
        pfns[n] = pfn;
        mfns[n++] = p2m.mfn[pfn];
    }
    if (!(map = foreign_map(c.call, dom, PROT_READ, mfns, n, NULL)))
        return fail("mapping the guest", -errno);
    if ((rc = ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, NULL, NULL)))
        return fail("enable", rc);
    if (ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, NULL, NULL) != -EBUSY)
        return fail("a second enable was not refused", -EPROTO);
    printf("LOGDIRTY guest %u: %zu pages of %" PRIu64 " pfns\n", dom, n, p2m.nr);
    for (long r = 0; r < rounds; r++) {
        uint64_t changed = 0, dirty = 0;
        int escaped = 0;
        pages = p2m.nr;
        if ((rc = ctrl_domain_pause(&c, dom)) ||
            (rc = ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmap, &pages, NULL)))
            return fail("pause and clean", rc);
        fingerprint_all(map, n, before);
        if ((rc = ctrl_domain_unpause(&c, dom)))
            return fail("unpause", rc);
        run_for_ms(ms);
        pages = p2m.nr;
        if ((rc = ctrl_domain_pause(&c, dom)) ||
            (rc = ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_PEEK, bitmap, &pages, &st)))
            return fail("pause and peek", rc);
        fingerprint_all(map, n, after);
        if ((rc = ctrl_domain_unpause(&c, dom)))
            return fail("unpause", rc);
        for (size_t i = 0; i < n; i++) {
            bool bit = pfns[i] < pages && (bitmap[pfns[i] / 8] >> (pfns[i] % 8)) & 1;
            dirty += bit;
            if (before[i] == after[i])
                continue;
            changed++;
            if (!bit && escaped++ < 5)
                printf("LOGDIRTY escaped: pfn %#" PRIx64 " mfn %#" PRIx64 " changed, not marked\n",
                       pfns[i], mfns[i]);
        }
        printf("LOGDIRTY round=%ld changed=%" PRIu64 " dirty=%" PRIu64 " escaped=%d faults=%u dirty_count=%u\n",
               r, changed, dirty, escaped, st.fault_count, st.dirty_count);
        total_changed += changed;
        total_dirty += dirty;
        escaped_total += escaped;
    }
    foreign_unmap(map, n);
    if (!keep && (rc = ctrl_shadow_op(&c, dom, XEN_DOMCTL_SHADOW_OP_OFF, NULL, NULL, NULL)))
        return fail("disable", rc);
    if (escaped_total || !total_changed) {
        printf("LOGDIRTY FAIL escaped=%d changed=%" PRIu64 " dirty=%" PRIu64 "\n", escaped_total,
               total_changed, total_dirty);
        return 1;
    }
    printf("LOGDIRTY PASS rounds=%ld changed=%" PRIu64 " dirty=%" PRIu64 " escaped=0\n", rounds,
           total_changed, total_dirty);
    return 0;
}
