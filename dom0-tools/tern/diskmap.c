/*
 * Persistent grants for tern-diskback: with feature-persistent both sides agreed on, blkfront
 * keeps reusing one pool of granted pages, so each is mapped here once (gntdev) and found
 * again by its grant ref; data is then one memcpy between the image and the mapped page, with
 * no grant copy. At most DISKMAP_MAX pages are kept: past that, or for a ref that cannot be
 * mapped, the caller falls back to the bounce pages.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <public/grant_table.h> /* grant_ref_t and domid_t, which gntdev.h expects */
#include <xen/gntdev.h>

#include "diskring.h"

#define DISKMAP_MAX 2048
#define BUCKETS 4096 /* open addressing, kept at most half full */

struct diskmap_entry {
    uint32_t gref_plus1; /* 0: empty */
    uint8_t *va;
    uint64_t index;      /* gntdev's offset of the mapping */
};

struct diskmap {
    struct diskmap_entry e[BUCKETS];
    unsigned int count;
};

static unsigned int bucket(uint32_t gref)
{
    return (gref * 2654435761u) % BUCKETS;
}

uint8_t *diskmap_one(int gnt, uint16_t domid, uint32_t gref, uint64_t *index)
{
    struct ioctl_gntdev_map_grant_ref m = { .count = 1, .refs[0] = { .domid = domid, .ref = gref } };

    if (ioctl(gnt, IOCTL_GNTDEV_MAP_GRANT_REF, &m))
        return NULL;
    void *va = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gnt, (off_t)m.index);
    if (va == MAP_FAILED) { /* not a page the domain granted us (writable) */
        struct ioctl_gntdev_unmap_grant_ref u = { .index = m.index, .count = 1 };
        ioctl(gnt, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        return NULL;
    }
    *index = m.index;
    return va;
}

void diskmap_drop(int gnt, void *va, uint64_t index)
{
    struct ioctl_gntdev_unmap_grant_ref u = { .index = index, .count = 1 };

    munmap(va, 4096);
    ioctl(gnt, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
}

uint8_t *diskmap_get(struct diskring *r, uint32_t gref)
{
    if (!r->map && !(r->map = calloc(1, sizeof(*r->map))))
        return NULL;
    unsigned int b = bucket(gref);
    while (r->map->e[b].gref_plus1) {
        if (r->map->e[b].gref_plus1 == gref + 1)
            return r->map->e[b].va;
        b = (b + 1) % BUCKETS;
    }
    if (r->map->count >= DISKMAP_MAX || gref == UINT32_MAX)
        return NULL;
    uint64_t index;
    uint8_t *va = diskmap_one(r->gnt, r->domid, gref, &index);
    if (!va)
        return NULL;
    r->map->e[b] = (struct diskmap_entry){ gref + 1, va, index };
    r->map->count++;
    return va;
}

void diskmap_clear(struct diskring *r)
{
    if (!r->map)
        return;
    for (unsigned int b = 0; b < BUCKETS; b++) {
        struct diskmap_entry *e = &r->map->e[b];
        if (!e->gref_plus1)
            continue;
        diskmap_drop(r->gnt, e->va, e->index);
    }
    free(r->map);
    r->map = NULL;
}
