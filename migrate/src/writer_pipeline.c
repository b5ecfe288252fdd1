/* Writer pipeline: caller fills batches, one thread compresses, one thread sends. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "writer_int.h"

#define RAWBUF_LEN (WJOB_RAW_HEAD + (size_t)TERN_STREAM_BATCH_MAX * TERN_STREAM_PAGE_SIZE + 8)

/*
 * Three stages joined by bounded FIFOs of job pointers: free -> compq ->
 * sendq -> free.  The pool holds 2 * queue_depth jobs, so the caller can
 * be at most that far ahead of the wire and memory stays bounded
 * (about 8.5 MiB per job).  One mutex and one condition variable guard
 * all three queues: they change once per 4 MiB batch, so contention is
 * negligible.  Any failure sets the sticky error and wakes everyone.
 */

static struct wjob stop_job = { .kind = WJOB_STOP };

static void q_push(struct wqueue *q, struct wjob *j)
{
	q->items[(q->head + q->n) % q->cap] = j;
	q->n++;
}

static struct wjob *q_pop(struct wqueue *q)
{
	struct wjob *j = q->items[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return j;
}

int tern_wjob_reserve(struct wjob *j, size_t len)
{
	if (len <= j->out_cap)
		return 0;
	uint8_t *nb = realloc(j->out, len);
	if (!nb)
		return -ENOMEM;
	j->out = nb;
	j->out_cap = len;
	return 0;
}

/* Encode a page job into its record: DEFLATE when it pays, raw otherwise. */
static int encode_pages(struct tern_writer *w, struct wjob *j)
{
	size_t hdr = sizeof(struct tern_rec_header) + sizeof(struct tern_rec_page_batch) +
		     (size_t)j->count * 8;
	size_t raw_len = (size_t)j->ndata * TERN_STREAM_PAGE_SIZE;
	if (w->zs_ready && raw_len && tern_wjob_reserve(j, hdr + raw_len + 8))
		return -ENOMEM;
	struct tern_rec_page_batch b = { .count = j->count, .raw_len = (uint32_t)raw_len };
	size_t data_len = raw_len;
	b.encoding = TERN_ENC_RAW;
	if (w->zs_ready && raw_len) {
		deflateReset(&w->zs);
		w->zs.next_in = j->raw;
		w->zs.avail_in = (uInt)raw_len;
		w->zs.next_out = j->out + hdr;
		w->zs.avail_out = (uInt)raw_len - 1; /* must beat raw by at least a byte */
		if (deflate(&w->zs, Z_FINISH) == Z_STREAM_END) {
			b.encoding = TERN_ENC_DEFLATE;
			data_len = w->zs.total_out;
		}
	}
	/* a raw batch goes out in place: its head written into the room before the pages */
	uint8_t *rec = b.encoding == TERN_ENC_RAW ? j->raw - hdr : j->out;
	b.data_len = (uint32_t)data_len;
	uint32_t body_len = (uint32_t)(hdr - sizeof(struct tern_rec_header) + data_len);
	struct tern_rec_header rh = { .type = TERN_REC_PAGE_BATCH, .length = body_len };
	memcpy(rec + sizeof(rh), &b, sizeof(b));
	memcpy(rec + sizeof(rh) + sizeof(b), j->entries, (size_t)j->count * 8);
	uint32_t pad = tern_pad8(body_len);
	memset(rec + sizeof(rh) + body_len, 0, pad);
	rh.crc = tern_record_check(w->p.version, &rh, rec + sizeof(rh), body_len);
	memcpy(rec, &rh, sizeof(rh));
	j->wire = rec;
	j->out_len = sizeof(rh) + body_len + pad;
	pthread_mutex_lock(&w->lock);
	if (b.encoding == TERN_ENC_RAW)
		w->stats.batches_raw++;
	else
		w->stats.batches_zlib++;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

static int send_job(struct tern_writer *w, struct wjob *j)
{
	int rc = tern_transport_write(w->t, j->wire, j->out_len);
	if (rc) {
		tern_wfail(w, rc, j->rec_type, w->wire_off, "sending failed: %s%s%s", strerror(-rc),
			   w->t->err.code ? " - " : "", w->t->err.code ? w->t->err.msg : "");
		return rc;
	}
	w->wire_off += j->out_len;
	pthread_mutex_lock(&w->lock);
	w->stats.wire_bytes = w->wire_off;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Pop from q unless aborting; NULL means stop. */
static struct wjob *wait_pop(struct tern_writer *w, struct wqueue *q)
{
	pthread_mutex_lock(&w->lock);
	while (!q->n && !w->abort)
		pthread_cond_wait(&w->cond, &w->lock);
	struct wjob *j = w->abort ? NULL : q_pop(q);
	pthread_mutex_unlock(&w->lock);
	return j;
}

static void push(struct tern_writer *w, struct wqueue *q, struct wjob *j)
{
	pthread_mutex_lock(&w->lock);
	q_push(q, j);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *compress_main(void *arg)
{
	struct tern_writer *w = arg;
	struct wjob *j;
	while ((j = wait_pop(w, &w->compq))) {
		if (j->kind == WJOB_PAGES && encode_pages(w, j)) {
			tern_wfail(w, -ENOMEM, TERN_REC_PAGE_BATCH, w->wire_off, "out of memory");
			break;
		}
		push(w, &w->sendq, j);
		if (j->kind == WJOB_STOP)
			break;
	}
	return NULL;
}

static void *send_main(void *arg)
{
	struct tern_writer *w = arg;
	struct wjob *j;
	while ((j = wait_pop(w, &w->sendq)) && j->kind != WJOB_STOP) {
		if (send_job(w, j))
			break;
		push(w, &w->freeq, j);
	}
	return NULL;
}

/*
 * A job's page buffer, its pages allocated up front: where touching fresh memory is dear
 * (a paravirtualised dom0 takes a trip through the hypervisor per page fault, under
 * emulation some 50 us), faulting the pages in one by one as the first batches fill them
 * cost more than the rest of a save.
 */
static uint8_t *rawbuf_alloc(void)
{
	void *p = mmap(NULL, RAWBUF_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int tern_wpipe_start(struct tern_writer *w)
{
	unsigned depth = w->p.queue_depth ? w->p.queue_depth : 2;
	w->njobs = w->p.single_thread ? 1 : 2 * depth;
	w->jobs = calloc(w->njobs, sizeof(*w->jobs));
	unsigned cap = w->njobs + 1; /* room for the stop marker */
	w->freeq.items = calloc(cap, sizeof(void *));
	w->compq.items = calloc(cap, sizeof(void *));
	w->sendq.items = calloc(cap, sizeof(void *));
	if (!w->jobs || !w->freeq.items || !w->compq.items || !w->sendq.items)
		return -ENOMEM;
	w->freeq.cap = w->compq.cap = w->sendq.cap = cap;
	for (unsigned i = 0; i < w->njobs; i++) {
		if (!(w->jobs[i].rawbuf = rawbuf_alloc()))
			return -ENOMEM;
		w->jobs[i].raw = w->jobs[i].rawbuf + WJOB_RAW_HEAD;
		q_push(&w->freeq, &w->jobs[i]);
	}
	if (w->p.level > 0) {
		if (deflateInit2(&w->zs, w->p.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		w->zs_ready = true;
	}
	if (w->p.single_thread)
		return 0;
	if (pthread_create(&w->comp_thr, NULL, compress_main, w))
		return -EAGAIN;
	if (pthread_create(&w->send_thr, NULL, send_main, w)) {
		pthread_mutex_lock(&w->lock);
		w->abort = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->comp_thr, NULL);
		return -EAGAIN;
	}
	w->threads = true;
	return 0;
}

int tern_wpipe_get(struct tern_writer *w, struct wjob **jp)
{
	pthread_mutex_lock(&w->lock);
	while (!w->freeq.n && !w->failed)
		pthread_cond_wait(&w->cond, &w->lock);
	int rc = w->failed;
	*jp = rc ? NULL : q_pop(&w->freeq);
	pthread_mutex_unlock(&w->lock);
	if (*jp) {
		(*jp)->count = (*jp)->ndata = 0;
		(*jp)->out_len = 0;
	}
	return rc;
}

int tern_wpipe_submit(struct tern_writer *w, struct wjob *j)
{
	if (w->threads) {
		push(w, &w->compq, j);
		return tern_wfailed(w);
	}
	int rc = 0;
	if (j->kind == WJOB_PAGES && encode_pages(w, j))
		rc = -ENOMEM, tern_wfail(w, rc, TERN_REC_PAGE_BATCH, w->wire_off, "out of memory");
	if (!rc)
		rc = send_job(w, j);
	push(w, &w->freeq, j);
	return rc;
}

int tern_wpipe_drain(struct tern_writer *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->threads && w->freeq.n < w->njobs && !w->failed)
		pthread_cond_wait(&w->cond, &w->lock);
	int rc = w->failed;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int tern_wpipe_stop(struct tern_writer *w, bool drain)
{
	if (!w->threads)
		return tern_wfailed(w);
	if (drain && !tern_wfailed(w))
		push(w, &w->compq, &stop_job);
	else {
		pthread_mutex_lock(&w->lock);
		w->abort = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	pthread_join(w->comp_thr, NULL);
	pthread_join(w->send_thr, NULL);
	w->threads = false;
	return tern_wfailed(w);
}

void tern_wpipe_free(struct tern_writer *w)
{
	for (unsigned i = 0; w->jobs && i < w->njobs; i++) {
		if (w->jobs[i].rawbuf)
			munmap(w->jobs[i].rawbuf, RAWBUF_LEN);
		free(w->jobs[i].out);
	}
	free(w->jobs);
	free(w->freeq.items);
	free(w->compq.items);
	free(w->sendq.items);
	if (w->zs_ready)
		deflateEnd(&w->zs);
}
