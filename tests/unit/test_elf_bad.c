/* Unit tests for hypervisor/common/elf*.c: one malformed image per check, each refused cleanly. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include <tern/elf.h>
#include <tern/errno.h>

#include "elf_img.h"
#include "harness.h"

/* Where a patch lands once the image is built. */
enum where { P_NONE, P_EH, P_PH, P_NOTE, P_SH, P_SIZE };

struct patch {
    enum where where;
    unsigned int idx;   /* phdr index, Xen note type (P_NOTE), shdr index */
    size_t off;         /* field offset within that structure */
    unsigned int width; /* 1, 2, 4 or 8 bytes */
    uint64_t val;
};

struct bad_case {
    const char *name;
    void (*spec)(struct img_spec *s); /* optional change before building */
    struct patch p;
    int rc;
    const char *why; /* a substring of the expected reason */
};

#define EH(f, v) { P_EH, 0, offsetof(Elf64_Ehdr, f), sizeof(((Elf64_Ehdr *)0)->f), v }
#define EHB(i, v) { P_EH, 0, i, 1, v }
#define PH(n, f, v) { P_PH, n, offsetof(Elf64_Phdr, f), sizeof(((Elf64_Phdr *)0)->f), v }
#define SH(n, f, v) { P_SH, n, offsetof(Elf64_Shdr, f), sizeof(((Elf64_Shdr *)0)->f), v }
#define NOTE(t, f, v) { P_NOTE, t, offsetof(Elf64_Nhdr, f), 4, v }
#define SIZE(v) { P_SIZE, 0, 0, 0, v }
#define NONE { P_NONE, 0, 0, 0, 0 }
#define NOTE_PH 3 /* the default image's PT_NOTE header */
#define FAR 0xfffffffffffff000ULL

static void drop_virt_base(struct img_spec *s) { img_drop_note(s, N_VIRT_BASE); }
static void sections_only(struct img_spec *s) { s->pt_note = false; s->sections = true; }
static void no_loads(struct img_spec *s) { s->nseg = 1; s->seg[0].filesz = s->seg[0].memsz = 0; }
static void entry_gap(struct img_spec *s) { img_note_u64(s, N_ENTRY, IMG_TEXT_VA + 0x3000); }
static void entry_zero(struct img_spec *s) { img_note_u64(s, N_ENTRY, 0); }
static void entry_end(struct img_spec *s) { img_note_u64(s, N_ENTRY, IMG_TEXT_VA + 0x8000); }
static void no_entry_note(struct img_spec *s) { img_drop_note(s, N_ENTRY); }
/* VIRT_BASE just below the end of the lower half: the segments cross it */
static void base_low_end(struct img_spec *s) { img_note_u64(s, N_VIRT_BASE, 0x00007ffffefff000ULL); }
/* no VIRT_BASE: two segments low, the third at the top */
static void both_halves(struct img_spec *s)
{
    img_drop_note(s, N_VIRT_BASE);
    img_drop_note(s, N_PADDR_OFFSET);
    img_note_u64(s, N_ENTRY, 0x1000040);
    s->seg[2].paddr = 0xffffffff81007000ULL;
}
static void base_gap(struct img_spec *s) { img_note_u64(s, N_VIRT_BASE, 0x0000800000000000ULL); }
static void base_hole(struct img_spec *s) { img_note_u64(s, N_VIRT_BASE, 0xffff800000000000ULL); }
static void base_hole_end(struct img_spec *s)
{
    img_note_u64(s, N_VIRT_BASE, 0xffff880000000000ULL - 0x1000000 - 0x1000);
}
static void base_unaligned(struct img_spec *s) { img_note_u64(s, N_VIRT_BASE, IMG_VIRT_BASE + 0x10); }
static void paddr_off_high(struct img_spec *s) { img_note_u64(s, N_PADDR_OFFSET, 0x1004000); }
static void last_page(struct img_spec *s) { s->seg[2].paddr = 0x7ffff000; }
/* Ends inside the last page: rounding virt_kend up would wrap to 0. */
static void last_page_part(struct img_spec *s)
{
    s->seg[2].paddr = 0x7ffff000;
    s->seg[2].memsz = 0x800;
}
static void num_2(struct img_spec *s) { img_add_note(s, "Xen", N_ENTRY, "\x40\x00", 2); }
static void num_16(struct img_spec *s)
{
    img_add_note(s, "Xen", N_VIRT_BASE, "\0\0\0\x80\xff\xff\xff\xff\0\0\0\0\0\0\0\0", 16);
}
static void num_0(struct img_spec *s) { img_add_note(s, "Xen", N_MOD_START_PFN, "", 0); }
static void str_long(struct img_spec *s)
{
    img_note_str(s, N_XEN_VERSION, "xen-3.0-0123456789012345678901234");
}
static void str_32(struct img_spec *s)
{
    img_note_str(s, N_GUEST_VERSION, "01234567890123456789012345678901");
}
static void feat_unknown(struct img_spec *s) { img_note_str(s, N_FEATURES, "dom0|!frobnicate"); }
static void supp_3(struct img_spec *s) { img_add_note(s, "Xen", N_SUPPORTED_FEATURES, "\1\0\0", 3); }
static void supp_6(struct img_spec *s) { img_add_note(s, "Xen", N_SUPPORTED_FEATURES, "\1\0\0\0\0\0", 6); }
static void hcall_unaligned(struct img_spec *s) { img_note_u64(s, N_HYPERCALL_PAGE, IMG_HYPERCALL + 8); }
static void hcall_end(struct img_spec *s) { img_note_u64(s, N_HYPERCALL_PAGE, IMG_TEXT_VA + 0x8000); }
static void hcall_below(struct img_spec *s) { img_note_u64(s, N_HYPERCALL_PAGE, IMG_TEXT_VA - 0x1000); }
static void p2m_inside(struct img_spec *s) { img_note_u64(s, N_INIT_P2M, IMG_TEXT_VA + 0x7000); }
static void p2m_noncanon(struct img_spec *s) { img_note_u64(s, N_INIT_P2M, 0x0000800000000000ULL); }
static void p2m_unaligned(struct img_spec *s) { img_note_u64(s, N_INIT_P2M, IMG_INIT_P2M + 8); }

static const struct bad_case table[] = {
    /* identification */
    { "empty", NULL, SIZE(0), -ENOEXEC, "smaller" },
    { "short", NULL, SIZE(63), -ENOEXEC, "smaller" },
    { "magic0", NULL, EHB(0, 0x7e), -ENOEXEC, "magic" },
    { "magic1", NULL, EHB(1, 'e'), -ENOEXEC, "magic" },
    { "magic2", NULL, EHB(2, 'l'), -ENOEXEC, "magic" },
    { "magic3", NULL, EHB(3, 'G'), -ENOEXEC, "magic" },
    { "class32", NULL, EHB(EI_CLASS, ELFCLASS32), -ENOEXEC, "ELFCLASS64" },
    { "classnone", NULL, EHB(EI_CLASS, 0), -ENOEXEC, "ELFCLASS64" },
    { "bigendian", NULL, EHB(EI_DATA, ELFDATA2MSB), -ENOEXEC, "little-endian" },
    { "identversion", NULL, EHB(EI_VERSION, 0), -ENOEXEC, "version" },
    { "e_version", NULL, EH(e_version, 2), -ENOEXEC, "version" },
    { "machine386", NULL, EH(e_machine, EM_386), -ENOEXEC, "x86-64" },
    { "typedyn", NULL, EH(e_type, ET_DYN), -ENOEXEC, "ET_EXEC" },
    { "typerel", NULL, EH(e_type, ET_REL), -ENOEXEC, "ET_EXEC" },
    /* program header table */
    { "phentsize32", NULL, EH(e_phentsize, 32), -EINVAL, "e_phentsize" },
    { "phentsize64", NULL, EH(e_phentsize, 64), -EINVAL, "e_phentsize" },
    { "phnum0", NULL, EH(e_phnum, 0), -EINVAL, "no program headers" },
    { "phnum129", NULL, EH(e_phnum, 129), -EINVAL, "too many program" },
    { "phnumxnum", NULL, EH(e_phnum, 0xffff), -EINVAL, "too many program" },
    { "phoff_past_end", NULL, EH(e_phoff, 1 << 30), -EINVAL, "program headers outside" },
    { "phoff_wraps", NULL, EH(e_phoff, ~0ULL - 8), -EINVAL, "program headers outside" },
    { "phoff_tail", NULL, SIZE(64 + 3 * 56), -EINVAL, "program headers outside" },
    /* PT_LOAD */
    { "filesz_gt_memsz", NULL, PH(1, p_filesz, 0x3001), -EINVAL, "p_filesz > p_memsz" },
    { "data_past_end", NULL, PH(0, p_offset, 1 << 20), -EINVAL, "data outside" },
    { "offset_wraps", NULL, PH(0, p_offset, ~0ULL - 0x100), -EINVAL, "data outside" },
    { "filesz_huge", NULL, PH(2, p_filesz, 0x1000), -EINVAL, "data outside" },
    { "paddr_below_offset", paddr_off_high, NONE, -EINVAL, "below PADDR_OFFSET" },
    { "va_wraps", NULL, PH(0, p_paddr, 0x7fffffff00000000ULL), -EINVAL, "load address wraps" },
    { "crosses_lower_end", base_low_end, NONE, -EINVAL, "end of the lower half" },
    { "non_canonical", base_gap, NONE, -EINVAL, "not canonical" },
    { "both_halves", both_halves, NONE, -EINVAL, "both halves" },
    { "in_hv_hole", base_hole, NONE, -EINVAL, "hypervisor's hole" },
    { "hole_last_page", base_hole_end, NONE, -EINVAL, "hypervisor's hole" },
    { "memsz_wraps", NULL, PH(1, p_memsz, 1ULL << 63), -EINVAL, "wraps the address" },
    { "last_page", last_page, NONE, -EINVAL, "wraps the address" },
    { "last_page_part", last_page_part, NONE, -EINVAL, "wraps the address" },
    { "overlap", NULL, PH(1, p_paddr, 0x1002000), -EINVAL, "overlap" },
    { "same_start", NULL, PH(2, p_paddr, 0x1004000), -EINVAL, "overlap" },
    { "no_loads", no_loads, NONE, -EINVAL, "no loadable" },
    { "entry_in_gap", entry_gap, NONE, -EINVAL, "entry point" },
    { "entry_zero", entry_zero, NONE, -EINVAL, "entry point" },
    { "entry_at_end", entry_end, NONE, -EINVAL, "entry point" },
    { "bare_metal_entry", no_entry_note, NONE, -EINVAL, "entry point" },
    /* note walking */
    { "note_outside", NULL, PH(NOTE_PH, p_offset, 1 << 20), -EINVAL, "notes outside" },
    { "note_len_wraps", NULL, PH(NOTE_PH, p_filesz, ~0ULL), -EINVAL, "notes outside" },
    { "note_align16", NULL, PH(NOTE_PH, p_align, 16), -EINVAL, "alignment" },
    { "note_cut", NULL, PH(NOTE_PH, p_filesz, 12 + 4 + 5), -EINVAL, "runs past" },
    { "note_hdr_cut", NULL, PH(NOTE_PH, p_filesz, 12 + 4 + 8 + 5), -EINVAL, "truncated" },
    { "namesz_huge", NULL, NOTE(N_GUEST_OS, n_namesz, 0xffffffff), -EINVAL, "runs past" },
    { "descsz_huge", NULL, NOTE(N_GUEST_OS, n_descsz, 0xffffffff), -EINVAL, "runs past" },
    { "descsz_past", NULL, NOTE(N_PHYS32_ENTRY, n_descsz, 0x100000), -EINVAL, "runs past" },
    /* Xen note contents */
    { "numeric_2", num_2, NONE, -EINVAL, "4 or 8" },
    { "numeric_16", num_16, NONE, -EINVAL, "4 or 8" },
    { "numeric_0", num_0, NONE, -EINVAL, "4 or 8" },
    { "string_long", str_long, NONE, -EINVAL, "too long" },
    { "string_32", str_32, NONE, -EINVAL, "too long" },
    { "features_unknown_required", feat_unknown, NONE, -ENOEXEC, "unknown feature" },
    { "supported_3", supp_3, NONE, -EINVAL, "32-bit words" },
    { "supported_6", supp_6, NONE, -EINVAL, "32-bit words" },
    { "paddr_offset_alone", drop_virt_base, NONE, -EINVAL, "without VIRT_BASE" },
    { "virt_base_unaligned", base_unaligned, NONE, -EINVAL, "VIRT_BASE not page" },
    { "hypercall_unaligned", hcall_unaligned, NONE, -EINVAL, "hypercall page" },
    { "hypercall_at_end", hcall_end, NONE, -EINVAL, "hypercall page" },
    { "hypercall_below", hcall_below, NONE, -EINVAL, "hypercall page" },
    { "p2m_inside", p2m_inside, NONE, -EINVAL, "INIT_P2M" },
    { "p2m_noncanonical", p2m_noncanon, NONE, -EINVAL, "INIT_P2M" },
    { "p2m_unaligned", p2m_unaligned, NONE, -EINVAL, "INIT_P2M" },
    /* section header fallback */
    { "shentsize", sections_only, EH(e_shentsize, 40), -EINVAL, "e_shentsize" },
    { "shoff_past_end", sections_only, EH(e_shoff, 1 << 20), -EINVAL, "section headers outside" },
    { "shoff_wraps", sections_only, EH(e_shoff, FAR), -EINVAL, "section headers outside" },
    { "sh_notes_outside", sections_only, SH(1, sh_offset, 1 << 20), -EINVAL, "notes outside" },
    { "sh_align16", sections_only, SH(1, sh_addralign, 16), -EINVAL, "alignment" },
};

static void apply(struct img *im, const struct img_spec *s, const struct patch *p)
{
    size_t base = 0;

    switch (p->where) {
    case P_NONE:
        return;
    case P_SIZE:
        im->size = p->val; /* the buffer stays; ASan still sees its real end */
        return;
    case P_EH:
        base = 0;
        break;
    case P_PH:
        base = im->phoff + p->idx * sizeof(Elf64_Phdr);
        break;
    case P_SH:
        base = im->shoff + p->idx * sizeof(Elf64_Shdr);
        break;
    case P_NOTE:
        for (unsigned int i = 0; i < s->nnote; i++)
            if (s->note[i].type == p->idx && strcmp(s->note[i].name, "Xen") == 0)
                base = im->note_at[i];
        CHECK(base != 0);
        break;
    }
    CHECK(base + p->off + p->width <= im->size);
    switch (p->width) {
    case 1: im->buf[base + p->off] = (uint8_t)p->val; break;
    case 2: img_put16(im, base + p->off, (uint16_t)p->val); break;
    case 4: img_put32(im, base + p->off, (uint32_t)p->val); break;
    default: img_put64(im, base + p->off, p->val); break;
    }
}

static bool run_bad(const struct bad_case *c)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    const char *why;
    int rc;

    img_spec_default(&s);
    if (c->spec)
        c->spec(&s);
    img_build(&s, &im);
    apply(&im, &s, &c->p);
    rc = img_parse(&im, &info, &why);
    img_free(&im);
    if (rc == c->rc && why && strstr(why, c->why))
        return true;
    printf("  %s: got %d \"%s\", want %d \"...%s...\"\n", c->name, rc, why ? why : "(null)",
           c->rc, c->why);
    return false;
}

static void malformed_images(void)
{
    unsigned int bad = 0;

    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        bad += !run_bad(&table[i]);
    CHECK_EQ(bad, 0);
}

/* The unpatched default must parse, or every case above proves nothing. */
static void baseline_parses(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    const char *why;

    img_spec_default(&s);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    img_free(&im);
    sections_only(&s);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    img_free(&im);
}

static void null_arguments(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    const char *why = NULL;

    img_spec_default(&s);
    img_build(&s, &im);
    CHECK_EQ(elf_parse(im.buf, im.size, NULL, &why), -EINVAL);
    CHECK(why != NULL);
    CHECK_EQ(elf_parse(NULL, im.size, &info, &why), -EINVAL);
    CHECK_EQ(elf_parse(im.buf, 0, &info, NULL), -ENOEXEC); /* why is optional */
    CHECK_EQ(elf_parse(im.buf, im.size, &info, NULL), 0);
    img_free(&im);
}

static const struct test_case cases[] = {
    TEST(baseline_parses),
    TEST(malformed_images),
    TEST(null_arguments),
};

TEST_MAIN(cases)
