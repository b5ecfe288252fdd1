/*
 * tern-xenstored: the store daemon of the control domain. Serves dom0's tools on a Unix
 * socket, dom0's kernel on its xenfs ring, and each introduced domain on its store ring.
 *   tern-xenstored [--socket PATH] [--log FILE] [--pid-file FILE] [--foreground] [--no-xen]
 * --no-xen serves the socket only (tests of the protocol on any Linux machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <public/xen.h>

#include "xenstored.h"

static FILE *logf;
static volatile sig_atomic_t stop;

void xsd_log(struct xsd *x, const char *fmt, ...)
{
    va_list ap;
    struct timespec ts;

    (void)x;
    if (!logf)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(logf, "[%lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(logf, fmt, ap);
    va_end(ap);
    fputc('\n', logf);
    fflush(logf);
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0600) || listen(fd, 16)) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int setup_xen(struct xsd *x)
{
    int rc;

    if ((rc = ctrl_open(&x->ctrl)) || (rc = evtchn_open(&x->ev)))
        return rc;
    fcntl(x->ev.fd, F_SETFL, fcntl(x->ev.fd, F_GETFL) | O_NONBLOCK);
    x->have_xen = true;
    if ((x->virq_port = evtchn_bind_virq(&x->ev, VIRQ_DOM_EXC)) < 0)
        return x->virq_port;
    return domain_local_init(x);
}

static void events(struct xsd *x)
{
    int port;

    while ((port = evtchn_pending(&x->ev)) >= 0) {
        evtchn_unmask(&x->ev, (uint32_t)port);
        if (port == x->virq_port) {
            domain_check_all(x);
        } else {
            struct conn *c = domain_by_port(x, port);
            if (c)
                conn_input(x, c);
        }
    }
}

static void serve(struct xsd *x)
{
    struct pollfd *p = NULL;
    size_t cap = 0;

    while (!stop) {
        size_t n = 0, i;
        struct conn *c, *next;
        for (c = x->conns; c; c = c->next)
            n++;
        if (n + 2 > cap) {
            cap = (n + 2) * 2;
            p = realloc(p, cap * sizeof(*p));
            if (!p)
                return;
        }
        p[0] = (struct pollfd){ x->listen, POLLIN, 0 };
        p[1] = (struct pollfd){ x->have_xen ? x->ev.fd : -1, POLLIN, 0 };
        for (c = x->conns, i = 2; c; c = c->next, i++) {
            short ev = (short)((c->out_bytes <= OUT_LIMIT ? POLLIN : 0) | (c->out ? POLLOUT : 0));
            p[i] = (struct pollfd){ c->kind == CONN_SOCKET ? c->fd : -1, ev, 0 };
        }
        if (poll(p, i, 1000) < 0 && errno != EINTR)
            return;
        if (p[0].revents & POLLIN) {
            int fd = accept4(x->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0 && !(c = conn_new(x, CONN_SOCKET, 0, true)))
                close(fd);
            else if (fd >= 0)
                c->fd = fd;
        }
        if (p[1].revents & POLLIN)
            events(x);
        for (c = x->conns, i = 2; c; c = c->next, i++)
            if (c->kind == CONN_SOCKET && !c->dead && i < n + 2 && p[i].fd == c->fd &&
                p[i].revents & (POLLIN | POLLHUP))
                conn_input(x, c);
        for (c = x->conns; c; c = next) {
            next = c->next;
            if (c->dead)
                continue;
            if (!conn_flush(x, c) || (c->kind == CONN_SOCKET && c->broken)) {
                conn_close(x, c);
                continue;
            }
            if (c->kind == CONN_RING && !c->broken && c->ring->req_prod != c->ring->req_cons) {
                conn_input(x, c); /* it waited for room for its replies */
                conn_flush(x, c);
            }
        }
        conn_reap(x);
    }
    free(p);
}

static void usage(void)
{
    fprintf(stderr, "usage: tern-xenstored [--socket PATH] [--log FILE] [--pid-file FILE] "
                    "[--foreground] [--no-xen]\n");
}

int main(int argc, char **argv)
{
    const char *sock = getenv("TERN_XS_SOCKET"), *log = NULL, *pidfile = NULL;
    bool foreground = false, xen = true;
    struct xsd x = { .listen = -1, .ev = { -1 }, .virq_port = -1 };
    struct sigaction sa = { .sa_handler = on_term };
    int rc, ready[2];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            sock = argv[++i];
        else if (!strcmp(argv[i], "--log") && i + 1 < argc)
            log = argv[++i];
        else if (!strcmp(argv[i], "--pid-file") && i + 1 < argc)
            pidfile = argv[++i];
        else if (!strcmp(argv[i], "--foreground"))
            foreground = true;
        else if (!strcmp(argv[i], "--no-xen"))
            xen = false;
        else {
            usage();
            return 2;
        }
    }
    if (!sock)
        sock = "/run/tern/xenstored.sock";
    logf = log ? fopen(log, "a") : stderr;
    if (tree_init(&x.tree)) {
        fprintf(stderr, "tern-xenstored: out of memory\n");
        return 1;
    }
    if ((x.listen = listen_on(sock)) < 0) {
        fprintf(stderr, "tern-xenstored: cannot listen on %s: %s\n", sock, strerror(-x.listen));
        return 1;
    }
    if (xen && (rc = setup_xen(&x))) {
        fprintf(stderr, "tern-xenstored: cannot reach the hypervisor's store interfaces "
                        "(privcmd, evtchn, xenfs): %s\n", strerror(-rc));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* in the background only once serving: callers may connect as soon as we return */
    if (!foreground && pipe(ready) == 0) {
        pid_t pid = fork();
        if (pid > 0) {
            char b;
            close(ready[1]);
            return read(ready[0], &b, 1) == 1 ? 0 : 1;
        }
        close(ready[0]);
        setsid();
        if (pidfile) {
            FILE *f = fopen(pidfile, "w");
            if (f) {
                fprintf(f, "%d\n", (int)getpid());
                fclose(f);
            }
        }
        if (write(ready[1], "r", 1) != 1)
            return 1;
        close(ready[1]);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            if (logf != stderr)
                dup2(null, 2);
        }
    }
    xsd_log(&x, "serving on %s%s", sock, x.have_xen ? " and the store rings" : " (no hypervisor)");
    serve(&x);
    xsd_log(&x, "stopping");
    unlink(sock);
    return 0;
}
