/* ternstream info: one line per record, for people and for tests. */
#include <stdio.h>
#include <string.h>
#include "ternstream.h"

static void info_pages(const struct tern_record *r)
{
	uint32_t zero = 0, nodata = 0;
	for (uint32_t i = 0; i < r->u.pages.count; i++) {
		bool has = tern_page_type_has_data(r->u.pages.types[i]);
		zero += has && !r->u.pages.data[i];
		nodata += !has;
	}
	printf("pages count=%u zero=%u nodata=%u first_pfn=0x%llx encoding=%s\n", r->u.pages.count,
	       zero, nodata, (unsigned long long)r->u.pages.pfns[0],
	       r->u.pages.encoding == TERN_ENC_DEFLATE ? "deflate" : "raw");
}

static void info_record(const struct tern_record *r)
{
	printf("@%llu ", (unsigned long long)r->offset);
	switch (r->type) {
	case TERN_REC_DOMAIN_HEADER:
		printf("domain type=%u memory_kib=%llu vcpus=%u config_len=%u config_crc=0x%08x\n",
		       r->u.domain.domain_type, (unsigned long long)r->u.domain.memory_kib,
		       r->u.domain.vcpu_count, r->u.domain.config_len,
		       tern_crc32c(0, r->u.domain.config, r->u.domain.config_len));
		break;
	case TERN_REC_P2M_LAYOUT:
		printf("p2m size=%llu frames=%u\n", (unsigned long long)r->u.p2m.p2m_size,
		       r->u.p2m.nr_frames);
		break;
	case TERN_REC_PAGE_BATCH:
		info_pages(r);
		break;
	case TERN_REC_PAGE_REFS: {
		uint32_t zero = 0;
		for (uint32_t i = 0; i < r->u.refs.count; i++)
			zero += r->u.refs.zero[i];
		printf("refs count=%u zero=%u first_pfn=0x%llx\n", r->u.refs.count, zero,
		       (unsigned long long)r->u.refs.pfns[0]);
		break;
	}
	case TERN_REC_VCPU_CONTEXT:
		printf("vcpu id=%u kind=%u len=%u crc=0x%08x\n", r->u.vcpu.vcpu_id, r->u.vcpu.kind,
		       r->u.vcpu.len, tern_crc32c(0, r->u.vcpu.blob, r->u.vcpu.len));
		break;
	case TERN_REC_SHARED_INFO:
		printf("shared_info crc=0x%08x\n", tern_crc32c(0, r->u.shared_info.page, TERN_STREAM_PAGE_SIZE));
		break;
	case TERN_REC_EVTCHN_STATE:
		printf("evtchn count=%u\n", r->u.evtchn.count);
		break;
	case TERN_REC_GRANT_STATE:
		printf("grant version=%u frames=%u count=%u\n", r->u.grant.gnttab_version,
		       r->u.grant.nr_frames, r->u.grant.count);
		break;
	case TERN_REC_CHECKPOINT:
		printf("checkpoint seq=%llu\n", (unsigned long long)r->u.checkpoint.sequence);
		break;
	case TERN_REC_SENDER_INFO:
		printf("sender_info \"%.*s\"\n", (int)r->u.raw.len, (const char *)r->u.raw.body);
		break;
	case TERN_REC_END:
		printf("end\n");
		break;
	default:
		printf("record type=0x%x length=%u\n", r->type, r->length);
	}
}

int ts_info_from(struct tern_transport *t)
{
	struct tern_reader *r;
	struct tern_record rec;
	int rc = tern_reader_open(&r, t);
	if (!rc) {
		struct tern_reader_stats s;
		tern_reader_get_stats(r, &s);
		printf("header version=%u\n", s.version);
		while ((rc = tern_reader_next(r, &rec)) == 0) {
			info_record(&rec);
			if (rec.type == TERN_REC_END)
				break;
		}
	}
	if (r) {
		struct tern_reader_stats s;
		tern_reader_get_stats(r, &s);
		printf("summary records=%llu pages=%llu zero_pages=%llu skipped=%llu bytes=%llu\n",
		       (unsigned long long)s.records, (unsigned long long)s.pages,
		       (unsigned long long)s.zero_pages, (unsigned long long)s.skipped,
		       (unsigned long long)s.bytes);
	}
	if (rc < 0)
		ts_err("%s", r ? tern_reader_error(r)->msg : "out of memory");
	fflush(stdout);
	tern_reader_free(r);
	return rc < 0 ? 1 : 0;
}
