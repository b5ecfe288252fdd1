/* Writer side of pages: validation, zero detection, batching, and page references. */
#include <stdio.h>
#include <stdlib.h>
#include "writer_int.h"

/* The pfn set of the batch being filled: a reused open-addressing table, reset by a tag bump. */
static bool set_insert(struct tern_writer *w, uint64_t pfn)
{
	uint32_t h = (uint32_t)((pfn * 0x9E3779B97F4A7C15ull) >> 53) & (WSET_SLOTS - 1);
	while (w->set_tag[h] == w->set_gen + 1) {
		if (w->set_key[h] == pfn)
			return false;
		h = (h + 1) & (WSET_SLOTS - 1);
	}
	w->set_tag[h] = w->set_gen + 1;
	w->set_key[h] = pfn;
	return true;
}

static int check_pages(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
		       const void *const *data, size_t n, char *why, size_t wn)
{
	for (size_t i = 0; i < n; i++) {
		if (pfns[i] >= w->order.p2m_size) {
			snprintf(why, wn, "pfn 0x%llx beyond the frame layout (p2m_size 0x%llx)",
				 (unsigned long long)pfns[i], (unsigned long long)w->order.p2m_size);
			return -EINVAL;
		}
		if (!tern_page_type_valid(types[i]) ||
		    (data && data[i] && !tern_page_type_has_data(types[i]))) {
			snprintf(why, wn, "pfn 0x%llx: bad page type %u or data for a no-data type",
				 (unsigned long long)pfns[i], types[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int precheck(struct tern_writer *w, uint32_t type, const uint64_t *pfns,
		    const uint8_t *types, const void *const *data, size_t n)
{
	char why[TERN_WHY_LEN] = "";
	int rc = tern_wfailed(w);
	if (rc)
		return rc;
	rc = tern_order_check(&w->order, type, why, sizeof(why));
	if (!rc)
		rc = check_pages(w, pfns, types, data, n, why, sizeof(why));
	return rc ? tern_writer_reject(w, rc, type, why) : 0;
}

/* Append one page to the current batch, submitting it when full or on a repeated pfn. */
static int add_page(struct tern_writer *w, uint64_t pfn, uint8_t type, const void *data)
{
	int rc;
	if (w->cur && !set_insert(w, pfn)) {
		rc = tern_writer_flush_pages(w);
		if (rc)
			return rc;
	}
	if (!w->cur) {
		rc = tern_wpipe_get(w, &w->cur);
		if (rc)
			return rc;
		w->cur->kind = WJOB_PAGES;
		w->cur->rec_type = TERN_REC_PAGE_BATCH;
		set_insert(w, pfn);
	}
	struct wjob *j = w->cur;
	uint64_t e = pfn | ((uint64_t)type << TERN_ENTRY_TYPE_SHIFT);
	if (tern_page_type_has_data(type)) {
		if (!data || tern_page_is_zero(data)) {
			e |= TERN_ENTRY_ZERO;
			w->stats.zero_pages++;
		} else {
			memcpy(j->raw + (size_t)j->ndata * TERN_STREAM_PAGE_SIZE, data,
			       TERN_STREAM_PAGE_SIZE);
			j->ndata++;
			w->stats.page_bytes += TERN_STREAM_PAGE_SIZE;
		}
	}
	j->entries[j->count++] = e;
	w->stats.pages++;
	if (j->count == TERN_STREAM_BATCH_MAX)
		return tern_writer_flush_pages(w);
	return 0;
}

int tern_writer_pages(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
		      const void *const *data, size_t n)
{
	int rc = precheck(w, TERN_REC_PAGE_BATCH, pfns, types, data, n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = add_page(w, pfns[i], types[i], data ? data[i] : NULL);
	return rc;
}

static int emit_refs(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
		     const bool *zero, const uint8_t (*sha256)[32], size_t n)
{
	size_t len = sizeof(struct tern_rec_page_refs) + n * sizeof(struct tern_page_ref);
	uint8_t *b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	struct tern_rec_page_refs h = { .count = (uint32_t)n };
	memcpy(b, &h, sizeof(h));
	struct tern_page_ref *r = (struct tern_page_ref *)(b + sizeof(h));
	for (size_t i = 0; i < n; i++) {
		r[i].entry = pfns[i] | ((uint64_t)types[i] << TERN_ENTRY_TYPE_SHIFT);
		if (!tern_page_type_has_data(types[i]))
			continue;
		if (zero && zero[i]) {
			r[i].entry |= TERN_ENTRY_ZERO;
			w->stats.zero_pages++;
		} else {
			memcpy(r[i].sha256, sha256[i], 32);
		}
	}
	w->stats.pages += n;
	int rc = tern_writer_emit(w, TERN_REC_PAGE_REFS, b, (uint32_t)len);
	free(b);
	return rc;
}

int tern_writer_page_refs(struct tern_writer *w, const uint64_t *pfns, const uint8_t *types,
			  const bool *zero, const uint8_t (*sha256)[32], size_t n)
{
	int rc = precheck(w, TERN_REC_PAGE_REFS, pfns, types, NULL, n);
	for (size_t i = 0; !rc && i < n; i += TERN_STREAM_REFS_MAX) {
		size_t k = n - i < TERN_STREAM_REFS_MAX ? n - i : TERN_STREAM_REFS_MAX;
		uint64_t *scratch = malloc(k * sizeof(uint64_t));
		uint64_t dup;
		if (!scratch)
			return -ENOMEM;
		bool has_dup = tern_pfns_have_dup(pfns + i, scratch, k, &dup);
		free(scratch);
		if (has_dup)
			return tern_writer_reject(w, -EINVAL, TERN_REC_PAGE_REFS,
						  "pfn repeated within one call");
		rc = emit_refs(w, pfns + i, types + i, zero ? zero + i : NULL, sha256 + i, k);
	}
	return rc;
}
