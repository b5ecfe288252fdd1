/* The snapshot metadata file: name, parent, labels, sizes and the manifest's SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

#define META_MAX_BYTES (64u * 1024u)

/* Appends s and its NUL to buf at *at. */
static void put_str(uint8_t *buf, size_t *at, const char *s)
{
    size_t n = strlen(s) + 1;

    memcpy(buf + *at, s, n);
    *at += n;
}

int meta_write(int dirfd, const char *name, const struct snap_meta *m)
{
    const struct store_snap_info *in = &m->info;
    struct meta_hdr h = m->h;
    uint8_t *buf;
    size_t at, strs, total;
    uint32_t i;
    int fd, rc;

    strs = strlen(in->name) + 1 + strlen(in->parent) + 1;
    for (i = 0; i < in->nlabels; i++)
        strs += strlen(in->labels[i]) + 1;
    total = sizeof(h) + store_align8(strs) + 32;
    buf = calloc(1, total);
    if (!buf)
        return -ENOMEM;
    memcpy(h.magic, META_MAGIC, 8);
    h.version = STORE_VERSION;
    h.hdr_size = sizeof(h);
    h.name_len = (uint16_t)strlen(in->name);
    h.parent_len = (uint16_t)strlen(in->parent);
    h.nlabels = in->nlabels;
    h.strings_len = (uint32_t)store_align8(strs);
    memcpy(buf, &h, sizeof(h));
    at = sizeof(h);
    put_str(buf, &at, in->name);
    put_str(buf, &at, in->parent);
    for (i = 0; i < in->nlabels; i++)
        put_str(buf, &at, in->labels[i]);
    if (!EVP_Digest(buf, total - 32, buf + total - 32, NULL, EVP_sha256(), NULL)) {
        free(buf);
        return -EIO;
    }
    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) {
        free(buf);
        return -errno;
    }
    rc = fs_write_all(fd, buf, total);
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    free(buf);
    return rc;
}

/* Takes the next NUL-terminated string of at most max bytes. */
static int get_str(const uint8_t *p, size_t end, size_t *at, char *out, size_t max)
{
    const uint8_t *nul = memchr(p + *at, 0, end - *at);
    size_t n;

    if (!nul)
        return -EBADMSG;
    n = (size_t)(nul - (p + *at));
    if (n > max)
        return -EBADMSG;
    memcpy(out, p + *at, n + 1);
    *at += n + 1;
    return 0;
}

static int meta_parse(const uint8_t *buf, size_t len, struct snap_meta *m,
                      const char **why)
{
    struct meta_hdr *h = &m->h;
    struct store_snap_info *in = &m->info;
    uint8_t sum[32];
    size_t at, end;
    uint32_t i;

    *why = "too short";
    if (len < sizeof(*h) + 32)
        return -EBADMSG;
    memcpy(h, buf, sizeof(*h));
    *why = "bad header";
    if (memcmp(h->magic, META_MAGIC, 8) || h->version != STORE_VERSION ||
        h->hdr_size != sizeof(*h) || len != sizeof(*h) + (size_t)h->strings_len + 32 ||
        (h->kind != SNAP_KIND_STREAM && h->kind != SNAP_KIND_IMAGE) ||
        h->nlabels > STORE_LABELS_MAX)
        return -EBADMSG;
    *why = "checksum mismatch";
    if (!EVP_Digest(buf, len - 32, sum, NULL, EVP_sha256(), NULL) ||
        memcmp(sum, buf + len - 32, 32))
        return -EBADMSG;
    *why = "bad strings";
    at = sizeof(*h);
    end = len - 32;
    if (get_str(buf, end, &at, in->name, STORE_NAME_MAX) ||
        get_str(buf, end, &at, in->parent, STORE_NAME_MAX) ||
        strlen(in->name) != h->name_len || strlen(in->parent) != h->parent_len)
        return -EBADMSG;
    for (i = 0; i < h->nlabels; i++)
        if (get_str(buf, end, &at, in->labels[i], STORE_LABEL_MAX))
            return -EBADMSG;
    in->nlabels = h->nlabels;
    for (i = 0; i < 16; i++)
        snprintf(in->id + 2 * i, 3, "%02x", h->snap_id[i]);
    in->ctime_ns = h->ctime_ns;
    in->pages = h->pages;
    in->zero_pages = h->zero_pages;
    in->max_pfn = h->max_pfn;
    in->image_size = h->image_size;
    in->manifest_bytes = h->manifest_size;
    return 0;
}

int meta_read(int dirfd, const char *name, struct snap_meta *m, char *msg,
              size_t msglen)
{
    const char *why = "";
    uint8_t *buf;
    size_t len;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = fs_slurp(dirfd, name, META_MAX_BYTES, &buf, &len);
    if (rc) {
        snprintf(msg, msglen, "cannot read metadata: %s", strerror(-rc));
        return rc;
    }
    rc = meta_parse(buf, len, m, &why);
    if (rc)
        snprintf(msg, msglen, "metadata corrupt: %s", why);
    free(buf);
    return rc;
}
