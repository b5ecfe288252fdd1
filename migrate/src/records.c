/* Validation and decoding of record bodies (all types but PAGE_BATCH). */
#include <stdio.h>
#include "internal.h"

#define WHY(...) (snprintf(why, n, __VA_ARGS__), -EINVAL)

static int parse_domain(const struct tern_order *o, const uint8_t *b, uint32_t len,
			struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_domain d = { 0 };
	uint32_t fixed = o->version == 1 ? sizeof(struct tern_rec_domain_v1) : sizeof(d);

	if (len < fixed)
		return WHY("body %u bytes, need %u", len, fixed);
	if (o->version == 1) {
		struct tern_rec_domain_v1 v1;
		memcpy(&v1, b, sizeof(v1));
		if (len != fixed)
			return WHY("version 1 body must be %u bytes, is %u", fixed, len);
		if (v1.reserved)
			return WHY("reserved field not zero");
		d.domain_type = v1.domain_type;
		d.page_shift = v1.page_shift;
		d.memory_kib = v1.memory_kib;
		d.vcpu_count = v1.vcpu_count;
	} else {
		memcpy(&d, b, sizeof(d));
		if (d.reserved)
			return WHY("reserved field not zero");
		if (d.config_len != len - fixed)
			return WHY("config_len %u but %u bytes follow", d.config_len, len - fixed);
		if (memchr(b + fixed, 0, d.config_len))
			return WHY("config text contains a NUL byte");
	}
	if (d.domain_type != TERN_DOMAIN_X86_64_PV) {
		snprintf(why, n, "unsupported domain type %u", d.domain_type);
		return -EPROTONOSUPPORT;
	}
	if (d.page_shift != TERN_STREAM_PAGE_SHIFT)
		return WHY("page_shift %u, only %u supported", d.page_shift, TERN_STREAM_PAGE_SHIFT);
	if (d.vcpu_count == 0 || d.vcpu_count > TERN_STREAM_VCPU_MAX)
		return WHY("vcpu_count %u out of range 1..%u", d.vcpu_count, TERN_STREAM_VCPU_MAX);
	if (d.memory_kib == 0 || d.memory_kib > (TERN_STREAM_P2M_MAX << 2))
		return WHY("memory_kib %llu out of range", (unsigned long long)d.memory_kib);
	rec->u.domain.domain_type = d.domain_type;
	rec->u.domain.memory_kib = d.memory_kib;
	rec->u.domain.vcpu_count = d.vcpu_count;
	rec->u.domain.config = d.config_len ? (const char *)b + fixed : NULL;
	rec->u.domain.config_len = d.config_len;
	return 0;
}

static int parse_p2m(const uint8_t *b, uint32_t len, struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_p2m p;
	if (len < sizeof(p))
		return WHY("body %u bytes, need %zu", len, sizeof(p));
	memcpy(&p, b, sizeof(p));
	if (p.reserved)
		return WHY("reserved field not zero");
	if (p.p2m_size == 0 || p.p2m_size > TERN_STREAM_P2M_MAX)
		return WHY("p2m_size 0x%llx out of range", (unsigned long long)p.p2m_size);
	if ((uint64_t)len != sizeof(p) + (uint64_t)p.nr_frames * 8)
		return WHY("nr_frames %u does not match body length %u", p.nr_frames, len);
	const uint64_t *f = (const uint64_t *)(b + sizeof(p));
	for (uint32_t i = 0; i < p.nr_frames; i++)
		if (f[i] >= p.p2m_size)
			return WHY("p2m frame %u: pfn 0x%llx beyond p2m_size", i, (unsigned long long)f[i]);
	rec->u.p2m.p2m_size = p.p2m_size;
	rec->u.p2m.nr_frames = p.nr_frames;
	rec->u.p2m.frame_pfns = f;
	return 0;
}

static int parse_vcpu(const struct tern_order *o, const uint8_t *b, uint32_t len,
		      struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_vcpu v;
	if (len < sizeof(v))
		return WHY("body %u bytes, need %zu", len, sizeof(v));
	memcpy(&v, b, sizeof(v));
	if (v.vcpu_id >= o->vcpu_count)
		return WHY("vCPU id %u out of range (vcpu_count %u)", v.vcpu_id, o->vcpu_count);
	if (v.kind < TERN_VCPU_BASIC || v.kind > TERN_VCPU_MSRS)
		return WHY("vCPU %u: unknown context kind %u", v.vcpu_id, v.kind);
	if (o->vcpu_seen && (o->vcpu_seen[v.vcpu_id] & (1u << (v.kind - 1)))) {
		snprintf(why, n, "vCPU %u context kind %u twice in one checkpoint", v.vcpu_id, v.kind);
		return -EPROTO;
	}
	rec->u.vcpu.vcpu_id = v.vcpu_id;
	rec->u.vcpu.kind = v.kind;
	rec->u.vcpu.blob = b + sizeof(v);
	rec->u.vcpu.len = len - (uint32_t)sizeof(v);
	return 0;
}

static int check_evtchn(const struct tern_order *o, const struct tern_evtchn_entry *e,
			uint32_t i, uint32_t prev_port, char *why, size_t n)
{
	if (e->reserved)
		return WHY("entry %u: reserved field not zero", i);
	if (e->port >= TERN_STREAM_EVTCHN_PORT_MAX || (i && e->port <= prev_port))
		return WHY("entry %u: port %u out of range or not increasing", i, e->port);
	if (e->state < TERN_EVTCHN_UNBOUND || e->state > TERN_EVTCHN_IPI)
		return WHY("port %u: invalid state %u", e->port, e->state);
	if (e->vcpu >= o->vcpu_count)
		return WHY("port %u: vCPU %u out of range (vcpu_count %u)", e->port, e->vcpu, o->vcpu_count);
	if (e->state != TERN_EVTCHN_INTERDOMAIN && e->target_port)
		return WHY("port %u: target_port set for a non-interdomain channel", e->port);
	if (e->state == TERN_EVTCHN_IPI && e->target)
		return WHY("port %u: target set for an IPI channel", e->port);
	return 0;
}

static int parse_evtchn(const struct tern_order *o, const uint8_t *b, uint32_t len,
			struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_evtchn h;
	if (len < sizeof(h))
		return WHY("body %u bytes, need %zu", len, sizeof(h));
	memcpy(&h, b, sizeof(h));
	if (h.reserved)
		return WHY("reserved field not zero");
	if ((uint64_t)len != sizeof(h) + (uint64_t)h.count * sizeof(struct tern_evtchn_entry))
		return WHY("count %u does not match body length %u", h.count, len);
	const struct tern_evtchn_entry *e = (const void *)(b + sizeof(h));
	for (uint32_t i = 0; i < h.count; i++) {
		int rc = check_evtchn(o, &e[i], i, i ? e[i - 1].port : 0, why, n);
		if (rc)
			return rc;
	}
	rec->u.evtchn.count = h.count;
	rec->u.evtchn.entries = e;
	return 0;
}

static int parse_grant(const struct tern_order *o, const uint8_t *b, uint32_t len,
		       struct tern_record *rec, char *why, size_t n)
{
	struct tern_rec_grant h;
	if (len < sizeof(h))
		return WHY("body %u bytes, need %zu", len, sizeof(h));
	memcpy(&h, b, sizeof(h));
	if (h.reserved)
		return WHY("reserved field not zero");
	if (h.gnttab_version != 1 && h.gnttab_version != 2)
		return WHY("grant table version %u", h.gnttab_version);
	if (h.nr_frames == 0 || h.nr_frames > TERN_STREAM_GNTTAB_FRAMES_MAX)
		return WHY("nr_frames %u out of range", h.nr_frames);
	if ((uint64_t)len != sizeof(h) + (uint64_t)h.count * sizeof(struct tern_grant_entry))
		return WHY("count %u does not match body length %u", h.count, len);
	uint32_t per_frame = h.gnttab_version == 1 ? 512 : 256;
	const struct tern_grant_entry *e = (const void *)(b + sizeof(h));
	for (uint32_t i = 0; i < h.count; i++) {
		if (e[i].ref >= h.nr_frames * per_frame || (i && e[i].ref <= e[i - 1].ref))
			return WHY("entry %u: ref %u out of range or not increasing", i, e[i].ref);
		if (e[i].frame >= o->p2m_size)
			return WHY("ref %u: frame 0x%llx beyond p2m_size", e[i].ref,
				   (unsigned long long)e[i].frame);
	}
	rec->u.grant.gnttab_version = h.gnttab_version;
	rec->u.grant.nr_frames = h.nr_frames;
	rec->u.grant.count = h.count;
	rec->u.grant.entries = e;
	return 0;
}

static int parse_refs(const struct tern_order *o, const uint8_t *b, uint32_t len,
		      struct tern_record *rec, struct tern_refs_buf *rb, char *why, size_t n)
{
	static const uint8_t no_hash[32];
	struct tern_rec_page_refs h;
	if (len < sizeof(h))
		return WHY("body %u bytes, need %zu", len, sizeof(h));
	memcpy(&h, b, sizeof(h));
	if (h.reserved)
		return WHY("reserved field not zero");
	if (h.count == 0 || h.count > TERN_STREAM_REFS_MAX)
		return WHY("count %u out of range 1..%u", h.count, TERN_STREAM_REFS_MAX);
	if ((uint64_t)len != sizeof(h) + (uint64_t)h.count * sizeof(struct tern_page_ref))
		return WHY("count %u does not match body length %u", h.count, len);
	const struct tern_page_ref *r = (const void *)(b + sizeof(h));
	for (uint32_t i = 0; i < h.count; i++) {
		int rc = tern_entry_decode(o, r[i].entry, &rb->pfns[i], &rb->types[i], &rb->zero[i],
					   why, n);
		if (rc)
			return rc;
		bool hashed = tern_page_type_has_data(rb->types[i]) && !rb->zero[i];
		if (!hashed && memcmp(r[i].sha256, no_hash, 32))
			return WHY("pfn 0x%llx: hash given for a page without data",
				   (unsigned long long)rb->pfns[i]);
		memcpy(rb->sha256[i], r[i].sha256, 32);
	}
	uint64_t dup;
	if (tern_pfns_have_dup(rb->pfns, rb->scratch, h.count, &dup))
		return WHY("pfn 0x%llx twice in one record", (unsigned long long)dup);
	rec->u.refs.count = h.count;
	rec->u.refs.pfns = rb->pfns;
	rec->u.refs.types = rb->types;
	rec->u.refs.zero = rb->zero;
	rec->u.refs.sha256 = (const uint8_t(*)[32])rb->sha256;
	return 0;
}

int tern_parse_body(const struct tern_order *o, uint32_t type, const uint8_t *body, uint32_t len,
		    struct tern_record *rec, struct tern_refs_buf *refs, char *why, size_t n)
{
	switch (type) {
	case TERN_REC_END:
		return len ? WHY("END must be empty, has %u bytes", len) : 0;
	case TERN_REC_DOMAIN_HEADER:
		return parse_domain(o, body, len, rec, why, n);
	case TERN_REC_P2M_LAYOUT:
		return parse_p2m(body, len, rec, why, n);
	case TERN_REC_VCPU_CONTEXT:
		return parse_vcpu(o, body, len, rec, why, n);
	case TERN_REC_SHARED_INFO:
		if (len != TERN_STREAM_PAGE_SIZE)
			return WHY("body must be %u bytes, is %u", TERN_STREAM_PAGE_SIZE, len);
		rec->u.shared_info.page = body;
		return 0;
	case TERN_REC_EVTCHN_STATE:
		return parse_evtchn(o, body, len, rec, why, n);
	case TERN_REC_GRANT_STATE:
		return parse_grant(o, body, len, rec, why, n);
	case TERN_REC_CHECKPOINT: {
		struct tern_rec_checkpoint c;
		if (len != sizeof(c))
			return WHY("body must be %zu bytes, is %u", sizeof(c), len);
		memcpy(&c, body, sizeof(c));
		if (c.sequence != o->checkpoint_seq + 1)
			return WHY("sequence %llu, expected %llu", (unsigned long long)c.sequence,
				   (unsigned long long)o->checkpoint_seq + 1);
		rec->u.checkpoint.sequence = c.sequence;
		return 0;
	}
	case TERN_REC_PAGE_REFS:
		return parse_refs(o, body, len, rec, refs, why, n);
	case TERN_REC_SENDER_INFO:
		rec->u.raw.body = body;
		rec->u.raw.len = len;
		return 0;
	default:
		snprintf(why, n, "unknown mandatory record type");
		return -EPROTONOSUPPORT;
	}
}
