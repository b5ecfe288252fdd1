/* Pack and idx files: checked loading and verified chunk reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "store_internal.h"

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
