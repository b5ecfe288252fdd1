/* Foreign mappings: an mmap of privcmd, filled by IOCTL_PRIVCMD_MMAPBATCH_V2. */
#include "foreign.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../call/call.h"

/* Linux's include/uapi/xen/privcmd.h: _IOC(_IOC_NONE, 'P', 4, 32) */
#define IOCTL_PRIVCMD_MMAPBATCH_V2 0x00205004u
#define PAGE 4096u

struct privcmd_mmapbatch_v2 {
    uint32_t num;
    uint16_t dom;
    uint16_t pad;
    uint64_t addr;
    const uint64_t *arr;
    int *err;
};

void *foreign_map(struct call *c, uint16_t dom, int prot, const uint64_t *mfns, size_t n, int *errs)
{
    int *e = errs ? errs : calloc(n ? n : 1, sizeof(int));
    void *p;
    int err = 0;

    if (!e)
        return NULL;
    if (!n || n > UINT32_MAX) {
        err = EINVAL;
        goto out;
    }
    p = mmap(NULL, n * PAGE, prot, MAP_SHARED, call_privcmd_fd(c), 0);
    if (p == MAP_FAILED) {
        err = errno;
        goto out;
    }
    struct privcmd_mmapbatch_v2 b = { (uint32_t)n, dom, 0, (uint64_t)(uintptr_t)p, mfns, e };
    if (ioctl(call_privcmd_fd(c), IOCTL_PRIVCMD_MMAPBATCH_V2, &b) < 0)
        err = errno;
    for (size_t i = 0; !err && i < n; i++)
        if (e[i])
            err = -e[i] > 0 ? -e[i] : EFAULT;
    if (err) {
        munmap(p, n * PAGE);
        goto out;
    }
    if (!errs)
        free(e);
    return p;
out:
    if (!errs)
        free(e);
    errno = err;
    return NULL;
}

void foreign_unmap(void *addr, size_t n)
{
    if (addr)
        munmap(addr, n * PAGE);
}
