/* Hypercalls through /dev/xen/privcmd (IOCTL_PRIVCMD_HYPERCALL) and locked buffers. */
#include "call.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux's include/uapi/xen/privcmd.h: _IOC(_IOC_NONE, 'P', 0, 48) */
#define IOCTL_PRIVCMD_HYPERCALL 0x00305000u

struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};

struct call {
    int privcmd;
    int hcall; /* /dev/xen/hypercall, or -1: then mlock'd anonymous memory */
};

struct call *call_open(void)
{
    struct call *c = calloc(1, sizeof(*c));
    int err;

    if (!c)
        return NULL;
    c->privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (c->privcmd < 0) {
        err = errno;
        free(c);
        errno = err;
        return NULL;
    }
    c->hcall = open("/dev/xen/hypercall", O_RDWR | O_CLOEXEC);
    return c;
}

void call_close(struct call *c)
{
    if (!c)
        return;
    close(c->privcmd);
    if (c->hcall >= 0)
        close(c->hcall);
    free(c);
}

int call_privcmd_fd(const struct call *c)
{
    return c->privcmd;
}

long call_hypercall(struct call *c, unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t a4, uint64_t a5)
{
    struct privcmd_hypercall h = { op, { a1, a2, a3, a4, a5 } };
    long rc = ioctl(c->privcmd, IOCTL_PRIVCMD_HYPERCALL, &h);

    return rc < 0 ? -errno : rc;
}

static size_t page_round(size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (len + page - 1) / page * page;
}

void *call_buf_alloc(struct call *c, size_t len)
{
    size_t n = page_round(len ? len : 1);
    void *p;

    if (c->hcall >= 0) {
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, c->hcall, 0);
    } else {
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED && mlock(p, n)) {
            munmap(p, n);
            p = MAP_FAILED;
        }
    }
    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0, n);
    return p;
}

void call_buf_free(struct call *c, void *p, size_t len)
{
    (void)c;
    if (p)
        munmap(p, page_round(len ? len : 1));
}
