/* libFuzzer harness: any byte string through the stream reader must end in a record or a clean error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tern/stream.h"
#include "tern/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every decoded byte so sanitizers see any out-of-bounds pointer. */
static unsigned consume(const struct tern_record *r)
{
	unsigned acc = 0;
	if (r->type == TERN_REC_PAGE_BATCH)
		for (uint32_t i = 0; i < r->u.pages.count; i++)
			if (r->u.pages.data[i])
				acc += r->u.pages.data[i][0] + r->u.pages.data[i][TERN_STREAM_PAGE_SIZE - 1];
	if (r->type == TERN_REC_VCPU_CONTEXT && r->u.vcpu.len)
		acc += ((const uint8_t *)r->u.vcpu.blob)[r->u.vcpu.len - 1];
	if (r->type == TERN_REC_DOMAIN_HEADER && r->u.domain.config_len)
		acc += (uint8_t)r->u.domain.config[r->u.domain.config_len - 1];
	return acc;
}

/*
 * Checksums stop a mutating fuzzer at the first record.  So each input is
 * tried twice: as is, and with every checksum recomputed along the framing
 * the input itself claims, which lets mutations reach the body decoders.
 */
static void fix_checksums(uint8_t *b, size_t size)
{
	if (size < sizeof(struct tern_stream_header))
		return;
	struct tern_stream_header h;
	memcpy(&h, b, sizeof(h));
	h.header_crc = 0;
	h.header_crc = tern_crc32c(0, &h, sizeof(h));
	memcpy(b, &h, sizeof(h));
	size_t off = sizeof(h);
	while (size - off >= sizeof(struct tern_rec_header)) {
		struct tern_rec_header rh;
		memcpy(&rh, b + off, sizeof(rh));
		size_t body = off + sizeof(rh);
		if (rh.length > size - body)
			break;
		rh.crc = 0;
		rh.crc = tern_crc32c(tern_crc32c(0, &rh, sizeof(rh)), b + body, rh.length);
		memcpy(b + off, &rh, sizeof(rh));
		off = body + rh.length + ((8 - (rh.length & 7)) & 7);
		if (off > size)
			break;
	}
}

static void run_reader(const uint8_t *data, size_t size)
{
	struct tern_transport *t;
	struct tern_reader *r;
	struct tern_record rec;
	volatile unsigned sink = 0;
	if (tern_transport_mem(&t, data, size))
		return;
	int rc = tern_reader_open(&r, t);
	while (!rc && (rc = tern_reader_next(r, &rec)) == 0)
		sink += consume(&rec);
	if (r && rc < 0 && tern_reader_error(r)->msg[0] == 0)
		abort(); /* every failure must explain itself */
	tern_reader_free(r);
	tern_transport_close(t, NULL);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_reader(data, size);
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	run_reader(copy, size);
	free(copy);
	return 0;
}
