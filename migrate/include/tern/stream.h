/* Tern save stream library: writer and validating reader over a transport. */
#ifndef TERN_STREAM_H
#define TERN_STREAM_H

/*
 * Link with libternstream.a -lz -lpthread (and -lssh2 for the SSH transport).
 *
 * Conventions: every function returning int returns 0 or a negative errno.
 * Errors are sticky: once a writer or reader failed, every later call
 * returns the same error, and tern_writer_error() / tern_reader_error()
 * describe it (record type, byte offset, text).  The library never prints
 * and never exits.  Objects are not shared between threads by callers;
 * the writer runs its own two worker threads internally.
 *
 * Error codes (closed set):
 *   -ENODATA          stream ended before END (truncated, peer vanished)
 *   -EBADMSG          checksum mismatch, bad magic, undecodable page data
 *   -E2BIG            record length above TERN_STREAM_REC_MAX or a limit
 *   -EPROTO           record out of order, duplicated, or after END
 *   -EINVAL           field out of range, reserved field not zero, bad argument
 *   -EPROTONOSUPPORT  unknown version, domain type or mandatory record type
 *   -ENOMEM           allocation failed
 *   others            passed through from the transport (-EPIPE, -ECONNRESET,
 *                     -ETIMEDOUT, -EIO, ...)
 */

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "tern/stream_format.h"

struct tern_transport; /* see tern/transport.h */

struct tern_stream_error {
	int code;            /* 0 or -Exxx */
	uint32_t rec_type;   /* record involved, TERN_REC_NONE if none */
	uint64_t offset;     /* stream byte offset of that record (or of the failure),
			      * TERN_OFFSET_NONE for failures outside the stream (connect, auth) */
	char msg[256];       /* e.g. "PAGE_BATCH record at offset 8256: pfn 0x900 beyond ..." */
};

#define TERN_OFFSET_NONE UINT64_MAX

/* Fill *e as the library does ("<TYPE> record (type 0x..) at offset N: <text>"). */
void tern_stream_error_set(struct tern_stream_error *e, int code, uint32_t rec_type,
			   uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Name of a record type ("PAGE_BATCH", "UNKNOWN"); never NULL. */
const char *tern_rec_type_name(uint32_t type);
/* Does a page of this type carry data (when not flagged zero)? */
bool tern_page_type_has_data(uint8_t type);
/* Is this a page type value a stream may contain? */
bool tern_page_type_valid(uint8_t type);
/* CRC32C (Castagnoli), hardware-accelerated when the CPU has SSE4.2. */
uint32_t tern_crc32c(uint32_t crc, const void *buf, size_t len);
/* XXH64 of len bytes with seed: records' check from stream version 3 on. */
uint64_t tern_xxh64(const void *buf, size_t len, uint64_t seed);

/* What DOMAIN_HEADER carries. */
struct tern_domain_info {
	uint32_t domain_type;   /* TERN_DOMAIN_* */
	uint64_t memory_kib;
	uint32_t vcpu_count;
	const char *config;     /* config text (not NUL-terminated on the wire); may be NULL */
	uint32_t config_len;
};

/* ---------------------------------------------------------------- writer */

struct tern_writer_params {
	int level;              /* 0: raw pages; 1..9: zlib level per batch */
	unsigned queue_depth;   /* pool = 2 * depth batches (~8.5 MiB each), 1..64; 0 = default (2) */
	bool single_thread;     /* encode and send in the calling thread */
	uint32_t version;       /* 0 = TERN_STREAM_VERSION; TERN_STREAM_VERSION_MIN for old readers */
};

struct tern_writer_stats {
	uint64_t pages;         /* page entries written (batches and refs) */
	uint64_t zero_pages;    /* of which flagged zero */
	uint64_t batches_raw;   /* PAGE_BATCH records stored raw */
	uint64_t batches_zlib;  /* ... and compressed */
	uint64_t page_bytes;    /* 4096 per data-carrying page */
	uint64_t wire_bytes;    /* bytes handed to the transport */
};

struct tern_writer;

/*
 * Start a stream on `t` (not owned: the caller closes it after
 * tern_writer_finish).  Writes the stream header.  `p` may be NULL.
 * The writer enforces the record order of docs/specs/stream.md: calls out
 * of order fail with -EPROTO and leave the writer failed.
 */
int tern_writer_open(struct tern_writer **w, struct tern_transport *t,
		     const struct tern_writer_params *p);

/* First record.  A version 1 writer drops the config text. */
int tern_writer_domain_header(struct tern_writer *w, const struct tern_domain_info *d);
/* Second record: p2m size in pfns and the pfns of the guest's p2m frames. */
int tern_writer_p2m_layout(struct tern_writer *w, uint64_t p2m_size,
			   const uint64_t *frame_pfns, uint32_t nr_frames);
/*
 * Queue `n` pages (any n; split into batches of TERN_STREAM_BATCH_MAX).
 * types[i] is an enum tern_page_type value; data[i] points at 4096 bytes, or
 * is NULL for a zero page (and for BROKEN/ABSENT pages).  All-zero data is
 * detected and sent as a zero flag.  The data is copied before return.
 * A pfn may appear again in a later call: the later copy wins.
 */
int tern_writer_pages(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
		      const void *const *data, size_t n);
/*
 * Page references (snapshot manifests): PAGE_REFS records instead of data.
 * sha256[i] is the SHA-256 of page i; zero[i] true marks an all-zero page
 * (its hash is not used; `zero` may be NULL).  Hashes of BROKEN/ABSENT
 * pages are ignored.  A pfn may not repeat within one call.
 */
int tern_writer_page_refs(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
			  const bool *zero, const uint8_t (*sha256)[32], size_t n);
int tern_writer_vcpu(struct tern_writer *w, uint32_t vcpu_id, uint32_t kind,
		     const void *blob, uint32_t len);
int tern_writer_shared_info(struct tern_writer *w, const void *page4k);
int tern_writer_evtchn(struct tern_writer *w, const struct tern_evtchn_entry *e, uint32_t n);
int tern_writer_grant(struct tern_writer *w, uint32_t gnttab_version, uint32_t nr_frames,
		      const struct tern_grant_entry *e, uint32_t n);
/* Mark everything so far as one consistent state; later records update it. */
int tern_writer_checkpoint(struct tern_writer *w);
/*
 * Any other record, body given whole (no padding).  Meant for optional
 * records (TERN_REC_OPTIONAL set) such as SENDER_INFO; mandatory types known
 * to the library must go through their own function (-EINVAL otherwise).
 */
int tern_writer_record(struct tern_writer *w, uint32_t type, const void *body, uint32_t len);
/*
 * Wait until everything queued so far has been handed to the transport (a live save
 * before it stops the guest: the stop then waits on its own pages only). 0 or the
 * writer's error.
 */
int tern_writer_drain(struct tern_writer *w);
/* Write END, drain the pipeline, join the threads.  The stream is complete on 0. */
int tern_writer_finish(struct tern_writer *w);
/* Release; a writer not finished is aborted (its threads stopped). */
void tern_writer_free(struct tern_writer *w);
const struct tern_stream_error *tern_writer_error(const struct tern_writer *w);
void tern_writer_get_stats(const struct tern_writer *w, struct tern_writer_stats *s);

/* ---------------------------------------------------------------- reader */

/*
 * One record as returned by tern_reader_next().  Pointers point into the
 * reader's buffers and stay valid until the next call.  All contents are
 * validated before the record is returned.
 */
struct tern_record {
	uint32_t type;          /* enum tern_rec_type */
	uint32_t length;        /* body length on the wire */
	uint64_t offset;        /* stream offset of the record header */
	union {
		struct tern_domain_info domain;
		struct {
			uint64_t p2m_size;
			uint32_t nr_frames;
			const uint64_t *frame_pfns;
		} p2m;
		struct {        /* PAGE_BATCH: data[i] NULL = zero page or no-data type */
			uint32_t count;
			const uint64_t *pfns;
			const uint8_t *types;
			const uint8_t *const *data;
			uint32_t encoding;
		} pages;
		struct {        /* PAGE_REFS */
			uint32_t count;
			const uint64_t *pfns;
			const uint8_t *types;
			const bool *zero;
			const uint8_t (*sha256)[32];
		} refs;
		struct {
			uint32_t vcpu_id;
			uint32_t kind;
			const void *blob;
			uint32_t len;
		} vcpu;
		struct {
			const void *page;   /* 4096 bytes */
		} shared_info;
		struct {
			uint32_t count;
			const struct tern_evtchn_entry *entries;
		} evtchn;
		struct {
			uint32_t gnttab_version;
			uint32_t nr_frames;
			uint32_t count;
			const struct tern_grant_entry *entries;
		} grant;
		struct {
			uint64_t sequence;
		} checkpoint;
		struct {                /* SENDER_INFO and other known optional records */
			const void *body;
			uint32_t len;
		} raw;
	} u;
};

struct tern_reader_stats {
	uint32_t version;       /* stream version from the header */
	uint64_t records;
	uint64_t skipped;       /* unknown optional records skipped */
	uint64_t pages;
	uint64_t zero_pages;
	uint64_t bytes;         /* stream bytes consumed */
};

struct tern_reader;

/*
 * Read and check the stream header from `t` (not owned).  On failure *r is
 * still set when memory allowed, so tern_reader_error() can explain; free it.
 */
int tern_reader_open(struct tern_reader **r, struct tern_transport *t);
/*
 * Next record into *rec.  Returns 0 with a record (END is returned once,
 * after the reader checked that no bytes follow it), 1 when called again
 * after END, or -Exxx (then see tern_reader_error()).
 */
int tern_reader_next(struct tern_reader *r, struct tern_record *rec);
void tern_reader_free(struct tern_reader *r);
const struct tern_stream_error *tern_reader_error(const struct tern_reader *r);
void tern_reader_get_stats(const struct tern_reader *r, struct tern_reader_stats *s);
/* From DOMAIN_HEADER / P2M_LAYOUT once seen (0 before). */
uint32_t tern_reader_vcpu_count(const struct tern_reader *r);
uint64_t tern_reader_p2m_size(const struct tern_reader *r);

#endif
