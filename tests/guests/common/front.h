/* The frontend side of a split device for test guests built from dom0 with a vif or a disk:
 * finding the backend through the store, its state, our grant table, an event channel. */
#ifndef GUEST_FRONT_H
#define GUEST_FRONT_H

#include "gnttab.h"
#include "xs.h"

/* The shared header of a one-page ring (Xen's io/ring.h): producer and event indexes of each
 * direction, then padding to 64 bytes; the entries follow. */
struct ring_head {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    uint8_t pad[48];
};

struct front {
    char dir[64];      /* device/KIND/DEVID, relative to our store directory */
    char backend[128]; /* the backend's directory */
    domid_t backend_domid;
    uint32_t port;     /* the event channel to the backend, once front_channel made it */
    volatile struct grant_entry_v1 *table;
};

/* Finds device kind/devid, waits for its backend to reach InitWait and maps our grant
 * table (one frame at SPARE_VA). Ends the test with an error when any of it fails. */
void front_open(struct front *f, const char *kind, const char *devid);
/* The backend's state once it reached want, or the last one read when it never did. */
int front_backend_state(struct front *f, int want);
/* Reads the backend's leaf into out; false when absent. */
bool front_backend_read(struct front *f, const char *leaf, char *out, uint32_t cap);
/* Writes our leaf = value; false when the store refuses. */
bool front_write(struct front *f, const char *leaf, const char *value);
/* An unbound event channel for the backend, into f->port. */
void front_channel(struct front *f);
void front_kick(struct front *f);
/* Grants frame mfn to the backend under ref. */
void front_grant(struct front *f, grant_ref_t ref, uint64_t mfn, bool readonly);
/* Yields n times: time for dom0 to act. */
void front_pause(unsigned int n);

#endif
