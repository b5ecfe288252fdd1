/*
 * XENMEM_exchange: a domain trades some of its frames for others of another extent size,
 * optionally below an address limit. Linux's swiotlb-xen gets its machine-contiguous DMA
 * buffers this way (2^n single frames for one 2^n extent below 4 GiB), and gives them back
 * the other way round.
 *
 * The work goes in chunks of 2^max(in order, out order) frames, each all or nothing: the
 * inputs are checked and held, the outputs allocated, and only then is anything changed.
 * nr_exchanged counts input extents done, so a failed call says how far it got.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/uaccess.h>
#include <public/memory.h>

#define MAX_ORDER 9

struct chunk {
    struct domain *d;
    unsigned int in_order, out_order;
    uint64_t n_in, n_out;
    xen_pfn_t *in;   /* input MFNs (extent bases) */
    xen_pfn_t *out;  /* output GPFNs, then MFNs */
    struct page_info **got;
};

static bool frame_free_to_trade(struct domain *d, struct page_info *pg)
{
    if (!get_page(pg, d->domid))
        return false;
    /* ours and the allocation's only: not mapped, no type, not the shared info page */
    if (page_get_count(pg) != 2 || page_get_type_count(pg) ||
        pg == mfn_to_page(PFN_DOWN(__pa(d->shared_info)))) {
        put_page(pg);
        return false;
    }
    return true;
}

/* Holds every input frame, or none: 0 or -EINVAL. */
static int hold_inputs(struct chunk *c)
{
    uint64_t per = 1ull << c->in_order, held = 0, total = c->n_in * per;

    for (; held < total; held++) {
        xen_pfn_t mfn = c->in[held / per] + held % per;
        if (!mfn_valid(mfn) || !frame_free_to_trade(c->d, mfn_to_page(mfn)))
            break;
    }
    if (held == total)
        return 0;
    while (held--)
        put_page(mfn_to_page(c->in[held / per] + held % per));
    return -EINVAL;
}

static int alloc_outputs(struct chunk *c, mfn_t limit)
{
    for (uint64_t i = 0; i < c->n_out; i++) {
        c->got[i] = limit ? alloc_domheap_pages_below(c->out_order, limit) : alloc_domheap_pages(c->out_order);
        if (!c->got[i]) {
            while (i--)
                for (uint64_t j = 0; j < (1ull << c->out_order); j++)
                    free_domheap_page(c->got[i] + j);
            return -ENOMEM;
        }
    }
    return 0;
}

/* Nothing fails from here: the inputs leave the domain, the outputs join it. */
static void commit(struct chunk *c)
{
    struct domain *d = c->d;
    uint64_t per = 1ull << c->in_order;

    pv_flush_domain_tlbs(); /* an input may still sit in another of its CPUs' TLBs */
    for (uint64_t k = 0; k < c->n_in * per; k++) {
        xen_pfn_t mfn = c->in[k / per] + k % per;
        struct page_info *pg = mfn_to_page(mfn);
        memory_drop_frame(d, pg);
        put_page(pg);
    }
    for (uint64_t i = 0; i < c->n_out; i++) {
        for (uint64_t j = 0; j < (1ull << c->out_order); j++)
            memory_add_frame(d, c->got[i] + j, c->out[i] + j);
        c->out[i] = page_to_mfn(c->got[i]);
    }
}

static long exchange(struct domain *d, struct xen_memory_exchange *x)
{
    unsigned int io = x->in.extent_order, oo = x->out.extent_order, co = io > oo ? io : oo;
    uint64_t n_in = 1ull << (co - io), n_out = 1ull << (co - oo);
    uint64_t bits = XENMEMF_get_address_bits(x->out.mem_flags);
    mfn_t limit = bits && bits < 64 ? (mfn_t)1 << (bits - PAGE_SHIFT) : 0;
    struct chunk c = { d, io, oo, n_in, n_out, NULL, NULL, NULL };
    long rc = 0;

    c.in = xmalloc_array(xen_pfn_t, n_in);
    c.out = xmalloc_array(xen_pfn_t, n_out);
    c.got = xmalloc_array(struct page_info *, n_out);
    if (!c.in || !c.out || !c.got)
        rc = -ENOMEM;
    while (!rc && x->nr_exchanged < x->in.nr_extents) {
        uint64_t first_out = x->nr_exchanged >> (co - io) << (co - oo);
        uint64_t in_slot = (uint64_t)x->in.extent_start + x->nr_exchanged * sizeof(xen_pfn_t);
        uint64_t out_slot = (uint64_t)x->out.extent_start + first_out * sizeof(xen_pfn_t);
        if (copy_from_guest(c.in, in_slot, n_in * sizeof(xen_pfn_t)) ||
            copy_from_guest(c.out, out_slot, n_out * sizeof(xen_pfn_t))) {
            rc = -EFAULT;
            break;
        }
        if ((rc = hold_inputs(&c)))
            break;
        if ((rc = alloc_outputs(&c, limit))) {
            for (uint64_t k = 0; k < n_in << io; k++)
                put_page(mfn_to_page(c.in[k >> io] + (k & ((1ull << io) - 1))));
            break;
        }
        commit(&c);
        x->nr_exchanged += n_in;
        if (copy_to_guest(out_slot, c.out, n_out * sizeof(xen_pfn_t))) {
            rc = -EFAULT; /* done, but the guest cannot learn where: its loss */
            break;
        }
    }
    xfree(c.in);
    xfree(c.out);
    xfree(c.got);
    return rc;
}

long memory_exchange(uint64_t arg)
{
    struct xen_memory_exchange x;
    struct domain *d = current->domain;
    long rc;

    if (copy_from_guest(&x, arg, sizeof(x)))
        return -EFAULT;
    if (x.in.extent_order > MAX_ORDER || x.out.extent_order > MAX_ORDER || x.in.nr_extents > (1u << 20) ||
        x.out.nr_extents > (1u << 20) || x.nr_exchanged > x.in.nr_extents)
        return -EINVAL;
    if ((x.in.nr_extents << x.in.extent_order) != (x.out.nr_extents << x.out.extent_order))
        return -EINVAL;
    unsigned int co = x.in.extent_order > x.out.extent_order ? x.in.extent_order : x.out.extent_order;
    if ((x.in.nr_extents << x.in.extent_order) & ((1ull << co) - 1) ||
        (x.nr_exchanged << x.in.extent_order) & ((1ull << co) - 1))
        return -EINVAL; /* not whole chunks */
    unsigned int bits = XENMEMF_get_address_bits(x.out.mem_flags);
    if (bits && bits < PAGE_SHIFT + x.out.extent_order + 1)
        return -ENOMEM;
    if ((x.in.domid != DOMID_SELF && x.in.domid != d->domid) || x.in.domid != x.out.domid)
        return -EPERM; /* one's own memory only, as Xen for PV guests */
    rc = exchange(d, &x);
    if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged), &x.nr_exchanged,
                      sizeof(x.nr_exchanged)))
        return -EFAULT;
    return rc;
}
