/* Stream reader: framing, checksums, order, and per-type decoding of every record. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "internal.h"

#define RBUF_SIZE (64u << 10)
#define BODY_STEP (1u << 20)

struct tern_reader {
	struct tern_transport *t;
	struct tern_stream_error err;
	struct tern_order order;
	struct tern_reader_stats stats;
	uint64_t off;           /* stream offset of the next unread byte */
	bool done;
	uint8_t *rbuf;          /* read-ahead buffer */
	size_t rpos, rlen;
	uint8_t *body;
	size_t body_cap;
	struct tern_batch_buf batch;
	struct tern_refs_buf refs;
};

/* Copy `len` stream bytes into dst; *got tells how many arrived before an error/EOF. */
static int rd_get(struct tern_reader *r, void *dst, size_t len, size_t *got)
{
	uint8_t *d = dst;
	*got = 0;
	while (*got < len) {
		if (r->rpos == r->rlen) {
			size_t want = len - *got;
			ssize_t k;
			if (want >= RBUF_SIZE) {
				k = tern_transport_read(r->t, d + *got, want);
				if (k > 0) {
					*got += (size_t)k;
					r->off += (uint64_t)k;
					continue;
				}
			} else {
				k = tern_transport_read(r->t, r->rbuf, RBUF_SIZE);
				if (k > 0) {
					r->rpos = 0;
					r->rlen = (size_t)k;
					continue;
				}
			}
			return k == 0 ? -ENODATA : (int)k;
		}
		size_t k = r->rlen - r->rpos;
		if (k > len - *got)
			k = len - *got;
		memcpy(d + *got, r->rbuf + r->rpos, k);
		r->rpos += k;
		*got += k;
		r->off += k;
	}
	return 0;
}

static int fail(struct tern_reader *r, int code, uint32_t type, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct tern_reader *r, int code, uint32_t type, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tern_err_vset(&r->err, code, type, off, fmt, ap);
	va_end(ap);
	return code;
}

static int io_fail(struct tern_reader *r, int rc, uint32_t type, uint64_t off, const char *what,
		   size_t got, size_t want)
{
	if (rc == -ENODATA)
		return fail(r, rc, type, off, "truncated: stream ends inside the %s (%zu of %zu bytes)",
			    what, got, want);
	return fail(r, rc, type, off, "transport error reading the %s: %s%s%s", what, strerror(-rc),
		    r->t->err.code ? " - " : "", r->t->err.code ? r->t->err.msg : "");
}

static int read_stream_header(struct tern_reader *r)
{
	struct tern_stream_header h;
	size_t got;
	int rc = rd_get(r, &h, sizeof(h), &got);
	if (rc == -ENODATA && got == 0)
		return fail(r, rc, TERN_REC_NONE, 0, "empty stream (no header)");
	if (rc)
		return io_fail(r, rc, TERN_REC_NONE, 0, "stream header", got, sizeof(h));
	if (memcmp(h.magic, TERN_STREAM_MAGIC, 8))
		return fail(r, -EBADMSG, TERN_REC_NONE, 0, "bad magic: not a Tern save stream");
	uint32_t crc = h.header_crc;
	h.header_crc = 0;
	if (tern_crc32c(0, &h, sizeof(h)) != crc)
		return fail(r, -EBADMSG, TERN_REC_NONE, 0, "stream header checksum mismatch");
	if (h.byte_order != TERN_STREAM_BYTE_ORDER)
		return fail(r, -EPROTONOSUPPORT, TERN_REC_NONE, 0,
			    "byte order marker 0x%08x: only little-endian streams exist", h.byte_order);
	if (h.version < TERN_STREAM_VERSION_MIN || h.version > TERN_STREAM_VERSION)
		return fail(r, -EPROTONOSUPPORT, TERN_REC_NONE, 0,
			    "stream version %u, this reader loads %u..%u", h.version,
			    TERN_STREAM_VERSION_MIN, TERN_STREAM_VERSION);
	if (h.flags || h.reserved)
		return fail(r, -EINVAL, TERN_REC_NONE, 0, "stream header flags/reserved not zero");
	r->order.version = h.version;
	r->stats.version = h.version;
	return 0;
}

static int reader_alloc(struct tern_reader *r)
{
	r->rbuf = malloc(RBUF_SIZE);
	r->refs.pfns = malloc(TERN_STREAM_REFS_MAX * sizeof(uint64_t));
	r->refs.scratch = malloc(TERN_STREAM_REFS_MAX * sizeof(uint64_t));
	r->refs.types = malloc(TERN_STREAM_REFS_MAX);
	r->refs.zero = malloc(TERN_STREAM_REFS_MAX * sizeof(bool));
	r->refs.sha256 = malloc(TERN_STREAM_REFS_MAX * 32);
	if (!r->rbuf || !r->refs.pfns || !r->refs.scratch || !r->refs.types || !r->refs.zero ||
	    !r->refs.sha256)
		return fail(r, -ENOMEM, TERN_REC_NONE, 0, "out of memory");
	return 0;
}

int tern_reader_open(struct tern_reader **rp, struct tern_transport *t)
{
	struct tern_reader *r = calloc(1, sizeof(*r));
	*rp = r;
	if (!r)
		return -ENOMEM;
	r->t = t;
	int rc = reader_alloc(r);
	if (!rc)
		rc = read_stream_header(r);
	return rc;
}

static bool type_known(uint32_t type)
{
	return type <= TERN_REC_PAGE_REFS || type == TERN_REC_SENDER_INFO;
}

/*
 * The body buffer, to at least want bytes, in steps of 1 MiB and with its pages in place
 * from the start: where a page fault is dear (a paravirtualised dom0 takes a trip through
 * the hypervisor for each) faulting in a 4 MiB record's buffer cost more than reading it.
 * Its old contents go: the next record is read into it whole.
 */
static int body_grow(struct tern_reader *r, size_t want)
{
	size_t cap = (want + BODY_STEP - 1) & ~(size_t)(BODY_STEP - 1);
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	if (r->body)
		munmap(r->body, r->body_cap);
	r->body = p;
	r->body_cap = cap;
	return 0;
}

/* Read header and body of the next record, check framing and checksum. */
static int read_record(struct tern_reader *r, struct tern_rec_header *h, uint64_t *roff)
{
	size_t got;
	*roff = r->off;
	int rc = rd_get(r, h, sizeof(*h), &got);
	if (rc == -ENODATA && got == 0)
		return fail(r, rc, TERN_REC_NONE, *roff, "truncated: stream ends without an END record");
	if (rc)
		return io_fail(r, rc, TERN_REC_NONE, *roff, "record header", got, sizeof(*h));
	if (h->reserved)
		return fail(r, -EINVAL, h->type, *roff, "record header reserved field not zero");
	if (h->length > TERN_STREAM_REC_MAX)
		return fail(r, -E2BIG, h->type, *roff, "length %u exceeds the maximum %u", h->length,
			    TERN_STREAM_REC_MAX);
	size_t want = (size_t)h->length + tern_pad8(h->length);
	if (want > r->body_cap && body_grow(r, want))
		return fail(r, -ENOMEM, h->type, *roff, "out of memory for %zu bytes", want);
	rc = rd_get(r, r->body, want, &got);
	if (rc)
		return io_fail(r, rc, h->type, *roff, "record body", got, want);
	for (size_t i = h->length; i < want; i++)
		if (r->body[i])
			return fail(r, -EINVAL, h->type, *roff, "padding byte not zero");
	uint32_t crc = h->crc, calc = tern_record_check(r->order.version, h, r->body, h->length);
	if (calc != crc)
		return fail(r, -EBADMSG, h->type, *roff, "checksum mismatch (stored 0x%08x, computed 0x%08x)",
			    crc, calc);
	return 0;
}

static int check_end(struct tern_reader *r, uint64_t roff)
{
	uint8_t extra;
	size_t got;
	int rc = rd_get(r, &extra, 1, &got);
	if (rc == 0)
		return fail(r, -EPROTO, TERN_REC_END, roff, "data after END");
	if (rc != -ENODATA)
		return io_fail(r, rc, TERN_REC_END, roff, "end of stream", 0, 0);
	r->done = true;
	return 0;
}

static int decode_record(struct tern_reader *r, const struct tern_rec_header *h, uint64_t roff,
			 struct tern_record *rec)
{
	char why[TERN_WHY_LEN] = "";
	int rc = tern_order_check(&r->order, h->type, why, sizeof(why));
	if (!rc && h->type == TERN_REC_PAGE_BATCH)
		rc = tern_decode_batch(&r->order, r->body, h->length, &r->batch, rec, why, sizeof(why));
	else if (!rc)
		rc = tern_parse_body(&r->order, h->type, r->body, h->length, rec, &r->refs, why,
				     sizeof(why));
	if (rc)
		return fail(r, rc, h->type, roff, "%s", why);
	rc = tern_order_commit(&r->order, rec);
	if (rc)
		return fail(r, rc, h->type, roff, "out of memory");
	return 0;
}

static void count_pages(struct tern_reader *r, const struct tern_record *rec)
{
	if (rec->type == TERN_REC_PAGE_BATCH) {
		r->stats.pages += rec->u.pages.count;
		for (uint32_t i = 0; i < rec->u.pages.count; i++)
			r->stats.zero_pages += !rec->u.pages.data[i] &&
					       tern_page_type_has_data(rec->u.pages.types[i]);
	} else if (rec->type == TERN_REC_PAGE_REFS) {
		r->stats.pages += rec->u.refs.count;
		for (uint32_t i = 0; i < rec->u.refs.count; i++)
			r->stats.zero_pages += rec->u.refs.zero[i];
	}
}

int tern_reader_next(struct tern_reader *r, struct tern_record *rec)
{
	if (r->err.code)
		return r->err.code;
	if (r->done)
		return 1;
	for (;;) {
		struct tern_rec_header h;
		uint64_t roff;
		int rc = read_record(r, &h, &roff);
		if (rc)
			return rc;
		if (!type_known(h.type) && (h.type & TERN_REC_OPTIONAL) && !r->order.seen_end) {
			r->stats.skipped++;
			continue;
		}
		memset(rec, 0, sizeof(*rec));
		rec->type = h.type;
		rec->length = h.length;
		rec->offset = roff;
		rc = decode_record(r, &h, roff, rec);
		if (rc)
			return rc;
		r->stats.records++;
		count_pages(r, rec);
		if (h.type == TERN_REC_END)
			return check_end(r, roff);
		return 0;
	}
}

void tern_reader_free(struct tern_reader *r)
{
	if (!r)
		return;
	tern_order_free(&r->order);
	tern_batch_buf_free(&r->batch);
	free(r->rbuf);
	if (r->body)
		munmap(r->body, r->body_cap);
	free(r->refs.pfns);
	free(r->refs.scratch);
	free(r->refs.types);
	free(r->refs.zero);
	free(r->refs.sha256);
	free(r);
}

const struct tern_stream_error *tern_reader_error(const struct tern_reader *r)
{
	return &r->err;
}

void tern_reader_get_stats(const struct tern_reader *r, struct tern_reader_stats *s)
{
	*s = r->stats;
	s->bytes = r->off;
}

uint32_t tern_reader_vcpu_count(const struct tern_reader *r)
{
	return r->order.vcpu_count;
}

uint64_t tern_reader_p2m_size(const struct tern_reader *r)
{
	return r->order.p2m_size;
}
