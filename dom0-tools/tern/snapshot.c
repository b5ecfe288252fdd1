/*
 * Live snapshots: a running guest's state into the snapshot store while it keeps running.
 * One pre-copy round under log-dirty (every page as it is), then the short stop: the
 * suspend handshake, the pages dirtied meanwhile, the vCPUs, and the guest resumes in place
 * (its suspend hypercall answers "cancelled"). The stream goes through a pipe into the
 * store's importer, which hashes, deduplicates and compresses. The stop begins once the
 * importer has taken round 0 in (its threads would otherwise share the CPUs with the
 * guest's own suspend work), and only copies: the stop's pages, vCPUs and shared_info go
 * into memory reserved beforehand, and into the stream once the guest runs again; so do
 * the pages written while the guest takes the suspend request (see handshake_round).
 * More pre-copy rounds while it runs would shorten the stop only for guests that write
 * little, and each would leave another version of every page it resends in the store.
 */
#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ctrl/ctrl.h"
#include "guard.h"
#include "save.h"
#include "state.h"
#include "suspend.h"
#include <tern/store.h>
#include <tern/transport.h>

#define QUEUE_DEPTH 4         /* 8 writer batches of 4 MiB in flight */
#define SUSPEND_TIMEOUT_MS 30000
#define IMPORT_WAIT_MS 30000
#define STAGE_MAX_PAGES 16384 /* 64 MiB held for the stop's pages; any more go straight out */

struct importer {
    struct store *store;
    const struct store_meta *meta;
    int fd;
    int rc;
    uint64_t taken; /* stream bytes taken in so far */
    bool ended;
    struct store_put_stats st;
    char err[256];
};

static void import_progress(void *arg, uint64_t done, uint64_t total)
{
    struct importer *im = arg;

    (void)total;
    __atomic_store_n(&im->taken, done, __ATOMIC_RELEASE);
}

static void *import_main(void *arg)
{
    struct importer *im = arg;

    im->rc = store_import_stream(im->store, im->fd, im->meta, &im->st, import_progress, im);
    if (im->rc)
        snprintf(im->err, sizeof(im->err), "%s", store_last_error(im->store));
    close(im->fd);
    __atomic_store_n(&im->ended, true, __ATOMIC_RELEASE);
    return NULL;
}

/* Room for the stop's pages: those dirty so far and some the handshake will add, at most
 * STAGE_MAX_PAGES or TERN_SNAPSHOT_STAGE (for the tests: what does not fit goes straight
 * into the stream, as it did before there was room). */
static uint64_t stage_pages(uint64_t dirty)
{
    const char *e = getenv("TERN_SNAPSHOT_STAGE");
    uint64_t cap = e && *e ? strtoull(e, NULL, 10) : STAGE_MAX_PAGES, want = dirty + dirty / 4 + 1024;

    return want < cap ? want : cap;
}

/* Until the importer has taken in all that was written (bounded: a store that is slow
 * only makes the stop later). */
static void importer_catch_up(struct importer *im, struct tern_writer *w)
{
    struct tern_writer_stats ws;
    struct timespec nap = { 0, 1000000 };
    double end = now_ms() + IMPORT_WAIT_MS;

    tern_writer_get_stats(w, &ws);
    while (__atomic_load_n(&im->taken, __ATOMIC_ACQUIRE) < ws.wire_bytes &&
           !__atomic_load_n(&im->ended, __ATOMIC_ACQUIRE) && now_ms() < end)
        nanosleep(&nap, NULL);
}

static uint64_t count_bits(const uint8_t *b, uint64_t n)
{
    uint64_t c = 0;

    for (uint64_t i = 0; i < (n + 7) / 8; i++)
        c += (uint64_t)__builtin_popcount(b[i]);
    return c;
}

static int clean(struct ctrl *c, uint16_t id, uint8_t *bitmap, uint64_t nbits, uint64_t *dirty)
{
    uint64_t pages = nbits;
    int rc = ctrl_shadow_op(c, id, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmap, &pages, NULL);

    if (!rc && dirty)
        *dirty = count_bits(bitmap, nbits);
    return rc;
}

/* The stop goes ahead of the store's threads (importer, writer): sharing dom0's vCPUs with
 * them, as Linux reschedules inside a long hypercall, it took twice as long. It sleeps when
 * the writer's queue is full, and ends with the resume, so it cannot starve them for long. */
static void stop_first(bool on)
{
    struct sched_param p = { .sched_priority = on ? 1 : 0 };

    pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &p);
}

/*
 * Rounds during the suspend handshake. Linux freezes its processes first when it takes the
 * request, so a workload stops writing some milliseconds before the guest suspends: the
 * pages it wrote since round 0 are copied into the stop's room meanwhile (as the stop would,
 * so they go into the stream once, after the resume), and the stop copies only what was
 * written after the last of these rounds. A round that finds few pages is the last.
 */
struct handshake {
    struct ctrl *c;
    uint16_t id;
    struct saver *s;
    uint8_t *bitmap;
    uint64_t nbits, keep; /* room kept for the stop */
    struct snapshot_report *rep;
    int rc;
};

#define HANDSHAKE_ROUNDS 3
#define FEW_PAGES 64

static int handshake_round(void *arg)
{
    struct handshake *h = arg;
    uint64_t dirty = h->nbits;

    if (h->rep->rounds >= 1 + HANDSHAKE_ROUNDS)
        return 0;
    /* a look first: a round without room would leave the stop room too small */
    if ((h->rc = ctrl_shadow_op(h->c, h->id, XEN_DOMCTL_SHADOW_OP_PEEK, h->bitmap, &dirty, NULL)))
        return 0;
    if (save_stage_room(h->s) < count_bits(h->bitmap, h->nbits) + h->keep)
        return 0; /* the stop takes them */
    if ((h->rc = clean(h->c, h->id, h->bitmap, h->nbits, &dirty)))
        return 0;
    h->rep->round_pages[h->rep->rounds++] = dirty;
    if (dirty && (h->rc = save_capture_live(h->s, h->bitmap)))
        return 0;
    return dirty > FEW_PAGES;
}

/* The live part and the stop, into writer w. */
static int capture(struct ctrl *c, uint16_t id, const char *config, size_t clen, struct tern_writer *w,
                   struct importer *im, struct guard *g, struct snapshot_report *rep, char *why, size_t len)
{
    struct saver *s = NULL;
    uint8_t *bitmap = NULL;
    uint64_t nbits, dirty = 0, peek;
    bool suspended = false, paused = false, captured = false;
    double t_stop = 0;
    int rc, back;

    guard_step(g, GUARD_LOGDIRTY);
    if ((rc = ctrl_shadow_op(c, id, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, NULL, NULL))) {
        guard_step(g, GUARD_LOGDIRTY_OFF); /* (someone else's, if it was on already) */
        snprintf(why, len, rc == -EBUSY ? "it is in log-dirty mode already (a snapshot or migration "
                                          "under way?)" : "cannot turn on log-dirty: %s", strerror(-rc));
        return rc;
    }
    if ((rc = save_begin(c, id, config, clen, w, &s, why, len)))
        goto out;
    nbits = save_nr_pfns(s);
    if (!(bitmap = calloc(1, nbits / 8 + 1))) {
        rc = -ENOMEM;
        snprintf(why, len, "no memory");
        goto out;
    }
    /* round 0: everything, as it is now */
    if ((rc = clean(c, id, bitmap, nbits, NULL)) || (rc = save_pages(s, NULL, true)))
        goto out;
    rep->rounds = 1;
    rep->round_pages[0] = nbits;
    guard_kill_point("snapshot-live");
    /* the store takes round 0 in while the guest runs: the stop then waits on its own pages */
    if ((rc = tern_writer_drain(w))) {
        snprintf(why, len, "writing the stream: %s", tern_writer_error(w)->msg);
        goto out;
    }
    importer_catch_up(im, w);
    peek = nbits;
    if (!ctrl_shadow_op(c, id, XEN_DOMCTL_SHADOW_OP_PEEK, bitmap, &peek, NULL))
        peek = count_bits(bitmap, nbits);
    /* room for the handshake's rounds and for the stop */
    struct handshake hs = { c, id, s, bitmap, nbits, stage_pages(peek), rep, 0 };
    if ((rc = save_stage_reserve(s, stage_pages(2 * peek))))
        goto out;
    /* the stop: the guest suspends, the rest is copied, it resumes where it was */
    double t_req = now_ms();
    stop_first(true);
    guard_step(g, GUARD_SUSPEND);
    if ((rc = suspend_domain_with(c, id, SUSPEND_TIMEOUT_MS, handshake_round, &hs, why, len))) {
        guard_step(g, GUARD_RESUMED); /* the request was taken back */
        goto out;
    }
    suspended = true;
    guard_kill_point("snapshot-suspended");
    t_stop = now_ms();
    rep->handshake_ms = t_stop - t_req;
    guard_step(g, GUARD_PAUSE);
    if ((rc = ctrl_domain_pause(c, id))) {
        guard_step(g, GUARD_UNPAUSED);
        goto out;
    }
    paused = true;
    if ((rc = hs.rc)) {
        snprintf(why, len, "copying pages during the suspend: %s", strerror(-rc));
        goto out;
    }
    /* the pages written since the last round began, and the tables it had to leave */
    if ((rc = clean(c, id, bitmap, nbits, &dirty)))
        goto out;
    rep->round_pages[rep->rounds++] = dirty;
    guard_kill_point("snapshot-stopped");
    captured = !(rc = save_capture(s, bitmap));
out:
    if (rc && !why[0])
        snprintf(why, len, "%s", strerror(-rc));
    if (paused) {
        ctrl_domain_unpause(c, id);
        guard_step(g, GUARD_UNPAUSED);
    }
    if (suspended) {
        double t_run = now_ms();
        if ((back = resume_domain(c, id, &t_run)) && !rc) {
            rc = back;
            snprintf(why, len, "the guest cannot be resumed: %s", strerror(-back));
        }
        rep->pause_ms = t_run - t_stop;
        guard_step(g, GUARD_RESUMED);
    }
    stop_first(false);
    /* the guest runs again: what the stop took goes into the stream */
    if (captured && !rc) {
        guard_kill_point("snapshot-flushing");
        rc = save_flush(s);
    }
    ctrl_shadow_op(c, id, XEN_DOMCTL_SHADOW_OP_OFF, NULL, NULL, NULL);
    guard_step(g, GUARD_LOGDIRTY_OFF);
    save_free(s, &rep->save);
    free(bitmap);
    return rc;
}

int snapshot_domain(struct ctrl *c, uint16_t id, const char *name, const char *config, size_t clen,
                    const char *store_dir, const char *snap, struct snapshot_report *rep, char *why,
                    size_t len)
{
    const char *labels[1];
    char label[96], msg[256];
    struct store_meta meta = { .name = snap, .labels = labels, .nlabels = 1 };
    struct importer im = { .fd = -1 };
    struct tern_transport *t = NULL;
    struct tern_writer *w = NULL;
    struct tern_writer_params p = { .level = 0, .queue_depth = QUEUE_DEPTH };
    struct guard g;
    pthread_t thr;
    int fds[2], rc;

    memset(rep, 0, sizeof(*rep));
    why[0] = 0;
    snprintf(label, sizeof(label), "domain=%s", name);
    labels[0] = label;
    if (!store_name_valid(snap)) {
        snprintf(why, len, "'%s' is not a snapshot name ([A-Za-z0-9._-], no leading dot)", snap);
        return -EINVAL;
    }
    if ((rc = store_open(store_dir, STORE_CREATE, &im.store, msg, sizeof(msg)))) {
        snprintf(why, len, "cannot open the store %s: %s", store_dir, msg);
        return rc;
    }
    /* before the importer's thread: the guardian is a fork */
    if ((rc = guard_start(&g, id, "snapshot"))) {
        store_close(im.store);
        snprintf(why, len, "cannot start the guest's guardian: %s", strerror(-rc));
        return rc;
    }
    im.meta = &meta;
    if (pipe(fds)) {
        rc = -errno;
        store_close(im.store);
        guard_end(&g);
        snprintf(why, len, "cannot make a pipe: %s", strerror(errno));
        return rc;
    }
    im.fd = fds[0];
    if (pthread_create(&thr, NULL, import_main, &im)) {
        close(fds[0]);
        close(fds[1]);
        store_close(im.store);
        guard_end(&g);
        snprintf(why, len, "cannot start the importer");
        return -EAGAIN;
    }
    double t0 = now_ms();
    if ((rc = tern_transport_fd(&t, fds[1], true))) {
        close(fds[1]);
        snprintf(why, len, "cannot start the stream: %s", strerror(-rc));
    } else if ((rc = tern_writer_open(&w, t, &p))) {
        snprintf(why, len, "cannot start the stream: %s", strerror(-rc));
    } else if (!(rc = capture(c, id, config, clen, w, &im, &g, rep, why, len)) && (rc = tern_writer_finish(w))) {
        snprintf(why, len, "finishing the stream: %s", tern_writer_error(w)->msg);
    }
    tern_writer_free(w);
    if (t)
        tern_transport_close(t, NULL); /* the importer sees the end (or a broken stream) */
    guard_end(&g); /* the guest runs as before, whatever the store makes of the stream */
    pthread_join(thr, NULL);
    rep->total_ms = now_ms() - t0;
    rep->store = im.st;
    if (im.rc && (!rc || rc == -EPIPE || strstr(why, "Broken pipe"))) {
        /* the importer's own reason is the one that matters */
        rc = im.rc;
        snprintf(why, len, "the store did not take it: %s", im.err);
    }
    store_close(im.store);
    return rc;
}

const char *snapshot_store_dir(const char *dir)
{
    const char *env = getenv("TERN_STORE");

    return dir ? dir : env && *env ? env : "/var/lib/tern/store";
}

int snapshot_export(const char *store_dir, const char *snap, char *path, size_t plen, char *why,
                    size_t len)
{
    struct store *st;
    struct store_snap *sn;
    char msg[256];
    int fd, rc;

    if ((rc = store_open(store_dir, 0, &st, msg, sizeof(msg)))) {
        snprintf(why, len, "cannot open the store %s: %s", store_dir, msg);
        return rc;
    }
    if ((rc = store_snap_open(st, snap, &sn))) {
        snprintf(why, len, "%s", store_last_error(st));
        store_close(st);
        return rc;
    }
    mkdir(state_run_dir(), 0700);
    snprintf(path, plen, "%s/snapshot-XXXXXX", state_run_dir());
    if ((fd = mkstemp(path)) < 0) {
        rc = -errno;
        snprintf(why, len, "cannot make a file in %s: %s", state_run_dir(), strerror(errno));
    } else {
        if ((rc = store_export_stream(sn, fd, 0, NULL, NULL)))
            snprintf(why, len, "%s", store_last_error(st));
        close(fd);
        if (rc)
            unlink(path);
    }
    store_snap_close(sn);
    store_close(st);
    return rc;
}
