/* XXH64 (Yann Collet's xxHash, 64-bit variant), and the record check each stream version uses. */
#include <stdint.h>
#include <string.h>
#include "internal.h"

/*
 * Why not CRC32C from version 3 on: without SSE4.2 (QEMU's qemu64 model, our hardware) a
 * CRC costs two table loads per byte, ~1.7 ns a byte in dom0 under emulation and the largest
 * part of a restore's check; XXH64 reads each 8 bytes once and mixes them with a multiply
 * and a rotate, ~0.65 ns a byte there and several GB/s on real hardware. It is no
 * cryptographic hash, and is not meant as one here either: a record's check catches
 * corruption (integrity against an attacker is the SSH transport's and the store's job).
 */
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t lane(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t v)
{
	return (acc ^ lane(0, v)) * P1 + P4;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

uint64_t tern_xxh64(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1;
		do {
			a = lane(a, load64(p));
			b = lane(b, load64(p + 8));
			c = lane(c, load64(p + 16));
			d = lane(d, load64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
		h = merge(merge(merge(merge(h, a), b), c), d);
	} else {
		h = seed + P5;
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ lane(0, load64(p)), 27) * P1 + P4;
	if (end - p >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		h = rotl(h ^ (uint64_t)v * P1, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * P5, 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

uint32_t tern_record_check(uint32_t version, const struct tern_rec_header *h, const void *body, size_t len)
{
	struct tern_rec_header z = *h;
	uint64_t x;

	z.crc = 0;
	if (version < 3)
		return tern_crc32c(tern_crc32c(0, &z, sizeof(z)), body, len);
	x = tern_xxh64(body, len, tern_xxh64(&z, sizeof(z), 0));
	return (uint32_t)x ^ (uint32_t)(x >> 32);
}
