/*
 * The request ring of Tern's disk backend: blkif requests from a guest's blkfront served
 * from an image file mapped into this process. With persistent grants (Linux's blkfront
 * offers them) the frontend's pages are mapped here once (diskmap.c) and each segment is one
 * memcpy. Otherwise each segment goes through a bounce page of ours that we granted to
 * ourselves (gntalloc): memcpy between the image and the bounce page here, a grant copy
 * between the bounce page and the guest's page in the hypervisor. A grant copy straight from
 * the image's pages would save the memcpy, but gntdev then pins each page, which on a PV
 * dom0 costs more than the memcpy (docs/devices.md).
 */
#ifndef TERN_DISKRING_H
#define TERN_DISKRING_H

#include <stdbool.h>
#include <stdint.h>

#define DISKRING_MAX_INDIRECT 256 /* segments per indirect request we offer (one page of them) */
#define DISKRING_BOUNCE 256       /* bounce pages: segments moved per grant-copy call */

struct diskmap;

struct diskring {
    void *sring;          /* the frontend's ring page, mapped through gntdev */
    int gnt;              /* /dev/xen/gntdev */
    uint16_t domid;
    uint32_t req_cons, rsp_prod;
    uint8_t *image;       /* the whole image, mapped shared */
    uint64_t size;        /* bytes served (whole sectors) */
    int image_fd;
    bool writable;
    uint8_t *bounce;      /* DISKRING_BOUNCE pages granted to ourselves, mapped */
    uint32_t bounce_gref[DISKRING_BOUNCE];
    bool broken;          /* the frontend's indexes made no sense: nothing more is read */
    bool persistent;      /* persistent grants agreed: the frontend's pages mapped once */
    struct diskmap *map;  /* those mappings (diskmap.c) */
    uint64_t requests, errors;
};

/*
 * Serves every request the frontend has queued, then re-arms its event. Returns whether the
 * frontend is to be notified of responses. A ring found broken sets r->broken (why in the
 * buffer) and is left alone from then on.
 */
bool diskring_serve(struct diskring *r, char *why, unsigned int len);

/* Persistent grants (diskmap.c): the frontend's page gref mapped here (mapped now if new),
 * or NULL when it cannot be or too many are; and letting go of them all (disconnect). */
uint8_t *diskmap_get(struct diskring *r, uint32_t gref);
/* One page domid granted us, mapped through gntdev fd gnt (its offset in *index), or NULL;
 * and unmapping it. The ring page goes the same way. */
uint8_t *diskmap_one(int gnt, uint16_t domid, uint32_t gref, uint64_t *index);
void diskmap_drop(int gnt, void *va, uint64_t index);
void diskmap_clear(struct diskring *r);

#endif
