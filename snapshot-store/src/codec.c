/* Page codec: SHA-256 keys through OpenSSL EVP, zero-page test, deflate only when it pays. */
#include <errno.h>
#include <string.h>

#include "store_internal.h"

/* SHA-256 of 4096 zero bytes: zero pages are referenced, never stored. */
const uint8_t store_zero_hash[32] = {
    0xad, 0x7f, 0xac, 0xb2, 0x58, 0x6f, 0xc6, 0xe9, 0x66, 0xc0, 0x04,
    0xd7, 0xd1, 0xd1, 0x6b, 0x02, 0x4f, 0x58, 0x05, 0xff, 0x7c, 0xb4,
    0x7c, 0x7a, 0x85, 0xda, 0xbd, 0x8b, 0x48, 0x89, 0x2c, 0xa7,
};

/* Deflate must save at least this much, else the page is kept raw. */
#define CODEC_MIN_SAVING 256u
/* Sampled bytes for the entropy guess: 8 runs of 16. */
#define SAMPLE_RUNS 8u
#define SAMPLE_RUN 16u

int codec_init(struct store_codec *c)
{
    memset(c, 0, sizeof(*c));
    /* Fetch once: an implicit fetch on every digest costs a lock and a lookup. */
    c->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->ctx = EVP_MD_CTX_new();
    if (!c->sha || !c->ctx)
        goto fail;
    if (deflateInit2(&c->def, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        goto fail;
    c->def_ready = 1;
    if (inflateInit2(&c->inf, -12) != Z_OK)
        goto fail;
    c->inf_ready = 1;
    return 0;
fail:
    codec_fini(c);
    return -ENOMEM;
}

void codec_fini(struct store_codec *c)
{
    if (c->def_ready)
        deflateEnd(&c->def);
    if (c->inf_ready)
        inflateEnd(&c->inf);
    EVP_MD_CTX_free(c->ctx);
    EVP_MD_free(c->sha);
    memset(c, 0, sizeof(*c));
}

int codec_hash(struct store_codec *c, const void *page, uint8_t out[32])
{
    unsigned int len = 0;

    if (EVP_DigestInit_ex(c->ctx, c->sha, NULL) != 1 ||
        EVP_DigestUpdate(c->ctx, page, STORE_PAGE_SIZE) != 1 ||
        EVP_DigestFinal_ex(c->ctx, out, &len) != 1 || len != 32)
        return -EIO;
    return 0;
}

int page_is_zero(const void *page)
{
    const uint64_t *w = page;
    uint64_t acc = 0;
    size_t i;

    /* Most non-zero pages differ in the first words; test those first. */
    if (w[0] | w[1] | w[2] | w[3])
        return 0;
    for (i = 0; i < STORE_PAGE_SIZE / 8; i += 8) {
        acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] |
               w[i + 6] | w[i + 7];
        if (acc)
            return 0;
    }
    return 1;
}

/*
 * Guesses whether deflate can help, from a 128-byte sample: the collision
 * count over the byte histogram estimates second-order entropy. Uniform
 * bytes give about n(n-1)/512 colliding pairs (31.75, standard deviation
 * about 5.6); below twice that (over ~7 bits per byte) deflate would save
 * too little to pay for its time. Each byte adds the pairs it closes, so
 * one pass over the sample does it. Runs on every new page: keep it cheap.
 */
int codec_worth_deflating(const void *page)
{
    const uint8_t *p = page;
    uint16_t hist[256];
    uint32_t pairs = 0;
    const uint32_t n = SAMPLE_RUNS * SAMPLE_RUN;
    size_t r, i;

    memset(hist, 0, sizeof(hist));
    for (r = 0; r < SAMPLE_RUNS; r++) {
        const uint8_t *q = p + r * (STORE_PAGE_SIZE / SAMPLE_RUNS);
        for (i = 0; i < SAMPLE_RUN; i++)
            pairs += hist[q[i]]++;
    }
    return pairs >= n * (n - 1) / 256u;
}

int codec_encode(struct store_codec *c, const void *page, uint8_t *out,
                 uint32_t *len, uint16_t *enc)
{
    int zr;

    *len = STORE_PAGE_SIZE;
    *enc = CHUNK_RAW;
    deflateReset(&c->def);
    c->def.next_in = (Bytef *)page;
    c->def.avail_in = STORE_PAGE_SIZE;
    c->def.next_out = out;
    c->def.avail_out = STORE_PAGE_SIZE - CODEC_MIN_SAVING;
    zr = deflate(&c->def, Z_FINISH);
    if (zr == Z_STREAM_END) {
        *len = STORE_PAGE_SIZE - CODEC_MIN_SAVING - c->def.avail_out;
        *enc = CHUNK_DEFLATE;
        return 0;
    }
    return zr == Z_OK || zr == Z_BUF_ERROR ? 0 : -EIO;
}

int codec_decode(struct store_codec *c, uint16_t enc, const uint8_t *in,
                 uint32_t len, uint8_t *page)
{
    int zr;

    if (enc == CHUNK_RAW) {
        if (len != STORE_PAGE_SIZE)
            return -EBADMSG;
        memcpy(page, in, STORE_PAGE_SIZE);
        return 0;
    }
    if (enc != CHUNK_DEFLATE || len == 0 || len > STORE_PAGE_SIZE)
        return -EBADMSG;
    inflateReset(&c->inf);
    c->inf.next_in = (Bytef *)in;
    c->inf.avail_in = len;
    c->inf.next_out = page;
    c->inf.avail_out = STORE_PAGE_SIZE;
    zr = inflate(&c->inf, Z_FINISH);
    if (zr != Z_STREAM_END || c->inf.avail_out || c->inf.avail_in)
        return -EBADMSG;
    return 0;
}

int store_hash_page(const void *page, uint8_t out[STORE_HASH_LEN])
{
    unsigned int len = 0;

    if (EVP_Digest(page, STORE_PAGE_SIZE, out, &len, EVP_sha256(), NULL) != 1 ||
        len != STORE_HASH_LEN)
        return -EIO;
    return 0;
}

void store_hash_hex(const uint8_t hash[STORE_HASH_LEN], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < STORE_HASH_LEN; i++) {
        out[2 * i] = digits[hash[i] >> 4];
        out[2 * i + 1] = digits[hash[i] & 15];
    }
    out[64] = 0;
}
