/* In-memory chunk index: open-addressing hash table from SHA-256 to pack location. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* SHA-256 output is uniform, so its first word is a good slot hash. */
static size_t slot_of(const uint8_t hash[32], size_t cap)
{
    uint64_t h;

    memcpy(&h, hash, sizeof(h));
    return (size_t)h & (cap - 1);
}

static int table_grow(struct store_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 4096, i;
    struct store_loc *ns;

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

/* Keeps the first location seen for a hash; later copies are duplicates. */
int table_insert(struct store_table *t, const uint8_t hash[32], uint32_t pack,
                 uint64_t off, uint32_t len, uint16_t enc)
{
    size_t j;
    int rc;

    if ((t->count + 1) * 10 > t->cap * 7) {
        rc = table_grow(t);
        if (rc)
            return rc;
    }
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
    return 0;
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

void table_free(struct store_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}
