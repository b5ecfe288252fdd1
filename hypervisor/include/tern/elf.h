/* Guest kernel ELF parser and loader for the PV domain builder (pure, no allocation). */
#ifndef TERN_ELF_H
#define TERN_ELF_H

#include <tern/types.h>

/*
 * The image is guest- or user-controlled: every function here validates
 * before it reads, never reads outside [image, image + size) and returns
 * 0 or a negative errno:
 *   -ENOEXEC  not an image we run (magic, class, byte order, machine, type,
 *             or a FEATURES note requiring a feature we do not know);
 *   -EINVAL   a malformed or hostile structure (bounds, sizes, addresses).
 * When `why` is non-NULL it receives a static message on failure and NULL
 * on success.
 *
 * Load addresses follow Xen's rule, not p_vaddr: a PT_LOAD segment lands at
 *   VA = p_paddr - PADDR_OFFSET + VIRT_BASE
 * (each note defaulting to 0). Linux's vmlinux needs this: its percpu
 * segment has p_vaddr 0 but p_paddr inside the image.
 */

/* Segments may use the lower half or the upper half minus the hypervisor's hole
 * 0xffff800000000000-0xffff87ffffffffff. */
#define ELF_HV_HOLE_START 0xffff800000000000ULL
#define ELF_HV_HOLE_END 0xffff880000000000ULL

#define ELF_MAX_PHNUM 128     /* more program headers is not a kernel */
#define ELF_MAX_NOTES 4096    /* bounds the note walk on hostile input */
#define ELF_INFO_STR_LEN 32

#define ELF_NO_INIT_P2M (~0ULL)

struct elf_image_info {
    uint64_t entry;            /* XEN_ELFNOTE_ENTRY, else e_entry */
    uint64_t virt_base;        /* XEN_ELFNOTE_VIRT_BASE (0 if absent) */
    uint64_t paddr_offset;     /* XEN_ELFNOTE_PADDR_OFFSET (0 if absent) */
    uint64_t hypercall_page;   /* XEN_ELFNOTE_HYPERCALL_PAGE VA, 0 if absent */
    /* Lowest/highest VA covered by PT_LOAD segments, page aligned out:
     * the image occupies [virt_kstart, virt_kend). */
    uint64_t virt_kstart, virt_kend;
    uint64_t init_p2m;         /* XEN_ELFNOTE_INIT_P2M, or ELF_NO_INIT_P2M */
    /* XENFEAT bits from the FEATURES string ("a|b|!c", '!' = required) and
     * the SUPPORTED_FEATURES bitmap; required bits are also supported. */
    uint32_t features_supported[1], features_required[1];
    char guest_os[ELF_INFO_STR_LEN], guest_version[ELF_INFO_STR_LEN];
    char xen_version[ELF_INFO_STR_LEN], loader[ELF_INFO_STR_LEN];
    bool pae_ok;               /* PAE_MODE "yes..." or "bimodal" */
    bool has_xen_notes;        /* at least one note named "Xen" */
    bool mod_start_pfn;        /* XEN_ELFNOTE_MOD_START_PFN non-zero */
    uint64_t phys32_entry;     /* XEN_ELFNOTE_PHYS32_ENTRY (PVH), 0 if absent */
    unsigned int nr_load;      /* PT_LOAD segments with p_memsz > 0 */
};

/* Validates the whole image and fills *info (untouched on failure).
 * Xen notes come from PT_NOTE segments, else from SHT_NOTE sections.
 * Checks made here, so the builder need not repeat them: segments within
 * the file, p_filesz <= p_memsz, load VAs canonical, non-wrapping, within
 * the lower half or above the hypervisor hole, not overlapping each other;
 * entry inside a loaded segment; hypercall page page-aligned and inside
 * the image; INIT_P2M page-aligned, canonical and outside the image;
 * VIRT_BASE page-aligned (so VIRT_BASE <= virt_kstart, since no segment
 * may lie below PADDR_OFFSET). Not checked: XEN_VERSION, GUEST_OS and
 * LOADER values, which are the builder's policy. */
int elf_parse(const void *image, size_t size, struct elf_image_info *info,
              const char **why);

/* Copies every PT_LOAD segment: bytes [p_offset, +p_filesz) then zeroes up
 * to p_memsz, calling copy(ctx, dest_va, src, len) and zero(ctx, dest_va,
 * len) in ascending VA order. Re-validates the headers against `info`
 * first (which must come from elf_parse of the same image), so nothing is
 * called unless the whole image is loadable. A callback's non-zero return
 * stops the load and is returned. */
int elf_load(const void *image, size_t size, const struct elf_image_info *info,
             int (*copy)(void *ctx, uint64_t va, const void *src, size_t len),
             int (*zero)(void *ctx, uint64_t va, size_t len), void *ctx);

/* Lower level, for elf.c and tests: decodes one bounds-checked region of
 * ELF notes (entries padded to `align`, 4 or 8) into s->info. Notes not
 * named "Xen" and unknown Xen note types are skipped. */
struct elf_note_scan {
    struct elf_image_info *info;
    unsigned int notes_left;   /* budget shared by all regions */
    bool have_entry, have_virt_base, have_paddr_offset;
};

void elf_note_scan_init(struct elf_note_scan *s, struct elf_image_info *info);
int elf_note_scan(struct elf_note_scan *s, const uint8_t *notes, size_t len,
                  unsigned int align, const char **why);

/* Parses a FEATURES string of `len` bytes (no NUL needed) into the bitmaps.
 * Unknown names are ignored unless required ('!'), which is -ENOEXEC. */
int elf_parse_features(const char *str, size_t len, uint32_t *supported,
                       uint32_t *required, const char **why);

#endif /* TERN_ELF_H */
