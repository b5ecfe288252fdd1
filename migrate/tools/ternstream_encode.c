/* ternstream encode side: turn a raw memory image into a complete stream. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "ternstream.h"

#define PAGE TERN_STREAM_PAGE_SIZE
#define CHUNK TERN_STREAM_BATCH_MAX

struct image {
	const uint8_t *base;
	size_t size;
	uint64_t pages;
};

static int map_image(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return ts_err("%s: %s", path, strerror(errno));
	if (st.st_size == 0 || st.st_size % PAGE) {
		close(fd);
		return ts_err("%s: size %lld is not a positive multiple of %u", path,
			      (long long)st.st_size, PAGE);
	}
	im->size = (size_t)st.st_size;
	im->pages = im->size / PAGE;
	im->base = mmap(NULL, im->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (im->base == MAP_FAILED)
		return ts_err("%s: mmap: %s", path, strerror(errno));
	return 0;
}

/* Synthetic per-vCPU and per-epoch state: deterministic bytes a round trip can check. */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static int put_state(struct tern_writer *w, const struct ts_opts *o, uint32_t epoch,
		     uint64_t p2m_size)
{
	uint8_t blob[PAGE];
	int rc = 0;
	for (int v = 0; !rc && v < o->vcpus; v++) {
		fill_pattern(blob, 512, epoch * 1000 + (uint32_t)v);
		rc = tern_writer_vcpu(w, (uint32_t)v, TERN_VCPU_BASIC, blob, 512);
		fill_pattern(blob, 64, epoch * 1000 + 500 + (uint32_t)v);
		if (!rc)
			rc = tern_writer_vcpu(w, (uint32_t)v, TERN_VCPU_EXTENDED, blob, 64);
	}
	fill_pattern(blob, PAGE, epoch + 77);
	if (!rc)
		rc = tern_writer_shared_info(w, blob);
	struct tern_evtchn_entry ev[3] = {
		{ .port = 1, .state = TERN_EVTCHN_INTERDOMAIN, .target = 0, .target_port = 12 },
		{ .port = 2, .state = TERN_EVTCHN_VIRQ, .target = 0 },
		{ .port = 5, .state = TERN_EVTCHN_IPI, .vcpu = (uint16_t)(o->vcpus - 1) },
	};
	if (!rc)
		rc = tern_writer_evtchn(w, ev, 3);
	struct tern_grant_entry g[2] = {
		{ .ref = 0, .flags = 1, .domid = 0, .frame = 0 },
		{ .ref = 8, .flags = 1, .domid = 0, .frame = p2m_size - 1 },
	};
	if (!rc)
		rc = tern_writer_grant(w, 1, 1, g, 2);
	return rc;
}

static int put_refs(struct tern_writer *w, const struct image *im, uint64_t first, uint32_t n)
{
	uint64_t pfns[CHUNK];
	uint8_t types[CHUNK];
	bool zero[CHUNK];
	static uint8_t sha[CHUNK][32];
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p = im->base + (first + i) * PAGE;
		pfns[i] = first + i;
		types[i] = TERN_PAGE_NORMAL;
		zero[i] = p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
		if (!zero[i] && !EVP_Digest(p, PAGE, sha[i], NULL, EVP_sha256(), NULL))
			return -EIO;
	}
	return tern_writer_page_refs(w, pfns, types, zero, (const uint8_t(*)[32])sha, n);
}

/* Send pages of `im`; with `prev`, only those that differ from it. */
static int put_pages(struct tern_writer *w, const struct ts_opts *o, const struct image *im,
		     const struct image *prev)
{
	uint64_t pfns[CHUNK];
	uint8_t types[CHUNK];
	const void *data[CHUNK];
	for (uint64_t first = 0; first < im->pages; first += CHUNK) {
		uint32_t n = im->pages - first < CHUNK ? (uint32_t)(im->pages - first) : CHUNK, k = 0;
		if (o->refs && !prev) {
			int rc = put_refs(w, im, first, n);
			if (rc)
				return rc;
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *p = im->base + (first + i) * PAGE;
			if (prev && !memcmp(p, prev->base + (first + i) * PAGE, PAGE))
				continue;
			pfns[k] = first + i;
			types[k] = TERN_PAGE_NORMAL;
			data[k++] = p;
		}
		int rc = tern_writer_pages(w, pfns, types, data, k);
		if (rc)
			return rc;
	}
	return 0;
}

static char *read_config(const struct ts_opts *o, uint64_t pages, uint32_t *len)
{
	char *buf = NULL;
	if (!o->config) {
		if (asprintf(&buf, "name = \"synthetic\"\nmemory = %llu\nvcpus = %d\n",
			     (unsigned long long)(pages * PAGE >> 20), o->vcpus) < 0)
			return NULL;
		*len = (uint32_t)strlen(buf);
		return buf;
	}
	FILE *f = fopen(o->config, "r");
	if (!f)
		return NULL;
	buf = calloc(1, 1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	*len = (uint32_t)n;
	return buf;
}

static int encode_body(struct tern_writer *w, const struct ts_opts *o, const struct image *im,
		       const struct image *next)
{
	static const char sender[] = "ternstream synthetic encoder";
	uint32_t clen = 0;
	char *cfg = read_config(o, im->pages, &clen);
	if (!cfg)
		return ts_err("cannot read config %s", o->config ? o->config : "(default)");
	struct tern_domain_info d = { .domain_type = TERN_DOMAIN_X86_64_PV,
				      .memory_kib = im->pages * (PAGE / 1024),
				      .vcpu_count = (uint32_t)o->vcpus, .config = cfg,
				      .config_len = clen };
	uint64_t nfr = (im->pages + 511) / 512, frames[64];
	if (nfr > 64)
		nfr = 64;
	for (uint64_t i = 0; i < nfr; i++)
		frames[i] = im->pages - nfr + i;
	int rc = tern_writer_record(w, TERN_REC_SENDER_INFO, sender, sizeof(sender) - 1);
	if (!rc)
		rc = tern_writer_domain_header(w, &d);
	free(cfg);
	if (!rc)
		rc = tern_writer_p2m_layout(w, im->pages, frames, (uint32_t)nfr);
	if (!rc)
		rc = put_pages(w, o, im, NULL);
	if (!rc)
		rc = put_state(w, o, 0, im->pages);
	if (!rc && next) {
		rc = tern_writer_checkpoint(w);
		if (!rc)
			rc = put_pages(w, o, next, im);
		if (!rc)
			rc = put_state(w, o, 1, im->pages);
	}
	return rc;
}

int ts_encode_to(struct tern_transport *t, const struct ts_opts *o)
{
	struct image im = { 0 }, next = { 0 };
	if (o->vcpus < 1 || o->vcpus > (int)TERN_STREAM_VCPU_MAX)
		return ts_err("--vcpus out of range");
	if (map_image(o->in, &im) || (o->then && map_image(o->then, &next)))
		return 1;
	if (o->then && next.pages != im.pages)
		return ts_err("--then image differs in size");
	struct tern_writer_params p = { .level = o->level, .single_thread = o->single_thread,
					.version = (uint32_t)o->version };
	struct tern_writer *w;
	int rc = tern_writer_open(&w, t, &p);
	if (!rc)
		rc = encode_body(w, o, &im, o->then ? &next : NULL);
	if (!rc)
		rc = tern_writer_finish(w);
	if (rc && w && tern_writer_error(w)->code)
		ts_err("%s", tern_writer_error(w)->msg);
	else if (rc && rc != 1)
		ts_err("%s", strerror(-rc));
	struct tern_writer_stats s;
	if (w && !rc) {
		tern_writer_get_stats(w, &s);
		fprintf(stderr, "ternstream: %llu pages (%llu zero), %llu batches deflate, %llu raw, %llu bytes\n",
			(unsigned long long)s.pages, (unsigned long long)s.zero_pages,
			(unsigned long long)s.batches_zlib, (unsigned long long)s.batches_raw,
			(unsigned long long)s.wire_bytes);
	}
	tern_writer_free(w);
	munmap((void *)im.base, im.size);
	if (next.base)
		munmap((void *)next.base, next.size);
	return rc ? 1 : 0;
}
