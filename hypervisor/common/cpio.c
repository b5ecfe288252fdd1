/*
 * newc cpio writer. Each entry is a 110-byte ASCII header ("070701" and thirteen 8-digit hex
 * fields), the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes. Linux
 * unpacks such an archive when it follows another in the initrd at a 4-byte boundary.
 */
#include <tern/cpio.h>
#include <tern/string.h>

#define MODE_DIR 0040755u
#define MODE_FILE 0100644u

struct writer {
    cpio_out_fn out;
    void *ctx;
    size_t len;
    uint32_t ino;
};

static void emit(struct writer *w, const void *p, size_t len)
{
    if (w->out && len)
        w->out(w->ctx, p, len);
    w->len += len;
}

static void pad4(struct writer *w)
{
    static const char zeros[4];
    emit(w, zeros, (4 - (w->len & 3)) & 3);
}

static void hex8(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
}

/* One entry: name is the first name_len characters of name. */
static void entry(struct writer *w, const char *name, size_t name_len, uint32_t mode,
                  const void *data, size_t len)
{
    char hdr[110];
    uint32_t fields[13] = { ++w->ino, mode, 0, 0, (mode & 0040000) ? 2 : 1, 0, (uint32_t)len,
                            0, 0, 0, 0, (uint32_t)name_len + 1, 0 };

    memcpy(hdr, "070701", 6);
    for (int i = 0; i < 13; i++)
        hex8(hdr + 6 + 8 * i, fields[i]);
    emit(w, hdr, sizeof(hdr));
    emit(w, name, name_len);
    emit(w, "", 1);
    pad4(w);
    emit(w, data, len);
    pad4(w);
}

bool cpio_path_ok(const char *path)
{
    size_t len, comp = 0;

    while (*path == '/')
        path++;
    len = strlen(path);
    if (!len || len > CPIO_PATH_MAX)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (path[i] && path[i] != '/') {
            comp++;
            continue;
        }
        const char *c = path + i - comp;
        if (!comp || (comp == 1 && c[0] == '.') || (comp == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        comp = 0;
    }
    return true;
}

size_t cpio_write(const struct cpio_file *files, unsigned int n, cpio_out_fn out, void *ctx)
{
    struct writer w = { .out = out, .ctx = ctx };

    for (unsigned int i = 0; i < n; i++)
        if (!cpio_path_ok(files[i].path) || files[i].len > 0xffffffffu)
            return 0;
    for (unsigned int i = 0; i < n; i++) {
        const char *p = files[i].path;
        while (*p == '/')
            p++;
        /* the parents first: an entry for every prefix ending before a '/' */
        for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
            entry(&w, p, (size_t)(s - p), MODE_DIR, NULL, 0);
        entry(&w, p, strlen(p), MODE_FILE, files[i].data, files[i].len);
    }
    entry(&w, "TRAILER!!!", 10, 0, NULL, 0);
    return w.len;
}
