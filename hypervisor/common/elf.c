/* Validates and loads 64-bit x86 PV guest kernels given as ELF images. */
/*
 * Design: the image may be hostile, so headers are copied out with memcpy
 * (no aligned or in-place access) and every offset is checked against the
 * image size with arithmetic that cannot wrap. Segments are visited in
 * ascending load-VA order by a selection walk over the program headers (no
 * allocation; e_phnum is capped), which also proves they do not overlap.
 * elf_load() repeats the whole validation before its first callback.
 */
#include <tern/elf.h>
#include <tern/errno.h>
#include <tern/string.h>

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7

/* Highest exclusive segment end whose page-rounded end still fits. */
#define ELF_VA_LIMIT (~0ULL - PAGE_SIZE + 1)
#define CANONICAL_LOW_END 0x0000800000000000ULL

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(offsetof(struct elf64_ehdr, e_phoff) == 32, "e_phoff at 32");
_Static_assert(offsetof(struct elf64_ehdr, e_phnum) == 56, "e_phnum at 56");

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");
_Static_assert(offsetof(struct elf64_phdr, p_paddr) == 24, "p_paddr at 24");

struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};
_Static_assert(sizeof(struct elf64_shdr) == 64, "Elf64_Shdr is 64 bytes");
_Static_assert(offsetof(struct elf64_shdr, sh_offset) == 24, "sh_offset at 24");

struct elf_ctx {
    const uint8_t *img;
    size_t size;
    struct elf64_ehdr eh;
    uint64_t virt_base, paddr_offset; /* load VA = p_paddr - off + base */
};

/* One non-empty PT_LOAD segment, with its validated load VA. */
struct elf_seg {
    uint64_t va, memsz, offset, filesz;
};

/* What a walk over the segments found. */
struct elf_span {
    uint64_t kstart, kend; /* page aligned out */
    uint64_t entry;
    bool entry_inside;
    unsigned int nr;
};

typedef int (*elf_visit_fn)(const struct elf_ctx *c, const struct elf_seg *s,
                            void *arg);

static int elf_fail(const char **why, int err, const char *msg)
{
    if (why)
        *why = msg;
    return err;
}

/* True when [off, off + len) lies inside an image of `size` bytes. */
static bool elf_range_ok(size_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

static int elf_check_ident(const struct elf64_ehdr *eh, const char **why)
{
    if (memcmp(eh->e_ident, "\177ELF", 4) != 0)
        return elf_fail(why, -ENOEXEC, "no ELF magic");
    if (eh->e_ident[4] != ELFCLASS64)
        return elf_fail(why, -ENOEXEC, "not a 64-bit ELF (ELFCLASS64)");
    if (eh->e_ident[5] != ELFDATA2LSB)
        return elf_fail(why, -ENOEXEC, "not a little-endian ELF");
    if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return elf_fail(why, -ENOEXEC, "unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        return elf_fail(why, -ENOEXEC, "not an x86-64 ELF (EM_X86_64)");
    if (eh->e_type != ET_EXEC)
        return elf_fail(why, -ENOEXEC, "not an executable ELF (ET_EXEC)");
    return 0;
}

static int elf_check_headers(const void *image, size_t size, struct elf_ctx *c,
                             const char **why)
{
    int rc;

    if (!image)
        return elf_fail(why, -EINVAL, "no image");
    if (size < sizeof(c->eh))
        return elf_fail(why, -ENOEXEC, "image smaller than an ELF header");
    memset(c, 0, sizeof(*c));
    c->img = image;
    c->size = size;
    memcpy(&c->eh, image, sizeof(c->eh));
    rc = elf_check_ident(&c->eh, why);
    if (rc)
        return rc;
    if (c->eh.e_phentsize != sizeof(struct elf64_phdr))
        return elf_fail(why, -EINVAL, "bad e_phentsize");
    if (c->eh.e_phnum == 0)
        return elf_fail(why, -EINVAL, "no program headers");
    if (c->eh.e_phnum > ELF_MAX_PHNUM)
        return elf_fail(why, -EINVAL, "too many program headers");
    if (!elf_range_ok(size, c->eh.e_phoff,
                      (uint64_t)c->eh.e_phnum * sizeof(struct elf64_phdr)))
        return elf_fail(why, -EINVAL, "program headers outside the image");
    return 0;
}

static void elf_read_phdr(const struct elf_ctx *c, unsigned int i,
                          struct elf64_phdr *ph)
{
    memcpy(ph, c->img + c->eh.e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* Validates a PT_LOAD header; returns 1 and fills *s if it occupies memory,
 * 0 if it is empty, or an error. */
static int elf_check_load(const struct elf_ctx *c, const struct elf64_phdr *ph,
                          struct elf_seg *s, const char **why)
{
    uint64_t rel;

    if (ph->p_filesz > ph->p_memsz)
        return elf_fail(why, -EINVAL, "segment p_filesz > p_memsz");
    if (!elf_range_ok(c->size, ph->p_offset, ph->p_filesz))
        return elf_fail(why, -EINVAL, "segment data outside the image");
    if (ph->p_memsz == 0)
        return 0;
    if (ph->p_paddr < c->paddr_offset)
        return elf_fail(why, -EINVAL, "segment p_paddr below PADDR_OFFSET");
    rel = ph->p_paddr - c->paddr_offset;
    if (rel > ~0ULL - c->virt_base)
        return elf_fail(why, -EINVAL, "segment load address wraps");
    s->va = rel + c->virt_base;
    /* anywhere the guest owns, as on Xen: the lower half (a kernel linked at 1 MiB with no
     * VIRT_BASE) or the upper half above the hypervisor's hole */
    if (s->va < CANONICAL_LOW_END) {
        if (ph->p_memsz > CANONICAL_LOW_END - s->va)
            return elf_fail(why, -EINVAL, "segment crosses the end of the lower half");
    } else if (s->va < ELF_HV_HOLE_START) {
        return elf_fail(why, -EINVAL, "segment not canonical");
    } else if (s->va < ELF_HV_HOLE_END) {
        return elf_fail(why, -EINVAL, "segment overlaps the hypervisor's hole");
    } else if (s->va > ELF_VA_LIMIT || ph->p_memsz > ELF_VA_LIMIT - s->va) {
        return elf_fail(why, -EINVAL, "segment wraps the address space");
    }
    s->memsz = ph->p_memsz;
    s->offset = ph->p_offset;
    s->filesz = ph->p_filesz;
    return 1;
}

/* Program header i as a checked PT_LOAD: 1 (non-empty, in *s), 0 (not a load or
 * empty), or an error. */
static int elf_get_load(const struct elf_ctx *c, unsigned int i, struct elf_seg *s,
                        const char **why)
{
    struct elf64_phdr ph;

    elf_read_phdr(c, i, &ph);
    if (ph.p_type != PT_LOAD)
        return 0;
    return elf_check_load(c, &ph, s, why);
}

/* Validates every PT_LOAD and counts the non-empty ones. */
static int elf_count_loads(const struct elf_ctx *c, unsigned int *nr,
                           const char **why)
{
    *nr = 0;
    for (unsigned int i = 0; i < c->eh.e_phnum; i++) {
        struct elf_seg s;
        int rc = elf_get_load(c, i, &s, why);

        if (rc < 0)
            return rc;
        *nr += rc;
    }
    return 0;
}

/* The non-empty segment with the lowest VA above `after` (any VA if
 * `first`): 1 if found, 0 if none, or an error. */
static int elf_next_seg(const struct elf_ctx *c, bool first, uint64_t after,
                        struct elf_seg *best, const char **why)
{
    bool found = false;

    for (unsigned int i = 0; i < c->eh.e_phnum; i++) {
        struct elf_seg s;
        int rc = elf_get_load(c, i, &s, why);

        if (rc < 0)
            return rc;
        if (rc == 0 || (!first && s.va <= after))
            continue;
        if (!found || s.va < best->va) {
            *best = s;
            found = true;
        }
    }
    return found;
}

/* Visits the segments in ascending VA order, proving they do not overlap
 * and recording the span and whether span->entry lies in one of them. */
static int elf_walk(const struct elf_ctx *c, struct elf_span *span,
                    elf_visit_fn visit, void *arg, const char **why)
{
    struct elf_seg s, prev = { 0 };
    unsigned int total;
    int rc = elf_count_loads(c, &total, why);

    if (rc)
        return rc;
    if (total == 0)
        return elf_fail(why, -EINVAL, "no loadable segment");
    span->nr = 0;
    span->entry_inside = false;
    while ((rc = elf_next_seg(c, span->nr == 0, prev.va, &s, why)) == 1) {
        if (span->nr == 0)
            span->kstart = ALIGN_DOWN(s.va, PAGE_SIZE);
        else if (s.va < prev.va + prev.memsz)
            return elf_fail(why, -EINVAL, "segments overlap");
        if (span->entry >= s.va && span->entry - s.va < s.memsz)
            span->entry_inside = true;
        if (visit && (rc = visit(c, &s, arg)) != 0)
            return rc;
        span->kend = ALIGN_UP(s.va + s.memsz, PAGE_SIZE);
        span->nr++;
        prev = s;
    }
    if (rc < 0)
        return rc;
    /* Two segments at the same VA: the walk saw only one of them. */
    if (span->nr != total)
        return elf_fail(why, -EINVAL, "segments overlap");
    return 0;
}

/* Scans one note region named by a program or section header. */
static int elf_scan_region(const struct elf_ctx *c, struct elf_note_scan *scan,
                           uint64_t off, uint64_t len, uint64_t align,
                           const char **why)
{
    if (!elf_range_ok(c->size, off, len))
        return elf_fail(why, -EINVAL, "ELF notes outside the image");
    /* Like binutils: 0, 1, 2 and 4 all mean 4-byte padding. */
    if (align != 8 && align > 4)
        return elf_fail(why, -EINVAL, "ELF note alignment is not 4 or 8");
    return elf_note_scan(scan, c->img + off, (size_t)len, align == 8 ? 8 : 4, why);
}

static int elf_scan_phdr_notes(const struct elf_ctx *c, struct elf_note_scan *scan,
                               const char **why)
{
    for (unsigned int i = 0; i < c->eh.e_phnum; i++) {
        struct elf64_phdr ph;
        int rc;

        elf_read_phdr(c, i, &ph);
        /* Xen skips p_offset 0 too: some binutils left it unset. */
        if (ph.p_type != PT_NOTE || ph.p_offset == 0 || ph.p_filesz == 0)
            continue;
        rc = elf_scan_region(c, scan, ph.p_offset, ph.p_filesz, ph.p_align, why);
        if (rc)
            return rc;
    }
    return 0;
}

/* Fallback when no PT_NOTE held Xen notes. e_shnum 0 means no sections
 * (or extended numbering, which no kernel uses): nothing to scan. */
static int elf_scan_shdr_notes(const struct elf_ctx *c, struct elf_note_scan *scan,
                               const char **why)
{
    const struct elf64_ehdr *eh = &c->eh;

    if (eh->e_shnum == 0)
        return 0;
    if (eh->e_shentsize != sizeof(struct elf64_shdr))
        return elf_fail(why, -EINVAL, "bad e_shentsize");
    if (!elf_range_ok(c->size, eh->e_shoff,
                      (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr)))
        return elf_fail(why, -EINVAL, "section headers outside the image");
    for (unsigned int i = 1; i < eh->e_shnum; i++) {
        struct elf64_shdr sh;
        int rc;

        memcpy(&sh, c->img + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOTE || sh.sh_size == 0)
            continue;
        rc = elf_scan_region(c, scan, sh.sh_offset, sh.sh_size, sh.sh_addralign, why);
        if (rc)
            return rc;
    }
    return 0;
}

static int elf_read_notes(struct elf_ctx *c, struct elf_image_info *info,
                          const char **why)
{
    struct elf_note_scan scan;
    int rc;

    elf_note_scan_init(&scan, info);
    rc = elf_scan_phdr_notes(c, &scan, why);
    if (!rc && !info->has_xen_notes)
        rc = elf_scan_shdr_notes(c, &scan, why);
    if (rc)
        return rc;
    if (scan.have_paddr_offset && !scan.have_virt_base)
        return elf_fail(why, -EINVAL, "PADDR_OFFSET note without VIRT_BASE");
    if (!scan.have_entry)
        info->entry = c->eh.e_entry;
    c->virt_base = info->virt_base;
    c->paddr_offset = info->paddr_offset;
    return 0;
}

static bool elf_canonical(uint64_t va)
{
    return va < CANONICAL_LOW_END || va >= ELF_HV_HOLE_START;
}

/* Cross-checks the addresses the notes give against the loaded span. */
static int elf_check_addresses(const struct elf_image_info *info,
                               const struct elf_span *span, const char **why)
{
    if (!span->entry_inside)
        return elf_fail(why, -EINVAL, "entry point outside the loaded segments");
    if (span->kstart < CANONICAL_LOW_END && span->kend > CANONICAL_LOW_END)
        return elf_fail(why, -EINVAL, "segments in both halves of the address space");
    /* With p_paddr >= PADDR_OFFSET, every segment is at or above VIRT_BASE,
     * so an aligned VIRT_BASE is also <= virt_kstart. */
    if (!IS_ALIGNED(info->virt_base, PAGE_SIZE))
        return elf_fail(why, -EINVAL, "VIRT_BASE not page-aligned");
    if (info->hypercall_page &&
        (!IS_ALIGNED(info->hypercall_page, PAGE_SIZE) ||
         info->hypercall_page < span->kstart || info->hypercall_page >= span->kend))
        return elf_fail(why, -EINVAL, "hypercall page not an image page");
    if (info->init_p2m != ELF_NO_INIT_P2M &&
        (!IS_ALIGNED(info->init_p2m, PAGE_SIZE) || !elf_canonical(info->init_p2m) ||
         (info->init_p2m >= span->kstart && info->init_p2m < span->kend)))
        return elf_fail(why, -EINVAL, "INIT_P2M not a free canonical page");
    return 0;
}

int elf_parse(const void *image, size_t size, struct elf_image_info *info,
              const char **why)
{
    struct elf_image_info tmp;
    struct elf_span span = { 0 };
    struct elf_ctx c;
    int rc;

    if (!info)
        return elf_fail(why, -EINVAL, "no info");
    rc = elf_check_headers(image, size, &c, why);
    if (rc)
        return rc;
    memset(&tmp, 0, sizeof(tmp));
    tmp.init_p2m = ELF_NO_INIT_P2M;
    rc = elf_read_notes(&c, &tmp, why);
    if (rc)
        return rc;
    span.entry = tmp.entry;
    rc = elf_walk(&c, &span, NULL, NULL, why);
    if (rc)
        return rc;
    rc = elf_check_addresses(&tmp, &span, why);
    if (rc)
        return rc;
    /* Nothing fails past this point. */
    tmp.virt_kstart = span.kstart;
    tmp.virt_kend = span.kend;
    tmp.nr_load = span.nr;
    *info = tmp;
    if (why)
        *why = NULL;
    return 0;
}

struct elf_load_ops {
    int (*copy)(void *ctx, uint64_t va, const void *src, size_t len);
    int (*zero)(void *ctx, uint64_t va, size_t len);
    void *ctx;
};

static int elf_load_seg(const struct elf_ctx *c, const struct elf_seg *s, void *arg)
{
    const struct elf_load_ops *ops = arg;
    int rc = 0;

    if (s->filesz)
        rc = ops->copy(ops->ctx, s->va, c->img + s->offset, (size_t)s->filesz);
    if (!rc && s->memsz > s->filesz)
        rc = ops->zero(ops->ctx, s->va + s->filesz, (size_t)(s->memsz - s->filesz));
    return rc;
}

int elf_load(const void *image, size_t size, const struct elf_image_info *info,
             int (*copy)(void *ctx, uint64_t va, const void *src, size_t len),
             int (*zero)(void *ctx, uint64_t va, size_t len), void *ctx)
{
    struct elf_load_ops ops = { copy, zero, ctx };
    struct elf_span span = { 0 };
    struct elf_ctx c;
    int rc;

    if (!info || !copy || !zero)
        return -EINVAL;
    rc = elf_check_headers(image, size, &c, NULL);
    if (rc)
        return rc;
    c.virt_base = info->virt_base;
    c.paddr_offset = info->paddr_offset;
    rc = elf_walk(&c, &span, NULL, NULL, NULL);
    if (rc)
        return rc;
    if (span.kstart != info->virt_kstart || span.kend != info->virt_kend ||
        span.nr != info->nr_load)
        return -EINVAL; /* info is not elf_parse's answer for this image */
    /* Validated: from here on only the callbacks can fail. */
    return elf_walk(&c, &span, elf_load_seg, &ops, NULL);
}
