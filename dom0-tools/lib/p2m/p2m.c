/* Reading a PV guest's published p2m tree through foreign mappings. */
#include "p2m.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../call/call.h"
#include "../ctrl/ctrl.h"
#include "../foreign/foreign.h"
#include <public/xen.h>

#define PER_PAGE 512u
#define PAGE 4096u

/* Copies n mfns' worth of frames of dom into out (n * PER_PAGE entries). */
static int read_frames(struct call *call, uint16_t dom, const uint64_t *mfns, size_t n, uint64_t *out)
{
    uint64_t *p = foreign_map(call, dom, PROT_READ, mfns, n, NULL);

    if (!p)
        return -errno;
    memcpy(out, p, n * PAGE);
    foreign_unmap(p, n);
    return 0;
}

int p2m_read(struct ctrl *c, uint16_t dom, struct p2m *out)
{
    xen_domctl_getdomaininfo_t info;
    uint64_t si_mfn, fll_mfn, max_pfn, nr_leaf, nr_mid;
    uint64_t *fll = NULL, *mid = NULL;
    const struct shared_info *si;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = ctrl_domain_info(c, dom, &info)))
        return rc;
    si_mfn = info.shared_info_frame;
    if (!(si = foreign_map(c->call, dom, PROT_READ, &si_mfn, 1, NULL)))
        return -errno;
    max_pfn = __atomic_load_n(&si->arch.max_pfn, __ATOMIC_ACQUIRE);
    fll_mfn = __atomic_load_n(&si->arch.pfn_to_mfn_frame_list_list, __ATOMIC_ACQUIRE);
    foreign_unmap((void *)si, 1);
    if (!fll_mfn || fll_mfn == ~(uint64_t)0 || !max_pfn)
        return -ENOENT;
    /* a guest owns at most its pages plus what it may balloon up to */
    if (max_pfn > (info.max_pages > info.tot_pages ? info.max_pages : info.tot_pages) + PER_PAGE * PER_PAGE)
        return -EPROTO;
    nr_leaf = (max_pfn + PER_PAGE - 1) / PER_PAGE;
    nr_mid = (nr_leaf + PER_PAGE - 1) / PER_PAGE;
    fll = malloc(PAGE);
    mid = malloc(nr_mid * PAGE);
    out->mfn = malloc(nr_leaf * PAGE);
    if (!fll || !mid || !out->mfn) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = read_frames(c->call, dom, &fll_mfn, 1, fll)) ||
        (rc = read_frames(c->call, dom, fll, nr_mid, mid)) ||
        (rc = read_frames(c->call, dom, mid, nr_leaf, out->mfn)))
        goto fail;
    out->nr = max_pfn;
    out->nr_leaves = nr_leaf;
    out->leaf_mfn = mid; /* the mid level lists the leaves */
    free(fll);
    return 0;
fail:
    /* a frame of the tree that is not the guest's: foreign_map refused it */
    if (rc == -EPERM || rc == -EINVAL)
        rc = -EPROTO;
    free(fll);
    free(mid);
    p2m_free(out);
    return rc;
}

void p2m_free(struct p2m *p)
{
    free(p->mfn);
    free(p->leaf_mfn);
    memset(p, 0, sizeof(*p));
}
