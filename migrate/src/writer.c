/* Stream writer API: argument checks, record building, page batching. */
#include <stdio.h>
#include <stdlib.h>
#include "writer_int.h"

void tern_wfail(struct tern_writer *w, int code, uint32_t type, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&w->lock);
	if (!w->failed) {
		va_start(ap, fmt);
		tern_err_vset(&w->err, code, type, off, fmt, ap);
		va_end(ap);
		w->failed = code;
	}
	w->abort = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int tern_wfailed(struct tern_writer *w)
{
	pthread_mutex_lock(&w->lock);
	int rc = w->failed;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* Reject a call: the writer is failed from now on (a half-written stream is useless). */
static uint64_t wire_bytes(struct tern_writer *w)
{
	pthread_mutex_lock(&w->lock);
	uint64_t off = w->stats.wire_bytes;
	pthread_mutex_unlock(&w->lock);
	return off;
}

int tern_writer_reject(struct tern_writer *w, int code, uint32_t type, const char *why)
{
	tern_wfail(w, code, type, wire_bytes(w), "rejected by the writer: %s", why);
	return code;
}

int tern_writer_flush_pages(struct tern_writer *w)
{
	struct wjob *j = w->cur;
	if (!j)
		return 0;
	w->cur = NULL;
	w->set_gen++;
	return tern_wpipe_submit(w, j);
}

/* Frame `body` as a record of `type` and queue it behind any pending pages. */
static int queue_record(struct tern_writer *w, uint32_t type, const void *body, uint32_t len)
{
	int rc = tern_writer_flush_pages(w);
	struct wjob *j;
	if (!rc)
		rc = tern_wpipe_get(w, &j);
	if (rc)
		return rc;
	struct tern_rec_header h = { .type = type, .length = len };
	size_t total = sizeof(h) + len + tern_pad8(len);
	if (tern_wjob_reserve(j, total)) {
		tern_wfail(w, -ENOMEM, type, wire_bytes(w), "out of memory");
		return -ENOMEM;
	}
	memcpy(j->out + sizeof(h), body, len);
	memset(j->out + sizeof(h) + len, 0, tern_pad8(len));
	h.crc = tern_record_check(w->p.version, &h, body, len);
	memcpy(j->out, &h, sizeof(h));
	j->wire = j->out;
	j->out_len = total;
	j->kind = WJOB_RECORD;
	j->rec_type = type;
	return tern_wpipe_submit(w, j);
}

/*
 * Check a built body with the reader's own validator, then queue it: the
 * writer cannot produce a record the reader would refuse.
 */
int tern_writer_emit(struct tern_writer *w, uint32_t type, const void *body, uint32_t len)
{
	char why[TERN_WHY_LEN] = "";
	struct tern_record rec = { .type = type };
	int rc = tern_wfailed(w);
	if (rc)
		return rc;
	if (len > TERN_STREAM_REC_MAX)
		return tern_writer_reject(w, -E2BIG, type, "record larger than TERN_STREAM_REC_MAX");
	rc = tern_order_check(&w->order, type, why, sizeof(why));
	bool parse = type == TERN_REC_SENDER_INFO || !(type & TERN_REC_OPTIONAL);
	if (!rc && parse && type != TERN_REC_PAGE_REFS) /* refs: checked in writer_pages.c */
		rc = tern_parse_body(&w->order, type, body, len, &rec, NULL, why, sizeof(why));
	if (rc)
		return tern_writer_reject(w, rc, type, why);
	rc = tern_order_commit(&w->order, &rec);
	if (!rc)
		rc = queue_record(w, type, body, len);
	return rc;
}

int tern_writer_open(struct tern_writer **wp, struct tern_transport *t,
		     const struct tern_writer_params *p)
{
	struct tern_writer *w = calloc(1, sizeof(*w));
	*wp = w;
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->t = t;
	if (p)
		w->p = *p;
	if (!w->p.version)
		w->p.version = TERN_STREAM_VERSION;
	w->order.version = w->p.version;
	if (w->p.version < TERN_STREAM_VERSION_MIN || w->p.version > TERN_STREAM_VERSION ||
	    w->p.level < 0 || w->p.level > 9 || w->p.queue_depth > 64)
		return tern_writer_reject(w, -EINVAL, TERN_REC_NONE, "bad writer parameters");
	int rc = tern_wpipe_start(w);
	if (rc) {
		tern_wfail(w, rc, TERN_REC_NONE, 0, "cannot start the writer: %s", strerror(-rc));
		return rc;
	}
	struct tern_stream_header h = { .version = w->p.version, .byte_order = TERN_STREAM_BYTE_ORDER };
	memcpy(h.magic, TERN_STREAM_MAGIC, 8);
	h.header_crc = tern_crc32c(0, &h, sizeof(h));
	rc = tern_transport_write(t, &h, sizeof(h));
	if (rc) {
		tern_wfail(w, rc, TERN_REC_NONE, 0, "sending the stream header failed: %s", strerror(-rc));
		return rc;
	}
	w->wire_off = sizeof(h);
	w->stats.wire_bytes = sizeof(h);
	return 0;
}

int tern_writer_domain_header(struct tern_writer *w, const struct tern_domain_info *d)
{
	if (w->p.version == 1) {
		struct tern_rec_domain_v1 v1 = { .domain_type = d->domain_type,
						 .page_shift = TERN_STREAM_PAGE_SHIFT,
						 .memory_kib = d->memory_kib,
						 .vcpu_count = d->vcpu_count };
		return tern_writer_emit(w, TERN_REC_DOMAIN_HEADER, &v1, sizeof(v1));
	}
	if (d->config_len > TERN_STREAM_REC_MAX - sizeof(struct tern_rec_domain))
		return tern_writer_reject(w, -E2BIG, TERN_REC_DOMAIN_HEADER, "config text too large");
	size_t len = sizeof(struct tern_rec_domain) + d->config_len;
	uint8_t *b = malloc(len);
	if (!b)
		return -ENOMEM;
	struct tern_rec_domain h = { .domain_type = d->domain_type,
				     .page_shift = TERN_STREAM_PAGE_SHIFT,
				     .memory_kib = d->memory_kib,
				     .vcpu_count = d->vcpu_count,
				     .config_len = d->config_len };
	memcpy(b, &h, sizeof(h));
	if (d->config_len)
		memcpy(b + sizeof(h), d->config, d->config_len);
	int rc = tern_writer_emit(w, TERN_REC_DOMAIN_HEADER, b, (uint32_t)len);
	free(b);
	return rc;
}

/* Body = fixed part + array, in one aligned buffer. */
static int emit_array(struct tern_writer *w, uint32_t type, const void *fixed, size_t flen,
		      const void *arr, size_t alen)
{
	if (flen + alen > TERN_STREAM_REC_MAX)
		return tern_writer_reject(w, -E2BIG, type, "record larger than TERN_STREAM_REC_MAX");
	uint8_t *b = malloc(flen + alen + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b, fixed, flen);
	if (alen)
		memcpy(b + flen, arr, alen);
	int rc = tern_writer_emit(w, type, b, (uint32_t)(flen + alen));
	free(b);
	return rc;
}

int tern_writer_p2m_layout(struct tern_writer *w, uint64_t p2m_size, const uint64_t *frame_pfns,
			   uint32_t nr_frames)
{
	struct tern_rec_p2m p = { .p2m_size = p2m_size, .nr_frames = nr_frames };
	return emit_array(w, TERN_REC_P2M_LAYOUT, &p, sizeof(p), frame_pfns, (size_t)nr_frames * 8);
}

int tern_writer_vcpu(struct tern_writer *w, uint32_t vcpu_id, uint32_t kind, const void *blob,
		     uint32_t len)
{
	struct tern_rec_vcpu v = { .vcpu_id = vcpu_id, .kind = kind };
	return emit_array(w, TERN_REC_VCPU_CONTEXT, &v, sizeof(v), blob, len);
}

int tern_writer_shared_info(struct tern_writer *w, const void *page4k)
{
	return tern_writer_emit(w, TERN_REC_SHARED_INFO, page4k, TERN_STREAM_PAGE_SIZE);
}

int tern_writer_evtchn(struct tern_writer *w, const struct tern_evtchn_entry *e, uint32_t n)
{
	struct tern_rec_evtchn h = { .count = n };
	return emit_array(w, TERN_REC_EVTCHN_STATE, &h, sizeof(h), e, (size_t)n * sizeof(*e));
}

int tern_writer_grant(struct tern_writer *w, uint32_t gnttab_version, uint32_t nr_frames,
		      const struct tern_grant_entry *e, uint32_t n)
{
	struct tern_rec_grant h = { .gnttab_version = gnttab_version, .nr_frames = nr_frames, .count = n };
	return emit_array(w, TERN_REC_GRANT_STATE, &h, sizeof(h), e, (size_t)n * sizeof(*e));
}

int tern_writer_checkpoint(struct tern_writer *w)
{
	struct tern_rec_checkpoint c = { .sequence = w->order.checkpoint_seq + 1 };
	return tern_writer_emit(w, TERN_REC_CHECKPOINT, &c, sizeof(c));
}

int tern_writer_record(struct tern_writer *w, uint32_t type, const void *body, uint32_t len)
{
	if (!(type & TERN_REC_OPTIONAL))
		return tern_writer_reject(w, -EINVAL, type, "mandatory records have their own functions");
	return tern_writer_emit(w, type, body, len);
}

int tern_writer_drain(struct tern_writer *w)
{
	int rc = tern_writer_flush_pages(w);
	return rc ? rc : tern_wpipe_drain(w);
}

int tern_writer_finish(struct tern_writer *w)
{
	int rc = tern_wfailed(w);
	if (!rc && w->finished)
		return 0;
	if (!rc)
		rc = tern_writer_emit(w, TERN_REC_END, NULL, 0);
	int src = tern_wpipe_stop(w, !rc);
	if (!rc)
		rc = src;
	w->finished = !rc;
	return rc;
}

void tern_writer_free(struct tern_writer *w)
{
	if (!w)
		return;
	tern_wpipe_stop(w, false);
	tern_wpipe_free(w);
	tern_order_free(&w->order);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

const struct tern_stream_error *tern_writer_error(const struct tern_writer *w)
{
	return &w->err;
}

void tern_writer_get_stats(const struct tern_writer *w, struct tern_writer_stats *s)
{
	struct tern_writer *mw = (struct tern_writer *)w;
	pthread_mutex_lock(&mw->lock);
	*s = w->stats;
	pthread_mutex_unlock(&mw->lock);
}
