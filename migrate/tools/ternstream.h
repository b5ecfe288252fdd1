/* Shared declarations of the ternstream tool's subcommands. */
#ifndef TERNSTREAM_TOOL_H
#define TERNSTREAM_TOOL_H

#include <errno.h>
#include "tern/stream.h"
#include "tern/transport.h"

struct ts_opts {
	const char *in, *out, *then, *config, *to, *listen, *identity, *known_hosts, *command;
	int level, vcpus, version, timeout_s;
	bool refs, single_thread, discard, stdio, no_host_check;
};

/* Report "ternstream <cmd>: <msg>" on stderr; returns 1 (the tool's failure exit code). */
int ts_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a whole stream built from opts->in (and opts->then) onto t. */
int ts_encode_to(struct tern_transport *t, const struct ts_opts *o);
/* Read a stream from t; write the image to opts->out atomically unless discard. */
int ts_decode_from(struct tern_transport *t, const struct ts_opts *o, uint64_t *bytes,
		   struct tern_stream_error *err);
/* Print one line per record. */
int ts_info_from(struct tern_transport *t);

int ts_cmd_send(const struct ts_opts *o);
int ts_cmd_recv(const struct ts_opts *o);

#endif
