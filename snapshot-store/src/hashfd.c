/* A stream transport over a file descriptor that hashes every byte, for manifest checksums. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tern/transport.h"
#include "store_internal.h"

static int hashfd_write(void *ctx, const void *buf, size_t len)
{
    struct hashfd *h = ctx;
    int rc = fs_write_all(h->fd, buf, len);

    if (rc)
        return rc;
    if (EVP_DigestUpdate(h->ctx, buf, len) != 1)
        return -EIO;
    h->bytes += len;
    return 0;
}

static ssize_t hashfd_read(void *ctx, void *buf, size_t len)
{
    struct hashfd *h = ctx;
    ssize_t n;

    do
        n = read(h->fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n > 0 && EVP_DigestUpdate(h->ctx, buf, (size_t)n) != 1)
        return -EIO;
    h->bytes += (uint64_t)n;
    return n;
}

static int hashfd_close(void *ctx, struct tern_stream_error *err)
{
    (void)ctx;
    (void)err;
    return 0; /* the fd and digest belong to the caller */
}

static const struct tern_transport_ops hashfd_ops = {
    .name = "hashfd",
    .write = hashfd_write,
    .read = hashfd_read,
    .shutdown_write = NULL,
    .close = hashfd_close,
};

int hashfd_open(struct hashfd *h, int fd, struct tern_transport **t)
{
    int rc;

    h->fd = fd;
    h->bytes = 0;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
        return -ENOMEM;
    }
    rc = tern_transport_new(t, &hashfd_ops, h);
    if (rc) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
    }
    return rc;
}

/* Finishes the digest and frees it; safe to call once after hashfd_open. */
int hashfd_final(struct hashfd *h, uint8_t out[32])
{
    int rc = 0;

    if (!h->ctx)
        return -EINVAL;
    if (out && EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
        rc = -EIO;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    return rc;
}
