/* ternstream: encode, decode, inspect, send and receive Tern save streams. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ternstream.h"

static const char *cmd_name = "";

static const char usage[] =
	"usage: ternstream <command> [options]\n"
	"  encode -i IMAGE [-o STREAM] [--level N] [--vcpus N] [--config FILE]\n"
	"         [--then IMAGE2] [--refs] [--version 1|2|3] [--single-thread]\n"
	"  decode [-i STREAM] (-o IMAGE | --discard)\n"
	"  info   [-i STREAM]\n"
	"  send   -i IMAGE --to tcp:HOST:PORT | --to ssh:USER@HOST:PORT --identity KEY\n"
	"         [--known-hosts FILE | --no-host-key-check] --command CMD [encode options]\n"
	"  recv   (--listen HOST:PORT | --stdio) (-o IMAGE | --discard)\n"
	"common: --timeout SECONDS (default 30) bounds every wait\n"
	"IMAGE is a raw guest memory image, a multiple of 4096 bytes; '-' is stdin/stdout.\n";

int ts_err(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ternstream %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int parse(int argc, char **argv, struct ts_opts *o)
{
	static const struct option lo[] = {
		{ "level", 1, 0, 'l' }, { "vcpus", 1, 0, 'v' }, { "config", 1, 0, 'c' },
		{ "then", 1, 0, 'T' }, { "refs", 0, 0, 'r' }, { "version", 1, 0, 'V' },
		{ "single-thread", 0, 0, 's' }, { "discard", 0, 0, 'd' }, { "to", 1, 0, 't' },
		{ "listen", 1, 0, 'L' }, { "stdio", 0, 0, 'S' }, { "identity", 1, 0, 'k' },
		{ "known-hosts", 1, 0, 'K' }, { "no-host-key-check", 0, 0, 'N' },
		{ "command", 1, 0, 'C' }, { "timeout", 1, 0, 'W' }, { 0, 0, 0, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "i:o:", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'l': o->level = atoi(optarg); break;
		case 'v': o->vcpus = atoi(optarg); break;
		case 'c': o->config = optarg; break;
		case 'T': o->then = optarg; break;
		case 'r': o->refs = true; break;
		case 'V': o->version = atoi(optarg); break;
		case 's': o->single_thread = true; break;
		case 'd': o->discard = true; break;
		case 't': o->to = optarg; break;
		case 'L': o->listen = optarg; break;
		case 'S': o->stdio = true; break;
		case 'k': o->identity = optarg; break;
		case 'K': o->known_hosts = optarg; break;
		case 'N': o->no_host_check = true; break;
		case 'C': o->command = optarg; break;
		case 'W': o->timeout_s = atoi(optarg); break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Open -o for writing (or stdout). */
static int cmd_encode(const struct ts_opts *o)
{
	if (!o->in)
		return ts_err("need -i IMAGE");
	int fd = 1;
	if (o->out && strcmp(o->out, "-") &&
	    (fd = open(o->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return ts_err("%s: %s", o->out, strerror(errno));
	struct tern_transport *t;
	if (tern_transport_fd(&t, fd, fd != 1))
		return ts_err("out of memory");
	t->timeout_ms = o->timeout_s * 1000;
	int rc = ts_encode_to(t, o);
	struct tern_stream_error e = { 0 };
	int crc = tern_transport_close(t, &e);
	if (!rc && crc)
		rc = ts_err("closing output: %s", strerror(-crc));
	if (rc && fd != 1 && o->out)
		unlink(o->out);
	return rc;
}

static int open_input(const struct ts_opts *o, struct tern_transport **t)
{
	int fd = 0;
	if (o->in && strcmp(o->in, "-") && (fd = open(o->in, O_RDONLY | O_CLOEXEC)) < 0)
		return ts_err("%s: %s", o->in, strerror(errno));
	if (tern_transport_fd(t, fd, fd != 0))
		return ts_err("out of memory");
	(*t)->timeout_ms = o->timeout_s * 1000;
	return 0;
}

static int cmd_decode(const struct ts_opts *o, bool info)
{
	struct tern_transport *t;
	if (!info && !o->out && !o->discard)
		return ts_err("need -o IMAGE or --discard");
	if (open_input(o, &t))
		return 1;
	struct tern_stream_error e = { 0 };
	uint64_t bytes = 0;
	int rc = info ? ts_info_from(t) : ts_decode_from(t, o, &bytes, &e);
	if (rc && !info)
		ts_err("%s", e.msg);
	tern_transport_close(t, NULL);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct ts_opts o = { .level = 1, .vcpus = 2, .timeout_s = 30 };
	signal(SIGPIPE, SIG_IGN); /* a vanished peer must be an error code, not a silent death */
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	cmd_name = argv[1];
	if (parse(argc - 1, argv + 1, &o)) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(cmd_name, "encode"))
		return cmd_encode(&o);
	if (!strcmp(cmd_name, "decode"))
		return cmd_decode(&o, false);
	if (!strcmp(cmd_name, "info"))
		return cmd_decode(&o, true);
	if (!strcmp(cmd_name, "send"))
		return ts_cmd_send(&o);
	if (!strcmp(cmd_name, "recv"))
		return ts_cmd_recv(&o);
	fputs(usage, stderr);
	return 2;
}
