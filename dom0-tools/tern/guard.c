/* The guardian of a guest under a save or snapshot (guard.h). */
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/ctrl/ctrl.h"
#include "suspend.h"
#include <public/sched.h>

#define DONE 'D'
#define SUSPEND_TIMEOUT_MS 30000

/* Puts the guest back after the process died half-way; says what it did on stderr. */
static void put_back(uint16_t domid, const char *what, bool logdirty, bool suspend, bool paused)
{
    xen_domctl_getdomaininfo_t info;
    struct ctrl c;
    char why[256] = "", done[256] = "";
    size_t n = 0;
    int rc;

    if ((rc = ctrl_open(&c))) {
        fprintf(stderr, "tern: the %s of domain %u ended half-way and the hypervisor cannot be "
                "reached to put it back: %s\n", what, domid, strerror(-rc));
        return;
    }
    if (suspend) {
        /* the guest may be suspended, about to be, or never asked: bring it to suspended
         * (a request it never answers is taken back), then resume it in place */
        int code = domain_shutdown_code(&c, domid);
        if (code == -1 && !suspend_domain(&c, domid, SUSPEND_TIMEOUT_MS, why, sizeof(why)))
            code = SHUTDOWN_suspend;
        if (code == SHUTDOWN_suspend && (rc = resume_domain(&c, domid, NULL)))
            n += (size_t)snprintf(done + n, sizeof(done) - n, " cannot resume it (%s);", strerror(-rc));
        else if (code == SHUTDOWN_suspend)
            n += (size_t)snprintf(done + n, sizeof(done) - n, " resumed it;");
    }
    if (paused && !ctrl_domain_info(&c, domid, &info) && (info.flags & XEN_DOMINF_paused) &&
        !ctrl_domain_unpause(&c, domid))
        n += (size_t)snprintf(done + n, sizeof(done) - n, " unpaused it;");
    if (logdirty && !ctrl_shadow_op(&c, domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL, NULL, NULL))
        n += (size_t)snprintf(done + n, sizeof(done) - n, " turned log-dirty off;");
    fprintf(stderr, "tern: the %s of domain %u ended half-way:%s%s%s\n", what, domid,
            n ? done : " nothing to put back", why[0] ? " " : "", why);
    ctrl_close(&c);
}

static void watch(int fd, uint16_t domid, const char *what)
{
    bool logdirty = false, suspend = false, paused = false, done = false;
    char b;
    ssize_t n;

    while ((n = read(fd, &b, 1)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        switch (b) {
        case GUARD_LOGDIRTY: logdirty = true; break;
        case GUARD_LOGDIRTY_OFF: logdirty = false; break;
        case GUARD_SUSPEND: suspend = true; break;
        case GUARD_RESUMED: suspend = false; break;
        case GUARD_PAUSE: paused = true; break;
        case GUARD_UNPAUSED: paused = false; break;
        case DONE: done = true; break;
        }
    }
    if (!done && (logdirty || suspend || paused))
        put_back(domid, what, logdirty, suspend, paused);
}

int guard_start(struct guard *g, uint16_t domid, const char *what)
{
    int fds[2];

    g->fd = -1;
    g->pid = -1;
    if (pipe2(fds, O_CLOEXEC))
        return -errno;
    fflush(NULL);
    g->pid = fork();
    if (g->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -errno;
    }
    if (g->pid == 0) {
        /* out of the terminal's reach; nothing of the parent's kept open but stderr */
        int null = open("/dev/null", O_RDWR);
        setsid();
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        for (int fd = 3; fd < 1024; fd++)
            if (fd != fds[0])
                close(fd);
        watch(fds[0], domid, what);
        _exit(0);
    }
    close(fds[0]);
    g->fd = fds[1];
    return 0;
}

void guard_step(struct guard *g, enum guard_step s)
{
    char b = (char)s;

    if (g->fd >= 0 && write(g->fd, &b, 1) != 1) {
        /* the guardian is gone: the steps go on unguarded */
    }
}

void guard_end(struct guard *g)
{
    char b = DONE;

    if (g->fd < 0)
        return;
    if (write(g->fd, &b, 1) != 1) {
        /* gone already */
    }
    close(g->fd);
    g->fd = -1;
    while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

void guard_kill_point(const char *point)
{
    const char *at = getenv("TERN_KILL_AT");

    if (at && !strcmp(at, point))
        raise(SIGKILL);
}
