/* Public API of the content-addressed snapshot store (docs/specs/store.md). */
#ifndef TERN_STORE_H
#define TERN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tern/stream.h"

/*
 * A store is a directory of pack files (deduplicated, compressed 4 KiB pages
 * keyed by SHA-256) and snapshots (a manifest stream of page references plus
 * a small metadata file). Every function returns 0 or a negative errno; the
 * handle's last error message (store_last_error) says what went wrong. The
 * library never prints and never exits.
 *
 * Threads: one handle, and the snapshots and writers made from it, belong to
 * one thread at a time. Several processes may use one store at once. A
 * writer and a snapshot being read each run one helper thread of their own
 * (hashing and writing, or checking pages); it touches the caller's buffers
 * only while a call is in progress.
 */

#define STORE_PAGE_SIZE 4096u
#define STORE_HASH_LEN 32u
#define STORE_NAME_MAX 64u   /* snapshot names: [A-Za-z0-9._-], no leading '.' */
#define STORE_LABEL_MAX 256u /* one "key=value" label, bytes */
#define STORE_LABELS_MAX 32u

struct store;
struct store_put;
struct store_snap;

/* store_open flags */
#define STORE_CREATE 0x1u /* make the directory layout if absent */

/* Called now and then during long operations; done/total in bytes or pages. */
typedef void (*store_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* On failure *out is NULL and msg (if not NULL) says why. */
int store_open(const char *dir, unsigned flags, struct store **out, char *msg,
               size_t msglen);
void store_close(struct store *s);
const char *store_last_error(const struct store *s);

/* ---- snapshot metadata ---- */

struct store_meta {
    const char *name;               /* required */
    const char *parent;             /* NULL or the name of an existing snapshot */
    const char *const *labels;      /* "key=value" strings */
    size_t nlabels;
    uint64_t image_size;            /* bytes of the raw image, 0 if from a stream */
};

struct store_snap_info {
    char name[STORE_NAME_MAX + 1];
    char parent[STORE_NAME_MAX + 1]; /* "" when none */
    char id[33];                     /* 128-bit random id, hex */
    uint64_t ctime_ns;               /* creation time, CLOCK_REALTIME */
    uint64_t pages;                  /* pfns recorded in the manifest */
    uint64_t zero_pages;             /* of which all-zero */
    uint64_t max_pfn;                /* highest pfn + 1, 0 if no pages */
    uint64_t image_size;             /* bytes; pages * 4096 rounded if 0 */
    uint64_t manifest_bytes;
    uint32_t nlabels;
    char labels[STORE_LABELS_MAX][STORE_LABEL_MAX + 1];
};

/* ---- writing a snapshot ---- */

/* Starts a snapshot. Fails with -EEXIST if the name is taken. */
int store_put_begin(struct store *s, const struct store_meta *meta,
                    struct store_put **out);
/* Adds one page; later pages for the same pfn replace earlier ones.
 * data NULL means an all-zero page. type is the stream's page type. */
int store_put_page(struct store_put *p, uint64_t pfn, uint32_t type,
                   const void *data);
/* Adds count contiguous ordinary pages starting at pfn_first. */
int store_put_pages(struct store_put *p, uint64_t pfn_first, uint64_t count,
                    const void *buf);
/* Keeps a non-page record of a save stream (domain header, p2m layout,
 * vCPU contexts, shared info, event channels, grants, optional records)
 * for the manifest; a later record of the same kind replaces the earlier.
 * Page records go through store_put_page. */
int store_put_stream_record(struct store_put *p, const struct tern_record *rec);
/* Sets the raw image length in bytes when it was not known at begin. */
void store_put_set_image_size(struct store_put *p, uint64_t bytes);
/* Makes the snapshot durable and visible, then frees p (also on failure). */
int store_put_commit(struct store_put *p);
/* Drops the snapshot in flight and frees p. */
void store_put_abort(struct store_put *p);

struct store_put_stats {
    uint64_t pages, zero_pages, new_chunks, dup_pages;
    uint64_t raw_chunks, zlib_chunks, stored_bytes;
};
/* Waits for pages in flight, then reports. */
void store_put_get_stats(struct store_put *p, struct store_put_stats *st);

/* Imports a save stream read from fd as a snapshot (meta->image_size
 * ignored); progress is in stream bytes. st may be NULL. */
struct tern_transport;
int store_import_stream(struct store *s, int fd, const struct store_meta *meta,
                        struct store_put_stats *st, store_progress_fn fn, void *arg);
/* The same from any transport (not closed here). */
int store_import_transport(struct store *s, struct tern_transport *t,
                           const struct store_meta *meta, struct store_put_stats *st,
                           store_progress_fn fn, void *arg);

/* ---- reading a snapshot ---- */

int store_snap_open(struct store *s, const char *name, struct store_snap **out);
void store_snap_close(struct store_snap *snap);
void store_snap_get_info(const struct store_snap *snap,
                         struct store_snap_info *info);
/* Reads count pages from pfn_first into buf (count * 4096 bytes). Pfns the
 * snapshot does not hold read as zeros. Every page is checked against its
 * hash; a mismatch fails with -EBADMSG naming the page and snapshot. */
int store_read_pages(struct store_snap *snap, uint64_t pfn_first,
                     uint64_t count, void *buf);
/* Page type recorded for pfn, or -ENOENT. */
int store_page_type(const struct store_snap *snap, uint64_t pfn, uint32_t *type);
/* Writes the snapshot back out as a save stream, its page batches compressed at zlib
 * level (0: raw; a stream read back at once, as a rollback's, is best raw: compressing
 * costs far more than it saves there). */
int store_export_stream(struct store_snap *snap, int fd, int level, store_progress_fn fn,
                        void *arg);

/* ---- maintenance ---- */

/* Lists snapshots sorted by creation time; *out is malloc'd, caller frees. */
int store_list(struct store *s, struct store_snap_info **out, size_t *n);
int store_rm(struct store *s, const char *name);

struct store_du {
    uint64_t snapshots;
    uint64_t logical_bytes;  /* sum over snapshots of their memory size */
    uint64_t stored_bytes;   /* bytes on disk: packs, indexes, snapshots */
    uint64_t pack_bytes;
    uint64_t chunks;         /* distinct stored pages */
    uint64_t chunk_bytes;    /* their compressed size */
};
int store_du(struct store *s, struct store_du *du);

struct store_gc_stats {
    uint64_t packs_before, packs_after;
    uint64_t chunks_dropped, chunks_kept, bytes_freed;
    uint64_t tmp_removed;
};
/* Drops chunks no snapshot references. Needs the store to itself: waits up
 * to wait_ms for other users, then fails with -EBUSY. */
int store_gc(struct store *s, unsigned wait_ms, struct store_gc_stats *st,
             store_progress_fn fn, void *arg);

struct store_verify_stats {
    uint64_t packs, chunks, snapshots, refs;
    uint64_t problems;
    uint64_t orphans;        /* leftovers of interrupted writes; not errors */
};
/* Called once per problem found, with a one-line description. */
typedef void (*store_report_fn)(void *arg, const char *problem);
/* Checks every chunk against its hash, every index against its pack, every
 * snapshot's references. Returns 0 when it could run; st->problems counts
 * what is wrong. */
int store_verify(struct store *s, struct store_verify_stats *st,
                 store_report_fn report, void *rarg,
                 store_progress_fn fn, void *parg);

/* ---- helpers ---- */

/* 1 if name is a valid snapshot name. */
int store_name_valid(const char *name);
/* SHA-256 of one 4 KiB page through OpenSSL EVP. */
int store_hash_page(const void *page, uint8_t out[STORE_HASH_LEN]);
void store_hash_hex(const uint8_t hash[STORE_HASH_LEN], char out[65]);

#endif
