/* Synthetic ELF image builder for the loader tests (uses the host's <elf.h>). */
#include "elf_img.h"

#include <elf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tern/elf.h>
#include <tern/errno.h>

#include "harness.h"

void img_add_note(struct img_spec *s, const char *name, uint32_t type,
                  const void *desc, uint32_t descsz)
{
    struct img_note *n;

    if (s->nnote >= IMG_MAX_NOTES || descsz > IMG_MAX_DESC || strlen(name) >= 8)
        test_fail(__FILE__, __LINE__, "img_add_note: spec full or note too big");
    n = &s->note[s->nnote++];
    memset(n, 0, sizeof(*n));
    strcpy(n->name, name);
    n->namesz = (uint32_t)strlen(name) + 1;
    n->type = type;
    n->descsz = descsz;
    memcpy(n->desc, desc, descsz);
}

void img_note_u64(struct img_spec *s, uint32_t type, uint64_t v)
{
    img_add_note(s, "Xen", type, &v, 8);
}

void img_note_u32(struct img_spec *s, uint32_t type, uint32_t v)
{
    img_add_note(s, "Xen", type, &v, 4);
}

void img_note_str(struct img_spec *s, uint32_t type, const char *str)
{
    img_add_note(s, "Xen", type, str, (uint32_t)strlen(str) + 1);
}

struct img_note *img_find_note(struct img_spec *s, uint32_t type)
{
    for (unsigned int i = 0; i < s->nnote; i++)
        if (s->note[i].type == type && strcmp(s->note[i].name, "Xen") == 0)
            return &s->note[i];
    return NULL;
}

void img_drop_note(struct img_spec *s, uint32_t type)
{
    struct img_note *n = img_find_note(s, type);

    if (!n)
        return;
    memmove(n, n + 1, (size_t)(&s->note[s->nnote] - (n + 1)) * sizeof(*n));
    s->nnote--;
}

void img_spec_default(struct img_spec *s)
{
    uint8_t l1_mfn_valid[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 1 };

    memset(s, 0, sizeof(*s));
    s->e_entry = 0x1000000; /* bare-metal entry: the ENTRY note must win */
    s->note_align = 4;
    s->pt_note = true;
    s->nseg = 3;
    s->seg[0] = (struct img_seg){ PT_LOAD, IMG_TEXT_VA, 0x1000000, 0x2010, 0x2010 };
    s->seg[1] = (struct img_seg){ PT_LOAD, IMG_TEXT_VA + 0x4000, 0x1004000, 0x123, 0x3000 };
    s->seg[2] = (struct img_seg){ PT_LOAD, 0, 0x1007000, 0x80, 0x1000 };
    img_note_str(s, N_GUEST_OS, "linux");
    img_note_str(s, N_GUEST_VERSION, "2.6");
    img_note_str(s, N_XEN_VERSION, "xen-3.0");
    img_note_u64(s, N_VIRT_BASE, IMG_VIRT_BASE);
    img_note_u64(s, N_PADDR_OFFSET, 0);
    img_note_u64(s, N_ENTRY, IMG_ENTRY);
    img_note_u64(s, N_HYPERCALL_PAGE, IMG_HYPERCALL);
    img_note_u64(s, N_INIT_P2M, IMG_INIT_P2M);
    img_note_str(s, N_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
    img_note_u32(s, N_SUPPORTED_FEATURES, 0x8801);
    img_note_str(s, N_PAE_MODE, "yes");
    img_note_str(s, N_LOADER, "generic");
    img_add_note(s, "Xen", N_L1_MFN_VALID, l1_mfn_valid, 16);
    img_note_u32(s, N_MOD_START_PFN, 1);
    img_note_u64(s, N_HV_START_LOW, 0xffff800000000000ULL);
    img_note_u32(s, N_PHYS32_ENTRY, 0x1000850);
    img_add_note(s, "GNU", 3, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

uint8_t img_seg_byte(unsigned int n, uint64_t i)
{
    return (uint8_t)(0x11 * (n + 1) + i * 7 + (i >> 8));
}

static size_t pad(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static size_t notes_size(const struct img_spec *s)
{
    size_t a = s->note_align, n = 0;

    for (unsigned int i = 0; i < s->nnote; i++)
        n = pad(pad(n + 12 + s->note[i].namesz, a) + s->note[i].descsz, a);
    return n;
}

static void write_notes(const struct img_spec *s, struct img *im)
{
    size_t a = s->note_align, off = im->note_off;

    for (unsigned int i = 0; i < s->nnote; i++) {
        const struct img_note *n = &s->note[i];

        im->note_at[i] = off;
        img_put32(im, off, n->namesz);
        img_put32(im, off + 4, n->descsz);
        img_put32(im, off + 8, n->type);
        memcpy(im->buf + off + 12, n->name, n->namesz);
        off = pad(off + 12 + n->namesz, a);
        memcpy(im->buf + off, n->desc, n->descsz);
        off += pad(n->descsz, a);
    }
}

static void write_phdrs(const struct img_spec *s, struct img *im)
{
    for (unsigned int i = 0; i < s->nseg; i++) {
        Elf64_Phdr ph = { 0 };

        ph.p_type = s->seg[i].type ? s->seg[i].type : PT_LOAD;
        ph.p_flags = PF_R | PF_W | PF_X;
        ph.p_offset = im->seg_off[i];
        ph.p_vaddr = s->seg[i].vaddr;
        ph.p_paddr = s->seg[i].paddr;
        ph.p_filesz = s->seg[i].filesz;
        ph.p_memsz = s->seg[i].memsz;
        ph.p_align = 0x1000;
        memcpy(im->buf + im->phoff + i * sizeof(ph), &ph, sizeof(ph));
    }
    if (s->pt_note) {
        Elf64_Phdr ph = { 0 };

        ph.p_type = PT_NOTE;
        ph.p_flags = PF_R;
        ph.p_offset = im->note_off;
        ph.p_filesz = im->note_len;
        ph.p_memsz = im->note_len;
        ph.p_align = s->note_align;
        memcpy(im->buf + im->phoff + s->nseg * sizeof(ph), &ph, sizeof(ph));
    }
}

/* Section table: [0] null, [1] SHT_NOTE over the notes, [2] .shstrtab. */
static void write_shdrs(const struct img_spec *s, struct img *im, size_t strtab)
{
    Elf64_Shdr sh[3] = { { 0 } };

    sh[1].sh_name = 1;
    sh[1].sh_type = SHT_NOTE;
    sh[1].sh_flags = SHF_ALLOC;
    sh[1].sh_offset = im->note_off;
    sh[1].sh_size = im->note_len;
    sh[1].sh_addralign = s->note_align;
    sh[2].sh_name = 8;
    sh[2].sh_type = SHT_STRTAB;
    sh[2].sh_offset = strtab;
    sh[2].sh_size = 18;
    memcpy(im->buf + strtab, "\0.notes\0.shstrtab", 18);
    memcpy(im->buf + im->shoff, sh, sizeof(sh));
}

void img_build(const struct img_spec *s, struct img *im)
{
    Elf64_Ehdr eh = { 0 };
    unsigned int nph = s->nseg + (s->pt_note ? 1 : 0);
    size_t off, strtab = 0;

    memset(im, 0, sizeof(*im));
    im->phoff = sizeof(eh);
    im->note_off = pad(im->phoff + nph * sizeof(Elf64_Phdr), 8);
    im->note_len = notes_size(s);
    off = im->note_off + im->note_len;
    for (unsigned int i = 0; i < s->nseg; i++) {
        im->seg_off[i] = off;
        off += s->seg[i].filesz;
    }
    if (s->sections) {
        strtab = off;
        im->shoff = pad(off + 18, 8);
        off = im->shoff + 3 * sizeof(Elf64_Shdr);
    }
    im->size = off;
    im->buf = calloc(1, off);
    if (!im->buf)
        test_fail(__FILE__, __LINE__, "out of memory");

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = s->e_entry;
    eh.e_phoff = im->phoff;
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (uint16_t)nph;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    if (s->sections) {
        eh.e_shoff = im->shoff;
        eh.e_shnum = 3;
        eh.e_shstrndx = 2;
    }
    memcpy(im->buf, &eh, sizeof(eh));
    write_notes(s, im);
    write_phdrs(s, im);
    if (s->sections)
        write_shdrs(s, im, strtab);
    for (unsigned int i = 0; i < s->nseg; i++)
        for (uint64_t j = 0; j < s->seg[i].filesz; j++)
            im->buf[im->seg_off[i] + j] = img_seg_byte(i, j);
}

void img_free(struct img *im)
{
    free(im->buf);
    im->buf = NULL;
}

void img_put16(struct img *im, size_t off, uint16_t v)
{
    memcpy(im->buf + off, &v, 2);
}

void img_put32(struct img *im, size_t off, uint32_t v)
{
    memcpy(im->buf + off, &v, 4);
}

void img_put64(struct img *im, size_t off, uint64_t v)
{
    memcpy(im->buf + off, &v, 8);
}

void sink_init(struct load_sink *k, const struct img *im, uint64_t lo, uint64_t hi)
{
    memset(k, 0, sizeof(*k));
    k->img = im->buf;
    k->img_size = im->size;
    k->lo = lo;
    k->hi = hi;
    k->next = lo;
}

static int sink_check(struct load_sink *k, char kind, uint64_t va, size_t len)
{
    if (len == 0)
        test_fail(__FILE__, __LINE__, "%c call with length 0", kind);
    if (va < k->next || va > k->hi || len > k->hi - va)
        test_fail(__FILE__, __LINE__, "%c call [%#llx,+%#zx) outside [%#llx,%#llx)",
                  kind, (unsigned long long)va, len, (unsigned long long)k->next,
                  (unsigned long long)k->hi);
    if (k->calls < 16)
        k->rec[k->calls] = (typeof(k->rec[0])){ kind, va, len };
    k->calls++;
    k->next = va + len;
    return k->fail_at && k->calls == k->fail_at ? -EIO : 0;
}

int sink_copy(void *ctx, uint64_t va, const void *src, size_t len)
{
    struct load_sink *k = ctx;
    const uint8_t *p = src;

    if (p < k->img || len > k->img_size || (size_t)(p - k->img) > k->img_size - len)
        test_fail(__FILE__, __LINE__, "copy source outside the image");
    if (k->mem)
        memcpy(k->mem + (va - k->lo), src, len);
    k->copied += len;
    return sink_check(k, 'c', va, len);
}

int sink_zero(void *ctx, uint64_t va, size_t len)
{
    struct load_sink *k = ctx;

    if (k->mem)
        memset(k->mem + (va - k->lo), 0, len);
    k->zeroed += len;
    return sink_check(k, 'z', va, len);
}

int img_parse(const struct img *im, struct elf_image_info *info, const char **why)
{
    struct elf_image_info before;
    int rc;

    memset(info, 0x5a, sizeof(*info));
    memcpy(&before, info, sizeof(before));
    *why = "unset";
    rc = elf_parse(im->buf, im->size, info, why);
    if (rc == 0) {
        if (*why != NULL)
            test_fail(__FILE__, __LINE__, "success left why = \"%s\"", *why);
    } else {
        if (rc != -EINVAL && rc != -ENOEXEC)
            test_fail(__FILE__, __LINE__, "unexpected error %d", rc);
        if (!*why || strcmp(*why, "unset") == 0)
            test_fail(__FILE__, __LINE__, "error %d without a reason", rc);
        if (memcmp(info, &before, sizeof(before)) != 0)
            test_fail(__FILE__, __LINE__, "failed parse changed *info");
    }
    return rc;
}

/* The fixture built by the Makefile from elf_guest.S with the host as/ld. */
uint8_t *img_read_fixture(size_t *size)
{
    char exe[4096], path[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    FILE *f;
    uint8_t *buf;
    long len;

    CHECK(n > 0);
    exe[n] = '\0';
    snprintf(path, sizeof(path), "%s/elf_guest.elf", dirname(exe));
    f = fopen(path, "rb");
    if (!f)
        test_fail(__FILE__, __LINE__, "cannot open %s (built by tests/unit/Makefile)", path);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    CHECK(len > 0);
    buf = malloc((size_t)len);
    CHECK(buf);
    CHECK_EQ(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *size = (size_t)len;
    return buf;
}
