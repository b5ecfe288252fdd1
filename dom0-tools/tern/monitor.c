/*
 * The per-domain monitor `tern create` leaves behind (as xl does): the domain's console
 * back-end (ring output to the log and to an attached `tern console`, typed input into the
 * ring) and its life cycle (on_poweroff / on_reboot / on_crash once it shuts down). It
 * ends when the domain is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <public/io/console.h>
#include <public/sched.h>

#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"
#include "../lib/evtchn/evtchn.h"
#include "../lib/foreign/foreign.h"
#include "cli.h"
#include "config.h"
#include "monitor.h"
#include "spawn.h"
#include "state.h"
#include "xsdom.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

struct monitor {
    uint16_t domid;
    struct domain_state st;
    struct ctrl c;
    struct evtchn ev;
    int port;                       /* local end of the console channel */
    struct xencons_interface *ring;
    int log, listen, client;
};

static void out(struct monitor *m, const char *buf, size_t n)
{
    if (m->log >= 0 && write(m->log, buf, n) < 0) {
        close(m->log); /* the log's disk is full or gone: keep serving the console */
        m->log = -1;
    }
    if (m->client >= 0 && write(m->client, buf, n) < 0) {
        close(m->client);
        m->client = -1;
    }
}

/* The ring is guest memory: indexes are read once and bounded. */
static void drain(struct monitor *m)
{
    struct xencons_interface *r = m->ring;
    char buf[sizeof(r->out)];
    uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    size_t n = 0;

    if (prod - cons > sizeof(r->out))
        cons = prod - sizeof(r->out); /* a corrupt index: take what one ring can hold */
    while (cons != prod)
        buf[n++] = r->out[MASK_XENCONS_IDX(cons++, r->out)];
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
    if (n) {
        out(m, buf, n);
        evtchn_notify(&m->ev, (uint32_t)m->port);
    }
}

static void input(struct monitor *m)
{
    struct xencons_interface *r = m->ring;
    char buf[sizeof(r->in)];
    uint32_t cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE), prod = r->in_prod;
    size_t room = sizeof(r->in) - (prod - cons > sizeof(r->in) ? sizeof(r->in) : prod - cons);
    ssize_t n;

    if (!room)
        return; /* the guest is not reading: the client waits */
    n = read(m->client, buf, room);
    if (n <= 0) {
        close(m->client);
        m->client = -1;
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        r->in[MASK_XENCONS_IDX(prod++, r->in)] = buf[i];
    __atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
    evtchn_notify(&m->ev, (uint32_t)m->port);
}

static int open_socket(struct monitor *m)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    state_path(m->domid, "monitor.sock", a.sun_path, sizeof(a.sun_path));
    unlink(a.sun_path);
    m->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m->listen < 0 || bind(m->listen, (struct sockaddr *)&a, sizeof(a)) || listen(m->listen, 2))
        return -errno;
    return 0;
}

static int setup(struct monitor *m)
{
    char path[600];
    uint64_t mfn;
    int rc;

    if ((rc = state_load(m->domid, &m->st)) || (rc = ctrl_open(&m->c)) || (rc = evtchn_open(&m->ev)))
        return rc;
    mfn = m->st.console_mfn;
    m->ring = foreign_map(m->c.call, m->domid, PROT_READ | PROT_WRITE, &mfn, 1, NULL);
    if (!m->ring)
        return -errno;
    m->port = evtchn_bind_interdomain(&m->ev, m->domid, m->st.console_port);
    if (m->port < 0)
        return m->port;
    mkdir(state_log_dir(), 0755);
    snprintf(path, sizeof(path), "%s/%s.log", state_log_dir(), m->st.name);
    m->log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return open_socket(m);
}

/* The domain shut down: do what its config says. Returns true when the monitor is done. */
static bool shut_down(struct monitor *m, unsigned int code)
{
    struct domain_config cfg;
    char err[512], line[160];
    enum config_action a = ACTION_DESTROY;
    bool have_cfg;

    if (code == SHUTDOWN_suspend)
        return false; /* a save or snapshot is under way: it resumes or destroys the guest */
    have_cfg = !config_load(m->st.config, &cfg, err, sizeof(err));
    if (have_cfg)
        a = code == SHUTDOWN_crash ? cfg.on_crash : code == SHUTDOWN_reboot ? cfg.on_reboot : cfg.on_poweroff;
    snprintf(line, sizeof(line), "\n[tern: domain %u shut down (%s): %s]\n", m->domid,
             code == SHUTDOWN_crash ? "crash" : code == SHUTDOWN_reboot ? "reboot" : "poweroff",
             config_action_name(a));
    out(m, line, strlen(line));
    if (a == ACTION_PRESERVE)
        return false;
    xsdom_forget(m->domid);
    ctrl_domain_destroy(&m->c, m->domid);
    if (a == ACTION_RESTART && have_cfg && fork() == 0) {
        if (m->log >= 0) { /* why a restart fails goes where the user looks */
            dup2(m->log, 1);
            dup2(m->log, 2);
        }
        execl("/proc/self/exe", "tern", "create", m->st.config, (char *)NULL);
        _exit(127);
    }
    return true;
}

static void serve(struct monitor *m)
{
    while (!stop) {
        struct pollfd p[3] = { { m->ev.fd, POLLIN, 0 }, { m->listen, POLLIN, 0 }, { m->client, POLLIN, 0 } };
        xen_domctl_getdomaininfo_t info;
        int port;

        poll(p, m->client >= 0 ? 3 : 2, 500);
        if (p[0].revents & POLLIN && (port = evtchn_pending(&m->ev)) >= 0)
            evtchn_unmask(&m->ev, (uint32_t)port);
        drain(m);
        if (p[1].revents & POLLIN) {
            int c = accept4(m->listen, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0 && m->client >= 0)
                close(m->client); /* the newest console wins, as with xl */
            if (c >= 0)
                m->client = c;
        }
        if (m->client >= 0 && p[2].revents & (POLLIN | POLLHUP))
            input(m);
        if (ctrl_domain_info(&m->c, m->domid, &info) || info.flags & XEN_DOMINF_dying) {
            xsdom_forget(m->domid); /* destroyed behind our back: its store entries go too */
            return;
        }
        if (info.flags & XEN_DOMINF_shutdown) {
            drain(m);
            if (shut_down(m, (info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask))
                return;
        }
    }
}

int monitor_run(uint16_t domid)
{
    struct monitor m = { .domid = domid, .log = -1, .listen = -1, .client = -1, .ev = { -1 } };
    struct sigaction sa = { .sa_handler = on_term };
    char pid[600];
    FILE *f;
    int rc;

    sigaction(SIGTERM, &sa, NULL); /* tern destroy: let go of the domain's pages first */
    rc = setup(&m);
    state_path(domid, "monitor.pid", pid, sizeof(pid));
    if (!rc && (f = fopen(pid, "w"))) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    if (!rc)
        serve(&m);
    if (m.client >= 0)
        close(m.client);
    if (m.listen >= 0)
        close(m.listen);
    if (m.log >= 0)
        close(m.log);
    foreign_unmap(m.ring, 1);
    evtchn_close(&m.ev);
    if (m.c.call)
        ctrl_close(&m.c);
    state_forget(domid);
    return rc ? CLI_FAIL : CLI_OK;
}

/* Starts the monitor detached from the caller's session and terminal. */
static int run(void *arg)
{
    return monitor_run(*(const uint16_t *)arg);
}

int monitor_spawn(uint16_t domid)
{
    return spawn_detached(run, &domid);
}
