/* Writing packs and their indexes: gathered chunk writes, early writeback, sorted checksummed idx. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store_internal.h"

/* Chunk headers and copied chunks wait here until the next flush. */
#define PACK_BUF_SIZE (1u << 20)
/* Start writeback every few MiB so the final fsync has little left to do. */
#define PACK_SYNC_STEP (8u << 20)

static const uint8_t pack_zero_pad[8];

static int cmp_entry(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Leading 24 bits of an entry's hash, as a number. */
static uint32_t entry_key(const struct idx_entry *e)
{
    return (uint32_t)e->hash[0] << 16 | (uint32_t)e->hash[1] << 8 | e->hash[2];
}

/*
 * Sorts entries by hash. SHA-256 values are uniform, so one counting pass
 * on the leading bits leaves buckets of about one entry, finished by
 * insertion sort (qsort for a bucket that is not small). n log n memcmp
 * calls cost more than the rest of a commit.
 */
static void sort_entries(struct idx_entry *e, uint64_t n)
{
    unsigned bits = 1, shift;
    struct idx_entry *tmp;
    size_t *cnt, b, i, j;

    while (bits < 20 && (1ull << bits) < n)
        bits++;
    shift = 24 - bits;
    cnt = calloc(((size_t)1 << bits) + 1, sizeof(*cnt));
    tmp = n ? malloc((size_t)n * sizeof(*tmp)) : NULL;
    if (!cnt || !tmp) {
        free(cnt);
        free(tmp);
        qsort(e, (size_t)n, sizeof(*e), cmp_entry);
        return;
    }
    for (i = 0; i < n; i++)
        cnt[(entry_key(&e[i]) >> shift) + 1]++;
    for (b = 1; b <= (size_t)1 << bits; b++)
        cnt[b] += cnt[b - 1];
    for (i = 0; i < n; i++)
        tmp[cnt[entry_key(&e[i]) >> shift]++] = e[i];
    /* cnt[b] is now the end of bucket b, and the start of bucket b + 1. */
    for (b = 0, i = 0; b < (size_t)1 << bits; i = cnt[b++]) {
        size_t len = cnt[b] - i;
        if (len > 8) {
            qsort(tmp + i, len, sizeof(*tmp), cmp_entry);
            continue;
        }
        for (j = i + 1; j < cnt[b]; j++) {
            struct idx_entry v = tmp[j];
            size_t k = j;
            for (; k > i && memcmp(tmp[k - 1].hash, v.hash, 32) > 0; k--)
                tmp[k] = tmp[k - 1];
            tmp[k] = v;
        }
    }
    memcpy(e, tmp, (size_t)n * sizeof(*e));
    free(tmp);
    free(cnt);
}

int idx_write(int dirfd, const char *name, const uint8_t pack_id[8],
              uint64_t pack_size, struct idx_entry *e, uint64_t n, int *fdp)
{
    struct idx_hdr h;
    uint8_t sum[32];
    EVP_MD_CTX *ctx;
    int fd, rc;

    sort_entries(e, n);
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, IDX_MAGIC, 8);
    h.version = STORE_VERSION;
    h.entry_size = sizeof(*e);
    h.count = n;
    h.pack_size = pack_size;
    memcpy(h.pack_id, pack_id, 8);
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, &h, sizeof(h)) != 1 ||
        EVP_DigestUpdate(ctx, e, n * sizeof(*e)) != 1 ||
        EVP_DigestFinal_ex(ctx, sum, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return -ENOMEM;
    }
    EVP_MD_CTX_free(ctx);
    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return -errno;
    rc = fs_write_all(fd, &h, sizeof(h));
    if (!rc)
        rc = fs_write_all(fd, e, n * sizeof(*e));
    if (!rc)
        rc = fs_write_all(fd, sum, sizeof(sum));
    if (!rc && fdp) {
        *fdp = fd; /* the caller fsyncs it */
        return 0;
    }
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc)
        unlinkat(dirfd, name, 0);
    return rc;
}

static void writer_free(struct pack_writer *w)
{
    free(w->buf);
    free(w->iov);
    free(w->e);
    w->buf = NULL;
    w->iov = NULL;
    w->e = NULL;
}

/* Queues len bytes at p for the next flush, merging with the last piece
 * when they are adjacent in memory. */
static void writer_queue(struct pack_writer *w, const void *p, size_t len)
{
    struct iovec *last = w->niov ? &w->iov[w->niov - 1] : NULL;

    if (last && (const uint8_t *)last->iov_base + last->iov_len == (const uint8_t *)p) {
        last->iov_len += len;
        return;
    }
    w->iov[w->niov].iov_base = (void *)p;
    w->iov[w->niov].iov_len = len;
    w->niov++;
}

int pack_writer_open(struct store *s, struct pack_writer *w)
{
    struct pack_hdr h;
    char name[32];

    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->buf = malloc(PACK_BUF_SIZE);
    w->iov = malloc(PACK_IOV_MAX * sizeof(*w->iov));
    if (!w->buf || !w->iov) {
        writer_free(w);
        return -ENOMEM;
    }
    store_random_id(w->raw_id, w->id);
    snprintf(name, sizeof(name), "%s.pack", w->id);
    w->fd = openat(s->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (w->fd < 0) {
        writer_free(w);
        return store_err(s, -errno, "creating tmp/%s: %s", name, strerror(errno));
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, PACK_MAGIC, 8);
    h.version = STORE_VERSION;
    memcpy(h.pack_id, w->raw_id, 8);
    memcpy(w->buf, &h, sizeof(h));
    writer_queue(w, w->buf, sizeof(h));
    w->buf_used = w->size = sizeof(h);
    return 0;
}

int pack_writer_flush(struct pack_writer *w)
{
    int rc = w->niov ? fs_writev_all(w->fd, w->iov, w->niov) : 0;

    w->niov = 0;
    w->buf_used = 0;
    if (!rc && w->size - w->synced >= PACK_SYNC_STEP) {
        sync_file_range(w->fd, (off_t)w->synced, (off_t)(w->size - w->synced),
                        SYNC_FILE_RANGE_WRITE);
        w->synced = w->size;
    }
    return rc;
}

/* Adds a chunk: its header always goes to the buffer, its data too when
 * copy is set, else it is written from data at the next flush. */
static int writer_add(struct pack_writer *w, const uint8_t hash[32], const uint8_t *data,
                      uint32_t len, uint16_t enc, int copy)
{
    size_t pad = (size_t)store_align8(sizeof(struct chunk_hdr) + len) -
                 sizeof(struct chunk_hdr) - len;
    size_t need = sizeof(struct chunk_hdr) + (copy ? len + pad : 0);
    struct chunk_hdr *ch;
    struct idx_entry *e;
    int rc;

    if (len == 0 || len > STORE_PAGE_SIZE || enc > CHUNK_DEFLATE)
        return -EINVAL;
    if (w->n == w->cap) {
        uint64_t ncap = w->cap ? w->cap * 2 : 1024;
        e = realloc(w->e, ncap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        w->e = e;
        w->cap = ncap;
    }
    if (w->buf_used + need > PACK_BUF_SIZE || w->niov + 3 > PACK_IOV_MAX) {
        rc = pack_writer_flush(w);
        if (rc)
            return rc;
    }
    ch = (struct chunk_hdr *)(w->buf + w->buf_used);
    memcpy(ch->hash, hash, 32);
    ch->stored_len = len;
    ch->encoding = enc;
    ch->reserved = 0;
    w->buf_used += sizeof(*ch);
    writer_queue(w, ch, sizeof(*ch));
    if (copy) {
        memcpy(w->buf + w->buf_used, data, len);
        memset(w->buf + w->buf_used + len, 0, pad);
        writer_queue(w, w->buf + w->buf_used, len + pad);
        w->buf_used += len + pad;
    } else {
        writer_queue(w, data, len);
        if (pad)
            writer_queue(w, pack_zero_pad, pad);
    }
    e = &w->e[w->n++];
    memcpy(e->hash, hash, 32);
    e->offset = w->size;
    e->stored_len = len;
    e->encoding = enc;
    e->reserved = 0;
    w->size += sizeof(*ch) + len + pad;
    return 0;
}

int pack_writer_add(struct pack_writer *w, const uint8_t hash[32],
                    const uint8_t *data, uint32_t len, uint16_t enc,
                    uint64_t *off)
{
    *off = w->size;
    return writer_add(w, hash, data, len, enc, 1);
}

int pack_writer_add_ref(struct pack_writer *w, const uint8_t hash[32],
                        const uint8_t *data, uint32_t len, uint16_t enc)
{
    return writer_add(w, hash, data, len, enc, 0);
}

int pack_writer_finish(struct pack_writer *w, int tmpfd, int packsfd, char *msg,
                       size_t msglen)
{
    char pname[32], iname[32];
    int rc, ifd = -1;

    snprintf(pname, sizeof(pname), "%s.pack", w->id);
    snprintf(iname, sizeof(iname), "%s.idx", w->id);
    /* The index is built while the pack's last writeback runs; both are
     * durable before either is renamed. */
    rc = pack_writer_flush(w);
    if (rc)
        return snprintf(msg, msglen, "writing tmp/%s: %s", pname, strerror(-rc)), rc;
    rc = idx_write(tmpfd, iname, w->raw_id, w->size, w->e, w->n, &ifd);
    if (rc)
        return snprintf(msg, msglen, "writing tmp/%s: %s", iname, strerror(-rc)), rc;
    if (fsync(w->fd) < 0)
        rc = -errno;
    if (!rc && fsync(ifd) < 0)
        rc = -errno;
    close(ifd);
    if (rc) {
        unlinkat(tmpfd, iname, 0);
        return snprintf(msg, msglen, "fsync tmp/%s: %s", pname, strerror(-rc)), rc;
    }
    /* The pack goes first: an idx in packs/ always has its whole pack. */
    if (renameat(tmpfd, pname, packsfd, pname) < 0 ||
        renameat(tmpfd, iname, packsfd, iname) < 0) {
        rc = -errno;
        return snprintf(msg, msglen, "committing pack %s: %s", w->id, strerror(-rc)), rc;
    }
    rc = fs_fsync_dir(packsfd);
    if (!rc)
        rc = fs_fsync_dir(tmpfd);
    if (rc)
        snprintf(msg, msglen, "fsync packs/: %s", strerror(-rc));
    return rc;
}

int pack_writer_publish(struct store *s, struct pack_writer *w)
{
    struct idx_file f;
    int rc;

    memset(&f, 0, sizeof(f));
    f.hdr.count = w->n;
    f.hdr.pack_size = w->size;
    f.e = w->e;
    rc = store_add_pack(s, w->id, &f);
    close(w->fd);
    w->fd = -1;
    writer_free(w);
    return rc;
}

int pack_writer_commit(struct store *s, struct pack_writer *w)
{
    char msg[256];
    int rc = pack_writer_finish(w, s->tmpfd, s->packsfd, msg, sizeof(msg));

    return rc ? store_err(s, rc, "%s", msg) : pack_writer_publish(s, w);
}

void pack_writer_discard(struct store *s, struct pack_writer *w)
{
    char name[32];

    if (w->fd >= 0) {
        close(w->fd);
        snprintf(name, sizeof(name), "%s.pack", w->id);
        unlinkat(s->tmpfd, name, 0);
        snprintf(name, sizeof(name), "%s.idx", w->id);
        unlinkat(s->tmpfd, name, 0);
    }
    w->fd = -1;
    writer_free(w);
}
