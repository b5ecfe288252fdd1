/* Store administration: list, remove and size snapshots. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* Calls fn for every entry name of a directory but "." and "..". */
int store_each_name(int dirfd, int (*fn)(void *arg, const char *name), void *arg)
{
    struct dirent *de;
    DIR *d;
    int fd, rc = 0;

    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    while (!rc && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            rc = fn(arg, de->d_name);
    closedir(d);
    return rc;
}

struct list_ctx {
    struct store *s;
    struct store_snap_info *v;
    size_t n, cap;
};

static int list_one(void *arg, const char *name)
{
    struct list_ctx *c = arg;
    struct snap_meta m;

    /* Unreadable snapshots are left out here; verify reports them. */
    if (!store_name_valid(name) || snap_load(c->s, name, &m, NULL))
        return 0;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct store_snap_info *nv = realloc(c->v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        c->v = nv;
        c->cap = ncap;
    }
    c->v[c->n++] = m.info;
    return 0;
}

static int cmp_info(const void *a, const void *b)
{
    const struct store_snap_info *x = a, *y = b;

    if (x->ctime_ns != y->ctime_ns)
        return x->ctime_ns < y->ctime_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

int store_list(struct store *s, struct store_snap_info **out, size_t *n)
{
    struct list_ctx c = { s, NULL, 0, 0 };
    int rc;

    rc = store_each_name(s->snapsfd, list_one, &c);
    if (rc) {
        free(c.v);
        return store_err(s, rc, "listing snapshots: %s", strerror(-rc));
    }
    if (c.n)
        qsort(c.v, c.n, sizeof(*c.v), cmp_info);
    s->err[0] = 0;
    *out = c.v;
    *n = c.n;
    return 0;
}

int store_rm(struct store *s, const char *name)
{
    char dname[32], hex[17];
    uint8_t rid[8];
    int rc;

    if (!store_name_valid(name))
        return store_err(s, -EINVAL, "invalid snapshot name '%s'", name ? name : "");
    store_random_id(rid, hex);
    snprintf(dname, sizeof(dname), "%s.rm", hex);
    /* One rename takes the snapshot away whole; the rest is cleanup. */
    if (renameat(s->snapsfd, name, s->tmpfd, dname) < 0) {
        rc = -errno;
        return store_err(s, rc, "snapshot '%s': %s", name,
                         rc == -ENOENT ? "not found" : strerror(-rc));
    }
    rc = fs_fsync_dir(s->snapsfd);
    if (rc)
        return store_err(s, rc, "fsync snapshots/: %s", strerror(-rc));
    fs_remove_dir(s->tmpfd, dname);
    return 0;
}

struct du_ctx {
    int dirfd;
    uint64_t bytes;
};

static int du_file(void *arg, const char *name)
{
    struct du_ctx *c = arg;
    struct stat st;

    if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        c->bytes += (uint64_t)st.st_size;
    return 0;
}

static int du_snapdir(void *arg, const char *name)
{
    struct du_ctx *c = arg, sub = { -1, 0 };

    sub.dirfd = openat(c->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub.dirfd < 0)
        return 0;
    store_each_name(sub.dirfd, du_file, &sub);
    close(sub.dirfd);
    c->bytes += sub.bytes;
    return 0;
}

int store_du(struct store *s, struct store_du *du)
{
    struct store_snap_info *v = NULL;
    struct du_ctx packs = { s->packsfd, 0 }, snaps = { s->snapsfd, 0 };
    size_t i, n = 0;
    int rc;

    memset(du, 0, sizeof(*du));
    rc = store_refresh(s);
    if (!rc)
        rc = store_list(s, &v, &n);
    if (rc)
        return rc;
    du->snapshots = n;
    for (i = 0; i < n; i++)
        du->logical_bytes += v[i].pages * STORE_PAGE_SIZE;
    free(v);
    store_each_name(s->packsfd, du_file, &packs);
    store_each_name(s->snapsfd, du_snapdir, &snaps);
    du->pack_bytes = packs.bytes;
    du->stored_bytes = packs.bytes + snaps.bytes;
    for (i = 0; i < s->table.cap; i++)
        if (s->table.slots[i].used) {
            du->chunks++;
            du->chunk_bytes += s->table.slots[i].len;
        }
    return 0;
}
