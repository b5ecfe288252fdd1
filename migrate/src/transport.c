/* Generic transport calls, the completion handshake, and the fd and memory transports. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "internal.h"

int tern_transport_new(struct tern_transport **tp, const struct tern_transport_ops *ops, void *ctx)
{
	struct tern_transport *t = calloc(1, sizeof(*t));
	*tp = t;
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->ctx = ctx;
	return 0;
}

int tern_transport_write(struct tern_transport *t, const void *buf, size_t len)
{
	return t->ops->write(t->ctx, buf, len);
}

ssize_t tern_transport_read(struct tern_transport *t, void *buf, size_t len)
{
	return t->ops->read(t->ctx, buf, len);
}

int tern_transport_read_full(struct tern_transport *t, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t k = tern_transport_read(t, (uint8_t *)buf + got, len - got);
		if (k == 0)
			return -ENODATA;
		if (k < 0)
			return (int)k;
		got += (size_t)k;
	}
	return 0;
}

/* Read one reply line (bounded); 0 and the line, or -errno. */
static int read_line(struct tern_transport *t, char *line, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t k = tern_transport_read(t, line + n, 1);
		if (k < 0)
			return (int)k;
		if (k == 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return n ? 0 : -ECONNRESET;
}

int tern_transport_finish(struct tern_transport *t, struct tern_stream_error *err)
{
	int rc = t->ops->shutdown_write ? t->ops->shutdown_write(t->ctx) : 0;
	if (rc) {
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "closing the sending side: %s", strerror(-rc));
		return rc;
	}
	return tern_transport_await_reply(t, err);
}

int tern_transport_await_reply(struct tern_transport *t, struct tern_stream_error *err)
{
	char line[300];
	int rc = read_line(t, line, sizeof(line));
	if (rc) {
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE,
			     "receiver did not confirm the stream (%s): treat it as not received",
			     strerror(-rc));
		return rc;
	}
	if (!strncmp(line, "OK ", 3))
		return 0;
	tern_err_set(err, -EIO, TERN_REC_NONE, TERN_OFFSET_NONE, "receiver refused the stream: %s",
		     !strncmp(line, "ERR ", 4) ? line + 4 : line);
	return -EIO;
}

int tern_transport_reply(struct tern_transport *t, int status, uint64_t bytes, const char *msg)
{
	char line[300];
	int n;
	if (!status)
		n = snprintf(line, sizeof(line), "OK %llu\n", (unsigned long long)bytes);
	else
		n = snprintf(line, sizeof(line), "ERR %.280s\n", msg ? msg : strerror(-status));
	for (char *p = line; p < line + n - 1; p++)
		if (*p == '\n')
			*p = ' ';
	return tern_transport_write(t, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

int tern_transport_close(struct tern_transport *t, struct tern_stream_error *err)
{
	struct tern_stream_error scratch;
	if (!t)
		return 0;
	int rc = t->ops->close ? t->ops->close(t->ctx, err ? err : &scratch) : 0;
	free(t);
	return rc;
}

/* ---- file descriptors: files, pipes, stdin/stdout, accepted sockets */

struct fd_ctx {
	int fd;
	bool own;
	struct tern_transport *t;
};

static int fd_wait(struct fd_ctx *c, short ev)
{
	if (c->t->timeout_ms <= 0)
		return 0;
	struct pollfd p = { .fd = c->fd, .events = ev };
	int k;
	do
		k = poll(&p, 1, c->t->timeout_ms);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	return k == 0 ? -ETIMEDOUT : 0;
}

static int fd_write(void *ctx, const void *buf, size_t len)
{
	struct fd_ctx *c = ctx;
	const uint8_t *p = buf;
	while (len) {
		int rc = fd_wait(c, POLLOUT);
		if (rc)
			return rc;
		ssize_t k = write(c->fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static ssize_t fd_read(void *ctx, void *buf, size_t len)
{
	struct fd_ctx *c = ctx;
	for (;;) {
		int rc = fd_wait(c, POLLIN);
		if (rc)
			return rc;
		ssize_t k = read(c->fd, buf, len);
		if (k >= 0)
			return k;
		if (errno != EINTR)
			return -errno;
	}
}

static int fd_close(void *ctx, struct tern_stream_error *err)
{
	struct fd_ctx *c = ctx;
	int rc = 0;
	(void)err;
	if (c->own && close(c->fd))
		rc = -errno;
	free(c);
	return rc;
}

static const struct tern_transport_ops fd_ops = {
	.name = "fd", .write = fd_write, .read = fd_read, .close = fd_close,
};

int tern_transport_fd(struct tern_transport **t, int fd, bool own)
{
	struct fd_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		*t = NULL;
		return -ENOMEM;
	}
	c->fd = fd;
	c->own = own;
	int rc = tern_transport_new(t, &fd_ops, c);
	if (rc)
		free(c);
	else
		c->t = *t;
	return rc;
}

/* ---- memory buffer, read-only (fuzzing, in-memory manifests) */

struct mem_ctx {
	const uint8_t *buf;
	size_t len, pos;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return -EBADF;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_ctx *m = ctx;
	size_t k = m->len - m->pos < len ? m->len - m->pos : len;
	memcpy(buf, m->buf + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static int mem_close(void *ctx, struct tern_stream_error *err)
{
	(void)err;
	free(ctx);
	return 0;
}

static const struct tern_transport_ops mem_ops = {
	.name = "mem", .write = mem_write, .read = mem_read, .close = mem_close,
};

int tern_transport_mem(struct tern_transport **t, const void *buf, size_t len)
{
	struct mem_ctx *m = calloc(1, sizeof(*m));
	if (!m) {
		*t = NULL;
		return -ENOMEM;
	}
	m->buf = buf;
	m->len = len;
	int rc = tern_transport_new(t, &mem_ops, m);
	if (rc)
		free(m);
	return rc;
}
