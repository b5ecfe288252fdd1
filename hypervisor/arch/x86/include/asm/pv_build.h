/* Building PV domains from kernel images. */
#ifndef ASM_PV_BUILD_H
#define ASM_PV_BUILD_H

#include <tern/types.h>

struct domain;

struct cpio_file;

struct pv_build_args {
    uint16_t domid;
    const char *name;
    const void *image;
    size_t image_len;
    const void *initrd;
    size_t initrd_len;
    /* files for the kernel's initramfs, appended after the initrd as a cpio archive */
    const struct cpio_file *files;
    unsigned int nr_files;
    const char *cmdline;
    uint64_t nr_pages;
    unsigned int nr_vcpus;
    unsigned int weight, cap;
    bool privileged;
};

/* 0, or -Exxx with *why saying what is wrong; nothing is left behind on failure. */
int pv_build_domain(const struct pv_build_args *a, struct domain **out, const char **why);
void pv_start_domain(struct domain *d);
/* Builds and starts a domain for every guest boot module. */
void pv_boot_domains(void);

#endif
