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
