/* stream_bench: stream encode/decode throughput next to memcpy, CRC32C, SHA-256 and zlib on one image. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>
#include "tern/stream.h"
#include "tern/transport.h"

#define PAGE TERN_STREAM_PAGE_SIZE
#define MB (1024.0 * 1024.0)

struct clock2 {
	double wall, cpu;
};

static struct clock2 now(void)
{
	struct timespec ts;
	struct rusage ru;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	getrusage(RUSAGE_SELF, &ru);
	return (struct clock2){ ts.tv_sec + ts.tv_nsec / 1e9,
				ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
					ru.ru_stime.tv_usec / 1e6 };
}

static const uint8_t *img;
static size_t img_size;
static volatile uint32_t sink;

static void do_memcpy(void)
{
	static uint8_t dst[4 << 20];
	for (size_t off = 0; off < img_size; off += sizeof(dst)) {
		size_t n = img_size - off < sizeof(dst) ? img_size - off : sizeof(dst);
		memcpy(dst, img + off, n);
		sink += dst[n - 1];
	}
}

static void do_crc(void)
{
	sink += tern_crc32c(0, img, img_size);
}

static void do_sha(void)
{
	uint8_t md[32];
	for (size_t off = 0; off < img_size; off += PAGE)
		EVP_Digest(img + off, PAGE, md, NULL, EVP_sha256(), NULL);
	sink += md[0];
}

static void do_zlib1(void)
{
	static uint8_t out[(4 << 20) + 65536];
	z_stream zs = { 0 };
	deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	for (size_t off = 0; off < img_size; off += 4 << 20) {
		deflateReset(&zs);
		zs.next_in = (Bytef *)img + off;
		zs.avail_in = (uInt)(img_size - off < (4u << 20) ? img_size - off : (4u << 20));
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		deflate(&zs, Z_FINISH);
	}
	deflateEnd(&zs);
}

static uint8_t *stream_buf;
static size_t stream_len;
static int bench_level = 1;
static bool bench_single;

/* Encode the image as pages only into a memory file, so I/O cost stays out of the figure. */
static void do_encode(void)
{
	int fd = memfd_create("stream", 0);
	struct tern_transport *t;
	struct tern_writer *w;
	struct tern_writer_params p = { .level = bench_level, .single_thread = bench_single };
	tern_transport_fd(&t, fd, false);
	tern_writer_open(&w, t, &p);
	struct tern_domain_info d = { .domain_type = TERN_DOMAIN_X86_64_PV, .memory_kib = img_size / 1024,
				      .vcpu_count = 1 };
	tern_writer_domain_header(w, &d);
	tern_writer_p2m_layout(w, img_size / PAGE, NULL, 0);
	static uint64_t pfns[1024];
	static uint8_t types[1024];
	static const void *data[1024];
	for (size_t first = 0; first < img_size / PAGE; first += 1024) {
		for (size_t i = 0; i < 1024; i++) {
			pfns[i] = first + i;
			data[i] = img + (first + i) * PAGE;
		}
		tern_writer_pages(w, pfns, types, data, 1024);
	}
	if (tern_writer_finish(w))
		fprintf(stderr, "encode: %s\n", tern_writer_error(w)->msg);
	tern_writer_free(w);
	tern_transport_close(t, NULL);
	if (!stream_buf) {
		stream_len = (size_t)lseek(fd, 0, SEEK_END);
		stream_buf = malloc(stream_len);
		pread(fd, stream_buf, stream_len, 0);
	}
	close(fd);
}

static void do_decode(void)
{
	struct tern_transport *t;
	struct tern_reader *r;
	struct tern_record rec;
	tern_transport_mem(&t, stream_buf, stream_len);
	int rc = tern_reader_open(&r, t);
	while (!rc && (rc = tern_reader_next(r, &rec)) == 0 && rec.type != TERN_REC_END)
		;
	if (rc)
		fprintf(stderr, "decode: %s\n", tern_reader_error(r)->msg);
	tern_reader_free(r);
	tern_transport_close(t, NULL);
}

/* Run fn at least twice and for 0.5 s; report MB/s of wall time and per CPU second. */
static void measure(const char *name, void (*fn)(void))
{
	struct clock2 a = now(), b;
	int runs = 0;
	do {
		fn();
		runs++;
		b = now();
	} while (runs < 2 || b.wall - a.wall < 0.5);
	double bytes = (double)img_size * runs;
	printf("%s: %.1f MB/s wall, %.1f MB/s per core\n", name, bytes / MB / (b.wall - a.wall),
	       bytes / MB / (b.cpu - a.cpu > 1e-9 ? b.cpu - a.cpu : 1e-9));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: stream_bench IMAGE [level] [label]\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size % PAGE || !st.st_size) {
		perror(argv[1]);
		return 1;
	}
	img_size = (size_t)st.st_size;
	img = mmap(NULL, img_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (img == MAP_FAILED)
		return 1;
	if (argc > 2)
		bench_level = atoi(argv[2]);
	const char *label = argc > 3 ? argv[3] : "image";
	char name[128];
	if (argc <= 3) {
		measure("memcpy", do_memcpy);
		measure("crc32c", do_crc);
		measure("sha256 per 4 KiB page", do_sha);
		measure("zlib level 1 alone (raw deflate, 4 MiB blocks)", do_zlib1);
	}
	bench_single = true;
	snprintf(name, sizeof(name), "stream encode %s level %d, 1 thread", label, bench_level);
	measure(name, do_encode);
	bench_single = false;
	snprintf(name, sizeof(name), "stream encode %s level %d, pipelined", label, bench_level);
	measure(name, do_encode);
	snprintf(name, sizeof(name), "stream decode %s (%.1f%% of raw size)", label,
		 100.0 * (double)stream_len / (double)img_size);
	measure(name, do_decode);
	return 0;
}
