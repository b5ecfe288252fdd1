/* The frontend helpers of front.h. */
#include "front.h"
#include <public/event_channel.h>

#define STATE_TRIES 4000 /* store reads, each after front_pause(200) */

bool front_backend_read(struct front *f, const char *leaf, char *out, uint32_t cap)
{
    char path[200];

    guest_snprintf(path, sizeof(path), "%s/%s", f->backend, leaf);
    return xs_read(path, out, cap);
}

bool front_write(struct front *f, const char *leaf, const char *value)
{
    char path[128];

    guest_snprintf(path, sizeof(path), "%s/%s", f->dir, leaf);
    return xs_write(path, value);
}

void front_pause(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        hypervisor_sched_op(SCHEDOP_yield, NULL);
}

int front_backend_state(struct front *f, int want)
{
    char val[16];
    int s = 0;

    for (unsigned int i = 0; i < STATE_TRIES; i++) {
        if (front_backend_read(f, "state", val, sizeof(val)))
            s = val[0] - '0';
        if (s >= want)
            break;
        front_pause(200);
    }
    return s;
}

void front_open(struct front *f, const char *kind, const char *devid)
{
    char path[128], val[16];

    memset(f, 0, sizeof(*f));
    if (!xs_init())
        test_error("no store ring: create this guest from dom0");
    guest_snprintf(f->dir, sizeof(f->dir), "device/%s/%s", kind, devid);
    guest_snprintf(path, sizeof(path), "%s/backend", f->dir);
    if (!xs_read(path, f->backend, sizeof(f->backend)))
        test_error("no %s %s in the store", kind, devid);
    guest_snprintf(path, sizeof(path), "%s/backend-id", f->dir);
    if (!xs_read(path, val, sizeof(val)))
        test_error("no backend-id for %s %s", kind, devid);
    f->backend_domid = (domid_t)(val[0] - '0');
    if (front_backend_state(f, 2) < 2)
        test_error("the %s backend never reached InitWait", kind);
    pt_spare_l1(); /* an L1 for SPARE_VA */
    if (!(f->table = gnttab_map_own_table(1, SPARE_VA)))
        test_error("cannot map our grant table");
}

void front_channel(struct front *f)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = f->backend_domid };

    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0);
    f->port = a.port;
}

void front_kick(struct front *f)
{
    struct evtchn_send s = { .port = f->port };
    hypervisor_event_channel_op(EVTCHNOP_send, &s);
}

void front_grant(struct front *f, grant_ref_t ref, uint64_t mfn, bool readonly)
{
    gnttab_grant(&f->table[ref], f->backend_domid, mfn, readonly);
}
