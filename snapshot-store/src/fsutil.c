/* File helpers for the store: full reads and writes, fsync of directories, atomic renames. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store_internal.h"

int fs_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -ENODATA; /* file shorter than its index says */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Skips done bytes of an iovec array after a short transfer. */
static void iov_advance(struct iovec **iov, int *n, size_t done)
{
    while (*n && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        (*n)--;
    }
    if (*n) {
        (*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
}

int fs_writev_all(int fd, struct iovec *iov, int n)
{
    while (n) {
        ssize_t k = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        iov_advance(&iov, &n, (size_t)k);
    }
    return 0;
}

int fs_preadv_all(int fd, struct iovec *iov, int n, uint64_t off)
{
    while (n) {
        ssize_t k = preadv(fd, iov, n > IOV_MAX ? IOV_MAX : n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (k == 0)
            return -ENODATA;
        iov_advance(&iov, &n, (size_t)k);
        off += (uint64_t)k;
    }
    return 0;
}

/* Reads until len bytes or end of file; *got says how many. */
int fs_read_full(int fd, void *buf, size_t len, size_t *got)
{
    uint8_t *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *got = done;
    return 0;
}

int fs_fsync_dir(int dirfd)
{
    if (fsync(dirfd) < 0 && errno != EINVAL)
        return -errno;
    return 0;
}

int fs_slurp(int dirfd, const char *name, size_t limit, uint8_t **buf,
             size_t *len)
{
    struct stat st;
    uint8_t *b;
    size_t got;
    int fd, rc;

    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out_close;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > limit) {
        rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
        goto out_close;
    }
    b = malloc((size_t)st.st_size + 1);
    if (!b) {
        rc = -ENOMEM;
        goto out_close;
    }
    rc = fs_read_full(fd, b, (size_t)st.st_size, &got);
    if (rc) {
        free(b);
        goto out_close;
    }
    *buf = b;
    *len = got;
out_close:
    close(fd);
    return rc;
}

int fs_rename_noreplace(int olddir, const char *oldname, int newdir,
                        const char *newname)
{
    if (renameat2(olddir, oldname, newdir, newname, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -errno;
    /* File systems without RENAME_NOREPLACE: link() refuses to replace. */
    if (linkat(olddir, oldname, newdir, newname, 0) < 0)
        return -errno;
    unlinkat(olddir, oldname, 0);
    return 0;
}

int fs_remove_dir(int dirfd, const char *name)
{
    struct dirent *de;
    DIR *d;
    int fd, rc = 0;

    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOTDIR ? (unlinkat(dirfd, name, 0) ? -errno : 0)
                                : -errno;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
            rc = -errno;
    }
    closedir(d);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !rc)
        rc = -errno;
    return rc;
}
