/* In-memory chunk index: open-addressing hash table from SHA-256 to pack location. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* SHA-256 output is uniform, so its leading bits make a good slot. They
 * are the bits idx files are sorted by: loading a sorted index (or
 * growing the table) then fills slots in order, not at random. */
static size_t slot_of(const uint8_t hash[32], size_t cap)
{
    uint64_t h;

    memcpy(&h, hash, sizeof(h));
    h = __builtin_bswap64(h); /* big-endian: the first byte leads */
    return (size_t)(h >> (64 - __builtin_ctzll((unsigned long long)cap)));
}

static int table_resize(struct store_table *t, size_t ncap)
{
    struct store_loc *ns;
    size_t i;

    if (ncap > SIZE_MAX / sizeof(*ns))
        return -ENOMEM;
    ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (!t->slots[i].used)
            continue;
        j = slot_of(t->slots[i].hash, ncap);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* The table stays at most 70 % full. */
int table_reserve(struct store_table *t, size_t count)
{
    size_t ncap = t->cap ? t->cap : 4096;

    if (count > SIZE_MAX / 10)
        return -ENOMEM;
    while (count * 10 > ncap * 7)
        ncap *= 2;
    return ncap == t->cap ? 0 : table_resize(t, ncap);
}

/* Adds hash unless present: 1 added, 0 present, or -ENOMEM. */
static int table_put(struct store_table *t, const uint8_t hash[32], uint32_t pack,
                     uint64_t off, uint32_t len, uint16_t enc)
{
    size_t j;
    int rc = table_reserve(t, t->count + 1);

    if (rc)
        return rc;
    j = slot_of(hash, t->cap);
    while (t->slots[j].used) {
        if (!memcmp(t->slots[j].hash, hash, 32))
            return 0;
        j = (j + 1) & (t->cap - 1);
    }
    memcpy(t->slots[j].hash, hash, 32);
    t->slots[j].off = off;
    t->slots[j].pack = pack;
    t->slots[j].len = (uint16_t)len;
    t->slots[j].enc = (uint8_t)enc;
    t->slots[j].used = 1;
    t->count++;
    return 1;
}

int table_add_new(struct store_table *t, const uint8_t hash[32])
{
    return table_put(t, hash, 0, 0, 0, 0);
}

/* Keeps the first location seen for a hash; later copies are duplicates. */
int table_insert(struct store_table *t, const uint8_t hash[32], uint32_t pack,
                 uint64_t off, uint32_t len, uint16_t enc)
{
    int rc = table_put(t, hash, pack, off, len, enc);

    return rc < 0 ? rc : 0;
}

const struct store_loc *table_find(const struct store_table *t,
                                   const uint8_t hash[32])
{
    size_t j;

    if (!t->cap)
        return NULL;
    j = slot_of(hash, t->cap);
    while (t->slots[j].used) {
        if (!memcmp(t->slots[j].hash, hash, 32))
            return &t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    return NULL;
}

void table_prefetch(const struct store_table *t, const uint8_t hash[32])
{
    if (t->cap)
        __builtin_prefetch(&t->slots[slot_of(hash, t->cap)]);
}

void table_free(struct store_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}
