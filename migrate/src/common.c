/* Error text, record type names and small helpers shared by writer and reader. */
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

const char *tern_rec_type_name(uint32_t type)
{
	switch (type) {
	case TERN_REC_END: return "END";
	case TERN_REC_DOMAIN_HEADER: return "DOMAIN_HEADER";
	case TERN_REC_P2M_LAYOUT: return "P2M_LAYOUT";
	case TERN_REC_PAGE_BATCH: return "PAGE_BATCH";
	case TERN_REC_VCPU_CONTEXT: return "VCPU_CONTEXT";
	case TERN_REC_SHARED_INFO: return "SHARED_INFO";
	case TERN_REC_EVTCHN_STATE: return "EVTCHN_STATE";
	case TERN_REC_GRANT_STATE: return "GRANT_STATE";
	case TERN_REC_CHECKPOINT: return "CHECKPOINT";
	case TERN_REC_PAGE_REFS: return "PAGE_REFS";
	case TERN_REC_SENDER_INFO: return "SENDER_INFO";
	case TERN_REC_NONE: return "stream";
	default: return (type & TERN_REC_OPTIONAL) ? "UNKNOWN_OPTIONAL" : "UNKNOWN";
	}
}

void tern_err_vset(struct tern_stream_error *e, int code, uint32_t type, uint64_t offset,
		   const char *fmt, va_list ap)
{
	char detail[192];
	vsnprintf(detail, sizeof(detail), fmt, ap);
	e->code = code;
	e->rec_type = type;
	e->offset = offset;
	if (offset == TERN_OFFSET_NONE)
		snprintf(e->msg, sizeof(e->msg), "%s", detail);
	else if (type == TERN_REC_NONE)
		snprintf(e->msg, sizeof(e->msg), "stream at offset %llu: %s",
			 (unsigned long long)offset, detail);
	else
		snprintf(e->msg, sizeof(e->msg), "%s record (type 0x%x) at offset %llu: %s",
			 tern_rec_type_name(type), type, (unsigned long long)offset, detail);
}

void tern_err_set(struct tern_stream_error *e, int code, uint32_t type, uint64_t offset,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tern_err_vset(e, code, type, offset, fmt, ap);
	va_end(ap);
}

void tern_stream_error_set(struct tern_stream_error *e, int code, uint32_t type, uint64_t offset,
			   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tern_err_vset(e, code, type, offset, fmt, ap);
	va_end(ap);
}

bool tern_page_type_valid(uint8_t type)
{
	return type <= TERN_PAGE_L4 ||
	       (type >= (TERN_PAGE_PINNED | TERN_PAGE_L1) && type <= (TERN_PAGE_PINNED | TERN_PAGE_L4)) ||
	       type == TERN_PAGE_BROKEN || type == TERN_PAGE_ABSENT;
}

bool tern_page_type_has_data(uint8_t type)
{
	return tern_page_type_valid(type) && type != TERN_PAGE_BROKEN && type != TERN_PAGE_ABSENT;
}

bool tern_page_is_zero(const void *page)
{
	const uint64_t *p = page;
	for (size_t i = 0; i < TERN_STREAM_PAGE_SIZE / 8; i += 8) {
		uint64_t acc = p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] |
			       p[i + 6] | p[i + 7];
		if (acc)
			return false;
	}
	return true;
}

int tern_entry_decode(const struct tern_order *o, uint64_t entry, uint64_t *pfn, uint8_t *type,
		      bool *zero, char *why, size_t n)
{
	*pfn = entry & TERN_ENTRY_PFN_MASK;
	*type = (uint8_t)((entry & TERN_ENTRY_TYPE_MASK) >> TERN_ENTRY_TYPE_SHIFT);
	*zero = !!(entry & TERN_ENTRY_ZERO);
	if (entry & TERN_ENTRY_RESERVED) {
		snprintf(why, n, "page entry 0x%llx has reserved bits set", (unsigned long long)entry);
		return -EINVAL;
	}
	if (!tern_page_type_valid(*type)) {
		snprintf(why, n, "pfn 0x%llx has invalid page type %u", (unsigned long long)*pfn, *type);
		return -EINVAL;
	}
	if (*zero && !tern_page_type_has_data(*type)) {
		snprintf(why, n, "pfn 0x%llx: zero flag on a page type without data",
			 (unsigned long long)*pfn);
		return -EINVAL;
	}
	if (*pfn >= o->p2m_size) {
		snprintf(why, n, "pfn 0x%llx beyond the frame layout (p2m_size 0x%llx)",
			 (unsigned long long)*pfn, (unsigned long long)o->p2m_size);
		return -EINVAL;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

bool tern_pfns_have_dup(const uint64_t *pfns, uint64_t *scratch, size_t n, uint64_t *dup)
{
	size_t k = 1;

	/* a batch usually lists its pfns in increasing order: then no sort (under emulation
	 * qsort's 10,000 indirect compares a batch cost a restore ~20 ms a pass) */
	while (k < n && pfns[k] > pfns[k - 1])
		k++;
	if (k >= n)
		return false;
	memcpy(scratch, pfns, n * sizeof(*pfns));
	qsort(scratch, n, sizeof(*scratch), cmp_u64);
	for (size_t i = 1; i < n; i++) {
		if (scratch[i] == scratch[i - 1]) {
			*dup = scratch[i];
			return true;
		}
	}
	return false;
}
