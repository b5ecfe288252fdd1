/* Mutation tests for hypervisor/common/elf*.c: every mutated image parses cleanly or fails cleanly (run under ASan/UBSan). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/elf.h>
#include <tern/errno.h>

#include "elf_img.h"
#include "harness.h"

struct tally {
    unsigned long ok, refused;
};

/* A successful parse must describe a loadable image, and loading it must
 * stay inside the image and inside [virt_kstart, virt_kend). */
static void check_info(const struct img *im, const struct elf_image_info *in)
{
    struct load_sink k;

    CHECK(in->virt_kstart < in->virt_kend);
    CHECK(in->virt_kstart >= ELF_HV_HOLE_END || in->virt_kend <= 0x0000800000000000ULL);
    CHECK((in->virt_kstart | in->virt_kend) % 4096 == 0);
    CHECK(in->entry >= in->virt_kstart && in->entry < in->virt_kend);
    CHECK(in->virt_base <= in->virt_kstart);
    CHECK(in->nr_load >= 1 && in->nr_load <= ELF_MAX_PHNUM);
    CHECK(in->hypercall_page == 0 ||
          (in->hypercall_page % 4096 == 0 && in->hypercall_page >= in->virt_kstart &&
           in->hypercall_page < in->virt_kend));
    CHECK(in->init_p2m == ELF_NO_INIT_P2M || in->init_p2m < in->virt_kstart ||
          in->init_p2m >= in->virt_kend);
    CHECK((in->features_required[0] & ~in->features_supported[0]) == 0);
    CHECK(strnlen(in->guest_os, 32) < 32 && strnlen(in->guest_version, 32) < 32);
    CHECK(strnlen(in->xen_version, 32) < 32 && strnlen(in->loader, 32) < 32);
    sink_init(&k, im, in->virt_kstart, in->virt_kend);
    CHECK_EQ(elf_load(im->buf, im->size, in, sink_copy, sink_zero, &k), 0);
    CHECK(k.calls >= in->nr_load);
    CHECK(k.copied + k.zeroed <= in->virt_kend - in->virt_kstart);
}

static void report(const char *name, const struct tally *t)
{
    printf("  %s: %lu images, %lu parsed and loaded, %lu refused\n", name,
           t->ok + t->refused, t->ok, t->refused);
}

static void try_image(const struct img *im, struct tally *t)
{
    struct elf_image_info info;
    const char *why;

    /* img_parse fails the case on an unexpected code or a silent error. */
    if (img_parse(im, &info, &why) == 0) {
        check_info(im, &info);
        t->ok++;
    } else {
        t->refused++;
    }
}

static void default_image(struct img *im, bool sections)
{
    struct img_spec s;

    img_spec_default(&s);
    if (sections) {
        s.pt_note = false;
        s.sections = true;
    }
    img_build(&s, im);
}

/* Each bit of [from, to) flipped alone, then each byte inverted. */
static void flip_range(struct img *im, size_t from, size_t to, struct tally *t)
{
    for (size_t off = from; off < to && off < im->size; off++) {
        uint8_t orig = im->buf[off];

        for (unsigned int bit = 0; bit <= 8; bit++) {
            im->buf[off] = bit < 8 ? orig ^ (1u << bit) : (uint8_t)~orig;
            try_image(im, t);
        }
        im->buf[off] = orig;
    }
}

static void header_bit_flips(void)
{
    struct img im;
    struct tally t = { 0 };

    default_image(&im, false);
    flip_range(&im, 0, im.note_off + im.note_len, &t);
    img_free(&im);
    default_image(&im, true);
    flip_range(&im, 0, im.note_off, &t);
    flip_range(&im, im.shoff, im.size, &t);
    img_free(&im);
    /* Both outcomes occur, or the mutations did not reach the checks. */
    report(__func__, &t);
    CHECK(t.ok > 100 && t.refused > 1000);
}

/* Every value of the bytes that steer the parser. */
static void key_bytes_all_values(void)
{
    struct img im;
    struct tally t = { 0 };
    size_t keys[64];
    unsigned int n = 0;

    default_image(&im, false);
    const size_t eh[] = { 4, 5, 6, offsetof(Elf64_Ehdr, e_type),
                          offsetof(Elf64_Ehdr, e_machine), offsetof(Elf64_Ehdr, e_phoff),
                          offsetof(Elf64_Ehdr, e_phoff) + 7,
                          offsetof(Elf64_Ehdr, e_phentsize), offsetof(Elf64_Ehdr, e_phnum),
                          offsetof(Elf64_Ehdr, e_phnum) + 1 };
    for (unsigned int i = 0; i < ARRAY_SIZE(eh); i++)
        keys[n++] = eh[i];
    for (unsigned int p = 0; p < 4; p++) {
        size_t ph = im.phoff + p * sizeof(Elf64_Phdr);
        const size_t f[] = { offsetof(Elf64_Phdr, p_type), offsetof(Elf64_Phdr, p_offset),
                             offsetof(Elf64_Phdr, p_paddr) + 1,
                             offsetof(Elf64_Phdr, p_paddr) + 3,
                             offsetof(Elf64_Phdr, p_paddr) + 7,
                             offsetof(Elf64_Phdr, p_filesz) + 1,
                             offsetof(Elf64_Phdr, p_memsz) + 2,
                             offsetof(Elf64_Phdr, p_memsz) + 7,
                             offsetof(Elf64_Phdr, p_align) };
        for (unsigned int i = 0; i < ARRAY_SIZE(f); i++)
            keys[n++] = ph + f[i];
    }
    for (unsigned int i = 0; i < 6; i++) {
        keys[n++] = im.note_at[i];     /* namesz */
        keys[n++] = im.note_at[i] + 4; /* descsz */
    }
    CHECK(n <= ARRAY_SIZE(keys));
    for (unsigned int i = 0; i < n; i++) {
        uint8_t orig = im.buf[keys[i]];

        for (unsigned int v = 0; v < 256; v++) {
            im.buf[keys[i]] = (uint8_t)v;
            try_image(&im, &t);
        }
        im.buf[keys[i]] = orig;
    }
    img_free(&im);
    report(__func__, &t);
    CHECK(t.ok > 0 && t.refused > 0);
}

/* Several random byte writes at once, mostly into the headers and notes,
 * sometimes with the image cut short. Seeded: TEST_SEED reproduces. */
static void random_mutations(void)
{
    struct img im;
    struct tally t = { 0 };
    uint8_t *orig;
    size_t full;

    default_image(&im, false);
    full = im.size;
    orig = malloc(full);
    CHECK(orig);
    memcpy(orig, im.buf, full);
    for (unsigned int iter = 0; iter < 20000; iter++) {
        unsigned int writes = 1 + (unsigned int)test_rand_below(8);

        for (unsigned int w = 0; w < writes; w++) {
            size_t span = test_rand_below(4) ? im.note_off + im.note_len : full;

            im.buf[test_rand_below(span)] = (uint8_t)test_rand();
        }
        im.size = test_rand_below(16) ? full : test_rand_below(full);
        try_image(&im, &t);
        memcpy(im.buf, orig, full);
        im.size = full;
    }
    free(orig);
    img_free(&im);
    report(__func__, &t);
    CHECK(t.ok > 0 && t.refused > 0);
}

/* The real-toolchain fixture: its headers and its notes, bit by bit. */
static void fixture_bit_flips(void)
{
    struct tally t = { 0 };
    struct img im = { 0 };
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;

    im.buf = img_read_fixture(&im.size);
    eh = (const void *)im.buf;
    CHECK(eh->e_phoff + eh->e_phnum * sizeof(*ph) <= im.size);
    flip_range(&im, 0, eh->e_phoff + eh->e_phnum * sizeof(*ph), &t);
    ph = (const void *)(im.buf + eh->e_phoff);
    for (unsigned int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_NOTE)
            flip_range(&im, ph[i].p_offset, ph[i].p_offset + ph[i].p_filesz, &t);
    img_free(&im);
    report(__func__, &t);
    CHECK(t.ok > 100 && t.refused > 100);
}

static const struct test_case cases[] = {
    TEST(header_bit_flips),
    TEST(key_bytes_all_values),
    TEST(random_mutations),
    TEST(fixture_bit_flips),
};

TEST_MAIN(cases)
