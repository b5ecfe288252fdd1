/* Byte transports the save stream runs over: fd (file, pipe), memory, TCP, SSH exec channel. */
#ifndef TERN_TRANSPORT_H
#define TERN_TRANSPORT_H

/*
 * A transport moves bytes; it knows nothing of records.  Writes are
 * all-or-error, reads may be short, 0 means end of data.  Every blocking
 * operation is bounded by the transport's timeout (timeout_ms, 0 = none):
 * a silent peer becomes -ETIMEDOUT instead of a hang.
 *
 * Completion handshake (network transports and `ternstream recv`): after
 * the last stream byte the sender half-closes (tern_transport_finish) and
 * waits for one reply line from the receiver: "OK <bytes>\n" once the
 * receiver validated END and committed its output, "ERR <text>\n" if it
 * failed.  A missing reply is an error on the sender: a dropped connection
 * is therefore reported on both ends.
 *
 * Writing to a pipe or socket whose reader is gone raises SIGPIPE unless
 * the program ignores it; programs using the fd transport on pipes should
 * set SIGPIPE to SIG_IGN (sockets here use MSG_NOSIGNAL).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tern/stream.h"

struct tern_transport_ops {
	const char *name;
	/* Write all `len` bytes: 0 or -errno. */
	int (*write)(void *ctx, const void *buf, size_t len);
	/* Read up to `len` bytes: count, 0 at end of data, or -errno. */
	ssize_t (*read)(void *ctx, void *buf, size_t len);
	/* No more data will be written (half-close).  May be NULL. */
	int (*shutdown_write)(void *ctx);
	/* Release everything; returns a final error seen at close (e.g. remote exit status). */
	int (*close)(void *ctx, struct tern_stream_error *err);
};

struct tern_transport {
	const struct tern_transport_ops *ops;
	void *ctx;
	int timeout_ms;
	struct tern_stream_error err; /* last transport failure, for messages */
};

/* Wrap custom ops; ctx is passed back to them. */
int tern_transport_new(struct tern_transport **t, const struct tern_transport_ops *ops, void *ctx);

/* File descriptor (file, pipe, stdin/stdout, socket).  own: close(fd) at close. */
int tern_transport_fd(struct tern_transport **t, int fd, bool own);
/* Read-only view of a buffer (not copied; must outlive the transport). */
int tern_transport_mem(struct tern_transport **t, const void *buf, size_t len);

/* TCP client: connect to host:port (numeric or name), bounded by timeout_ms. */
int tern_transport_tcp_connect(struct tern_transport **t, const char *host, uint16_t port,
			       int timeout_ms, struct tern_stream_error *err);
/* TCP server: a listening socket; *port receives the bound port (pass 0 for any). */
int tern_tcp_listen(const char *host, uint16_t *port, int *listen_fd, struct tern_stream_error *err);
/* Accept one connection within timeout_ms; the listening fd stays open. */
int tern_transport_tcp_accept(struct tern_transport **t, int listen_fd, int timeout_ms,
			      struct tern_stream_error *err);

/* SSH: connect, check the host key, authenticate with a key pair, exec `command`. */
struct tern_ssh_params {
	const char *host;
	uint16_t port;
	const char *user;
	const char *pubkey_file;    /* may be NULL: derived from the private key */
	const char *privkey_file;
	const char *passphrase;     /* may be NULL */
	const char *known_hosts;    /* OpenSSH known_hosts file; NULL skips the check (tests only) */
	const char *command;        /* run on the remote side; its stdin gets our writes */
	int timeout_ms;
};
/*
 * Writes go to the remote command's stdin, reads come from its stdout.
 * At close, a non-zero remote exit status becomes -EIO with the command's
 * stderr (first line) in err->msg.
 */
int tern_transport_ssh(struct tern_transport **t, const struct tern_ssh_params *p,
		       struct tern_stream_error *err);

int tern_transport_write(struct tern_transport *t, const void *buf, size_t len);
ssize_t tern_transport_read(struct tern_transport *t, void *buf, size_t len);
/* Read exactly len bytes: 0, -ENODATA on early end, or -errno. */
int tern_transport_read_full(struct tern_transport *t, void *buf, size_t len);
/* Sender side of the completion handshake: half-close, wait for the reply line. */
int tern_transport_finish(struct tern_transport *t, struct tern_stream_error *err);
/* Just wait for the reply line (e.g. after a send failed, to learn why). */
int tern_transport_await_reply(struct tern_transport *t, struct tern_stream_error *err);
/* Receiver side: send "OK <bytes>" (status 0) or "ERR <msg>". */
int tern_transport_reply(struct tern_transport *t, int status, uint64_t bytes, const char *msg);
/* Close and free; returns the close-time error (0 if none). t may be NULL. */
int tern_transport_close(struct tern_transport *t, struct tern_stream_error *err);

#endif
