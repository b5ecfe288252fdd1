/* The store-ring client of xs.h. */
#include "pt.h"
#include "xs.h"
#include <public/event_channel.h>

#define SPIN_LIMIT 20000000ULL

struct xenstore_domain_interface *xs_ring;
uint64_t xs_put_limit = SPIN_LIMIT;
static uint32_t xs_port;
uint32_t xs_req_id = 1;

bool xs_init(void)
{
    if (!start_info->store_mfn || !start_info->store_evtchn)
        return false;
    xs_ring = pt_va_of_pfn(pt_pfn_of(start_info->store_mfn));
    xs_port = start_info->store_evtchn;
    return true;
}

void xs_notify(void)
{
    struct evtchn_send s = { .port = xs_port };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
}

bool xs_put(const void *data, uint32_t len)
{
    const char *p = data;
    uint64_t spins = 0;

    while (len) {
        uint32_t prod = xs_ring->req_prod;
        uint32_t room = XENSTORE_RING_SIZE - (prod - __atomic_load_n(&xs_ring->req_cons, __ATOMIC_ACQUIRE));
        if (!room) {
            if (++spins > xs_put_limit)
                return false;
            hypervisor_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        uint32_t n = len < room ? len : room;
        for (uint32_t i = 0; i < n; i++)
            xs_ring->req[MASK_XENSTORE_IDX(prod + i)] = p[i];
        __atomic_store_n(&xs_ring->req_prod, prod + n, __ATOMIC_RELEASE);
        xs_notify();
        p += n;
        len -= n;
    }
    return true;
}

static bool get(void *data, uint32_t len)
{
    char *p = data;
    uint64_t spins = 0;

    while (len) {
        uint32_t cons = xs_ring->rsp_cons;
        if (cons == __atomic_load_n(&xs_ring->rsp_prod, __ATOMIC_ACQUIRE)) {
            if (++spins > SPIN_LIMIT)
                return false;
            hypervisor_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        *p++ = xs_ring->rsp[MASK_XENSTORE_IDX(cons)];
        __atomic_store_n(&xs_ring->rsp_cons, cons + 1, __ATOMIC_RELEASE);
        len--;
    }
    xs_notify();
    return true;
}

bool xs_send(uint32_t type, const char *a, const char *b)
{
    uint32_t la = (uint32_t)strlen(a) + 1, lb = b ? (uint32_t)strlen(b) : 0;
    struct xsd_sockmsg h = { .type = type, .req_id = xs_req_id++, .len = la + lb };
    return xs_put(&h, sizeof(h)) && xs_put(a, la) && (!lb || xs_put(b, lb));
}

int64_t xs_reply(char *out, uint32_t cap)
{
    struct xsd_sockmsg h;

    if (!get(&h, sizeof(h)) || h.len >= cap || !get(out, h.len))
        return -1;
    out[h.len] = 0;
    ASSERT_EQ(h.req_id, xs_req_id - 1);
    return h.type;
}

bool xs_write(const char *path, const char *val)
{
    char buf[64];

    return xs_send(XS_WRITE, path, val) && xs_reply(buf, sizeof(buf)) == XS_WRITE;
}

bool xs_read(const char *path, char *out, uint32_t cap)
{
    return xs_send(XS_READ, path, NULL) && xs_reply(out, cap) == XS_READ;
}

bool cmdline_word(const char *key, const char *value)
{
    const char *s = start_info->cmd_line;
    size_t k = strlen(key), n = strlen(value);

    for (; *s; s++)
        if ((s == start_info->cmd_line || s[-1] == ' ') && !strncmp(s, key, k) && s[k] == '=' &&
            !strncmp(s + k + 1, value, n) && (s[k + 1 + n] == ' ' || !s[k + 1 + n]))
            return true;
    return false;
}
