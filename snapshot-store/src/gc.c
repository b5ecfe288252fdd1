/* Garbage collection: drop chunks no snapshot references, repacking packs that are partly live. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

struct gc_ctx {
    struct store *s;
    struct store_table live;     /* hashes some snapshot references */
    struct pack_writer pw;       /* live chunks of partly dead packs */
    int pw_open;
    char (*drop)[17];            /* packs to delete once the new pack is in */
    size_t ndrop, cap_drop;
    struct store_gc_stats *st;
    store_progress_fn fn;
    void *arg;
    int rc;
};

static int tmp_clean_one(void *arg, const char *name)
{
    struct gc_ctx *c = arg;

    if (fs_remove_dir(c->s->tmpfd, name) == 0)
        c->st->tmp_removed++;
    return 0;
}

static int mark_live(void *arg, const char *name)
{
    struct gc_ctx *c = arg;
    struct snap_state st;
    struct snap_meta m;
    size_t i;
    int rc;

    if (!store_name_valid(name))
        return 0;
    /* A snapshot we cannot read may reference anything: drop nothing. */
    rc = snap_load(c->s, name, &m, &st);
    if (rc)
        return store_err(c->s, rc, "gc stopped, nothing dropped: %s (run verify)",
                         store_last_error(c->s));
    for (i = 0; i < st.npages && !rc; i++)
        if (!(st.pages[i].flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA)))
            rc = table_insert(&c->live, st.pages[i].hash, 0, 0, 0, 0);
    state_free(&st);
    return rc;
}

/* Is this entry the copy the store serves, and referenced? */
static int entry_live(struct gc_ctx *c, uint32_t pack, const struct idx_entry *e)
{
    const struct store_loc *loc;

    if (!table_find(&c->live, e->hash))
        return 0;
    loc = table_find(&c->s->table, e->hash);
    return loc && loc->pack == pack && loc->off == e->offset;
}

static int add_drop(struct gc_ctx *c, const char *id)
{
    if (c->ndrop == c->cap_drop) {
        size_t ncap = c->cap_drop ? c->cap_drop * 2 : 16;
        char (*nd)[17] = realloc(c->drop, ncap * sizeof(*nd));
        if (!nd)
            return -ENOMEM;
        c->drop = nd;
        c->cap_drop = ncap;
    }
    snprintf(c->drop[c->ndrop++], 17, "%s", id);
    return 0;
}

/* Copies a live chunk, checked on the way, into the new pack. */
static int copy_chunk(struct gc_ctx *c, uint32_t pack, const struct idx_entry *e)
{
    uint8_t rec[sizeof(struct chunk_hdr) + STORE_PAGE_SIZE], page[STORE_PAGE_SIZE];
    const char *why = "";
    uint64_t off;
    char hex[65];
    int fd, rc;

    if (!c->pw_open) {
        rc = pack_writer_open(c->s, &c->pw);
        if (rc)
            return rc;
        c->pw_open = 1;
    }
    fd = store_pack_fd(c->s, pack);
    rc = fd < 0 ? fd : fs_pread_all(fd, rec, sizeof(struct chunk_hdr) + e->stored_len, e->offset);
    if (!rc)
        rc = pack_check_chunk(&c->s->codec, rec, e->hash, e->stored_len, e->encoding,
                              page, &why);
    if (rc) {
        store_hash_hex(e->hash, hex);
        return store_err(c->s, -EBADMSG, "gc stopped: live page %s in pack %s is "
                         "unreadable (%s); run verify", hex, c->s->packs[pack].name, why);
    }
    return pack_writer_add(&c->pw, e->hash, rec + sizeof(struct chunk_hdr),
                           e->stored_len, e->encoding, &off);
}

static int gc_pack(struct gc_ctx *c, uint32_t pack)
{
    struct store_pack *p = &c->s->packs[pack];
    char name[32], msg[160];
    struct idx_file f;
    uint64_t i, live = 0;
    int rc;

    snprintf(name, sizeof(name), "%s.idx", p->name);
    if (idx_load(c->s->packsfd, name, &f, msg, sizeof(msg)))
        return 0; /* changed under us? leave it to verify */
    for (i = 0; i < f.hdr.count; i++)
        live += entry_live(c, pack, &f.e[i]);
    rc = 0;
    if (live < f.hdr.count) {
        for (i = 0; i < f.hdr.count && !rc && live; i++)
            if (entry_live(c, pack, &f.e[i]))
                rc = copy_chunk(c, pack, &f.e[i]);
        if (!rc)
            rc = add_drop(c, p->name);
        c->st->chunks_dropped += f.hdr.count - live;
    }
    c->st->chunks_kept += live;
    free(f.e);
    return rc;
}

static void drop_pack(struct gc_ctx *c, const char *id)
{
    char name[32];
    struct stat st;

    /* Index first: a pack without its index is only an orphan. */
    snprintf(name, sizeof(name), "%s.idx", id);
    if (fstatat(c->s->packsfd, name, &st, 0) == 0)
        c->st->bytes_freed += (uint64_t)st.st_size;
    unlinkat(c->s->packsfd, name, 0);
    snprintf(name, sizeof(name), "%s.pack", id);
    if (fstatat(c->s->packsfd, name, &st, 0) == 0)
        c->st->bytes_freed += (uint64_t)st.st_size;
    unlinkat(c->s->packsfd, name, 0);
}

/* Packs that lost their index in an interrupted commit or gc. */
static int orphan_pack(void *arg, const char *name)
{
    struct gc_ctx *c = arg;
    char id[17], iname[32];

    if (!store_pack_id_of(name, ".pack", id))
        return 0;
    snprintf(iname, sizeof(iname), "%s.idx", id);
    if (faccessat(c->s->packsfd, iname, F_OK, 0) < 0 && errno == ENOENT)
        return add_drop(c, id);
    return 0;
}

static int gc_run(struct gc_ctx *c)
{
    struct store *s = c->s;
    uint64_t added = 0;
    size_t i;
    int rc;

    store_each_name(s->tmpfd, tmp_clean_one, c);
    rc = store_reload(s);
    if (!rc)
        rc = store_each_name(s->snapsfd, mark_live, c);
    if (rc)
        return rc;
    c->st->packs_before = s->npacks;
    for (i = 0; i < s->npacks && !rc; i++) {
        rc = gc_pack(c, (uint32_t)i);
        if (c->fn)
            c->fn(c->arg, i + 1, s->npacks);
    }
    if (!rc)
        rc = store_each_name(s->packsfd, orphan_pack, c);
    if (!rc && c->pw_open && c->pw.n) {
        added = c->pw.size + sizeof(struct idx_hdr) + IDX_TRAILER_LEN +
                c->pw.n * sizeof(struct idx_entry);
        rc = pack_writer_commit(s, &c->pw);
        c->pw_open = 0;
    }
    if (rc)
        return rc;
    /* Only now that the live chunks are safe in the new pack. */
    for (i = 0; i < c->ndrop; i++)
        drop_pack(c, c->drop[i]);
    c->st->bytes_freed = c->st->bytes_freed > added ? c->st->bytes_freed - added : 0;
    rc = fs_fsync_dir(s->packsfd);
    if (!rc)
        rc = store_reload(s);
    c->st->packs_after = s->npacks;
    return rc;
}

int store_gc(struct store *s, unsigned wait_ms, struct store_gc_stats *st,
             store_progress_fn fn, void *arg)
{
    struct gc_ctx c;
    int rc;

    memset(st, 0, sizeof(*st));
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.st = st;
    c.fn = fn;
    c.arg = arg;
    /* From shared to exclusive: no writer may be between dedup and commit. */
    rc = store_flock(s->lockfd, LOCK_EX, wait_ms);
    if (rc) {
        store_flock(s->lockfd, LOCK_SH, 0);
        return store_err(s, rc, "store is in use by another process; gc needs it alone");
    }
    rc = gc_run(&c);
    if (c.pw_open)
        pack_writer_discard(s, &c.pw);
    table_free(&c.live);
    free(c.drop);
    store_flock(s->lockfd, LOCK_SH, 0);
    return rc;
}
