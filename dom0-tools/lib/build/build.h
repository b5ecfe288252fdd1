/*
 * The domain builder: a 64-bit PV kernel (ELF with Xen notes, plain or gzip'd) and an
 * optional initrd loaded into a new domain from dom0, with the start-of-day layout PV
 * kernels expect (the hypervisor's boot-module builder makes the same one):
 * from VIRT_BASE, PFN n at VIRT_BASE + n * 4 KiB, holding the kernel, the initrd, the p2m
 * list, start_info, the xenstore and console pages, the bootstrap page tables (mapped
 * read-only) and a stack page, the whole rounded up to 4 MiB with 512 KiB of slack.
 */
#ifndef TERN_BUILD_H
#define TERN_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct ctrl;

struct build_args {
    const char *kernel;      /* path */
    const char *ramdisk;     /* path or NULL */
    const char *cmdline;     /* may be NULL */
    uint64_t mem_kib;
    unsigned int vcpus;
    const char *cache_dir;   /* where gzip'd kernels are kept unpacked between builds; NULL: not */
};

struct build_result {
    uint16_t domid;
    uint64_t console_mfn;    /* the PV console ring */
    uint32_t console_port;   /* its port in the new domain, unbound for dom0 */
    uint64_t store_mfn;      /* the xenstore ring */
    uint32_t store_port;     /* its port in the new domain, unbound for dom0 */
    uint64_t entry;          /* the kernel's entry point */
};

/* Creates and loads the domain and leaves it paused: the caller introduces it to xenstored
 * (Linux talks to the store from its first initcalls) and unpauses it. On failure nothing is left (the half-built
 * domain is destroyed) and why says what went wrong. 0 or -errno. */
int build_domain(struct ctrl *c, const struct build_args *a, struct build_result *r,
                 char *why, size_t why_len);

/* The kernel image: parsed from an ELF file in memory (build_elf.c). */
struct build_segment {
    uint64_t va, filesz, memsz, offset;
};

#define BUILD_MAX_SEGMENTS 16

struct build_kernel {
    uint64_t entry, virt_base, paddr_offset, kstart, kend, hypercall_page;
    unsigned int nr_segments;
    struct build_segment seg[BUILD_MAX_SEGMENTS];
};

/* 0, or -ENOEXEC with why set when the image is not a 64-bit Xen PV kernel we can load. */
int build_parse_elf(const uint8_t *img, size_t len, struct build_kernel *k, const char **why);

#endif
