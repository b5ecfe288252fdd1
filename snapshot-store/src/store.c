/* Store handle: directory layout, shared lock, loading the pack indexes into memory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"

/* How long store_open waits for a gc holding the store exclusively. */
#define STORE_LOCK_WAIT_MS 120000

int store_err(struct store *s, int err, const char *fmt, ...)
{
    va_list ap;

    if (s) {
        va_start(ap, fmt);
        vsnprintf(s->err, sizeof(s->err), fmt, ap);
        va_end(ap);
    }
    return err;
}

const char *store_last_error(const struct store *s)
{
    return s && s->err[0] ? s->err : "no error";
}

int store_name_valid(const char *name)
{
    size_t i, n = name ? strlen(name) : 0;

    if (n == 0 || n > STORE_NAME_MAX || name[0] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    return nanosleep(&ts, NULL);
}

/* flock with a bounded wait. */
int store_flock(int fd, int op, unsigned wait_ms)
{
    unsigned waited = 0;

    for (;;) {
        if (flock(fd, op | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -errno;
        if (waited >= wait_ms)
            return -EBUSY;
        sleep_ms(10);
        waited += 10;
    }
}

static int make_layout(const char *dir)
{
    static const char *const sub[] = { "packs", "snapshots", "tmp" };
    int dfd, fd, rc = 0;
    size_t i;

    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    for (i = 0; i < 3; i++)
        if (mkdirat(dfd, sub[i], 0755) < 0 && errno != EEXIST) {
            rc = -errno;
            goto out;
        }
    if (faccessat(dfd, STORE_MARKER, F_OK, 0) == 0)
        goto out;
    /* Marker last, written whole then renamed: a store is complete or absent. */
    fd = openat(dfd, "tmp/marker", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = fs_write_all(fd, STORE_MARKER_TEXT, strlen(STORE_MARKER_TEXT));
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (!rc && renameat(dfd, "tmp/marker", dfd, STORE_MARKER) < 0)
        rc = -errno;
    if (!rc)
        rc = fs_fsync_dir(dfd);
out:
    close(dfd);
    return rc;
}

static int check_marker(struct store *s)
{
    uint8_t *buf;
    size_t len;
    int rc;

    rc = fs_slurp(s->dirfd, STORE_MARKER, 64, &buf, &len);
    if (rc == -ENOENT)
        return store_err(s, -ENOENT, "%s is not a tern store (no %s)", s->dir,
                         STORE_MARKER);
    if (rc)
        return store_err(s, rc, "%s/%s: %s", s->dir, STORE_MARKER, strerror(-rc));
    rc = 0;
    if (len != strlen(STORE_MARKER_TEXT) || memcmp(buf, STORE_MARKER_TEXT, len))
        rc = store_err(s, -EPROTONOSUPPORT, "%s: unknown store format", s->dir);
    free(buf);
    return rc;
}

static int open_dirs(struct store *s)
{
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        return store_err(s, -errno, "%s: %s", s->dir, strerror(errno));
    s->packsfd = openat(s->dirfd, "packs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->snapsfd = openat(s->dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->tmpfd = openat(s->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->packsfd < 0 || s->snapsfd < 0 || s->tmpfd < 0)
        return store_err(s, -ENOENT, "%s is not a tern store (missing directories)",
                         s->dir);
    return 0;
}

int store_open(const char *dir, unsigned flags, struct store **out, char *msg,
               size_t msglen)
{
    struct store *s;
    int rc;

    *out = NULL;
    if (msg && msglen)
        msg[0] = 0;
    if (!dir || !*dir || (flags & ~STORE_CREATE))
        return -EINVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->dirfd = s->packsfd = s->snapsfd = s->tmpfd = s->lockfd = -1;
    s->dir = strdup(dir);
    if (!s->dir) {
        free(s);
        return -ENOMEM;
    }
    if (flags & STORE_CREATE) {
        rc = make_layout(dir);
        if (rc) {
            store_err(s, rc, "cannot create store %s: %s", dir, strerror(-rc));
            goto fail;
        }
    }
    rc = open_dirs(s);
    if (!rc)
        rc = check_marker(s);
    if (rc)
        goto fail;
    s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lockfd < 0) {
        rc = store_err(s, -errno, "%s/lock: %s", dir, strerror(errno));
        goto fail;
    }
    /* Shared for the handle's life: only gc takes the store exclusively. */
    rc = store_flock(s->lockfd, LOCK_SH, STORE_LOCK_WAIT_MS);
    if (rc) {
        store_err(s, rc, "%s: store is busy (gc running?)", dir);
        goto fail;
    }
    rc = codec_init(&s->codec);
    if (rc)
        goto fail;
    rc = store_refresh(s);
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    if (msg && msglen)
        snprintf(msg, msglen, "%s", s->err[0] ? s->err : strerror(-rc));
    *out = NULL;
    store_close(s);
    return rc;
}

static void forget_packs(struct store *s)
{
    size_t i;

    for (i = 0; i < s->npacks; i++)
        if (s->packs[i].fd >= 0)
            close(s->packs[i].fd);
    s->npacks = 0;
    table_free(&s->table);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    forget_packs(s);
    free(s->packs);
    codec_fini(&s->codec);
    if (s->lockfd >= 0)
        close(s->lockfd);
    if (s->tmpfd >= 0)
        close(s->tmpfd);
    if (s->snapsfd >= 0)
        close(s->snapsfd);
    if (s->packsfd >= 0)
        close(s->packsfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->dir);
    free(s);
}

static int pack_known(const struct store *s, const char *id)
{
    size_t i;

    for (i = 0; i < s->npacks; i++)
        if (!strcmp(s->packs[i].name, id))
            return 1;
    return 0;
}

/* Adds a pack and its entries; the caller checked the idx. */
int store_add_pack(struct store *s, const char *id, const struct idx_file *f)
{
    struct store_pack *p;
    uint64_t i;
    int rc;

    if (s->npacks == s->cap_packs) {
        size_t ncap = s->cap_packs ? s->cap_packs * 2 : 16;
        p = realloc(s->packs, ncap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        s->packs = p;
        s->cap_packs = ncap;
    }
    /* With room made first, no insert below can fail half way. */
    if (f->hdr.count > SIZE_MAX - s->table.count)
        return -ENOMEM;
    rc = table_reserve(&s->table, s->table.count + (size_t)f->hdr.count);
    if (rc)
        return rc;
    p = &s->packs[s->npacks];
    snprintf(p->name, sizeof(p->name), "%s", id);
    p->fd = -1;
    p->size = f->hdr.pack_size;
    p->count = f->hdr.count;
    for (i = 0; i < f->hdr.count; i++) {
        const struct idx_entry *e = &f->e[i];
        rc = table_insert(&s->table, e->hash, (uint32_t)s->npacks, e->offset,
                          e->stored_len, e->encoding);
        if (rc)
            return rc;
    }
    s->npacks++;
    return 0;
}

/* A pack id is 16 hex digits; the idx and pack files share it. */
int store_pack_id_of(const char *fname, const char *ext, char id[17])
{
    size_t n = strlen(fname), el = strlen(ext), i;

    if (n != 16 + el || strcmp(fname + 16, ext))
        return 0;
    for (i = 0; i < 16; i++)
        if (!((fname[i] >= '0' && fname[i] <= '9') || (fname[i] >= 'a' && fname[i] <= 'f')))
            return 0;
    memcpy(id, fname, 16);
    id[16] = 0;
    return 1;
}

/* Loads one pack's idx if it and its pack look sound; bad ones are skipped
 * here and reported by verify. */
static int refresh_one(struct store *s, const char *id)
{
    char name[32], msg[160];
    struct idx_file f;
    struct stat st;
    int rc;

    snprintf(name, sizeof(name), "%s.idx", id);
    if (idx_load(s->packsfd, name, &f, msg, sizeof(msg)))
        return 0;
    snprintf(name, sizeof(name), "%s.pack", id);
    rc = 0;
    if (fstatat(s->packsfd, name, &st, 0) == 0 &&
        (uint64_t)st.st_size >= f.hdr.pack_size)
        rc = store_add_pack(s, id, &f);
    free(f.e);
    return rc;
}

int store_refresh(struct store *s)
{
    struct dirent *de;
    char id[17];
    DIR *d;
    int fd, rc = 0;

    fd = dup(s->packsfd);
    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    while ((de = readdir(d)) && !rc) {
        if (!store_pack_id_of(de->d_name, ".idx", id) || pack_known(s, id))
            continue;
        rc = refresh_one(s, id);
    }
    closedir(d);
    if (rc)
        return store_err(s, rc, "loading pack indexes: %s", strerror(-rc));
    return 0;
}

int store_reload(struct store *s)
{
    forget_packs(s);
    return store_refresh(s);
}

int store_pack_fd(struct store *s, uint32_t pack)
{
    struct store_pack *p = &s->packs[pack];
    char name[32];
    size_t i;

    if (p->fd >= 0)
        return p->fd;
    snprintf(name, sizeof(name), "%s.pack", p->name);
    p->fd = openat(s->packsfd, name, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0 && errno == EMFILE) {
        /* Out of descriptors: drop the cached ones and try again. */
        for (i = 0; i < s->npacks; i++)
            if (s->packs[i].fd >= 0) {
                close(s->packs[i].fd);
                s->packs[i].fd = -1;
            }
        p->fd = openat(s->packsfd, name, O_RDONLY | O_CLOEXEC);
    }
    return p->fd >= 0 ? p->fd : -errno;
}
