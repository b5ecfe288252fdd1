/* Internal declarations shared by the stream library's source files. */
#ifndef TERN_STREAM_INTERNAL_H
#define TERN_STREAM_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "tern/stream.h"
#include "tern/transport.h"

/* A record's check as stream version writes it: CRC32C of the header (crc 0) and body in
 * versions 1 and 2, XXH64 of the body seeded with the header's folded to 32 bits from 3. */
uint32_t tern_record_check(uint32_t version, const struct tern_rec_header *h, const void *body, size_t len);

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the stream is little-endian and read by memcpy: port the accessors first");

#define TERN_WHY_LEN 160

static inline uint32_t tern_pad8(uint32_t len)
{
	return (TERN_STREAM_REC_ALIGN - (len & 7)) & 7;
}

/* Fill *e: message reads "<TYPE> record at offset N: <fmt>" (or "stream at offset N"). */
void tern_err_set(struct tern_stream_error *e, int code, uint32_t type, uint64_t offset,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tern_err_vset(struct tern_stream_error *e, int code, uint32_t type, uint64_t offset,
		   const char *fmt, va_list ap);

bool tern_page_is_zero(const void *page);

/* Record order rules (docs/specs/stream.md "Order"), shared by writer and reader. */
struct tern_order {
	uint32_t version;
	bool seen_domain;
	bool seen_p2m;
	bool seen_end;
	uint32_t vcpu_count;
	uint64_t p2m_size;
	uint64_t checkpoint_seq;
	bool epoch_shared, epoch_evtchn, epoch_grant;
	uint8_t *vcpu_seen;     /* per vCPU: bit (kind - 1) set once sent this epoch */
};

/* May a record of `type` come now?  0 or -EPROTO with `why`. No state change. */
int tern_order_check(const struct tern_order *o, uint32_t type, char *why, size_t n);
/* Record `rec` (already validated) was accepted: update state.  0 or -ENOMEM. */
int tern_order_commit(struct tern_order *o, const struct tern_record *rec);
void tern_order_free(struct tern_order *o);

/*
 * Validate and decode the body of every record type except PAGE_BATCH into
 * rec->u (pointers into body).  `refs` holds caller arrays
 * of TERN_STREAM_REFS_MAX entries for PAGE_REFS.  0 or -Exxx with `why`.
 */
struct tern_refs_buf {
	uint64_t *pfns;
	uint8_t *types;
	bool *zero;
	uint8_t (*sha256)[32];
	uint64_t *scratch;
};
int tern_parse_body(const struct tern_order *o, uint32_t type, const uint8_t *body, uint32_t len,
		    struct tern_record *rec, struct tern_refs_buf *refs, char *why, size_t n);

/* Buffers for decoding PAGE_BATCH records (reader side). */
struct tern_batch_buf {
	uint64_t pfns[TERN_STREAM_BATCH_MAX];
	uint8_t types[TERN_STREAM_BATCH_MAX];
	const uint8_t *data[TERN_STREAM_BATCH_MAX];
	uint64_t scratch[TERN_STREAM_BATCH_MAX];
	uint8_t *raw;          /* TERN_STREAM_BATCH_MAX pages, allocated on first use */
	void *zs;              /* z_stream, allocated on first use */
};
int tern_decode_batch(const struct tern_order *o, const uint8_t *body, uint32_t len,
		      struct tern_batch_buf *bb, struct tern_record *rec, char *why, size_t n);
void tern_batch_buf_free(struct tern_batch_buf *bb);

/* Split and check one page entry against the p2m size. 0 or -EINVAL with why. */
int tern_entry_decode(const struct tern_order *o, uint64_t entry, uint64_t *pfn, uint8_t *type,
		      bool *zero, char *why, size_t n);
/* Duplicate pfn in a list?  Sorts `scratch` (n entries). */
bool tern_pfns_have_dup(const uint64_t *pfns, uint64_t *scratch, size_t n, uint64_t *dup);

/* Connected blocking TCP socket to host:port within timeout_ms (SSH uses it too). */
int tern_tcp_connect_fd(const char *host, uint16_t port, int timeout_ms, int *fd,
			struct tern_stream_error *err);

#endif
