/* TCP transport: connect with a deadline, listen/accept, MSG_NOSIGNAL sends, half-close. */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "internal.h"

struct tcp_ctx {
	int fd;
	struct tern_transport *t;
};

static int tcp_wait(struct tcp_ctx *c, short ev)
{
	struct pollfd p = { .fd = c->fd, .events = ev };
	int k;
	do
		k = poll(&p, 1, c->t->timeout_ms > 0 ? c->t->timeout_ms : -1);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	return k == 0 ? -ETIMEDOUT : 0;
}

/*
 * The receiver only speaks after the stream, so data arriving while we
 * send is a refusal: stop at once and leave its reply line to be read.
 */
static int tcp_write(void *ctx, const void *buf, size_t len)
{
	struct tcp_ctx *c = ctx;
	const uint8_t *p = buf;
	while (len) {
		char peek;
		if (recv(c->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			return -ECONNABORTED;
		int rc = tcp_wait(c, POLLOUT);
		if (rc)
			return rc;
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static ssize_t tcp_read(void *ctx, void *buf, size_t len)
{
	struct tcp_ctx *c = ctx;
	for (;;) {
		int rc = tcp_wait(c, POLLIN);
		if (rc)
			return rc;
		ssize_t k = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (k >= 0)
			return k;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static int tcp_shutdown(void *ctx)
{
	struct tcp_ctx *c = ctx;
	return shutdown(c->fd, SHUT_WR) ? -errno : 0;
}

static int tcp_close(void *ctx, struct tern_stream_error *err)
{
	struct tcp_ctx *c = ctx;
	(void)err;
	close(c->fd);
	free(c);
	return 0;
}

static const struct tern_transport_ops tcp_ops = {
	.name = "tcp", .write = tcp_write, .read = tcp_read,
	.shutdown_write = tcp_shutdown, .close = tcp_close,
};

static int wrap_socket(struct tern_transport **tp, int fd, int timeout_ms)
{
	struct tcp_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	int rc = tern_transport_new(tp, &tcp_ops, c);
	if (rc) {
		free(c);
		return rc;
	}
	c->t = *tp;
	(*tp)->timeout_ms = timeout_ms;
	return 0;
}

/* Non-blocking connect bounded by timeout_ms. */
static int connect_one(const struct addrinfo *ai, int timeout_ms, int *fdp)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		rc = -errno;
	if (!rc) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int k = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (k == 0)
			rc = -ETIMEDOUT;
		else if (k < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			rc = -errno;
		else if (soerr)
			rc = -soerr;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

int tern_tcp_connect_fd(const char *host, uint16_t port, int timeout_ms, int *fdp,
			struct tern_stream_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g) {
		tern_err_set(err, -EHOSTUNREACH, TERN_REC_NONE, TERN_OFFSET_NONE, "resolving %s: %s", host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int rc = -EHOSTUNREACH;
	for (ai = res; ai && rc; ai = ai->ai_next)
		rc = connect_one(ai, timeout_ms, fdp);
	freeaddrinfo(res);
	if (rc)
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "connecting to %s:%u: %s", host, port, strerror(-rc));
	else
		fcntl(*fdp, F_SETFL, fcntl(*fdp, F_GETFL) & ~O_NONBLOCK);
	return rc;
}

int tern_transport_tcp_connect(struct tern_transport **tp, const char *host, uint16_t port,
			       int timeout_ms, struct tern_stream_error *err)
{
	int fd = -1;
	*tp = NULL;
	int rc = tern_tcp_connect_fd(host, port, timeout_ms, &fd, err);
	if (!rc && (rc = wrap_socket(tp, fd, timeout_ms))) {
		close(fd);
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "out of memory");
	}
	return rc;
}

int tern_tcp_listen(const char *host, uint16_t *port, int *listen_fd, struct tern_stream_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", *port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g) {
		tern_err_set(err, -EINVAL, TERN_REC_NONE, TERN_OFFSET_NONE, "resolving %s: %s", host, gai_strerror(g));
		return -EINVAL;
	}
	int one = 1, rc = 0;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rc = -errno;
	else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		 bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 4))
		rc = -errno;
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (!rc && getsockname(fd, (struct sockaddr *)&ss, &sl))
		rc = -errno;
	if (rc) {
		if (fd >= 0)
			close(fd);
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "listening on %s:%u: %s", host, *port, strerror(-rc));
		return rc;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	*listen_fd = fd;
	return 0;
}

int tern_transport_tcp_accept(struct tern_transport **tp, int listen_fd, int timeout_ms,
			      struct tern_stream_error *err)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	*tp = NULL;
	int k = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	int rc = k == 0 ? -ETIMEDOUT : k < 0 ? -errno : 0;
	int fd = rc ? -1 : accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (!rc && fd < 0)
		rc = -errno;
	if (!rc)
		rc = wrap_socket(tp, fd, timeout_ms);
	if (rc) {
		if (fd >= 0)
			close(fd);
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "waiting for a sender: %s", strerror(-rc));
	}
	return rc;
}
