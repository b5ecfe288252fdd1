/* Reading snapshot pages: runs of adjacent chunks read with one preadv, checked against their hashes on both cores. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "store_internal.h"

/*
 * SHA-256 of every page read is most of the cost of a read, so the pages
 * are shared out between the caller and a helper thread, READ_GROUP at a
 * time. Within a group, chunks that lie back to back in one pack (as a put
 * writes them) come in with one preadv: raw data straight into the
 * caller's buffer, deflated data into a bounce buffer. Each page is then
 * checked and zeroed if it fails. Messages are made by the caller after
 * the round, naming the first failing page, as a serial read would.
 */

#define READ_GROUP 32u      /* pages a thread claims at once */
#define READ_ROUND 4096u    /* pages per round of both threads */
#define READ_SOLO 64u       /* fewer pages are read by the caller alone */

/* Why a page failed; the caller turns it into a message. */
enum read_why {
    WHY_OK, WHY_MISSING, WHY_OPEN, WHY_TRUNC, WHY_IO, WHY_HDR, WHY_DECODE, WHY_HASH,
};

struct read_thread {
    struct store_codec codec;
    int codec_ok;
    struct chunk_hdr hdr[READ_GROUP];
    uint8_t *bounce;         /* READ_GROUP pages of deflated data */
    struct iovec iov[3 * READ_GROUP];
};

struct snap_reader {
    struct store_par par;
    pthread_mutex_t fd_mu;   /* opening pack files */
    struct read_thread th[2];
    /* the round in progress */
    struct store_snap *snap;
    const struct snap_page *const *pgs;
    uint8_t *dst;
    size_t n;
    _Atomic size_t next;
    const struct snap_page *list[READ_ROUND]; /* for store_read_pages */
    int16_t rc[READ_ROUND];
    uint8_t why[READ_ROUND];
};

static void reader_free(struct snap_reader *r)
{
    int t;

    if (!r)
        return;
    par_stop(&r->par);
    for (t = 0; t < 2; t++) {
        if (r->th[t].codec_ok)
            codec_fini(&r->th[t].codec);
        free(r->th[t].bounce);
    }
    pthread_mutex_destroy(&r->fd_mu);
    free(r);
}

static struct snap_reader *reader_new(void)
{
    struct snap_reader *r = calloc(1, sizeof(*r));
    int t;

    if (!r)
        return NULL;
    pthread_mutex_init(&r->fd_mu, NULL);
    for (t = 0; t < 2; t++) {
        r->th[t].bounce = malloc((size_t)READ_GROUP * STORE_PAGE_SIZE);
        r->th[t].codec_ok = r->th[t].bounce && !codec_init(&r->th[t].codec);
        if (!r->th[t].codec_ok) {
            reader_free(r);
            return NULL;
        }
    }
    /* Without a helper every round runs on the caller alone. */
    par_start(&r->par);
    return r;
}

void snap_reader_free(struct store_snap *snap)
{
    reader_free(snap->rd);
    snap->rd = NULL;
}

static void fail_page(struct snap_reader *r, size_t i, int rc, enum read_why why)
{
    memset(r->dst + i * STORE_PAGE_SIZE, 0, STORE_PAGE_SIZE);
    r->rc[i] = (int16_t)rc;
    r->why[i] = (uint8_t)why;
}

/* Pack descriptors are opened under a lock and never closed for lack of
 * descriptors here (another thread may be reading): that case is left to
 * the caller's serial retry. */
static int reader_pack_fd(struct snap_reader *r, uint32_t pack)
{
    struct store *s = r->snap->s;
    struct store_pack *p = &s->packs[pack];
    char name[32];
    int fd;

    pthread_mutex_lock(&r->fd_mu);
    if (p->fd < 0) {
        snprintf(name, sizeof(name), "%s.pack", p->name);
        p->fd = openat(s->packsfd, name, O_RDONLY | O_CLOEXEC);
    }
    fd = p->fd >= 0 ? p->fd : -errno;
    pthread_mutex_unlock(&r->fd_mu);
    return fd;
}

/* Checks one chunk whose header is in h and whose page is in place. */
static enum read_why check_one(struct read_thread *t, const struct store_loc *loc,
                               const struct chunk_hdr *h, const uint8_t *data,
                               uint8_t *page)
{
    uint8_t got[32];

    if (memcmp(h->hash, loc->hash, 32) || h->stored_len != loc->len ||
        h->encoding != loc->enc || h->reserved)
        return WHY_HDR;
    if (loc->enc != CHUNK_RAW &&
        codec_decode(&t->codec, loc->enc, data, loc->len, page))
        return WHY_DECODE;
    if (codec_hash(&t->codec, page, got) || memcmp(got, loc->hash, 32))
        return WHY_HASH;
    return WHY_OK;
}

/* Reads n chunks lying back to back in one pack into pages first.. */
static void read_run(struct snap_reader *r, struct read_thread *t, size_t first,
                     const struct store_loc *const *loc, size_t n)
{
    size_t j, niov = 0;
    int fd, rc;

    for (j = 0; j < n; j++) {
        uint32_t len = loc[j]->len;
        size_t pad = store_align8(sizeof(struct chunk_hdr) + len) -
                     sizeof(struct chunk_hdr) - len;
        uint8_t *page = r->dst + (first + j) * STORE_PAGE_SIZE;
        t->iov[niov++] = (struct iovec){ &t->hdr[j], sizeof(struct chunk_hdr) };
        t->iov[niov++] = (struct iovec){
            loc[j]->enc == CHUNK_RAW ? page : t->bounce + j * STORE_PAGE_SIZE, len };
        if (pad)
            t->iov[niov++] = (struct iovec){ t->bounce + j * STORE_PAGE_SIZE + len, pad };
    }
    fd = reader_pack_fd(r, loc[0]->pack);
    rc = fd < 0 ? fd : fs_preadv_all(fd, t->iov, (int)niov, loc[0]->off);
    if (rc && fd >= 0 && n > 1) {
        /* Find out which chunks are at fault: one at a time. */
        for (j = 0; j < n; j++)
            read_run(r, t, first + j, loc + j, 1);
        return;
    }
    for (j = 0; j < n; j++) {
        uint8_t *page = r->dst + (first + j) * STORE_PAGE_SIZE;
        enum read_why why;
        if (rc) {
            fail_page(r, first + j, rc == -ENODATA ? -EBADMSG : rc,
                      fd < 0 ? WHY_OPEN : rc == -ENODATA ? WHY_TRUNC : WHY_IO);
            continue;
        }
        why = check_one(t, loc[j], &t->hdr[j], t->bounce + j * STORE_PAGE_SIZE, page);
        if (why != WHY_OK)
            fail_page(r, first + j, -EBADMSG, why);
    }
}

/* Whether b is the chunk right after a in the same pack. */
static int chunk_follows(const struct store_loc *a, const struct store_loc *b)
{
    return a->pack == b->pack &&
           b->off == a->off + store_align8(sizeof(struct chunk_hdr) + a->len);
}

/* Reads pages [i, end) of the round: zero pages, then runs of chunks. */
static void read_group(struct snap_reader *r, struct read_thread *t, size_t i, size_t end)
{
    const struct store_table *table = &r->snap->s->table;
    const struct store_loc *loc[READ_GROUP];
    size_t n;

    while (i < end) {
        const struct snap_page *pg = r->pgs[i];
        r->rc[i] = 0;
        r->why[i] = WHY_OK;
        if (!pg || (pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA))) {
            memset(r->dst + i * STORE_PAGE_SIZE, 0, STORE_PAGE_SIZE);
            i++;
            continue;
        }
        loc[0] = table_find(table, pg->hash);
        if (!loc[0]) {
            fail_page(r, i++, -ENOENT, WHY_MISSING);
            continue;
        }
        for (n = 1; i + n < end; n++) {
            pg = r->pgs[i + n];
            if (!pg || (pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA)))
                break;
            loc[n] = table_find(table, pg->hash);
            if (!loc[n] || !chunk_follows(loc[n - 1], loc[n]))
                break;
            r->rc[i + n] = 0;
            r->why[i + n] = WHY_OK;
        }
        read_run(r, t, i, loc, n);
        i += n;
    }
}

static void read_worker(void *arg, int tid)
{
    struct snap_reader *r = arg;
    size_t i;

    for (;;) {
        i = atomic_fetch_add_explicit(&r->next, READ_GROUP, memory_order_relaxed);
        if (i >= r->n)
            return;
        read_group(r, &r->th[tid], i, r->n - i < READ_GROUP ? r->n : i + READ_GROUP);
    }
}

/* The message a serial read would give for the first bad page. */
static int read_error(struct snap_reader *r, size_t i)
{
    struct store_snap *snap = r->snap;
    struct store *s = snap->s;
    const struct snap_page *pg = r->pgs[i];
    const struct store_loc *loc = table_find(&s->table, pg->hash);
    static const char *const whys[] = {
        [WHY_HDR] = "chunk header does not match the index",
        [WHY_DECODE] = "data does not decode",
        [WHY_HASH] = "data does not match its hash",
    };
    const char *pack = loc ? s->packs[loc->pack].name : "";
    unsigned long long pfn = (unsigned long long)pg->pfn;
    const char *name = snap->meta.info.name;
    int rc = r->rc[i];
    char hex[65];

    store_hash_hex(pg->hash, hex);
    switch (r->why[i]) {
    case WHY_MISSING:
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: page %s missing from the store",
                         name, pfn, hex);
    case WHY_OPEN:
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: page %s: pack %s: %s", name,
                         pfn, hex, pack, strerror(-rc));
    case WHY_TRUNC:
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: page %s: pack %s is truncated",
                         name, pfn, hex, pack);
    case WHY_IO:
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: page %s: reading pack %s: %s",
                         name, pfn, hex, pack, strerror(-rc));
    default:
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: page %s corrupt in pack %s: %s",
                         name, pfn, hex, pack, whys[r->why[i]]);
    }
}

/* Reads one round on both threads; the first failure in order wins. A
 * page whose pack could not be opened (out of descriptors) is read again
 * here, alone, where closing cached descriptors is safe. */
static int read_round(struct snap_reader *r)
{
    size_t i;
    int rc;

    atomic_store(&r->next, 0);
    if (r->n < READ_SOLO)
        read_worker(r, 0);
    else
        par_run(&r->par, read_worker, r);
    for (i = 0; i < r->n; i++) {
        if (!r->rc[i])
            continue;
        if (r->why[i] == WHY_OPEN && r->rc[i] == -EMFILE) {
            rc = snap_read_one(r->snap, r->pgs[i], r->dst + i * STORE_PAGE_SIZE);
            if (!rc)
                continue;
            return rc;
        }
        return read_error(r, i);
    }
    return 0;
}

static struct snap_reader *reader_of(struct store_snap *snap)
{
    if (!snap->rd) {
        snap->rd = reader_new();
        if (!snap->rd) {
            store_err(snap->s, -ENOMEM, "reading snapshot '%s': out of memory",
                      snap->meta.info.name);
            return NULL;
        }
    }
    snap->rd->snap = snap;
    return snap->rd;
}

int snap_read_list(struct store_snap *snap, const struct snap_page *const *pgs,
                   size_t n, uint8_t *dst)
{
    struct snap_reader *r = reader_of(snap);
    size_t done, k;
    int rc = 0;

    if (!r)
        return -ENOMEM;
    for (done = 0; done < n && !rc; done += k) {
        k = n - done < READ_ROUND ? n - done : READ_ROUND;
        r->pgs = pgs + done;
        r->dst = dst + done * STORE_PAGE_SIZE;
        r->n = k;
        rc = read_round(r);
    }
    return rc;
}

int store_read_pages(struct store_snap *snap, uint64_t pfn_first, uint64_t count,
                     void *buf)
{
    const struct snap_state *st = &snap->st;
    struct snap_reader *r;
    uint8_t *dst = buf;
    uint64_t done, pfn;
    size_t i, j, k;
    int rc = 0;

    if (pfn_first + count < pfn_first || count > SIZE_MAX / STORE_PAGE_SIZE)
        return store_err(snap->s, -EINVAL, "page range overflows");
    r = reader_of(snap);
    if (!r)
        return -ENOMEM;
    i = state_find_page(st, pfn_first);
    for (done = 0; done < count && !rc; done += k) {
        k = count - done < READ_ROUND ? (size_t)(count - done) : READ_ROUND;
        for (j = 0; j < k; j++) {
            pfn = pfn_first + done + j;
            r->list[j] = i < st->npages && st->pages[i].pfn == pfn ? &st->pages[i++] : NULL;
        }
        rc = snap_read_list(snap, r->list, k, dst + done * STORE_PAGE_SIZE);
    }
    return rc;
}
