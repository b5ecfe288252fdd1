/* Builds synthetic guest-kernel ELF images for the ELF loader tests. */
#ifndef TEST_ELF_IMG_H
#define TEST_ELF_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Xen note types (public elfnote.h), spelled out independently of the
 * loader so the tests do not share its constants. */
enum {
    N_ENTRY = 1, N_HYPERCALL_PAGE = 2, N_VIRT_BASE = 3, N_PADDR_OFFSET = 4,
    N_XEN_VERSION = 5, N_GUEST_OS = 6, N_GUEST_VERSION = 7, N_LOADER = 8,
    N_PAE_MODE = 9, N_FEATURES = 10, N_HV_START_LOW = 12, N_L1_MFN_VALID = 13,
    N_SUSPEND_CANCEL = 14, N_INIT_P2M = 15, N_MOD_START_PFN = 16,
    N_SUPPORTED_FEATURES = 17, N_PHYS32_ENTRY = 18,
};

#define IMG_MAX_SEGS 8
#define IMG_MAX_NOTES 32
#define IMG_MAX_DESC 96

struct img_seg {
    uint32_t type;           /* PT_LOAD unless set */
    uint64_t vaddr, paddr, filesz, memsz;
};

struct img_note {
    char name[8];
    uint32_t namesz, type, descsz;
    uint8_t desc[IMG_MAX_DESC];
};

struct img_spec {
    uint64_t e_entry;
    unsigned int nseg, nnote;
    struct img_seg seg[IMG_MAX_SEGS];
    struct img_note note[IMG_MAX_NOTES];
    unsigned int note_align;  /* 4 (default) or 8: padding and p_align */
    bool pt_note;             /* notes reachable through a PT_NOTE */
    bool sections;            /* and through an SHT_NOTE section */
};

/* A built image in a malloc'd buffer of exactly `size` bytes, so any read
 * past its end is caught by ASan. Offsets let tests patch fields. */
struct img {
    uint8_t *buf;
    size_t size;
    size_t phoff, shoff;
    size_t note_off, note_len;
    size_t note_at[IMG_MAX_NOTES];   /* each note's header offset */
    size_t seg_off[IMG_MAX_SEGS];    /* each segment's file data */
};

/* The Linux-like default: three PT_LOADs (text, data+bss, a percpu
 * segment with p_vaddr 0) and a full set of Xen notes. */
void img_spec_default(struct img_spec *s);
void img_add_note(struct img_spec *s, const char *name, uint32_t type,
                  const void *desc, uint32_t descsz);
void img_note_u64(struct img_spec *s, uint32_t type, uint64_t v);
void img_note_u32(struct img_spec *s, uint32_t type, uint32_t v);
void img_note_str(struct img_spec *s, uint32_t type, const char *str);
/* Finds the note of that Xen type (or NULL). */
struct img_note *img_find_note(struct img_spec *s, uint32_t type);
void img_drop_note(struct img_spec *s, uint32_t type);

/* Segment data byte i of segment n (what a correct load must produce). */
uint8_t img_seg_byte(unsigned int n, uint64_t i);

void img_build(const struct img_spec *s, struct img *out);
void img_free(struct img *im);

/* Little-endian field patches. */
void img_put16(struct img *im, size_t off, uint16_t v);
void img_put32(struct img *im, size_t off, uint32_t v);
void img_put64(struct img *im, size_t off, uint64_t v);

/* Load callbacks that check every call: source inside the image, target
 * inside [lo, hi), ascending and non-overlapping. A violation fails the
 * test case. With `mem` set, bytes land in mem[va - lo]. */
struct load_sink {
    const uint8_t *img;
    size_t img_size;
    uint64_t lo, hi;
    uint8_t *mem;
    uint64_t next;          /* lowest VA the next call may use */
    unsigned int calls;
    unsigned int fail_at;   /* return -EIO from this call (1-based; 0 never) */
    uint64_t copied, zeroed;
    struct { char kind; uint64_t va, len; } rec[16];
};

struct elf_image_info;
void sink_init(struct load_sink *k, const struct img *im, uint64_t lo, uint64_t hi);
int sink_copy(void *ctx, uint64_t va, const void *src, size_t len);
int sink_zero(void *ctx, uint64_t va, size_t len);

/* Parses with the info struct pre-filled with junk; on failure checks that
 * it stayed untouched and that `why` was set; on success that why is NULL. */
int img_parse(const struct img *im, struct elf_image_info *info, const char **why);

/* Reads elf_guest.elf, which the Makefile links next to the test binary
 * with the host as/ld; the caller frees the buffer (exactly *size bytes). */
uint8_t *img_read_fixture(size_t *size);

/* Default layout values the tests check against. */
#define IMG_VIRT_BASE 0xffffffff80000000ULL
#define IMG_TEXT_VA 0xffffffff81000000ULL
#define IMG_ENTRY (IMG_TEXT_VA + 0x40)
#define IMG_HYPERCALL (IMG_TEXT_VA + 0x1000)
#define IMG_INIT_P2M 0x8000000000ULL

#endif /* TEST_ELF_IMG_H */
