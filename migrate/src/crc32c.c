/* CRC32C (Castagnoli): SSE4.2 instruction when present, table-driven otherwise. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

/*
 * Why CRC32C rather than zlib's CRC32: x86-64 has had an instruction for it
 * since SSE4.2, so checksumming runs at several GB/s and never limits the
 * stream; the Castagnoli polynomial also detects more error patterns at
 * record sizes than the IEEE one.  ext4, btrfs and iSCSI use it for the
 * same reasons.
 */

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[8][256];
static uint32_t x2n[32]; /* x^(2^n) mod P, for joining two halves' CRCs */
static uint32_t mul_mod(uint32_t a, uint32_t b);
static void helper_after_fork(void);
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_have_hw;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xFF];
	__builtin_cpu_init();
	crc_have_hw = __builtin_cpu_supports("sse4.2");
	x2n[0] = 1u << 30; /* x^1 */
	for (int n = 1; n < 32; n++)
		x2n[n] = mul_mod(x2n[n - 1], x2n[n - 1]);
	pthread_atfork(NULL, NULL, helper_after_fork);
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xFF];
		len--;
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		v ^= c;
		c = crc_table[7][v & 0xFF] ^ crc_table[6][(v >> 8) & 0xFF] ^
		    crc_table[5][(v >> 16) & 0xFF] ^ crc_table[4][(v >> 24) & 0xFF] ^
		    crc_table[3][(v >> 32) & 0xFF] ^ crc_table[2][(v >> 40) & 0xFF] ^
		    crc_table[1][(v >> 48) & 0xFF] ^ crc_table[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xFF];
	return c;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t c64 = c;
	while (len && ((uintptr_t)p & 7)) {
		c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++);
	return (uint32_t)c64;
}

/*
 * Without the instruction the table costs ~4 ns a byte under emulation, most of a restore's
 * check of its file: a large buffer is split with a helper thread on another CPU, which
 * checksums the second half while the caller does the first, and the two are joined.
 * Joining is algebra on the polynomial: crc(A B) = crc(A) * x^(8 |B|) + crc(B), mod P.
 */
#define SPLIT_MIN (512u << 10)

/* a * b mod P, in the reflected bit order the CRC uses (bit 31 holds x^0) */
static uint32_t mul_mod(uint32_t a, uint32_t b)
{
	uint32_t p = 0;

	for (uint32_t m = 1u << 31; m; m >>= 1) {
		if (a & m)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY_REFLECTED : b >> 1;
	}
	return p;
}

/* x^(8 len) mod P */
static uint32_t shift_bytes(size_t len)
{
	uint32_t p = 1u << 31; /* 1 */

	for (unsigned int k = 3; len; len >>= 1, k++)
		if (len & 1)
			p = mul_mod(x2n[k & 31], p);
	return p;
}

static struct {
	pthread_mutex_t busy;     /* one split at a time; others do it all themselves */
	pthread_mutex_t m;
	pthread_cond_t cv;
	const uint8_t *buf;
	size_t len;
	uint32_t out;
	int state;                /* 0 idle, 1 work posted, 2 done */
	bool running;
} helper = { .busy = PTHREAD_MUTEX_INITIALIZER, .m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *helper_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&helper.m);
	for (;;) {
		while (helper.state != 1)
			pthread_cond_wait(&helper.cv, &helper.m);
		pthread_mutex_unlock(&helper.m);
		uint32_t c = ~crc_sw(~0u, helper.buf, helper.len);
		pthread_mutex_lock(&helper.m);
		helper.out = c;
		helper.state = 2;
		pthread_cond_broadcast(&helper.cv);
	}
	return NULL;
}

/* A forked child has no helper thread: it starts its own when it needs one. */
static void helper_after_fork(void)
{
	pthread_mutex_init(&helper.busy, NULL);
	pthread_mutex_init(&helper.m, NULL);
	pthread_cond_init(&helper.cv, NULL);
	helper.state = 0;
	helper.running = false;
}

static bool helper_start(void)
{
	pthread_attr_t a;
	pthread_t t;
	bool ok;

	if (helper.running)
		return true;
	/* TERN_CRC_SERIAL=1: one thread, for measuring the difference */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || getenv("TERN_CRC_SERIAL"))
		return false;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	ok = !pthread_create(&t, &a, helper_main, NULL);
	pthread_attr_destroy(&a);
	return helper.running = ok;
}

static uint32_t crc_split(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t first = (len / 2) & ~(size_t)7, second = len - first;
	uint32_t a, b;

	if (pthread_mutex_trylock(&helper.busy))
		return ~crc_sw(~crc, p, len);
	if (!helper_start()) {
		pthread_mutex_unlock(&helper.busy);
		return ~crc_sw(~crc, p, len);
	}
	pthread_mutex_lock(&helper.m);
	helper.buf = p + first;
	helper.len = second;
	helper.state = 1;
	pthread_cond_broadcast(&helper.cv);
	pthread_mutex_unlock(&helper.m);
	a = ~crc_sw(~crc, p, first);
	pthread_mutex_lock(&helper.m);
	while (helper.state != 2)
		pthread_cond_wait(&helper.cv, &helper.m);
	b = helper.out;
	helper.state = 0;
	pthread_mutex_unlock(&helper.m);
	pthread_mutex_unlock(&helper.busy);
	return mul_mod(shift_bytes(second), a) ^ b;
}

/* Standard CRC32C: start with crc = 0; chain by passing the previous result. */
uint32_t tern_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	if (crc_have_hw)
		return ~crc_hw(~crc, buf, len);
	if (len >= SPLIT_MIN)
		return crc_split(crc, buf, len);
	return ~crc_sw(~crc, buf, len);
}

/* For the self-test: force the table path. */
uint32_t tern_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t tern_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return ~crc_sw(~crc, buf, len);
}

/* For the self-test: force the split path (table CRC, the helper thread and the join). */
uint32_t tern_crc32c_split(uint32_t crc, const void *buf, size_t len);
uint32_t tern_crc32c_split(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return crc_split(crc, buf, len);
}
