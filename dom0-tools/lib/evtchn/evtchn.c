/* /dev/xen/evtchn: ioctls to bind and notify; read() gives fired ports, write() unmasks. */
#include "evtchn.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Linux's include/uapi/xen/evtchn.h: _IOC(_IOC_NONE, 'E', nr, size) */
#define IOCTL_EVTCHN_BIND_VIRQ 0x00044500u
#define IOCTL_EVTCHN_BIND_INTERDOMAIN 0x00084501u
#define IOCTL_EVTCHN_UNBIND 0x00044503u
#define IOCTL_EVTCHN_NOTIFY 0x00044504u

int evtchn_open(struct evtchn *e)
{
    e->fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
    return e->fd < 0 ? -errno : 0;
}

void evtchn_close(struct evtchn *e)
{
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
}

static int ioc(struct evtchn *e, unsigned long req, void *arg)
{
    int rc = ioctl(e->fd, req, arg);
    return rc < 0 ? -errno : rc;
}

int evtchn_bind_interdomain(struct evtchn *e, uint16_t dom, uint32_t remote_port)
{
    struct { uint32_t dom, port; } b = { dom, remote_port };
    return ioc(e, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
}

int evtchn_bind_virq(struct evtchn *e, uint32_t virq)
{
    return ioc(e, IOCTL_EVTCHN_BIND_VIRQ, &virq);
}

int evtchn_unbind(struct evtchn *e, uint32_t port)
{
    return ioc(e, IOCTL_EVTCHN_UNBIND, &port);
}

int evtchn_notify(struct evtchn *e, uint32_t port)
{
    return ioc(e, IOCTL_EVTCHN_NOTIFY, &port);
}

int evtchn_pending(struct evtchn *e)
{
    uint32_t port;
    ssize_t n = read(e->fd, &port, sizeof(port));

    if (n == (ssize_t)sizeof(port))
        return (int)port;
    return n < 0 ? -errno : -EIO;
}

int evtchn_unmask(struct evtchn *e, uint32_t port)
{
    return write(e->fd, &port, sizeof(port)) == (ssize_t)sizeof(port) ? 0 : -errno;
}
