/* Internal structures of the snapshot store: on-disk records and handles. */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "tern/store.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the store's on-disk records are little-endian; port the encoders first"
#endif

#define STORE_VERSION 1u
#define STORE_MARKER "TERNSTORE"
#define STORE_MARKER_TEXT "tern-store 1\n"

/* ---- on-disk records (docs/specs/store.md); reserved fields are zero ---- */

#define PACK_MAGIC "TERNPACK"
#define IDX_MAGIC "TERNIDX\0"
#define META_MAGIC "TERNSNAP"

#define CHUNK_RAW 0u
#define CHUNK_DEFLATE 1u /* raw deflate, 4 KiB window */

struct pack_hdr {
    char magic[8];
    uint32_t version;
    uint32_t reserved0;
    uint8_t pack_id[8];
    uint8_t reserved1[40];
};
_Static_assert(sizeof(struct pack_hdr) == 64, "pack_hdr size");

struct chunk_hdr {
    uint8_t hash[32];    /* SHA-256 of the 4 KiB page once decoded */
    uint32_t stored_len; /* bytes of data that follow, 1..4096 */
    uint16_t encoding;   /* CHUNK_RAW or CHUNK_DEFLATE */
    uint16_t reserved;
};
_Static_assert(sizeof(struct chunk_hdr) == 40, "chunk_hdr size");

struct idx_hdr {
    char magic[8];
    uint32_t version;
    uint32_t entry_size; /* sizeof(struct idx_entry) */
    uint64_t count;
    uint64_t pack_size;  /* bytes the pack must hold */
    uint8_t pack_id[8];
    uint8_t reserved[24];
};
_Static_assert(sizeof(struct idx_hdr) == 64, "idx_hdr size");

struct idx_entry {
    uint8_t hash[32];
    uint64_t offset;     /* of the chunk_hdr in the pack */
    uint32_t stored_len;
    uint16_t encoding;
    uint16_t reserved;
};
_Static_assert(sizeof(struct idx_entry) == 48, "idx_entry size");
_Static_assert(offsetof(struct idx_entry, offset) == 32, "idx_entry offset");

/* The idx file ends with the SHA-256 of everything before it. */
#define IDX_TRAILER_LEN 32u

/* Chunks are 8-byte aligned in the pack. */
static inline uint64_t store_align8(uint64_t v) { return (v + 7) & ~(uint64_t)7; }

/* ---- hashing and compression (codec.c) ---- */

struct store_codec {
    EVP_MD *sha;
    EVP_MD_CTX *ctx;
    z_stream def;
    z_stream inf;
    int def_ready, inf_ready;
};

int codec_init(struct store_codec *c);
void codec_fini(struct store_codec *c);
int codec_hash(struct store_codec *c, const void *page, uint8_t out[32]);
/* 1 unless a sample of the page looks random (then deflate would not pay). */
int codec_worth_deflating(const void *page);
/* Deflates a page into out (>= 4096 bytes) when that saves enough (*enc
 * CHUNK_DEFLATE); else *enc is CHUNK_RAW and the chunk is the page itself. */
int codec_encode(struct store_codec *c, const void *page, uint8_t *out,
                 uint32_t *len, uint16_t *enc);
int codec_decode(struct store_codec *c, uint16_t enc, const uint8_t *in,
                 uint32_t len, uint8_t *page);
int page_is_zero(const void *page);
extern const uint8_t store_zero_hash[32];

/* ---- in-memory chunk index (table.c) ---- */

struct store_loc {
    uint8_t hash[32];
    uint64_t off;
    uint32_t pack;       /* index into store->packs */
    uint16_t len;
    uint8_t enc;
    uint8_t used;
};

struct store_table {
    struct store_loc *slots;
    size_t cap, count;
};

int table_insert(struct store_table *t, const uint8_t hash[32], uint32_t pack,
                 uint64_t off, uint32_t len, uint16_t enc);
const struct store_loc *table_find(const struct store_table *t,
                                   const uint8_t hash[32]);
/* Adds a hash to a table used as a set: 1 if new, 0 if present, or -ENOMEM. */
int table_add_new(struct store_table *t, const uint8_t hash[32]);
/* Starts loading the slot of hash, for a lookup a little later. */
void table_prefetch(const struct store_table *t, const uint8_t hash[32]);
/* Makes room for count entries, so that inserting them cannot fail. */
int table_reserve(struct store_table *t, size_t count);
void table_free(struct store_table *t);

/* ---- the store handle (store.c) ---- */

struct store_pack {
    char name[24];       /* 16 hex digits */
    int fd;              /* -1 until first read */
    uint64_t size;
    uint64_t count;
};

struct store {
    char *dir;
    int dirfd, packsfd, snapsfd, tmpfd;
    int lockfd;
    struct store_pack *packs;
    size_t npacks, cap_packs;
    struct store_table table;
    struct store_codec codec;
    char err[512];
};

int store_err(struct store *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Loads the idx files of packs not yet known. */
int store_refresh(struct store *s);
/* Forgets every pack and chunk, then loads them again. */
int store_reload(struct store *s);
int store_pack_fd(struct store *s, uint32_t pack);
int store_flock(int fd, int op, unsigned wait_ms);
struct idx_file;
int store_add_pack(struct store *s, const char *id, const struct idx_file *f);
/* Calls fn for every name in a directory but . and ..; stops on non-zero. */
int store_each_name(int dirfd, int (*fn)(void *arg, const char *name), void *arg);
/* 1 if fname is "<16 hex digits><ext>"; the digits go to id. */
int store_pack_id_of(const char *fname, const char *ext, char id[17]);

/* ---- pack and idx files (pack.c) ---- */

struct idx_file {
    struct idx_hdr hdr;
    struct idx_entry *e;
};
/* Reads and checks an idx file (magic, checksum, order); fills msg on error. */
int idx_load(int dirfd, const char *name, struct idx_file *out, char *msg,
             size_t msglen);
/* Writes a sorted idx for entries into dirfd/name and fsyncs it; with fdp,
 * leaves it open and unsynced in *fdp for the caller to fsync. */
int idx_write(int dirfd, const char *name, const uint8_t pack_id[8],
              uint64_t pack_size, struct idx_entry *e, uint64_t n, int *fdp);
void store_random_id(uint8_t id[8], char hex[17]);

/* A pack being written in tmp/ (put and gc). Chunks are queued as
 * pieces of a gathered write (pack_write.c). */
#define PACK_IOV_MAX 1024
struct iovec;
struct pack_writer {
    int fd;
    char id[17];
    uint8_t raw_id[8];
    uint64_t size;           /* bytes of the pack, queued ones included */
    uint64_t synced;         /* writeback started up to here */
    uint8_t *buf;            /* chunk headers and copied chunks */
    size_t buf_used;
    struct iovec *iov;       /* pieces queued for the next flush */
    int niov;
    struct idx_entry *e;
    uint64_t n, cap;
};
int pack_writer_open(struct store *s, struct pack_writer *w);
/* Adds a chunk, copying data. */
int pack_writer_add(struct pack_writer *w, const uint8_t hash[32],
                    const uint8_t *data, uint32_t len, uint16_t enc,
                    uint64_t *off);
/* Adds a chunk whose data is written from where it is: data must stay
 * valid and unchanged until the next pack_writer_flush. */
int pack_writer_add_ref(struct pack_writer *w, const uint8_t hash[32],
                        const uint8_t *data, uint32_t len, uint16_t enc);
/* Writes every queued chunk; starts writeback now and then. */
int pack_writer_flush(struct pack_writer *w);
/* Flushes, fsyncs, writes the idx, renames both into packs/ (pack first),
 * then adds the chunks to the store's table. */
int pack_writer_commit(struct store *s, struct pack_writer *w);
/* The file part of a commit, which touches nothing but w and the two
 * directories, so it may run on another thread; msg says what failed. */
int pack_writer_finish(struct pack_writer *w, int tmpfd, int packsfd, char *msg,
                       size_t msglen);
/* The rest: adds the committed pack's chunks to the table, frees w. */
int pack_writer_publish(struct store *s, struct pack_writer *w);
void pack_writer_discard(struct store *s, struct pack_writer *w);
/* Checks a chunk record (header + data) against hash; why says what failed. */
int pack_check_chunk(struct store_codec *c, const uint8_t *rec,
                     const uint8_t hash[32], uint32_t len, uint16_t enc,
                     uint8_t *page, const char **why);
/* Reads and decodes a chunk, checking it against hash. */
int pack_read_chunk(struct store *s, const struct store_loc *loc,
                    uint8_t *page);

/* ---- snapshot state: page refs plus the stream's other records ---- */

struct tern_record;
struct tern_writer;
struct tern_transport;

#define SNAP_PAGE_ZERO 0x1u   /* all-zero page: no chunk */
#define SNAP_PAGE_NODATA 0x2u /* BROKEN / ABSENT: no data at all */

struct snap_page {
    uint64_t pfn;
    uint8_t hash[32];
    uint8_t type;
    uint8_t flags;
    uint8_t pad[6];
};

/* A non-page record kept for the manifest: a, b, d are its small fields. */
struct snap_rec {
    uint32_t type;
    uint32_t a, b;
    uint64_t d;
    uint8_t *blob;
    uint32_t len;
};

struct snap_state {
    int have_domain, have_p2m;
    uint32_t domain_type, vcpu_count;
    uint64_t memory_kib;
    char *config;
    uint32_t config_len;
    uint64_t p2m_size;
    uint64_t *p2m_frames;
    uint32_t nr_frames;
    struct snap_rec *recs;
    size_t nrecs, cap_recs;
    struct snap_page *pages;
    size_t npages, cap_pages;
};

void state_free(struct snap_state *st);
/* Keeps a non-page record; a later one of the same kind replaces it. */
int state_take_record(struct snap_state *st, const struct tern_record *rec);
void snap_page_from_ref(const struct tern_record *rec, uint32_t i, struct snap_page *pg);
int state_add_page(struct snap_state *st, const struct snap_page *pg);
/* Sorts pages by pfn, the last copy of a pfn winning. */
int state_finish_pages(struct snap_state *st);
/* Fills a minimal domain header and p2m for a raw memory image. */
void state_default_domain(struct snap_state *st, uint64_t image_size);
/* Emits every record in manifest order; pages_cb writes the pages. */
typedef int (*state_pages_fn)(void *arg, struct tern_writer *w);
int state_emit(const struct snap_state *st, struct tern_writer *w,
               state_pages_fn pages_cb, void *arg);
/* Index of the first page with pfn >= pfn, or npages. */
size_t state_find_page(const struct snap_state *st, uint64_t pfn);

/* A transport over an fd that also hashes every byte moved (hashfd.c). */
struct hashfd {
    int fd;
    EVP_MD_CTX *ctx;
    uint64_t bytes;
};
int hashfd_open(struct hashfd *h, int fd, struct tern_transport **t);
int hashfd_final(struct hashfd *h, uint8_t out[32]);

/* ---- snapshot metadata file (meta.c) ---- */

#define SNAP_KIND_STREAM 1u
#define SNAP_KIND_IMAGE 2u

struct meta_hdr {
    char magic[8];
    uint32_t version;
    uint32_t hdr_size;
    uint8_t snap_id[16];
    uint64_t ctime_ns;
    uint64_t image_size;
    uint64_t pages;
    uint64_t zero_pages;
    uint64_t max_pfn;
    uint64_t manifest_size;
    uint8_t manifest_sha256[32];
    uint32_t kind;
    uint16_t name_len;
    uint16_t parent_len;
    uint32_t nlabels;
    uint32_t strings_len;
};
_Static_assert(sizeof(struct meta_hdr) == 128, "meta_hdr size");

struct snap_meta {
    struct meta_hdr h;
    struct store_snap_info info;
};
int meta_write(int dirfd, const char *name, const struct snap_meta *m);
int meta_read(int dirfd, const char *name, struct snap_meta *m, char *msg,
              size_t msglen);

/* ---- the put pipeline (put_pipe.c) ---- */

#define PUT_BATCH 1024u  /* pages hashed, then deduplicated, at a time */
#define PIPE_RING 4096u  /* new pages queued for the pack at most */
#define PIPE_UNIT 128u   /* pages the worker writes with one writev */

/* A new chunk for the pack. A raw one is the caller's page until the
 * call that queued it returns, then a copy in the staging area; a
 * deflated one is copied there at once. */
struct put_job {
    const uint8_t *data;
    uint8_t hash[32];
    uint32_t len;
    uint16_t enc;
};

/* What hashing learns about a page (put_hash_work.what). */
#define PAGE_SEEN_ZERO 0x1u    /* all zero: no hash, no chunk */
#define PAGE_SEEN_KNOWN 0x2u   /* in the store or this put already */
#define PAGE_SEEN_DEFLATED 0x4u /* new, and deflated into zout */

/* One batch hashed by the caller and the worker together: each page of
 * kind 0 gets its hash in out and its findings in what; a new page that
 * deflates well gets its chunk in zout (4 KiB per page) and zlen. The
 * lookups only read known[]: nothing changes them while a batch is
 * hashed. */
struct put_hash_work {
    const void *const *data;
    const uint8_t *kind;
    uint8_t (*out)[32];
    uint8_t *what;
    uint8_t *zout;
    uint16_t *zlen;
    const struct store_table *known[2];
    size_t n;
    _Atomic size_t next;     /* next page to claim */
    size_t done;             /* pages finished (under mu) */
    int active;              /* a batch is posted (under mu) */
    int worker_in;           /* the worker is hashing it (under mu) */
    int err;
};

struct put_pipe {
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct put_job ring[PIPE_RING];
    uint8_t *staging;        /* PIPE_RING pages, slot = job index mod ring */
    size_t head;             /* jobs queued by the caller */
    size_t pub;              /* jobs handed to the worker (under mu) */
    size_t claimed;          /* jobs the worker has taken (under mu) */
    size_t tail;             /* jobs written (under mu) */
    size_t tail_seen;        /* the caller's last look at tail */
    struct put_hash_work hw;
    int stop, err, running;
    struct store_codec codec;
    struct pack_writer *pw;
    struct store_put_stats st; /* new_chunks, stored_bytes, raw/zlib counts */
};

int pipe_start(struct put_pipe *pp, struct pack_writer *pw);
/* Hashes a batch on both threads: hw's data, kind, out, what, known
 * and n are set by the caller; c is the caller's codec. */
int pipe_hash(struct put_pipe *pp, struct store_codec *c, struct put_hash_work *hw);
/* Queues a new chunk for the pack. Raw chunks are written from data
 * itself, which must stay valid until pipe_release. */
int pipe_push(struct put_pipe *pp, const void *data, const uint8_t hash[32],
              uint32_t len, uint16_t enc);
/* Makes the caller's memory free again: pages not yet written are copied
 * to the staging area. Returns the worker's sticky error. */
int pipe_release(struct put_pipe *pp);
/* Waits until every queued page is in the pack; returns a sticky error. */
int pipe_drain(struct put_pipe *pp);
void pipe_stop(struct put_pipe *pp);

/* ---- a helper thread for work split in two (par.c) ---- */

struct store_par {
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv_go, cv_done;
    void (*fn)(void *arg, int tid);
    void *arg;
    unsigned gen, taken, cancel, done; /* rounds posted, started, skipped, ended */
    int stop, running;
};
int par_start(struct store_par *p);
/* Runs fn(arg, 0) here and fn(arg, 1) on the helper (unless the caller
 * finishes before the helper wakes), and returns when both are done. fn
 * must share out its work dynamically: either call may do all of it. */
void par_run(struct store_par *p, void (*fn)(void *arg, int tid), void *arg);
void par_stop(struct store_par *p);

/* ---- a snapshot being written (put.c, put_commit.c) ---- */

struct store_put {
    struct store *s;
    struct snap_meta meta;
    struct snap_state st;
    struct pack_writer pw;
    struct store_table mine;     /* chunks written by this put */
    struct store_put_stats stats;
    struct put_pipe pipe;
    int failed;
    uint8_t hashes[PUT_BATCH][32];
    uint8_t what[PUT_BATCH];
    uint16_t zlen[PUT_BATCH];
    uint8_t *zout;               /* PUT_BATCH pages: deflated chunks */
};
/* Stores up to PUT_BATCH pages; data[i] NULL is a zero page. The pages
 * may be read until put_release. */
int put_batch(struct store_put *p, const uint64_t *pfns, const uint8_t *types,
              const void *const *data, size_t n);
/* Ends a call: the caller's buffers are free again; new pages may still be
 * on their way to the pack (errors then show on a later call or at
 * commit). Returns rc, or the pipeline's error when rc is 0. */
int put_release(struct store_put *p, int rc);
/* Writes pack, manifest and metadata and makes the snapshot visible. */
int put_commit_snapshot(struct store_put *p);

/* ---- an open snapshot (snap.c) ---- */

struct snap_reader;
struct store_snap {
    struct store *s;
    struct snap_meta meta;
    struct snap_state st;
    struct snap_reader *rd;      /* made on the first read (snap_read.c) */
};
/* Reads dirfd/manifest into st, checking it against the metadata. */
int manifest_load(int dirfd, const struct meta_hdr *h, struct snap_state *st,
                  char *why, size_t n);
/* Loads snapshots/<name>: metadata, and the manifest when st is not NULL. */
int snap_load(struct store *s, const char *name, struct snap_meta *m,
              struct snap_state *st);
int snap_read_one(struct store_snap *snap, const struct snap_page *pg, uint8_t *dst);
/* Reads pgs[i] (NULL reads as zeros) into dst + i * 4096 on both cores,
 * each page checked; fails like snap_read_one for the first bad page. */
int snap_read_list(struct store_snap *snap, const struct snap_page *const *pgs,
                   size_t n, uint8_t *dst);
void snap_reader_free(struct store_snap *snap);

/* ---- small file helpers (fsutil.c) ---- */

int fs_write_all(int fd, const void *buf, size_t len);
int fs_pread_all(int fd, void *buf, size_t len, uint64_t off);
int fs_read_full(int fd, void *buf, size_t len, size_t *got);
/* Vectored forms; the iovec arrays are consumed (changed) on the way. */
struct iovec;
int fs_writev_all(int fd, struct iovec *iov, int n);
int fs_preadv_all(int fd, struct iovec *iov, int n, uint64_t off);
int fs_fsync_dir(int dirfd);
/* Reads a whole small file (limit bytes at most) into a malloc'd buffer. */
int fs_slurp(int dirfd, const char *name, size_t limit, uint8_t **buf,
             size_t *len);
/* Renames without replacing an existing target. */
int fs_rename_noreplace(int olddir, const char *oldname, int newdir,
                        const char *newname);
/* Removes a directory tree below dirfd (one level of files). */
int fs_remove_dir(int dirfd, const char *name);

#endif
