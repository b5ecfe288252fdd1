/* Library-level checks the command-line tool cannot reach: CRC vectors, writer misuse, limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tern/stream.h"
#include "tern/transport.h"

uint32_t tern_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t tern_crc32c_split(uint32_t crc, const void *buf, size_t len);

static int failures;
#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			failures++;                                          \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);          \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
		}                                                            \
	} while (0)

/* XXH64's published values (the empty input; "123456789"), and every tail length (0-31
 * bytes after the 32-byte stripes) against the same bytes hashed at another alignment. */
static void test_xxh64(void)
{
	static const char v[] = "123456789";
	uint8_t buf[200], moved[201];
	CHECK(tern_xxh64("", 0, 0) == 0xEF46DB3751D8E999ull, "xxh64 of nothing");
	CHECK(tern_xxh64(v, 9, 0) == 0x8CB841DB40E6AE83ull, "xxh64 check value");
	for (int i = 0; i < 200; i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	memcpy(moved + 1, buf, sizeof(buf));
	for (size_t n = 0; n <= 100; n++)
		CHECK(tern_xxh64(buf, n, 77) == tern_xxh64(moved + 1, n, 77), "xxh64 alignment, %zu bytes", n);
	CHECK(tern_xxh64(buf, 64, 0) != tern_xxh64(buf, 64, 1), "xxh64 seed ignored");
	buf[63] ^= 1;
	CHECK(tern_xxh64(buf, 64, 0) != tern_xxh64(moved + 1, 64, 0), "xxh64 misses a flipped bit");
}

static void test_crc(void)
{
	static const char v[] = "123456789";
	CHECK(tern_crc32c(0, v, 9) == 0xE3069283u, "crc32c check value");
	CHECK(tern_crc32c_sw(0, v, 9) == 0xE3069283u, "software crc32c check value");
	uint8_t buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t off = 0; off < 9; off++)
		CHECK(tern_crc32c(0, buf + off, 991 - off) == tern_crc32c_sw(0, buf + off, 991 - off),
		      "hw and sw crc differ at offset %zu", off);
	CHECK(tern_crc32c(tern_crc32c(0, buf, 100), buf + 100, 900) == tern_crc32c(0, buf, 1000),
	      "crc chaining");
	/* a large buffer split between two threads and joined: the same CRC */
	size_t big = (3u << 20) + 13;
	uint8_t *b = malloc(big);
	CHECK(b != NULL, "no memory");
	if (!b)
		return;
	for (size_t i = 0; i < big; i++)
		b[i] = (uint8_t)(i * 2654435761u >> 13);
	const size_t lens[] = { 2, 9, 4096, (512u << 10) + 1, (1u << 20) - 3, big };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (uint32_t seed = 0; seed < 2; seed++)
			CHECK(tern_crc32c_split(seed * 0x12345678u, b + i, lens[i] - i) ==
			      tern_crc32c_sw(seed * 0x12345678u, b + i, lens[i] - i),
			      "split crc differs for %zu bytes, seed %u", lens[i] - i, seed);
	free(b);
}

/* A writer on a pipe we drain into memory afterwards. */
struct sink {
	int fds[2];
	struct tern_transport *t;
	struct tern_writer *w;
};

static int sink_open(struct sink *s, const struct tern_writer_params *p)
{
	if (pipe(s->fds))
		return -1;
	tern_transport_fd(&s->t, s->fds[1], true);
	return tern_writer_open(&s->w, s->t, p);
}

static void sink_close(struct sink *s)
{
	tern_writer_free(s->w);
	tern_transport_close(s->t, NULL);
	close(s->fds[0]);
}

static void start_domain(struct sink *s, uint64_t p2m)
{
	struct tern_domain_info d = { .domain_type = TERN_DOMAIN_X86_64_PV, .memory_kib = 4 * p2m,
				      .vcpu_count = 2, .config = "x=1", .config_len = 3 };
	CHECK(tern_writer_domain_header(s->w, &d) == 0, "domain header");
	CHECK(tern_writer_p2m_layout(s->w, p2m, NULL, 0) == 0, "p2m");
}

static void test_writer_misuse(void)
{
	struct tern_writer_params p = { .level = 1, .single_thread = true };
	struct sink s;
	uint64_t pfn = 5;
	uint8_t type = TERN_PAGE_NORMAL;

	CHECK(sink_open(&s, &p) == 0, "open");
	CHECK(tern_writer_pages(s.w, &pfn, &type, NULL, 1) == -EPROTO, "pages before header");
	CHECK(strstr(tern_writer_error(s.w)->msg, "before DOMAIN_HEADER"), "msg: %s",
	      tern_writer_error(s.w)->msg);
	CHECK(tern_writer_finish(s.w) == -EPROTO, "sticky error");
	sink_close(&s);

	CHECK(sink_open(&s, &p) == 0, "open");
	start_domain(&s, 4);
	CHECK(tern_writer_pages(s.w, &pfn, &type, NULL, 1) == -EINVAL, "pfn beyond p2m");
	sink_close(&s);

	CHECK(sink_open(&s, &p) == 0, "open");
	start_domain(&s, 16);
	CHECK(tern_writer_vcpu(s.w, 2, TERN_VCPU_BASIC, "x", 1) == -EINVAL, "vcpu id out of range");
	sink_close(&s);

	CHECK(sink_open(&s, &p) == 0, "open");
	start_domain(&s, 16);
	CHECK(tern_writer_record(s.w, TERN_REC_SHARED_INFO, "x", 1) == -EINVAL, "mandatory via record()");
	sink_close(&s);

	p.level = 12;
	CHECK(sink_open(&s, &p) == -EINVAL, "bad level");
	sink_close(&s);
}

/* Write a stream into a memory buffer through a pipe, then read it back. */
static void test_roundtrip_api(void)
{
	struct tern_writer_params p = { .level = 6, .single_thread = true };
	struct sink s;
	static uint8_t pages[3][4096];
	memset(pages[1], 0xAB, 4096);
	for (int i = 0; i < 4096; i++)
		pages[2][i] = (uint8_t)(i * 131 + 7);
	uint64_t pfns[4] = { 1, 2, 3, 1 }; /* pfn 1 repeats: lands in a second batch */
	uint8_t types[4] = { TERN_PAGE_NORMAL, TERN_PAGE_L4 | TERN_PAGE_PINNED, TERN_PAGE_ABSENT,
			     TERN_PAGE_L1 };
	const void *data[4] = { pages[0], pages[1], NULL, pages[2] };

	CHECK(sink_open(&s, &p) == 0, "open");
	start_domain(&s, 8);
	CHECK(tern_writer_pages(s.w, pfns, types, data, 4) == 0, "pages");
	CHECK(tern_writer_checkpoint(s.w) == 0, "checkpoint");
	CHECK(tern_writer_finish(s.w) == 0, "finish: %s", tern_writer_error(s.w)->msg);
	struct tern_writer_stats st;
	tern_writer_get_stats(s.w, &st);
	CHECK(st.pages == 4 && st.zero_pages == 1, "stats %llu %llu", (unsigned long long)st.pages,
	      (unsigned long long)st.zero_pages);
	tern_writer_free(s.w);
	tern_transport_close(s.t, NULL);

	static uint8_t buf[1 << 16];
	ssize_t n = read(s.fds[0], buf, sizeof(buf));
	close(s.fds[0]);
	struct tern_transport *t;
	struct tern_reader *r;
	struct tern_record rec;
	tern_transport_mem(&t, buf, (size_t)n);
	CHECK(tern_reader_open(&r, t) == 0, "reader open");
	int batches = 0, rc;
	while ((rc = tern_reader_next(r, &rec)) == 0 && rec.type != TERN_REC_END) {
		if (rec.type != TERN_REC_PAGE_BATCH)
			continue;
		if (batches++ == 0) {
			CHECK(rec.u.pages.count == 3, "first batch count %u", rec.u.pages.count);
			CHECK(rec.u.pages.data[0] == NULL, "zero page flagged");
			CHECK(rec.u.pages.data[1] && !memcmp(rec.u.pages.data[1], pages[1], 4096), "data");
			CHECK(rec.u.pages.types[1] == (TERN_PAGE_L4 | TERN_PAGE_PINNED), "type");
			CHECK(rec.u.pages.data[2] == NULL && rec.u.pages.types[2] == TERN_PAGE_ABSENT, "absent");
		} else {
			CHECK(rec.u.pages.count == 1 && rec.u.pages.pfns[0] == 1, "second batch");
			CHECK(!memcmp(rec.u.pages.data[0], pages[2], 4096), "second batch data");
		}
	}
	CHECK(rc == 0 && rec.type == TERN_REC_END, "end: %s", tern_reader_error(r)->msg);
	CHECK(batches == 2, "batches %d", batches);
	CHECK(tern_reader_next(r, &rec) == 1, "after END");
	tern_reader_free(r);
	tern_transport_close(t, NULL);
}

int main(void)
{
	test_crc();
	test_xxh64();
	test_writer_misuse();
	test_roundtrip_api();
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
