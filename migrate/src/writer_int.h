/* Writer internals shared by the API half (writer.c) and the pipeline (writer_pipeline.c). */
#ifndef TERN_WRITER_INT_H
#define TERN_WRITER_INT_H

#include <pthread.h>
#include <zlib.h>
#include "internal.h"

enum wjob_kind { WJOB_PAGES, WJOB_RECORD, WJOB_STOP };

/* One record on its way to the wire.  Jobs are pooled and recycled. */
/* Room before a job's pages for a PAGE_BATCH record's head: header, batch, entries. */
#define WJOB_RAW_HEAD (sizeof(struct tern_rec_header) + sizeof(struct tern_rec_page_batch) + \
		       (size_t)TERN_STREAM_BATCH_MAX * 8)

struct wjob {
	enum wjob_kind kind;
	uint32_t rec_type;
	uint32_t count;         /* WJOB_PAGES: entries used */
	uint32_t ndata;         /* pages with data, packed in raw */
	uint64_t entries[TERN_STREAM_BATCH_MAX];
	uint8_t *raw;           /* inside rawbuf, after room for the record's head */
	uint8_t *rawbuf;        /* WJOB_RAW_HEAD, the pages, 8 bytes of padding */
	uint8_t *out;           /* complete record: header, body, padding */
	const uint8_t *wire;    /* what goes out: out, or a raw batch in place in rawbuf */
	size_t out_len, out_cap;
};

struct wqueue {
	struct wjob **items;
	unsigned cap, head, n;
};

#define WSET_SLOTS 2048u /* > 2 * TERN_STREAM_BATCH_MAX: pfns in the batch being filled */

struct tern_writer {
	struct tern_transport *t;
	struct tern_writer_params p;
	struct tern_order order;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tern_stream_error err;   /* under lock */
	int failed;                     /* under lock; read unlocked as a hint */
	bool abort;                     /* under lock */
	bool threads;
	bool finished;
	pthread_t comp_thr, send_thr;
	struct wqueue freeq, compq, sendq;
	struct wjob *jobs;
	unsigned njobs;
	struct wjob *cur;               /* page batch being filled by the caller */
	uint64_t set_key[WSET_SLOTS];   /* pfns in cur, tagged with set_gen */
	uint32_t set_tag[WSET_SLOTS];
	uint32_t set_gen;
	z_stream zs;
	bool zs_ready;
	uint64_t wire_off;              /* sender thread */
	struct tern_writer_stats stats; /* under lock */
};

void tern_wfail(struct tern_writer *w, int code, uint32_t type, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int tern_wfailed(struct tern_writer *w);

/* Validate a built body like the reader would, then queue it. */
int tern_writer_emit(struct tern_writer *w, uint32_t type, const void *body, uint32_t len);
/* Submit the partly filled page batch, if any. */
int tern_writer_flush_pages(struct tern_writer *w);
/* Record a rejected call; the writer is failed afterwards. */
int tern_writer_reject(struct tern_writer *w, int code, uint32_t type, const char *why);

int tern_wpipe_start(struct tern_writer *w);
/* Take an empty job (blocks while all are in flight). 0 or the sticky error. */
int tern_wpipe_get(struct tern_writer *w, struct wjob **j);
/* Hand a filled job to the pipeline (or encode and send it now). */
int tern_wpipe_submit(struct tern_writer *w, struct wjob *j);
/* Stop and join the threads; drain = let queued jobs reach the wire first. */
/* Until every job queued so far is on the wire (0), or the sticky error. */
int tern_wpipe_drain(struct tern_writer *w);
int tern_wpipe_stop(struct tern_writer *w, bool drain);
void tern_wpipe_free(struct tern_writer *w);
/* Make sure j->out holds `len` bytes. */
int tern_wjob_reserve(struct wjob *j, size_t len);

#endif
