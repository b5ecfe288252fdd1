/*
 * Mapping another domain's frames into this process (dom0 only), through privcmd's
 * MMAPBATCH_V2: the hypervisor checks each frame is that domain's, and refuses its page
 * tables writable. Functions return 0 or -errno and never print.
 */
#ifndef TERN_FOREIGN_H
#define TERN_FOREIGN_H

#include <stddef.h>
#include <stdint.h>

struct call;

/* Maps n machine frames of domain dom at one address; errs (n ints, may be NULL) gets
 * each frame's error. NULL with errno set when the mapping failed or any frame was
 * refused (the whole range is unmapped then). */
void *foreign_map(struct call *c, uint16_t dom, int prot, const uint64_t *mfns, size_t n, int *errs);
void foreign_unmap(void *addr, size_t n);

#endif
