/* XEN_DOMCTL_copy_frames over lib/ctrl (frames.h). */
#include "frames.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../call/call.h"
#include "../ctrl/ctrl.h"

#define PAGE 4096u

void *frames_buf_alloc(size_t n)
{
    void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    /* resident and written once, so that the hypervisor's copy never meets a missing page */
    if (mlock(p, n * PAGE)) {
        munmap(p, n * PAGE);
        return NULL;
    }
    memset(p, 0, n * PAGE);
    return p;
}

void frames_buf_free(void *buf, size_t n)
{
    if (buf)
        munmap(buf, n * PAGE);
}

int frames_copy(struct ctrl *c, uint16_t domid, uint64_t *mfns, size_t n, void *buf, bool write)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_copy_frames, .domain = domid };
    uint64_t *arr;
    int rc;

    if (!n || n > FRAMES_BATCH)
        return -EINVAL;
    if (!(arr = call_buf_alloc(c->call, n * sizeof(*arr))))
        return -ENOMEM;
    memcpy(arr, mfns, n * sizeof(*arr));
    op.u.copy_frames.num = (uint32_t)n;
    op.u.copy_frames.flags = write ? XEN_DOMCTL_COPY_FRAMES_WRITE : 0;
    op.u.copy_frames.array = arr;
    op.u.copy_frames.buffer = (uint64_t)(uintptr_t)buf;
    if (!(rc = ctrl_domctl(c, &op)) && !write)
        memcpy(mfns, arr, n * sizeof(*arr));
    call_buf_free(c->call, arr, n * sizeof(*arr));
    return rc;
}

int frames_stage_create(struct ctrl *c, uint64_t max_pages, uint64_t max_pfn, uint32_t *id)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_stage };
    int rc;

    op.u.stage.op = XEN_SYSCTL_STAGE_CREATE;
    op.u.stage.max_pages = max_pages;
    op.u.stage.max_pfn = max_pfn;
    if (!(rc = ctrl_sysctl(c, &op)))
        *id = op.u.stage.id;
    return rc;
}

/* put and adopt: the arrays in hypercall memory; mfns back after a put */
static int stage_batch(struct ctrl *c, uint32_t id, uint32_t what, uint16_t domid, const uint64_t *pfns,
                       uint64_t *mfns, size_t n, const void *buf)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_stage };
    uint64_t *arr;
    int rc;

    if (!n || n > FRAMES_BATCH)
        return -EINVAL;
    if (!(arr = call_buf_alloc(c->call, 2 * n * sizeof(*arr))))
        return -ENOMEM;
    memcpy(arr, mfns, n * sizeof(*arr));
    if (pfns)
        memcpy(arr + n, pfns, n * sizeof(*arr));
    op.u.stage.op = what;
    op.u.stage.id = id;
    op.u.stage.num = (uint32_t)n;
    op.u.stage.domid = domid;
    op.u.stage.mfns = arr;
    op.u.stage.pfns = arr + n;
    op.u.stage.buffer = (uint64_t)(uintptr_t)buf;
    rc = ctrl_sysctl(c, &op);
    if (what == XEN_SYSCTL_STAGE_PUT)
        memcpy(mfns, arr, n * sizeof(*arr)); /* frames it made before a failure are held too */
    call_buf_free(c->call, arr, 2 * n * sizeof(*arr));
    return rc;
}

int frames_stage_put(struct ctrl *c, uint32_t id, const uint64_t *pfns, uint64_t *mfns, size_t n,
                     const void *buf)
{
    return stage_batch(c, id, XEN_SYSCTL_STAGE_PUT, 0, pfns, mfns, n, buf);
}

int frames_stage_adopt(struct ctrl *c, uint32_t id, uint16_t domid, const uint64_t *mfns, size_t n)
{
    return stage_batch(c, id, XEN_SYSCTL_STAGE_ADOPT, domid, NULL, (uint64_t *)mfns, n, NULL);
}

int frames_stage_drop(struct ctrl *c, uint32_t id)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_stage };

    op.u.stage.op = XEN_SYSCTL_STAGE_DROP;
    op.u.stage.id = id;
    return ctrl_sysctl(c, &op);
}
