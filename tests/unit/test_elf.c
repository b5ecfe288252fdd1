/* Unit tests for hypervisor/common/elf*.c: well-formed images, parsed and loaded. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/elf.h>
#include <tern/errno.h>

#include "elf_img.h"
#include "harness.h"

#define KSTART IMG_TEXT_VA
#define KEND (IMG_TEXT_VA + 0x8000)

static void parse_ok(const struct img_spec *s, struct elf_image_info *info)
{
    struct img im;
    const char *why;
    int rc;

    img_build(s, &im);
    rc = img_parse(&im, info, &why);
    img_free(&im);
    if (rc)
        test_fail(__FILE__, __LINE__, "parse failed: %d (%s)", rc, why);
}

/* Every field of the default image, which mirrors Linux's notes. */
static void check_default_info(const struct elf_image_info *in)
{
    CHECK_EQ(in->entry, IMG_ENTRY);
    CHECK_EQ(in->virt_base, IMG_VIRT_BASE);
    CHECK_EQ(in->paddr_offset, 0);
    CHECK_EQ(in->hypercall_page, IMG_HYPERCALL);
    CHECK_EQ(in->virt_kstart, KSTART);
    CHECK_EQ(in->virt_kend, KEND);
    CHECK_EQ(in->init_p2m, IMG_INIT_P2M);
    CHECK_EQ(in->features_supported[0], 0x8801 | 0x1 | 0x10);
    CHECK_EQ(in->features_required[0], 0x1);
    CHECK_STR(in->guest_os, "linux");
    CHECK_STR(in->guest_version, "2.6");
    CHECK_STR(in->xen_version, "xen-3.0");
    CHECK_STR(in->loader, "generic");
    CHECK(in->pae_ok);
    CHECK(in->has_xen_notes);
    CHECK(in->mod_start_pfn);
    CHECK_EQ(in->phys32_entry, 0x1000850);
    CHECK_EQ(in->nr_load, 3);
}

static void parse_default(void)
{
    struct img_spec s;
    struct elf_image_info info;

    img_spec_default(&s);
    parse_ok(&s, &info);
    check_default_info(&info);
}

/* Loads into a buffer standing for [kstart, kend), pre-filled with 0xaa. */
static void load_default(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    struct load_sink k;
    const char *why;
    uint8_t *mem = malloc(KEND - KSTART);

    CHECK(mem);
    memset(mem, 0xaa, KEND - KSTART);
    img_spec_default(&s);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    sink_init(&k, &im, info.virt_kstart, info.virt_kend);
    k.mem = mem;
    CHECK_EQ(elf_load(im.buf, im.size, &info, sink_copy, sink_zero, &k), 0);
    /* Text, data then its bss, then percpu (p_vaddr 0, loaded by p_paddr). */
    CHECK_EQ(k.calls, 5);
    const char kinds[] = "cczcz";
    const uint64_t vas[] = { KSTART, KSTART + 0x4000, KSTART + 0x4123, KSTART + 0x7000,
                             KSTART + 0x7080 };
    const uint64_t lens[] = { 0x2010, 0x123, 0x3000 - 0x123, 0x80, 0x1000 - 0x80 };
    for (unsigned int i = 0; i < 5; i++) {
        CHECK_EQ(k.rec[i].kind, kinds[i]);
        CHECK_EQ(k.rec[i].va, vas[i]);
        CHECK_EQ(k.rec[i].len, lens[i]);
    }
    for (unsigned int n = 0; n < 3; n++) {
        uint64_t off = s.seg[n].paddr - 0x1000000;

        for (uint64_t j = 0; j < s.seg[n].memsz; j++)
            CHECK_EQ(mem[off + j], j < s.seg[n].filesz ? img_seg_byte(n, j) : 0);
    }
    /* The gap between text and data is not the loader's to touch. */
    for (uint64_t j = 0x2010; j < 0x4000; j++)
        CHECK_EQ(mem[j], 0xaa);
    img_free(&im);
    free(mem);
}

/* Debian 12's 6.1 vmlinux as decoded in our boot-facts notes: percpu at
 * p_vaddr 0, e_entry the bare-metal one, no hypercall page. */
static void linux_layout(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info in;
    struct load_sink k;
    const char *why;
    const uint64_t K = 0xffffffff80000000ULL;

    img_spec_default(&s);
    s.nseg = 4;
    s.seg[0] = (struct img_seg){ 0, K + 0x1000000, 0x1000000, 0x40, 0x18ea9f0 };
    s.seg[1] = (struct img_seg){ 0, K + 0x2a00000, 0x2a00000, 0x40, 0x644000 };
    s.seg[2] = (struct img_seg){ 0, 0, 0x3044000, 0x40, 0x35000 };
    s.seg[3] = (struct img_seg){ 0, K + 0x3079000, 0x3079000, 0x40, 0x1987000 };
    img_note_u64(&s, N_ENTRY, 0xffffffff830791c0ULL); /* later notes win */
    img_drop_note(&s, N_HYPERCALL_PAGE);
    img_note_u32(&s, N_SUSPEND_CANCEL, 1);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &in, &why), 0);
    CHECK_EQ(in.entry, 0xffffffff830791c0ULL);
    CHECK_EQ(in.virt_kstart, 0xffffffff81000000ULL);
    CHECK_EQ(in.virt_kend, 0xffffffff84a00000ULL);
    CHECK_EQ(in.hypercall_page, 0);
    CHECK_EQ(in.init_p2m, 0x8000000000ULL);
    CHECK_EQ(in.features_supported[0], 0x8811);
    CHECK_EQ(in.features_required[0], 0x1);
    CHECK_EQ(in.nr_load, 4);
    sink_init(&k, &im, in.virt_kstart, in.virt_kend);
    CHECK_EQ(elf_load(im.buf, im.size, &in, sink_copy, sink_zero, &k), 0);
    CHECK_EQ(k.calls, 8);
    CHECK_EQ(k.rec[4].va, 0xffffffff83044000ULL); /* __per_cpu_load */
    CHECK_EQ(k.copied, 4 * 0x40);
    CHECK_EQ(k.copied + k.zeroed, 0x18ea9f0 + 0x644000 + 0x35000 + 0x1987000);
    img_free(&im);
}

/* A kernel linked in the lower half with no VIRT_BASE or PADDR_OFFSET note (test
 * kernels at 1 MiB): its VAs are its physical addresses. */
static void lower_half(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info in;
    const char *why;

    img_spec_default(&s);
    for (unsigned int i = 0; i < s.nseg; i++)
        s.seg[i].vaddr = 0;
    s.seg[0].paddr = 0x100000;
    s.seg[1].paddr = 0x104000;
    s.seg[2].paddr = 0x107000;
    img_drop_note(&s, N_VIRT_BASE);
    img_drop_note(&s, N_PADDR_OFFSET);
    img_drop_note(&s, N_INIT_P2M);
    img_note_u64(&s, N_ENTRY, 0x100040);
    img_note_u64(&s, N_HYPERCALL_PAGE, 0x101000);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &in, &why), 0);
    CHECK_EQ(in.virt_base, 0);
    CHECK_EQ(in.virt_kstart, 0x100000);
    CHECK_EQ(in.virt_kend, 0x108000);
    CHECK_EQ(in.entry, 0x100040);
    img_free(&im);
}

/* Program headers out of VA order still load in ascending order. */
static void unsorted_phdrs(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    struct load_sink k;
    const char *why;
    struct img_seg t = { 0 };

    img_spec_default(&s);
    t = s.seg[0];
    s.seg[0] = s.seg[2];
    s.seg[2] = t;
    s.seg[3] = (struct img_seg){ PT_GNU_STACK, 0, 0, 0, 0 };
    s.seg[4] = (struct img_seg){ PT_LOAD, 0, 0, 0, 0 }; /* empty: ignored */
    s.nseg = 5;
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    CHECK_EQ(info.nr_load, 3);
    CHECK_EQ(info.virt_kstart, KSTART);
    sink_init(&k, &im, info.virt_kstart, info.virt_kend);
    CHECK_EQ(elf_load(im.buf, im.size, &info, sink_copy, sink_zero, &k), 0);
    CHECK_EQ(k.calls, 5); /* sink_check enforced the ascending order */
    CHECK_EQ(k.rec[0].va, KSTART);
    img_free(&im);
}

static void notes_aligned_8(void)
{
    struct img_spec s;
    struct elf_image_info info;

    img_spec_default(&s);
    s.note_align = 8;
    parse_ok(&s, &info);
    check_default_info(&info);
}

static void notes_in_sections_only(void)
{
    struct img_spec s;
    struct elf_image_info info;

    img_spec_default(&s);
    s.pt_note = false;
    s.sections = true;
    parse_ok(&s, &info);
    check_default_info(&info);
}

/* Xen ignores PT_NOTE at offset 0 (a binutils bug); sections then serve. */
static void pt_note_offset_zero_falls_back(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    const char *why;

    img_spec_default(&s);
    s.sections = true;
    img_build(&s, &im);
    img_put64(&im, im.phoff + 3 * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_offset), 0);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    check_default_info(&info);
    img_free(&im);
}

/* Sections are only a fallback: with Xen notes in a PT_NOTE, even a broken
 * section table is not read. */
static void sections_ignored_when_pt_note(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info;
    const char *why;

    img_spec_default(&s);
    s.sections = true;
    img_build(&s, &im);
    img_put64(&im, im.shoff + sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addralign), 16);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    check_default_info(&info);
    img_put16(&im, offsetof(Elf64_Ehdr, e_shentsize), 12);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    img_free(&im);
}

/* No Xen notes: reported, not refused; defaults everywhere. */
static void no_xen_notes(void)
{
    struct img_spec s;
    struct elf_image_info in;

    img_spec_default(&s);
    s.nnote = 0;
    img_add_note(&s, "GNU", 3, "abcd", 4);
    for (unsigned int i = 0; i < s.nseg; i++)
        s.seg[i].paddr += IMG_VIRT_BASE; /* VA = p_paddr without notes */
    s.e_entry = KSTART + 0x7010;
    parse_ok(&s, &in);
    CHECK(!in.has_xen_notes);
    CHECK_EQ(in.entry, KSTART + 0x7010);
    CHECK_EQ(in.virt_base, 0);
    CHECK_EQ(in.paddr_offset, 0);
    CHECK_EQ(in.hypercall_page, 0);
    CHECK_EQ(in.init_p2m, ELF_NO_INIT_P2M);
    CHECK_EQ(in.features_supported[0], 0);
    CHECK_EQ(in.features_required[0], 0);
    CHECK_STR(in.guest_os, "");
    CHECK_STR(in.loader, "");
    CHECK(!in.pae_ok);
    CHECK(!in.mod_start_pfn);
    CHECK_EQ(in.phys32_entry, 0);
    CHECK_EQ(in.virt_kstart, KSTART);
    CHECK_EQ(in.virt_kend, KEND);
}

/* Notes we do not use, other owners and near-miss names are skipped. */
static void foreign_and_unknown_notes(void)
{
    struct img_spec s;
    struct elf_image_info in;

    img_spec_default(&s);
    img_add_note(&s, "Xen", 99, "\x01\x02\x03", 3);
    img_add_note(&s, "Xen", 0x1000001, "", 0);
    img_add_note(&s, "XEN", N_GUEST_OS, "bogus", 5);   /* not NUL-terminated */
    img_add_note(&s, "Xe", N_ENTRY, "\x01", 1);
    img_add_note(&s, "Xenn", N_VIRT_BASE, "\x01", 1);
    img_add_note(&s, "", N_LOADER, "x", 1);
    img_add_note(&s, "Xen", N_GUEST_OS, "bogus", 6);
    s.note[s.nnote - 1].name[3] = 'X'; /* namesz 4 but "XenX" */
    parse_ok(&s, &in);
    check_default_info(&in);
}

/* String notes may end at the descriptor's end: Linux's FEATURES note has no NUL. */
static void unterminated_strings(void)
{
    struct img_spec s;
    struct elf_image_info in;
    static const char feat[] = "!writable_page_tables|pae_pgdir_above_4gb";

    img_spec_default(&s);
    img_add_note(&s, "Xen", N_GUEST_OS, "linux", 5);
    img_add_note(&s, "Xen", N_LOADER, "", 0);
    img_add_note(&s, "Xen", N_PAE_MODE, "yes", 3);
    img_add_note(&s, "Xen", N_FEATURES, feat, sizeof(feat) - 1);
    parse_ok(&s, &in);
    CHECK_STR(in.guest_os, "linux");
    CHECK_STR(in.loader, "");
    CHECK(in.pae_ok);
    CHECK_EQ(in.features_required[0], 0x1); /* writable_page_tables */
}

static void note_values(void)
{
    struct img_spec s;
    struct elf_image_info in;
    uint32_t two_maps[2] = { 1u << 3, 0xffffffff };

    img_spec_default(&s);
    img_note_str(&s, N_GUEST_OS, "0123456789012345678901234567890"); /* 31 */
    img_note_u64(&s, N_MOD_START_PFN, 0);
    img_note_u64(&s, N_PHYS32_ENTRY, 0x123456789ULL);
    img_note_str(&s, N_PAE_MODE, "bimodal");
    img_note_str(&s, N_FEATURES, "||dom0|frobnicate||");
    img_add_note(&s, "Xen", N_SUPPORTED_FEATURES, two_maps, 8);
    img_note_u32(&s, N_INIT_P2M, 0xffffffff & ~0xfffu);
    parse_ok(&s, &in);
    CHECK_STR(in.guest_os, "0123456789012345678901234567890");
    CHECK(!in.mod_start_pfn);
    CHECK_EQ(in.phys32_entry, 0x123456789ULL);
    CHECK(in.pae_ok);
    CHECK_EQ(in.features_supported[0], 0x8801 | 0x1 | 0x10 | (1u << 11) | (1u << 3));
    CHECK_EQ(in.features_required[0], 0x1);
    CHECK_EQ(in.init_p2m, 0xfffff000ULL);

    img_spec_default(&s);
    img_note_str(&s, N_PAE_MODE, "no");
    parse_ok(&s, &in);
    CHECK(!in.pae_ok);
    img_drop_note(&s, N_PAE_MODE);
    img_drop_note(&s, N_PAE_MODE);
    img_drop_note(&s, N_INIT_P2M);
    parse_ok(&s, &in);
    CHECK(!in.pae_ok);
    CHECK_EQ(in.init_p2m, ELF_NO_INIT_P2M);
}

struct feat_case {
    const char *str;
    int rc;
    uint32_t sup, req;
};

static void features_table(void)
{
    static const struct feat_case t[] = {
        { "", 0, 0, 0 },
        { "writable_page_tables", 0, 0x1, 0 },
        { "!writable_page_tables", 0, 0x1, 0x1 },
        { "dom0|!pae_pgdir_above_4gb|hvm_callback_vector", 0, 0x910, 0x10 },
        { "dm_msix_all_writes|ARM_SMCCC_supported", 0, (1u << 20) | (1u << 14), 0 },
        { "writable_page_table", 0, 0, 0 },   /* prefix of a name: unknown */
        { "writable_page_tablesX", 0, 0, 0 },
        { "|", 0, 0, 0 },
        { "!", -ENOEXEC, 0, 0 },
        { "dom0|!nope", -ENOEXEC, 0x800, 0 },
        { "!DOM0", -ENOEXEC, 0, 0 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        uint32_t sup = 0, req = 0;
        const char *why = NULL;
        int rc = elf_parse_features(t[i].str, strlen(t[i].str), &sup, &req, &why);

        if (rc != t[i].rc || sup != t[i].sup || req != t[i].req)
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d sup %#x req %#x", t[i].str,
                      rc, sup, req);
        CHECK(rc == 0 || why != NULL);
    }
}

/* The note budget is shared across regions and stops hostile floods. */
static void note_budget(void)
{
    size_t len = 12 * (ELF_MAX_NOTES + 1);
    uint8_t *buf = calloc(1, len);
    struct elf_image_info info;
    struct elf_note_scan scan;
    const char *why = NULL;

    CHECK(buf);
    memset(&info, 0, sizeof(info));
    elf_note_scan_init(&scan, &info);
    CHECK_EQ(elf_note_scan(&scan, buf, len - 12, 4, &why), 0);
    CHECK_EQ(elf_note_scan(&scan, buf, 12, 4, &why), -EINVAL);
    CHECK(why && strstr(why, "too many"));
    elf_note_scan_init(&scan, &info);
    CHECK_EQ(elf_note_scan(&scan, buf, len, 4, &why), -EINVAL);
    CHECK_EQ(elf_note_scan(&scan, buf, 12, 2, &why), -EINVAL);
    CHECK(!info.has_xen_notes);
    free(buf);
}

/* elf_load checks its inputs again and calls nothing unless all is well. */
static void load_checks(void)
{
    struct img_spec s;
    struct img im;
    struct elf_image_info info, bad;
    struct load_sink k;
    const char *why;

    img_spec_default(&s);
    img_build(&s, &im);
    CHECK_EQ(img_parse(&im, &info, &why), 0);
    sink_init(&k, &im, info.virt_kstart, info.virt_kend);
    CHECK_EQ(elf_load(im.buf, im.size, &info, NULL, sink_zero, &k), -EINVAL);
    CHECK_EQ(elf_load(im.buf, im.size, &info, sink_copy, NULL, &k), -EINVAL);
    CHECK_EQ(elf_load(im.buf, im.size, NULL, sink_copy, sink_zero, &k), -EINVAL);
    CHECK_EQ(elf_load(NULL, im.size, &info, sink_copy, sink_zero, &k), -EINVAL);
    CHECK_EQ(elf_load(im.buf, 10, &info, sink_copy, sink_zero, &k), -ENOEXEC);
    bad = info;
    bad.virt_kend += 0x1000;
    CHECK_EQ(elf_load(im.buf, im.size, &bad, sink_copy, sink_zero, &k), -EINVAL);
    bad = info;
    bad.virt_base += 0x1000;
    CHECK_EQ(elf_load(im.buf, im.size, &bad, sink_copy, sink_zero, &k), -EINVAL);
    bad = info;
    bad.paddr_offset = 0x2000000; /* above every p_paddr */
    CHECK_EQ(elf_load(im.buf, im.size, &bad, sink_copy, sink_zero, &k), -EINVAL);
    bad = info;
    bad.nr_load = 2;
    CHECK_EQ(elf_load(im.buf, im.size, &bad, sink_copy, sink_zero, &k), -EINVAL);
    CHECK_EQ(k.calls, 0);
    /* A failing callback stops the load and its error comes back. */
    k.fail_at = 3;
    CHECK_EQ(elf_load(im.buf, im.size, &info, sink_copy, sink_zero, &k), -EIO);
    CHECK_EQ(k.calls, 3);
    img_free(&im);
}

/* Symbol values from the fixture's own symbol table (trusted test input). */
static uint64_t fixture_sym(const uint8_t *img, size_t size, const char *name)
{
    const Elf64_Ehdr *eh = (const void *)img;
    const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);

    CHECK(eh->e_shoff + eh->e_shnum * sizeof(*sh) <= size);
    for (unsigned int i = 0; i < eh->e_shnum; i++) {
        const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;

        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        for (size_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
            if (strcmp(str + sym[j].st_name, name) == 0)
                return sym[j].st_value;
    }
    test_fail(__FILE__, __LINE__, "fixture has no symbol %s", name);
}

static void real_toolchain_image(void)
{
    size_t size;
    uint8_t *img = img_read_fixture(&size);
    struct elf_image_info in;
    struct load_sink k;
    struct img im = { .buf = img, .size = size };
    const char *why;
    uint64_t pcpu = fixture_sym(img, size, "percpu_load");
    uint8_t *mem;

    CHECK_EQ(img_parse(&im, &in, &why), 0);
    CHECK_EQ(in.entry, fixture_sym(img, size, "startup"));
    CHECK(in.entry != ((const Elf64_Ehdr *)img)->e_entry);
    CHECK_EQ(in.virt_base, fixture_sym(img, size, "VIRT_BASE"));
    CHECK_EQ(in.paddr_offset, 0);
    CHECK_EQ(in.hypercall_page, fixture_sym(img, size, "hypercall_page"));
    CHECK_EQ(in.virt_kstart, fixture_sym(img, size, "guest_start"));
    CHECK_EQ(in.virt_kend, (fixture_sym(img, size, "kernel_end") + 0xfff) & ~0xfffULL);
    CHECK_EQ(in.init_p2m, 0x8000000000ULL);
    CHECK_EQ(in.features_supported[0], 0x1 | 0x10 | (1u << 11) | (1u << 15));
    CHECK_EQ(in.features_required[0], 0x1);
    CHECK_STR(in.guest_os, "tern-test");
    CHECK_STR(in.guest_version, "0.1");
    CHECK_STR(in.xen_version, "xen-3.0");
    CHECK_STR(in.loader, "generic");
    CHECK(in.pae_ok && in.has_xen_notes && in.mod_start_pfn);
    CHECK_EQ(in.phys32_entry, in.entry - in.virt_base);
    CHECK_EQ(in.nr_load, 4);

    mem = malloc(in.virt_kend - in.virt_kstart);
    CHECK(mem);
    memset(mem, 0xaa, in.virt_kend - in.virt_kstart);
    sink_init(&k, &im, in.virt_kstart, in.virt_kend);
    k.mem = mem;
    CHECK_EQ(elf_load(img, size, &in, sink_copy, sink_zero, &k), 0);
#define AT(va) (mem + ((va) - in.virt_kstart))
    CHECK(memcmp(AT(fixture_sym(img, size, "marker")), "tern elf fixture", 16) == 0);
    for (unsigned int i = 0; i < 0x2345; i++)
        CHECK_EQ(AT(fixture_sym(img, size, "bss_area"))[i], 0);
    CHECK_EQ(*(uint64_t *)AT(pcpu), 0x1122334455667788ULL);
    CHECK_EQ(AT(in.hypercall_page)[4095], 0xc3);
    CHECK_EQ(AT(in.entry)[0], 0xfa); /* cli */
#undef AT
    free(mem);
    free(img);
}

static const struct test_case cases[] = {
    TEST(parse_default),
    TEST(load_default),
    TEST(linux_layout),
    TEST(lower_half),
    TEST(unsorted_phdrs),
    TEST(notes_aligned_8),
    TEST(notes_in_sections_only),
    TEST(pt_note_offset_zero_falls_back),
    TEST(sections_ignored_when_pt_note),
    TEST(no_xen_notes),
    TEST(foreign_and_unknown_notes),
    TEST(unterminated_strings),
    TEST(note_values),
    TEST(features_table),
    TEST(note_budget),
    TEST(load_checks),
    TEST(real_toolchain_image),
};

TEST_MAIN(cases)
