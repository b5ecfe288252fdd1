/* Pack and idx files: checked loading, buffered pack writing, verified chunk reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "store_internal.h"

#define PACK_BUF_SIZE (1u << 20)
#define IDX_MAX_BYTES (1ull << 32)

void store_random_id(uint8_t id[8], char hex[17])
{
    size_t i;

    if (getrandom(id, 8, 0) != 8) {
        /* getrandom never fails for 8 bytes after boot; be safe anyway. */
        uint64_t v = (uint64_t)getpid() ^ ((uint64_t)(uintptr_t)id << 16);
        memcpy(id, &v, 8);
    }
    for (i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

static int cmp_entry(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int entry_bad(const struct idx_entry *e, uint64_t pack_size)
{
    if (e->reserved || e->encoding > CHUNK_DEFLATE)
        return 1;
    if (e->stored_len == 0 || e->stored_len > STORE_PAGE_SIZE)
        return 1;
    if (e->encoding == CHUNK_RAW && e->stored_len != STORE_PAGE_SIZE)
        return 1;
    return e->offset < sizeof(struct pack_hdr) || (e->offset & 7) ||
           e->offset > pack_size ||
           pack_size - e->offset < sizeof(struct chunk_hdr) + e->stored_len;
}

static int idx_check(const uint8_t *buf, size_t len, struct idx_hdr *h,
                     char *msg, size_t msglen)
{
    static const uint8_t zero[24];
    uint8_t sum[32];
    const struct idx_entry *e;
    uint64_t i;

    if (len < sizeof(*h) + IDX_TRAILER_LEN)
        return snprintf(msg, msglen, "too short (%zu bytes)", len), -EBADMSG;
    memcpy(h, buf, sizeof(*h));
    if (memcmp(h->magic, IDX_MAGIC, 8) || h->version != STORE_VERSION ||
        h->entry_size != sizeof(struct idx_entry) ||
        memcmp(h->reserved, zero, sizeof(h->reserved)))
        return snprintf(msg, msglen, "bad header"), -EBADMSG;
    if (h->count > (len - sizeof(*h) - IDX_TRAILER_LEN) / sizeof(*e) ||
        sizeof(*h) + h->count * sizeof(*e) + IDX_TRAILER_LEN != len)
        return snprintf(msg, msglen, "size does not match %llu entries",
                        (unsigned long long)h->count), -EBADMSG;
    if (!EVP_Digest(buf, len - IDX_TRAILER_LEN, sum, NULL, EVP_sha256(), NULL) ||
        memcmp(sum, buf + len - IDX_TRAILER_LEN, 32))
        return snprintf(msg, msglen, "checksum mismatch"), -EBADMSG;
    e = (const struct idx_entry *)(buf + sizeof(*h));
    for (i = 0; i < h->count; i++) {
        if (entry_bad(&e[i], h->pack_size))
            return snprintf(msg, msglen, "entry %llu out of range",
                            (unsigned long long)i), -EBADMSG;
        if (i && memcmp(e[i - 1].hash, e[i].hash, 32) >= 0)
            return snprintf(msg, msglen, "entries not sorted at %llu",
                            (unsigned long long)i), -EBADMSG;
    }
    return 0;
}

int idx_load(int dirfd, const char *name, struct idx_file *out, char *msg,
             size_t msglen)
{
    uint8_t *buf;
    size_t len;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = fs_slurp(dirfd, name, IDX_MAX_BYTES, &buf, &len);
    if (rc) {
        snprintf(msg, msglen, "cannot read: %s", strerror(-rc));
        return rc;
    }
    rc = idx_check(buf, len, &out->hdr, msg, msglen);
    if (rc) {
        free(buf);
        return rc;
    }
    /* Entries move to the front so the caller frees one block. */
    memmove(buf, buf + sizeof(struct idx_hdr), out->hdr.count * sizeof(struct idx_entry));
    out->e = (struct idx_entry *)buf;
    return 0;
}

int idx_write(int dirfd, const char *name, const uint8_t pack_id[8],
              uint64_t pack_size, struct idx_entry *e, uint64_t n)
{
    struct idx_hdr h;
    uint8_t sum[32];
    EVP_MD_CTX *ctx;
    int fd, rc;

    qsort(e, n, sizeof(*e), cmp_entry);
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
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc)
        unlinkat(dirfd, name, 0);
    return rc;
}

int pack_writer_open(struct store *s, struct pack_writer *w)
{
    struct pack_hdr h;
    char name[32];

    memset(w, 0, sizeof(*w));
    w->buf = malloc(PACK_BUF_SIZE);
    if (!w->buf)
        return -ENOMEM;
    store_random_id(w->raw_id, w->id);
    snprintf(name, sizeof(name), "%s.pack", w->id);
    w->fd = openat(s->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (w->fd < 0) {
        free(w->buf);
        w->buf = NULL;
        return store_err(s, -errno, "creating tmp/%s: %s", name, strerror(errno));
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, PACK_MAGIC, 8);
    h.version = STORE_VERSION;
    memcpy(h.pack_id, w->raw_id, 8);
    memcpy(w->buf, &h, sizeof(h));
    w->buf_used = w->size = sizeof(h);
    return 0;
}

/* Start writeback every few MiB so the final fsync has little left to do. */
#define PACK_SYNC_STEP (8u << 20)

static int pack_flush(struct pack_writer *w)
{
    int rc = fs_write_all(w->fd, w->buf, w->buf_used);
    uint64_t done = w->size;

    w->buf_used = 0;
    if (!rc && done - w->synced >= PACK_SYNC_STEP) {
        sync_file_range(w->fd, (off_t)w->synced, (off_t)(done - w->synced),
                        SYNC_FILE_RANGE_WRITE);
        w->synced = done;
    }
    return rc;
}

int pack_writer_add(struct pack_writer *w, const uint8_t hash[32],
                    const uint8_t *data, uint32_t len, uint16_t enc,
                    uint64_t *off)
{
    size_t rec = (size_t)store_align8(sizeof(struct chunk_hdr) + len);
    struct chunk_hdr *ch;
    struct idx_entry *e;
    int rc;

    if (w->n == w->cap) {
        uint64_t ncap = w->cap ? w->cap * 2 : 1024;
        e = realloc(w->e, ncap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        w->e = e;
        w->cap = ncap;
    }
    if (w->buf_used + rec > PACK_BUF_SIZE) {
        rc = pack_flush(w);
        if (rc)
            return rc;
    }
    ch = (struct chunk_hdr *)(w->buf + w->buf_used);
    memcpy(ch->hash, hash, 32);
    ch->stored_len = len;
    ch->encoding = enc;
    ch->reserved = 0;
    memcpy(ch + 1, data, len);
    memset((uint8_t *)(ch + 1) + len, 0, rec - sizeof(*ch) - len);
    e = &w->e[w->n++];
    memcpy(e->hash, hash, 32);
    e->offset = w->size;
    e->stored_len = len;
    e->encoding = enc;
    e->reserved = 0;
    *off = w->size;
    w->buf_used += rec;
    w->size += rec;
    return 0;
}

int pack_writer_commit(struct store *s, struct pack_writer *w)
{
    char pname[32], iname[32];
    struct idx_file f;
    int rc;

    snprintf(pname, sizeof(pname), "%s.pack", w->id);
    snprintf(iname, sizeof(iname), "%s.idx", w->id);
    rc = pack_flush(w);
    if (!rc && fsync(w->fd) < 0)
        rc = -errno;
    if (rc)
        return store_err(s, rc, "writing tmp/%s: %s", pname, strerror(-rc));
    rc = idx_write(s->tmpfd, iname, w->raw_id, w->size, w->e, w->n);
    if (rc)
        return store_err(s, rc, "writing tmp/%s: %s", iname, strerror(-rc));
    /* The pack goes first: an idx in packs/ always has its whole pack. */
    if (renameat(s->tmpfd, pname, s->packsfd, pname) < 0 ||
        renameat(s->tmpfd, iname, s->packsfd, iname) < 0)
        return store_err(s, -errno, "committing pack %s: %s", w->id, strerror(errno));
    rc = fs_fsync_dir(s->packsfd);
    if (!rc)
        rc = fs_fsync_dir(s->tmpfd);
    if (rc)
        return store_err(s, rc, "fsync packs/: %s", strerror(-rc));
    memset(&f, 0, sizeof(f));
    f.hdr.count = w->n;
    f.hdr.pack_size = w->size;
    f.e = w->e;
    rc = store_add_pack(s, w->id, &f);
    close(w->fd);
    w->fd = -1;
    free(w->buf);
    free(w->e);
    w->buf = NULL;
    w->e = NULL;
    return rc;
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
    free(w->buf);
    free(w->e);
    w->buf = NULL;
    w->e = NULL;
}

/* Checks a chunk read from a pack: header, decoding, then the hash. */
int pack_check_chunk(struct store_codec *c, const uint8_t *rec,
                     const uint8_t hash[32], uint32_t len, uint16_t enc,
                     uint8_t *page, const char **why)
{
    const struct chunk_hdr *ch = (const struct chunk_hdr *)rec;
    uint8_t got[32];

    if (memcmp(ch->hash, hash, 32) || ch->stored_len != len ||
        ch->encoding != enc || ch->reserved) {
        *why = "chunk header does not match the index";
        return -EBADMSG;
    }
    if (codec_decode(c, enc, rec + sizeof(*ch), len, page)) {
        *why = "data does not decode";
        return -EBADMSG;
    }
    if (codec_hash(c, page, got))
        return -EIO;
    if (memcmp(got, hash, 32)) {
        *why = "data does not match its hash";
        return -EBADMSG;
    }
    return 0;
}

int pack_read_chunk(struct store *s, const struct store_loc *loc, uint8_t *page)
{
    uint8_t rec[sizeof(struct chunk_hdr) + STORE_PAGE_SIZE];
    const char *why = "";
    char hex[65];
    int fd, rc;

    store_hash_hex(loc->hash, hex);
    fd = store_pack_fd(s, loc->pack);
    if (fd < 0)
        return store_err(s, fd, "page %s: pack %s: %s", hex,
                         s->packs[loc->pack].name, strerror(-fd));
    rc = fs_pread_all(fd, rec, sizeof(struct chunk_hdr) + loc->len, loc->off);
    if (rc == -ENODATA)
        return store_err(s, -EBADMSG, "page %s: pack %s is truncated", hex,
                         s->packs[loc->pack].name);
    if (rc)
        return store_err(s, rc, "page %s: reading pack %s: %s", hex,
                         s->packs[loc->pack].name, strerror(-rc));
    rc = pack_check_chunk(&s->codec, rec, loc->hash, loc->len, loc->enc, page, &why);
    if (rc)
        return store_err(s, rc, "page %s corrupt in pack %s: %s", hex,
                         s->packs[loc->pack].name, why);
    return 0;
}
