/* Live snapshots of a running guest into the snapshot store (docs/save-restore.md). */
#ifndef TERN_SNAPSHOT_H
#define TERN_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "save.h"
#include <tern/store.h>

struct ctrl;

struct snapshot_report {
    unsigned int rounds;            /* live rounds, and the stop as the last */
    uint64_t round_pages[8];
    double handshake_ms;            /* suspend request to the guest stopped */
    double pause_ms;                /* stopped to running again */
    double total_ms;
    struct save_stats save;
    struct store_put_stats store;
};

/* Snapshot SNAP of guest id (called name) into the store at store_dir; the guest keeps
 * running (on failure too). 0 or -errno with why. */
int snapshot_domain(struct ctrl *c, uint16_t id, const char *name, const char *config, size_t clen,
                    const char *store_dir, const char *snap, struct snapshot_report *rep, char *why,
                    size_t len);

/* The store directory: dir, else $TERN_STORE, else /var/lib/tern/store. */
const char *snapshot_store_dir(const char *dir);
/* Snapshot snap as a save stream in a new file under the run directory (its path in path):
 * every page checked against its hash on the way. 0 or -errno with why. */
int snapshot_export(const char *store_dir, const char *snap, char *path, size_t plen, char *why,
                    size_t len);

#endif
