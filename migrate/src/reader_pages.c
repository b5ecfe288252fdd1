/* Reader side of PAGE_BATCH: entry checks and page data decoding (raw or DEFLATE). */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include "internal.h"

#define WHY(...) (snprintf(why, n, __VA_ARGS__), -EINVAL)

static const uint8_t has_data_marker;

static int inflate_exact(struct tern_batch_buf *bb, const uint8_t *src, uint32_t src_len,
			 uint32_t raw_len, char *why, size_t n)
{
	if (!bb->raw) {
		bb->raw = malloc((size_t)TERN_STREAM_BATCH_MAX * TERN_STREAM_PAGE_SIZE);
		if (!bb->raw)
			return -ENOMEM;
	}
	z_stream *zs = bb->zs;
	if (!zs) {
		zs = calloc(1, sizeof(*zs));
		if (!zs)
			return -ENOMEM;
		if (inflateInit2(zs, -15) != Z_OK) {
			free(zs);
			return -ENOMEM;
		}
		bb->zs = zs;
	} else {
		inflateReset(zs);
	}
	zs->next_in = (Bytef *)src;
	zs->avail_in = src_len;
	zs->next_out = bb->raw;
	zs->avail_out = raw_len;
	int zrc = inflate(zs, Z_FINISH);
	if (zrc != Z_STREAM_END || zs->avail_in != 0 || zs->total_out != raw_len) {
		snprintf(why, n, "page data does not decompress to %u bytes (zlib %d, %lu out, %u left)",
			 raw_len, zrc, zs->total_out, zs->avail_in);
		return -EBADMSG;
	}
	return 0;
}

static int check_batch_header(const struct tern_rec_page_batch *h, uint32_t len, char *why, size_t n)
{
	if (h->reserved0[0] || h->reserved0[1] || h->reserved0[2] || h->reserved1)
		return WHY("reserved field not zero");
	if (h->count == 0 || h->count > TERN_STREAM_BATCH_MAX)
		return WHY("count %u out of range 1..%u", h->count, TERN_STREAM_BATCH_MAX);
	if (h->encoding != TERN_ENC_RAW && h->encoding != TERN_ENC_DEFLATE)
		return WHY("unknown encoding %u", h->encoding);
	uint64_t want = sizeof(*h) + (uint64_t)h->count * 8 + h->data_len;
	if (want != len)
		return WHY("count %u and data_len %u do not match body length %u", h->count,
			   h->data_len, len);
	return 0;
}

int tern_decode_batch(const struct tern_order *o, const uint8_t *body, uint32_t len,
		      struct tern_batch_buf *bb, struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_page_batch h;
	if (len < sizeof(h))
		return WHY("body %u bytes, need %zu", len, sizeof(h));
	memcpy(&h, body, sizeof(h));
	int rc = check_batch_header(&h, len, why, n);
	if (rc)
		return rc;

	const uint64_t *ent = (const uint64_t *)(body + sizeof(h));
	uint32_t ndata = 0;
	bool zero;
	for (uint32_t i = 0; i < h.count; i++) {
		rc = tern_entry_decode(o, ent[i], &bb->pfns[i], &bb->types[i], &zero, why, n);
		if (rc)
			return rc;
		bool has = tern_page_type_has_data(bb->types[i]) && !zero;
		bb->data[i] = has ? &has_data_marker : NULL; /* real pointer set below */
		ndata += has;
	}
	uint64_t dup;
	if (tern_pfns_have_dup(bb->pfns, bb->scratch, h.count, &dup))
		return WHY("pfn 0x%llx twice in one batch", (unsigned long long)dup);
	if (h.raw_len != ndata * TERN_STREAM_PAGE_SIZE)
		return WHY("raw_len %u but %u pages carry data", h.raw_len, ndata);

	const uint8_t *src = body + sizeof(h) + (size_t)h.count * 8;
	const uint8_t *pages = src;
	if (h.encoding == TERN_ENC_RAW) {
		if (h.data_len != h.raw_len)
			return WHY("raw data_len %u differs from raw_len %u", h.data_len, h.raw_len);
	} else {
		if (h.raw_len == 0)
			return WHY("compressed batch without page data");
		rc = inflate_exact(bb, src, h.data_len, h.raw_len, why, n);
		if (rc)
			return rc;
		pages = bb->raw;
	}
	for (uint32_t i = 0, k = 0; i < h.count; i++)
		if (bb->data[i])
			bb->data[i] = pages + (size_t)(k++) * TERN_STREAM_PAGE_SIZE;
	rec->u.pages.count = h.count;
	rec->u.pages.pfns = bb->pfns;
	rec->u.pages.types = bb->types;
	rec->u.pages.data = bb->data;
	rec->u.pages.encoding = h.encoding;
	return 0;
}

void tern_batch_buf_free(struct tern_batch_buf *bb)
{
	if (bb->zs) {
		inflateEnd(bb->zs);
		free(bb->zs);
	}
	free(bb->raw);
	bb->zs = NULL;
	bb->raw = NULL;
}
