/* Uncompressed newc cpio archives, the format of Linux's initramfs (common/cpio.c). */
#ifndef TERN_CPIO_H
#define TERN_CPIO_H

#include <tern/types.h>

#define CPIO_PATH_MAX 255

struct cpio_file {
    const char *path; /* where the file appears; a leading '/' is dropped */
    const void *data;
    size_t len;
};

/* Receives the archive piece by piece, in order. */
typedef void (*cpio_out_fn)(void *ctx, const void *p, size_t len);

/* True if path names a file cpio_write will take: relative or absolute, no empty, "." or
 * ".." components, at most CPIO_PATH_MAX characters. */
bool cpio_path_ok(const char *path);

/*
 * Writes an archive holding each file (mode 0644), after entries for its parent directories
 * (0755), then the trailer; the length is a multiple of 4. Returns that length, or 0 if a
 * path is not cpio_path_ok. With out == NULL nothing is written: the length alone.
 */
size_t cpio_write(const struct cpio_file *files, unsigned int n, cpio_out_fn out, void *ctx);

#endif
