/* SSH transport (libssh2): key authentication, host key check, exec channel to a remote command. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <libssh2.h>
#include "internal.h"

/*
 * Like `xl migrate`, the sender runs the receiving command on the far side
 * and streams into its stdin; the reply line comes back on its stdout and
 * the exit status ends the exchange.  libssh2 runs in blocking mode with
 * a session timeout, so every operation is bounded.
 */

struct ssh_ctx {
	int fd;
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;
};

static pthread_once_t ssh_once = PTHREAD_ONCE_INIT;
static int ssh_init_rc;

static void ssh_global_init(void)
{
	ssh_init_rc = libssh2_init(0);
}

static int ssh_errno(int lrc)
{
	switch (lrc) {
	case LIBSSH2_ERROR_TIMEOUT: return -ETIMEDOUT;
	case LIBSSH2_ERROR_ALLOC: return -ENOMEM;
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_CHANNEL_CLOSED:
	case LIBSSH2_ERROR_CHANNEL_EOF_SENT: return -ECONNRESET;
	case LIBSSH2_ERROR_SOCKET_SEND: return -EPIPE;
	default: return -EIO;
	}
}

static int ssh_fail(struct ssh_ctx *c, struct tern_stream_error *err, int lrc, const char *what)
{
	char *msg = NULL;
	if (c->s)
		libssh2_session_last_error(c->s, &msg, NULL, 0);
	int rc = ssh_errno(lrc);
	tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "ssh: %s: %s", what, msg ? msg : "failed");
	return rc;
}

static int ssh_write(void *ctx, const void *buf, size_t len)
{
	struct ssh_ctx *c = ctx;
	const char *p = buf;
	while (len) {
		ssize_t k = libssh2_channel_write(c->ch, p, len);
		if (k < 0)
			return ssh_errno((int)k);
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static ssize_t ssh_read(void *ctx, void *buf, size_t len)
{
	struct ssh_ctx *c = ctx;
	ssize_t k = libssh2_channel_read(c->ch, buf, len);
	return k < 0 ? ssh_errno((int)k) : k;
}

static int ssh_shutdown(void *ctx)
{
	struct ssh_ctx *c = ctx;
	int lrc = libssh2_channel_send_eof(c->ch);
	return lrc ? ssh_errno(lrc) : 0;
}

/* Collect the remote exit status; a failure carries the first line of its stderr. */
static int ssh_close(void *ctx, struct tern_stream_error *err)
{
	struct ssh_ctx *c = ctx;
	int rc = 0;
	if (c->ch) {
		char tail[256] = "";
		ssize_t k = libssh2_channel_read_stderr(c->ch, tail, sizeof(tail) - 1);
		tail[k > 0 ? k : 0] = 0;
		tail[strcspn(tail, "\n")] = 0;
		libssh2_channel_close(c->ch);
		libssh2_channel_wait_closed(c->ch);
		char *sig = NULL;
		libssh2_channel_get_exit_signal(c->ch, &sig, NULL, NULL, NULL, NULL, NULL);
		int status = libssh2_channel_get_exit_status(c->ch);
		if (sig || status) {
			char what[64];
			if (sig)
				snprintf(what, sizeof(what), "was killed by SIG%s", sig);
			else
				snprintf(what, sizeof(what), "exited with status %d", status);
			rc = -EIO;
			tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "remote command %s%s%s", what,
				     tail[0] ? ": " : "", tail);
		}
		libssh2_free(c->s, sig);
		libssh2_channel_free(c->ch);
	}
	if (c->s) {
		libssh2_session_disconnect(c->s, "done");
		libssh2_session_free(c->s);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}

static const struct tern_transport_ops ssh_ops = {
	.name = "ssh", .write = ssh_write, .read = ssh_read,
	.shutdown_write = ssh_shutdown, .close = ssh_close,
};

static int known_host_type(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

static int check_host_key(struct ssh_ctx *c, const struct tern_ssh_params *p,
			  struct tern_stream_error *err)
{
	size_t klen;
	int ktype;
	const char *key = libssh2_session_hostkey(c->s, &klen, &ktype);
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->s);
	int rc = -EACCES;
	if (!key || !kh) {
		rc = -EIO;
	} else if (libssh2_knownhost_readfile(kh, p->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		tern_err_set(err, -ENOENT, TERN_REC_NONE, TERN_OFFSET_NONE, "ssh: cannot read known hosts %s", p->known_hosts);
		libssh2_knownhost_free(kh);
		return -ENOENT;
	} else {
		int m = libssh2_knownhost_checkp(kh, p->host, p->port, key, klen,
						 LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
							 known_host_type(ktype),
						 NULL);
		rc = m == LIBSSH2_KNOWNHOST_CHECK_MATCH ? 0 : -EACCES;
	}
	if (kh)
		libssh2_knownhost_free(kh);
	if (rc)
		tern_err_set(err, rc, TERN_REC_NONE, TERN_OFFSET_NONE, "ssh: host key of %s:%u not in %s (or changed)",
			     p->host, p->port, p->known_hosts);
	return rc;
}

static int ssh_setup(struct ssh_ctx *c, const struct tern_ssh_params *p, struct tern_stream_error *err)
{
	int lrc;
	int rc = tern_tcp_connect_fd(p->host, p->port, p->timeout_ms, &c->fd, err);
	if (rc)
		return rc;
	c->s = libssh2_session_init();
	if (!c->s)
		return ssh_fail(c, err, LIBSSH2_ERROR_ALLOC, "session");
	libssh2_session_set_blocking(c->s, 1);
	libssh2_session_set_timeout(c->s, p->timeout_ms > 0 ? p->timeout_ms : 0);
	if ((lrc = libssh2_session_handshake(c->s, c->fd)))
		return ssh_fail(c, err, lrc, "handshake");
	if (p->known_hosts && (rc = check_host_key(c, p, err)))
		return rc;
	lrc = libssh2_userauth_publickey_fromfile(c->s, p->user, p->pubkey_file, p->privkey_file,
						  p->passphrase);
	if (lrc) {
		ssh_fail(c, err, lrc, "public key authentication");
		err->code = -EACCES;
		return -EACCES;
	}
	c->ch = libssh2_channel_open_session(c->s);
	if (!c->ch)
		return ssh_fail(c, err, libssh2_session_last_errno(c->s), "opening a channel");
	if ((lrc = libssh2_channel_exec(c->ch, p->command)))
		return ssh_fail(c, err, lrc, "starting the remote command");
	return 0;
}

int tern_transport_ssh(struct tern_transport **tp, const struct tern_ssh_params *p,
		       struct tern_stream_error *err)
{
	*tp = NULL;
	pthread_once(&ssh_once, ssh_global_init);
	if (ssh_init_rc) {
		tern_err_set(err, -EIO, TERN_REC_NONE, TERN_OFFSET_NONE, "ssh: libssh2_init failed");
		return -EIO;
	}
	struct ssh_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	int rc = ssh_setup(c, p, err);
	if (!rc)
		rc = tern_transport_new(tp, &ssh_ops, c);
	if (rc) {
		struct tern_stream_error ignore;
		ssh_close(c, &ignore);
		*tp = NULL;
		return rc;
	}
	(*tp)->timeout_ms = p->timeout_ms;
	return 0;
}
