/*
 * Hypercalls from dom0 user space through Linux's /dev/xen/privcmd, with argument buffers
 * from /dev/xen/hypercall (pages the kernel keeps resident, so the hypervisor can read them
 * at any time). Errors are -errno; nothing here prints or exits.
 */
#ifndef TERN_CALL_H
#define TERN_CALL_H

#include <stddef.h>
#include <stdint.h>

struct call;

/* NULL with errno set when privcmd is missing (not dom0, or xen-privcmd not loaded). */
struct call *call_open(void);
void call_close(struct call *c);
/* The hypercall's own result (>= 0), or -errno (the hypervisor's error or the kernel's). */
long call_hypercall(struct call *c, unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t a4, uint64_t a5);
/* A zeroed buffer of at least len bytes the hypervisor may read and write; NULL on failure. */
void *call_buf_alloc(struct call *c, size_t len);
void call_buf_free(struct call *c, void *p, size_t len);
/* The privcmd file descriptor, for foreign mappings (lib/foreign). */
int call_privcmd_fd(const struct call *c);

#endif
