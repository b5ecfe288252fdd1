/* `tern store put` and `tern store get`: images and save streams into and out of the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_store.h"
#include "tern/transport.h"

#define IO_PAGES 2048u /* pages per read or write: 8 MiB */

struct store *store_cmd_open(const struct store_opts *o, unsigned flags)
{
    struct store *s = NULL;
    char msg[512];

    if (store_open(o->store, flags, &s, msg, sizeof(msg))) {
        cli_err("%s", msg);
        return NULL;
    }
    return s;
}

/* Reads len bytes or up to end of input. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* A transport that first hands back bytes already read to sniff the format. */
struct prefixed {
    int fd;
    uint8_t pre[8];
    size_t npre, pos;
};

static int prefixed_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return -EBADF;
}

static ssize_t prefixed_read(void *ctx, void *buf, size_t len)
{
    struct prefixed *p = ctx;
    ssize_t n;

    if (p->pos < p->npre) {
        n = (ssize_t)(p->npre - p->pos < len ? p->npre - p->pos : len);
        memcpy(buf, p->pre + p->pos, (size_t)n);
        p->pos += (size_t)n;
        return n;
    }
    do
        n = read(p->fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static int prefixed_close(void *ctx, struct tern_stream_error *err)
{
    (void)ctx, (void)err;
    return 0;
}

static const struct tern_transport_ops prefixed_ops = {
    "prefixed", prefixed_write, prefixed_read, NULL, prefixed_close,
};

static int put_stream(struct store *s, struct prefixed *in, const struct store_meta *m,
                      struct store_put_stats *st, struct cli_progress *pg)
{
    struct tern_transport *t = NULL;
    int rc;

    rc = tern_transport_new(&t, &prefixed_ops, in);
    if (rc)
        return rc;
    rc = store_import_transport(s, t, m, st, progress_cb, pg);
    tern_transport_close(t, NULL);
    return rc;
}

static int put_image(struct store *s, struct prefixed *in, const struct store_meta *m,
                     uint64_t total, struct store_put_stats *st, struct cli_progress *pg)
{
    struct store_put *p = NULL;
    uint64_t pfn = 0, bytes = in->npre;
    uint8_t *buf;
    ssize_t n;
    int rc;

    buf = malloc((size_t)IO_PAGES * STORE_PAGE_SIZE);
    if (!buf)
        return -ENOMEM;
    rc = store_put_begin(s, m, &p);
    memcpy(buf, in->pre, in->npre);
    for (n = (ssize_t)in->npre; !rc; n = 0) {
        ssize_t got = read_full(in->fd, buf + n, (size_t)IO_PAGES * STORE_PAGE_SIZE - (size_t)n);
        if (got < 0) {
            rc = (int)got;
            cli_err("reading input: %s", strerror((int)-got));
            break;
        }
        n += got;
        bytes += (uint64_t)got;
        if (n == 0)
            break;
        /* A short last page is padded with zeros; image_size keeps the length. */
        memset(buf + n, 0, (size_t)(-n & (STORE_PAGE_SIZE - 1)));
        rc = store_put_pages(p, pfn, ((uint64_t)n + STORE_PAGE_SIZE - 1) / STORE_PAGE_SIZE, buf);
        pfn += ((uint64_t)n + STORE_PAGE_SIZE - 1) / STORE_PAGE_SIZE;
        progress_cb(pg, bytes, total);
        if ((size_t)n < (size_t)IO_PAGES * STORE_PAGE_SIZE)
            break;
    }
    free(buf);
    if (rc) {
        store_put_abort(p);
        return rc;
    }
    store_put_set_image_size(p, bytes);
    store_put_get_stats(p, st);
    return store_put_commit(p);
}

/* Opens the input and sniffs the stream magic unless the format is forced. */
static int open_input(const char *path, const char *format, struct prefixed *in,
                      int *is_stream, uint64_t *total)
{
    struct stat st;
    ssize_t n;

    memset(in, 0, sizeof(*in));
    in->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (in->fd < 0) {
        cli_err("%s: %s", path, strerror(errno));
        return -1;
    }
    *total = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    if (*total)
        posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint: larger read-ahead */
    n = read_full(in->fd, in->pre, sizeof(in->pre));
    if (n < 0) {
        cli_err("%s: %s", path, strerror((int)-n));
        return -1;
    }
    in->npre = (size_t)n;
    if (format && strcmp(format, "auto"))
        *is_stream = !strcmp(format, "stream");
    else
        *is_stream = n == 8 && !memcmp(in->pre, TERN_STREAM_MAGIC, 8);
    return 0;
}

static void put_report(const struct store_opts *o, const char *kind,
                       const struct store_put_stats *st)
{
    struct cli_json j;
    char a[32], b[32];

    if (!o->json) {
        printf("stored %s (%s): %llu pages, %llu zero, %llu new, %llu already stored; "
               "%s logical, %s written\n", o->name, kind, (unsigned long long)st->pages,
               (unsigned long long)st->zero_pages, (unsigned long long)st->new_chunks,
               (unsigned long long)st->dup_pages,
               cli_size(st->pages * STORE_PAGE_SIZE, a, sizeof(a)),
               cli_size(st->stored_bytes, b, sizeof(b)));
        return;
    }
    json_init(&j, stdout);
    json_obj(&j, NULL);
    json_str(&j, "name", o->name);
    json_str(&j, "kind", kind);
    json_u64(&j, "pages", st->pages);
    json_u64(&j, "zero_pages", st->zero_pages);
    json_u64(&j, "new_chunks", st->new_chunks);
    json_u64(&j, "dup_pages", st->dup_pages);
    json_u64(&j, "raw_chunks", st->raw_chunks);
    json_u64(&j, "zlib_chunks", st->zlib_chunks);
    json_u64(&j, "logical_bytes", st->pages * STORE_PAGE_SIZE);
    json_u64(&j, "stored_bytes", st->stored_bytes);
    json_end(&j, '}');
}

int store_cmd_put(struct store_opts *o, int argc, char **argv)
{
    struct store_meta m = { o->name, o->parent, o->labels, o->nlabels, 0 };
    struct store_put_stats st;
    struct cli_progress pg;
    struct prefixed in;
    struct store *s;
    uint64_t total;
    int rc, is_stream;

    (void)argc;
    if (!o->name) {
        cli_err("store put: --name is required");
        return CLI_USAGE;
    }
    if (!store_name_valid(o->name)) {
        cli_err("store put: invalid name '%s' ([A-Za-z0-9._-], 1..64, no leading '.')", o->name);
        return CLI_USAGE;
    }
    if (open_input(argv[0], o->format, &in, &is_stream, &total))
        return CLI_FAIL;
    s = store_cmd_open(o, STORE_CREATE);
    if (!s) {
        rc = CLI_FAIL;
        goto out_in;
    }
    memset(&st, 0, sizeof(st));
    progress_init(&pg, "put", !o->quiet);
    if (is_stream)
        rc = put_stream(s, &in, &m, &st, &pg);
    else
        rc = put_image(s, &in, &m, total, &st, &pg);
    progress_done(&pg);
    if (rc)
        cli_err("store put %s: %s", o->name, store_last_error(s));
    else
        put_report(o, is_stream ? "stream" : "image", &st);
    rc = rc ? CLI_FAIL : CLI_OK;
    store_close(s);
out_in:
    if (in.fd != STDIN_FILENO)
        close(in.fd);
    return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* *said is set when the failure was already reported (output errors). */
static int get_image(struct store_snap *snap, int fd, struct cli_progress *pg, int *said)
{
    struct store_snap_info info;
    uint64_t pfn = 0, left;
    uint8_t *buf;
    int rc = 0;

    store_snap_get_info(snap, &info);
    left = info.image_size;
    buf = malloc((size_t)IO_PAGES * STORE_PAGE_SIZE);
    if (!buf)
        return -ENOMEM;
    while (left && !rc) {
        uint64_t bytes = left < (uint64_t)IO_PAGES * STORE_PAGE_SIZE
                             ? left : (uint64_t)IO_PAGES * STORE_PAGE_SIZE;
        uint64_t pages = (bytes + STORE_PAGE_SIZE - 1) / STORE_PAGE_SIZE;
        rc = store_read_pages(snap, pfn, pages, buf);
        if (!rc && (rc = write_all(fd, buf, (size_t)bytes))) {
            cli_err("writing output: %s", strerror(-rc));
            *said = 1;
        }
        pfn += pages;
        left -= bytes;
        progress_cb(pg, info.image_size - left, info.image_size);
    }
    free(buf);
    return rc;
}

/* Output goes to a temporary file renamed over FILE only when complete. */
static int open_output(const struct store_opts *o, char *tmp, size_t len)
{
    int fd;

    if (!o->output)
        return STDOUT_FILENO;
    snprintf(tmp, len, "%s.tmp-%ld", o->output, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        cli_err("%s: %s", tmp, strerror(errno));
    return fd;
}

static int finish_output(const struct store_opts *o, int fd, const char *tmp, int ok)
{
    if (fd == STDOUT_FILENO)
        return ok ? 0 : -1;
    if (ok && (fsync(fd) < 0 || rename(tmp, o->output) < 0)) {
        cli_err("%s: %s", o->output, strerror(errno));
        ok = 0;
    }
    close(fd);
    if (!ok)
        unlink(tmp);
    return ok ? 0 : -1;
}

int store_cmd_get(struct store_opts *o, int argc, char **argv)
{
    int stream = o->format && !strcmp(o->format, "stream");
    struct store_snap *snap = NULL;
    struct cli_progress pg;
    struct store *s;
    char tmp[4096];
    int fd, rc, said = 0;

    (void)argc;
    if (!o->output && isatty(STDOUT_FILENO)) {
        cli_err("store get: refusing to write binary data to a terminal; use -o FILE");
        return CLI_USAGE;
    }
    if (!o->output && o->json) {
        cli_err("store get: --json needs -o FILE (stdout carries the data)");
        return CLI_USAGE;
    }
    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    rc = store_snap_open(s, argv[0], &snap);
    if (rc) {
        cli_err("%s", store_last_error(s));
        store_close(s);
        return CLI_FAIL;
    }
    fd = open_output(o, tmp, sizeof(tmp));
    rc = -1;
    if (fd >= 0) {
        progress_init(&pg, "get", !o->quiet);
        rc = stream ? store_export_stream(snap, fd, 1, progress_cb, &pg)
                    : get_image(snap, fd, &pg, &said);
        progress_done(&pg);
        if (rc && !said)
            cli_err("store get %s: %s", argv[0], store_last_error(s));
        rc = finish_output(o, fd, tmp, !rc);
    }
    if (!rc && o->json) {
        struct cli_json j;
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_str(&j, "name", argv[0]);
        json_str(&j, "format", stream ? "stream" : "image");
        json_str(&j, "output", o->output);
        json_end(&j, '}');
    }
    store_snap_close(snap);
    store_close(s);
    return rc ? CLI_FAIL : CLI_OK;
}
