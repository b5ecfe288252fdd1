/* ternstream decode side: validate a stream and commit its memory image atomically, or list it. */
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ternstream.h"

#define PAGE TERN_STREAM_PAGE_SIZE

/* The partial output, removed if we are told to stop. */
static char part_path[4096];

static void on_signal(int sig)
{
	(void)sig;
	if (part_path[0])
		unlink(part_path);
	_exit(1);
}

struct sink {
	int fd;             /* -1 when discarding */
	uint8_t *written;   /* bitmap: pfn holds data from this stream */
	uint64_t p2m_size;
};

static int sink_open(struct sink *s, const struct ts_opts *o, uint64_t p2m_size)
{
	s->p2m_size = p2m_size;
	s->written = calloc((p2m_size + 7) / 8, 1);
	if (!s->written)
		return -ENOMEM;
	if (o->discard)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", o->out);
	snprintf(part_path, sizeof(part_path), "%s/.%s.part.XXXXXX", dirname(dir),
		 strrchr(o->out, '/') ? strrchr(o->out, '/') + 1 : o->out);
	s->fd = mkostemp(part_path, O_CLOEXEC);
	if (s->fd < 0) {
		part_path[0] = 0;
		return -errno;
	}
	if (ftruncate(s->fd, (off_t)(p2m_size * PAGE)))
		return -errno;
	return 0;
}

static int sink_pages(struct sink *s, const struct tern_record *r)
{
	static const uint8_t zero[PAGE];
	for (uint32_t i = 0; i < r->u.pages.count; i++) {
		uint64_t pfn = r->u.pages.pfns[i];
		const uint8_t *d = r->u.pages.data[i];
		bool was = s->written[pfn / 8] & (1u << (pfn % 8));
		if (!d && !was)
			continue; /* still a hole: reads as zeroes */
		s->written[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
		if (s->fd >= 0 && pwrite(s->fd, d ? d : zero, PAGE, (off_t)(pfn * PAGE)) != PAGE)
			return errno ? -errno : -EIO;
	}
	return 0;
}

/* Only after END validated: flush, then make the image visible under its name. */
static int sink_commit(struct sink *s, const struct ts_opts *o)
{
	if (s->fd < 0)
		return 0;
	if (fsync(s->fd) || close(s->fd))
		return -errno;
	s->fd = -1;
	if (rename(part_path, o->out))
		return -errno;
	part_path[0] = 0;
	return 0;
}

static void sink_abort(struct sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (part_path[0])
		unlink(part_path);
	part_path[0] = 0;
	free(s->written);
}

static int decode_loop(struct tern_reader *r, struct sink *s, const struct ts_opts *o,
		       struct tern_stream_error *err)
{
	struct tern_record rec;
	int rc;
	while ((rc = tern_reader_next(r, &rec)) == 0) {
		int src = 0;
		if (rec.type == TERN_REC_P2M_LAYOUT)
			src = sink_open(s, o, rec.u.p2m.p2m_size);
		else if (rec.type == TERN_REC_PAGE_BATCH)
			src = sink_pages(s, &rec);
		else if (rec.type == TERN_REC_END)
			src = sink_commit(s, o);
		if (rec.type == TERN_REC_PAGE_REFS) {
			tern_stream_error_set(err, -ENOENT, rec.type, rec.offset, "stream holds page "
					      "references, not page data (resolve it through the snapshot store)");
			return -ENOENT;
		}
		if (src) {
			tern_stream_error_set(err, src, rec.type, rec.offset, "writing the image %s: %s",
					      o->out ? o->out : "", strerror(-src));
			return src;
		}
		if (rec.type == TERN_REC_END)
			return 0;
	}
	*err = *tern_reader_error(r);
	return rc > 0 ? -EPROTO : rc;
}

int ts_decode_from(struct tern_transport *t, const struct ts_opts *o, uint64_t *bytes,
		   struct tern_stream_error *err)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct sink s = { .fd = -1 };
	struct tern_reader *r;
	int rc = tern_reader_open(&r, t);
	if (rc) {
		if (r)
			*err = *tern_reader_error(r);
		else
			tern_stream_error_set(err, rc, TERN_REC_NONE, 0, "out of memory");
	} else {
		rc = decode_loop(r, &s, o, err);
	}
	struct tern_reader_stats st = { 0 };
	if (r)
		tern_reader_get_stats(r, &st);
	*bytes = st.bytes;
	sink_abort(&s);
	tern_reader_free(r);
	return rc;
}
