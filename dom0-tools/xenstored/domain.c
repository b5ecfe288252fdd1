/*
 * Domains' store rings: dom0's own (xenfs gives its page and port), and each domain the
 * toolstack introduces (its store page mapped from dom0, its event channel bound here).
 * @introduceDomain / @releaseDomain tell privileged watchers when one comes or goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/foreign/foreign.h"
#include "xenstored.h"

struct conn *domain_conn(struct xsd *x, uint16_t domid)
{
    for (struct conn *c = x->conns; c; c = c->next)
        if (c->kind == CONN_RING && c->domid == domid && !c->dead)
            return c;
    return NULL;
}

struct conn *domain_by_port(struct xsd *x, int port)
{
    for (struct conn *c = x->conns; c; c = c->next)
        if (c->kind == CONN_RING && c->port == port && !c->dead)
            return c;
    return NULL;
}

int domain_introduce(struct xsd *x, uint16_t domid, uint64_t mfn, uint32_t port)
{
    struct conn *c = domain_conn(x, domid);

    if (c)
        return c->mfn == mfn ? 0 : -EEXIST; /* the same again is harmless */
    if (!x->have_xen || domid == 0)
        return -EINVAL;
    if (!(c = conn_new(x, CONN_RING, domid, false)))
        return -ENOMEM;
    c->mfn = mfn;
    c->ring = foreign_map(x->ctrl.call, domid, PROT_READ | PROT_WRITE, &mfn, 1, NULL);
    if (!c->ring) {
        int rc = -errno;
        xsd_log(x, "domain %u: cannot map its store page %#llx: %s", domid, (unsigned long long)mfn,
                strerror(errno));
        conn_close(x, c);
        return rc;
    }
    c->ring_foreign = true;
    c->port = evtchn_bind_interdomain(&x->ev, domid, port);
    if (c->port < 0) {
        int rc = c->port;
        xsd_log(x, "domain %u: cannot bind its store event channel %u: %s", domid, port, strerror(-rc));
        conn_close(x, c);
        return rc;
    }
    c->ring->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    xsd_log(x, "domain %u introduced (store frame %#llx, port %u)", domid, (unsigned long long)mfn, port);
    watch_fire(x, "@introduceDomain", NULL, false);
    conn_input(x, c); /* requests it queued before we were told of it */
    return 0;
}

int domain_release(struct xsd *x, uint16_t domid)
{
    struct conn *c = domain_conn(x, domid);

    if (!c || domid == 0)
        return -ENOENT;
    conn_close(x, c);
    xsd_log(x, "domain %u released", domid);
    watch_fire(x, "@releaseDomain", NULL, false);
    return 0;
}

static int read_port(const char *path)
{
    char buf[32] = { 0 };
    int fd = open(path, O_RDONLY | O_CLOEXEC), n;

    if (fd < 0)
        return -errno;
    n = (int)read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? atoi(buf) : -EIO;
}

int domain_local_init(struct xsd *x)
{
    int port = read_port("/proc/xen/xsd_port"), fd;
    struct conn *c;
    void *page;

    if (port <= 0)
        return port < 0 ? port : -EIO;
    fd = open("/proc/xen/xsd_kva", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (page == MAP_FAILED)
        return -errno;
    if (!(c = conn_new(x, CONN_RING, 0, true))) {
        munmap(page, 4096);
        return -ENOMEM;
    }
    c->ring = page;
    c->port = evtchn_bind_interdomain(&x->ev, 0, (uint32_t)port);
    if (c->port < 0) {
        int rc = c->port;
        conn_close(x, c);
        return rc;
    }
    c->ring->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    evtchn_notify(&x->ev, (uint32_t)c->port); /* dom0's xenbus waits for this to probe */
    conn_input(x, c);
    return 0;
}

void domain_check_all(struct xsd *x)
{
    struct conn *c, *next;

    for (c = x->conns; c; c = next) {
        xen_domctl_getdomaininfo_t info;
        int rc;
        next = c->next;
        if (c->kind != CONN_RING || c->domid == 0 || c->dead)
            continue;
        rc = ctrl_domain_info(&x->ctrl, c->domid, &info);
        if (rc || info.flags & XEN_DOMINF_dying) {
            domain_release(x, c->domid); /* gone: its page is let go here */
        } else if (info.flags & XEN_DOMINF_shutdown && !c->shutdown) {
            c->shutdown = true;
            watch_fire(x, "@releaseDomain", NULL, false);
        }
    }
}
