/*
 * evtchn_pair: an interdomain channel between two guests. Command line "server peer=N"
 * or "client peer=N" (N the other's domain id). The server offers one port to a stranger
 * and the next to the client; the client finds its port by trying to bind each in turn
 * (ports not offered to it are refused), sends, and waits for the server's reply.
 * Without a role it checks the same through loopback.
 */
#include "pv.h"

const char test_title[] = "interdomain event channel between two guests (ping and pong)";

#define STRANGER 0x7fe0 /* no such domain: the port offered to it stays unbound */

static long op(int cmd, void *arg)
{
    return hypervisor_event_channel_op(cmd, arg);
}

static unsigned int arg_peer(void)
{
    const char *p = strstr((const char *)start_info->cmd_line, "peer=");
    unsigned int n = 0;

    if (!p)
        test_error("no peer= on the command line");
    for (p += 5; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (unsigned int)(*p - '0');
    return n;
}

/* Polls (bounded) for port to become pending, then clears it. */
static bool wait_port(unsigned int port)
{
    evtchn_port_t ports[1] = { port };
    struct sched_poll poll = { .nr_ports = 1 };

    set_xen_guest_handle(poll.ports, ports);
    for (unsigned int i = 0; i < 200; i++) {
        if (evt_pending(port)) {
            evt_clear(port);
            return true;
        }
        poll.timeout = pv_now() + 50000000ULL;
        hypervisor_sched_op(SCHEDOP_poll, &poll);
    }
    return false;
}

static long send(unsigned int port)
{
    struct evtchn_send s = { .port = port };

    return op(EVTCHNOP_send, &s);
}

static void server(unsigned int peer)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = STRANGER };
    struct evtchn_status st = { .dom = DOMID_SELF };
    unsigned int port;

    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), 0);
    au.remote_dom = (domid_t)peer;
    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), 0);
    port = au.port;
    if (!wait_port(port))
        test_failure_exit("no ping from domain %u", peer);
    st.port = port;
    ASSERT_RC(op(EVTCHNOP_status, &st), 0);
    ASSERT_EQ(st.status, EVTCHNSTAT_interdomain);
    ASSERT_EQ(st.u.interdomain.dom, peer);
    ASSERT_RC(send(port), 0);
    guest_printf("evtchn_pair: server got the ping on port %u, sent the pong\n", port);
}

static void client(unsigned int peer)
{
    struct evtchn_bind_interdomain bi = { .remote_dom = (domid_t)peer };
    unsigned int refused = 0;
    long rc = -1;

    /* the server may not have offered it yet: scan its first ports until one binds */
    uint64_t deadline = pv_now() + 5000000000ULL;
    while (rc && pv_now() < deadline) {
        for (unsigned int p = 1; p < 16 && rc; p++) {
            bi.remote_port = p;
            rc = op(EVTCHNOP_bind_interdomain, &bi);
            if (rc == -XEN_EINVAL)
                refused++;
            else if (rc)
                test_failure_exit("bind_interdomain returned %ld", rc);
        }
        if (rc)
            hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    ASSERT_RC(rc, 0);
    ASSERT(refused > 0); /* at least the stranger's port was not ours to take */
    evt_clear(bi.local_port); /* binding marks our end pending */
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL); /* taken now */
    ASSERT_RC(send(bi.local_port), 0);
    if (!wait_port(bi.local_port))
        test_failure_exit("no pong from domain %u", peer);
    guest_printf("evtchn_pair: client got the pong\n");
}

static void loopback(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };

    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), 0);
    bi.remote_port = au.port;
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), 0);
    evt_clear(bi.local_port);
    ASSERT_RC(send(bi.local_port), 0);
    ASSERT(wait_port(au.port));
    ASSERT_RC(send(au.port), 0);
    ASSERT(wait_port(bi.local_port));
}

void test_main(void)
{
    const char *cmd = (const char *)start_info->cmd_line;

    pv_map_shared_info();
    if (strstr(cmd, "server"))
        server(arg_peer());
    else if (strstr(cmd, "client"))
        client(arg_peer());
    else
        loopback();
}
