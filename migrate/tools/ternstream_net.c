/* ternstream send/recv: the stream over TCP, SSH or stdio, with the completion handshake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ternstream.h"

/* Split "[v6]:port" or "host:port" in place. */
static int split_host_port(char *s, char **host, uint16_t *port)
{
	char *colon = strrchr(s, ':');
	if (!colon)
		return -1;
	*colon = 0;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	*host = s;
	if (s[0] == '[' && colon[-1] == ']') {
		colon[-1] = 0;
		*host = s + 1;
	}
	return 0;
}

static int open_ssh(const struct ts_opts *o, char *spec, struct tern_transport **t,
		    struct tern_stream_error *e)
{
	char *at = strchr(spec, '@'), *host;
	uint16_t port;
	if (!at || split_host_port(at + 1, &host, &port))
		return ts_err("bad --to ssh:USER@HOST:PORT");
	*at = 0;
	if (!o->identity || !o->command || (!o->known_hosts && !o->no_host_check))
		return ts_err("ssh needs --identity, --command and --known-hosts (or --no-host-key-check)");
	char pub[4096];
	snprintf(pub, sizeof(pub), "%s.pub", o->identity);
	struct tern_ssh_params p = {
		.host = host, .port = port, .user = spec, .privkey_file = o->identity,
		.pubkey_file = access(pub, R_OK) == 0 ? pub : NULL,
		.known_hosts = o->no_host_check ? NULL : o->known_hosts,
		.command = o->command, .timeout_ms = o->timeout_s * 1000,
	};
	return tern_transport_ssh(t, &p, e) ? ts_err("%s", e->msg) : 0;
}

static int open_to(const struct ts_opts *o, struct tern_transport **t)
{
	struct tern_stream_error e = { 0 };
	char spec[1024];
	if (!o->to)
		return ts_err("need --to");
	snprintf(spec, sizeof(spec), "%s", o->to);
	if (!strncmp(spec, "ssh:", 4))
		return open_ssh(o, spec + 4, t, &e);
	char *host;
	uint16_t port;
	if (strncmp(spec, "tcp:", 4) || split_host_port(spec + 4, &host, &port))
		return ts_err("bad --to %s (tcp:HOST:PORT or ssh:USER@HOST:PORT)", o->to);
	if (tern_transport_tcp_connect(t, host, port, o->timeout_s * 1000, &e))
		return ts_err("%s", e.msg);
	return 0;
}

int ts_cmd_send(const struct ts_opts *o)
{
	struct tern_transport *t;
	if (!o->in)
		return ts_err("need -i IMAGE");
	if (open_to(o, &t))
		return 1;
	struct tern_stream_error e = { 0 }, ce = { 0 };
	int rc = ts_encode_to(t, o);
	int frc = rc ? 0 : tern_transport_finish(t, &e);
	if (rc && !tern_transport_finish(t, &e))
		ts_err("receiver accepted a stream we failed to send: treat it as not sent");
	else if (rc && e.code == -EIO)
		ts_err("%s", e.msg); /* the receiver's own explanation */
	int crc = tern_transport_close(t, &ce);
	if (frc)
		ts_err("%s", e.msg);
	if (crc)
		ts_err("%s", ce.msg);
	if (rc || frc || crc)
		return 1;
	fprintf(stderr, "ternstream send: receiver confirmed the stream\n");
	return 0;
}

/* After refusing, let the sender see our reply instead of a reset: read and drop its rest. */
static void drain(struct tern_transport *in)
{
	static char buf[65536];
	if (in->ops->shutdown_write)
		in->ops->shutdown_write(in->ctx);
	in->timeout_ms = 2000;
	for (int i = 0; i < 4096 && tern_transport_read(in, buf, sizeof(buf)) > 0; i++)
		;
}

static int recv_one(const struct ts_opts *o, struct tern_transport *in, struct tern_transport *reply)
{
	struct tern_stream_error e = { 0 };
	uint64_t bytes = 0;
	int rc = ts_decode_from(in, o, &bytes, &e);
	int rrc = tern_transport_reply(reply, rc, bytes, rc ? e.msg : NULL);
	if (rc && reply == in)
		drain(in);
	if (rc)
		return ts_err("%s", e.msg);
	if (rrc)
		return ts_err("stream committed but the confirmation could not be sent: %s",
			      strerror(-rrc));
	return 0;
}

int ts_cmd_recv(const struct ts_opts *o)
{
	struct tern_stream_error e = { 0 };
	struct tern_transport *in, *out;
	int rc;
	if (!o->out && !o->discard)
		return ts_err("need -o IMAGE or --discard");
	if (o->stdio) {
		if (tern_transport_fd(&in, 0, false) || tern_transport_fd(&out, 1, false))
			return ts_err("out of memory");
		in->timeout_ms = out->timeout_ms = o->timeout_s * 1000;
		rc = recv_one(o, in, out);
		tern_transport_close(in, NULL);
		tern_transport_close(out, NULL);
		return rc;
	}
	char spec[1024], *host;
	uint16_t port;
	int lfd;
	snprintf(spec, sizeof(spec), "%s", o->listen ? o->listen : "");
	if (!o->listen || split_host_port(spec, &host, &port))
		return ts_err("need --listen HOST:PORT or --stdio");
	if (tern_tcp_listen(host, &port, &lfd, &e))
		return ts_err("%s", e.msg);
	printf("listening %s:%u\n", host, port);
	fflush(stdout);
	rc = tern_transport_tcp_accept(&in, lfd, o->timeout_s * 1000, &e);
	close(lfd);
	if (rc)
		return ts_err("%s", e.msg);
	rc = recv_one(o, in, in);
	tern_transport_close(in, NULL);
	return rc;
}
