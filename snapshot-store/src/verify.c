/* Whole-store check: every index against its pack, every chunk against its hash, every snapshot's references. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* Per snapshot, bad references reported one by one before a summary. */
#define VERIFY_REFS_SHOWN 8u

struct verify_ctx {
    struct store *s;
    struct store_table good;        /* chunks that read back correctly */
    struct store_verify_stats *st;
    store_report_fn report;
    void *rarg;
    store_progress_fn fn;
    void *parg;
    char (*snaps)[STORE_NAME_MAX + 1];
    size_t nsnaps, cap_snaps;
};

static void problem(struct verify_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct verify_ctx *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->st->problems++;
    if (c->report)
        c->report(c->rarg, line);
}

static int check_pack_hdr(int fd, const struct idx_hdr *ih)
{
    static const uint8_t zero[40];
    struct pack_hdr h;

    if (fs_pread_all(fd, &h, sizeof(h), 0))
        return -EBADMSG;
    if (memcmp(h.magic, PACK_MAGIC, 8) || h.version != STORE_VERSION ||
        h.reserved0 || memcmp(h.reserved1, zero, sizeof(zero)) ||
        memcmp(h.pack_id, ih->pack_id, 8))
        return -EBADMSG;
    return 0;
}

static int cmp_off(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Chunks must tile the pack from its header to its end, with no gaps. */
static void verify_tiling(struct verify_ctx *c, const char *id, const struct idx_file *f)
{
    uint64_t *ends, i, at = sizeof(struct pack_hdr);

    ends = malloc((f->hdr.count + 1) * 2 * sizeof(*ends));
    if (!ends) {
        problem(c, "out of memory while verifying");
        return;
    }
    for (i = 0; i < f->hdr.count; i++) {
        ends[2 * i] = f->e[i].offset;
        ends[2 * i + 1] = store_align8(f->e[i].offset + sizeof(struct chunk_hdr) +
                                       f->e[i].stored_len);
    }
    qsort(ends, f->hdr.count, 2 * sizeof(*ends), cmp_off);
    for (i = 0; i < f->hdr.count; i++) {
        if (ends[2 * i] != at)
            break;
        at = ends[2 * i + 1];
    }
    if (i < f->hdr.count || at != f->hdr.pack_size)
        problem(c, "pack %s: chunks do not cover the pack exactly (at byte %llu)", id,
                (unsigned long long)at);
    free(ends);
}

static int pad_is_zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return 0;
    return 1;
}

static void verify_chunks(struct verify_ctx *c, const char *id, int fd,
                          const struct idx_file *f)
{
    uint8_t rec[sizeof(struct chunk_hdr) + STORE_PAGE_SIZE + 8], page[STORE_PAGE_SIZE];
    const char *why;
    char hex[65];
    uint64_t i;
    size_t body, full;
    int rc;

    for (i = 0; i < f->hdr.count; i++) {
        const struct idx_entry *e = &f->e[i];
        body = sizeof(struct chunk_hdr) + e->stored_len;
        full = (size_t)store_align8(body);
        why = "cannot read it";
        rc = fs_pread_all(fd, rec, full, e->offset);
        if (!rc)
            rc = pack_check_chunk(&c->s->codec, rec, e->hash, e->stored_len,
                                  e->encoding, page, &why);
        if (!rc && !pad_is_zero(rec + body, full - body)) {
            why = "padding not zero";
            rc = -EBADMSG;
        }
        c->st->chunks++;
        if (!rc) {
            if (table_insert(&c->good, e->hash, 0, 0, 0, 0))
                problem(c, "out of memory while verifying");
            continue;
        }
        store_hash_hex(e->hash, hex);
        problem(c, "pack %s: page %s at offset %llu corrupt: %s", id, hex,
                (unsigned long long)e->offset, why);
    }
    verify_tiling(c, id, f);
}

static int verify_pack(void *arg, const char *name)
{
    struct verify_ctx *c = arg;
    char id[17], pname[32], msg[160];
    struct idx_file f;
    struct stat st;
    int fd;

    if (store_pack_id_of(name, ".pack", id)) {
        snprintf(pname, sizeof(pname), "%s.idx", id);
        if (faccessat(c->s->packsfd, pname, F_OK, 0) < 0)
            c->st->orphans++; /* interrupted commit or gc; gc removes it */
        return 0;
    }
    if (!store_pack_id_of(name, ".idx", id)) {
        problem(c, "packs/%s: unexpected file", name);
        return 0;
    }
    c->st->packs++;
    if (idx_load(c->s->packsfd, name, &f, msg, sizeof(msg))) {
        problem(c, "pack %s: index corrupt: %s", id, msg);
        return 0;
    }
    snprintf(pname, sizeof(pname), "%s.pack", id);
    fd = openat(c->s->packsfd, pname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        problem(c, "pack %s: pack file missing (%s)", id, strerror(errno));
    } else if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != f.hdr.pack_size) {
        problem(c, "pack %s: %llu bytes, its index says %llu (truncated or extended)",
                id, (unsigned long long)st.st_size, (unsigned long long)f.hdr.pack_size);
        verify_chunks(c, id, fd, &f);
    } else if (check_pack_hdr(fd, &f.hdr)) {
        problem(c, "pack %s: bad pack header", id);
    } else {
        verify_chunks(c, id, fd, &f);
    }
    if (fd >= 0)
        close(fd);
    free(f.e);
    if (c->fn)
        c->fn(c->parg, c->st->packs, 0);
    return 0;
}

static int collect_snap(void *arg, const char *name)
{
    struct verify_ctx *c = arg;

    if (!store_name_valid(name)) {
        problem(c, "snapshots/%s: not a valid snapshot name", name);
        return 0;
    }
    if (c->nsnaps == c->cap_snaps) {
        size_t ncap = c->cap_snaps ? c->cap_snaps * 2 : 16;
        char (*nv)[STORE_NAME_MAX + 1] = realloc(c->snaps, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        c->snaps = nv;
        c->cap_snaps = ncap;
    }
    snprintf(c->snaps[c->nsnaps++], STORE_NAME_MAX + 1, "%s", name);
    return 0;
}

static void verify_snap(struct verify_ctx *c, const char *name)
{
    struct snap_state st;
    struct snap_meta m;
    uint64_t bad = 0;
    char hex[65];
    size_t i;

    if (snap_load(c->s, name, &m, &st)) {
        if (faccessat(c->s->snapsfd, name, F_OK, 0) == 0) /* not removed meanwhile */
            problem(c, "%s", store_last_error(c->s));
        return;
    }
    c->st->snapshots++;
    for (i = 0; i < st.npages; i++) {
        const struct snap_page *pg = &st.pages[i];
        if (pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA))
            continue;
        c->st->refs++;
        if (table_find(&c->good, pg->hash))
            continue;
        if (bad++ < VERIFY_REFS_SHOWN) {
            store_hash_hex(pg->hash, hex);
            problem(c, "snapshot '%s' pfn 0x%llx: page %s missing or corrupt", name,
                    (unsigned long long)pg->pfn, hex);
        }
    }
    if (bad > VERIFY_REFS_SHOWN)
        problem(c, "snapshot '%s': %llu pages missing or corrupt in all", name,
                (unsigned long long)bad);
    state_free(&st);
}

static int count_tmp(void *arg, const char *name)
{
    (void)name;
    ((struct verify_ctx *)arg)->st->orphans++;
    return 0;
}

int store_verify(struct store *s, struct store_verify_stats *st,
                 store_report_fn report, void *rarg,
                 store_progress_fn fn, void *parg)
{
    struct verify_ctx c;
    size_t i;
    int rc;

    memset(st, 0, sizeof(*st));
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.st = st;
    c.report = report;
    c.rarg = rarg;
    c.fn = fn;
    c.parg = parg;
    /* Snapshots before packs: a snapshot's packs are committed before it is,
     * so every pack a listed snapshot needs is there when packs are read. */
    rc = store_each_name(s->snapsfd, collect_snap, &c);
    if (!rc)
        rc = store_each_name(s->packsfd, verify_pack, &c);
    for (i = 0; i < c.nsnaps && !rc; i++)
        verify_snap(&c, c.snaps[i]);
    if (!rc)
        store_each_name(s->tmpfd, count_tmp, &c);
    table_free(&c.good);
    free(c.snaps);
    if (rc)
        return store_err(s, rc, "verify could not run: %s", strerror(-rc));
    return 0;
}
