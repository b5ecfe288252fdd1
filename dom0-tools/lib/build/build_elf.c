/* Reading a PV kernel's ELF: its loadable segments and its Xen notes. Every offset and
 * size is checked against the image before use; the image comes from a file. */
#include "build.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Xen's ELF note types (XEN_ELFNOTE_*, public/elfnote.h) */
#define NOTE_ENTRY 1
#define NOTE_HYPERCALL_PAGE 2
#define NOTE_VIRT_BASE 3
#define NOTE_PADDR_OFFSET 4
#define NOTE_XEN_VERSION 5

#define LOWER_HALF_END 0x0000800000000000ull
#define HV_HOLE_END 0xffff880000000000ull

static bool in_image(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

static uint64_t note_value(const uint8_t *desc, uint32_t n)
{
    uint64_t v = 0;
    memcpy(&v, desc, n >= 8 ? 8 : n); /* little endian, 4 or 8 bytes */
    return v;
}

/* Walks one PT_NOTE segment for notes named "Xen". */
static void read_notes(const uint8_t *p, size_t size, struct build_kernel *k, bool *xen3)
{
    size_t off = 0;

    while (size - off >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr n;
        memcpy(&n, p + off, sizeof(n));
        size_t name = off + sizeof(n), desc = name + ((n.n_namesz + 3u) & ~3u);
        size_t next = desc + ((n.n_descsz + 3u) & ~3u);
        if (next > size || next <= off)
            return;
        if (n.n_namesz == 4 && !memcmp(p + name, "Xen", 4)) {
            const uint8_t *d = p + desc;
            if (n.n_type == NOTE_ENTRY)
                k->entry = note_value(d, n.n_descsz);
            else if (n.n_type == NOTE_HYPERCALL_PAGE)
                k->hypercall_page = note_value(d, n.n_descsz);
            else if (n.n_type == NOTE_VIRT_BASE)
                k->virt_base = note_value(d, n.n_descsz);
            else if (n.n_type == NOTE_PADDR_OFFSET)
                k->paddr_offset = note_value(d, n.n_descsz);
            else if (n.n_type == NOTE_XEN_VERSION)
                *xen3 = n.n_descsz >= 7 && !memcmp(d, "xen-3.0", 7);
        }
        off = next;
    }
}

int build_parse_elf(const uint8_t *img, size_t len, struct build_kernel *k, const char **why)
{
    Elf64_Ehdr eh;
    bool xen3 = false;

    memset(k, 0, sizeof(*k));
    *why = "not a 64-bit little-endian x86-64 ELF executable";
    if (len < sizeof(eh))
        return -ENOEXEC;
    memcpy(&eh, img, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) ||
        !in_image(len, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
        return -ENOEXEC;
    k->entry = eh.e_entry;
    k->kstart = UINT64_MAX;
    /* notes first: segments load at p_paddr - PADDR_OFFSET + VIRT_BASE (Linux's per-CPU
     * segment has a p_vaddr of 0, its p_paddr is where it belongs) */
    for (unsigned int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (!in_image(len, ph.p_offset, ph.p_filesz) || ph.p_filesz > ph.p_memsz) {
            *why = "a segment lies outside the file";
            return -ENOEXEC;
        }
        if (ph.p_type == PT_NOTE)
            read_notes(img + ph.p_offset, ph.p_filesz, k, &xen3);
    }
    /* without VIRT_BASE (kernels linked low, at 1 MiB say) the VAs are the p_paddrs */
    if (!xen3) {
        *why = "not a Xen PV kernel (no 'xen-3.0' XEN_VERSION note)";
        return -ENOEXEC;
    }
    for (unsigned int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t va;
        memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || !ph.p_memsz)
            continue;
        va = ph.p_paddr - k->paddr_offset + k->virt_base;
        if (k->nr_segments == BUILD_MAX_SEGMENTS || ph.p_paddr < k->paddr_offset ||
            va < k->virt_base || va + ph.p_memsz < va ||
            (va < LOWER_HALF_END ? va + ph.p_memsz > LOWER_HALF_END : va < HV_HOLE_END)) {
            /* the guest owns the lower half and the upper half above the hypervisor's hole */
            *why = "too many, misplaced or wrapping loadable segments";
            return -ENOEXEC;
        }
        k->seg[k->nr_segments++] = (struct build_segment){ va, ph.p_filesz, ph.p_memsz, ph.p_offset };
        if (va < k->kstart)
            k->kstart = va;
        if (va + ph.p_memsz > k->kend)
            k->kend = va + ph.p_memsz;
    }
    if (!k->nr_segments || k->kstart < k->virt_base || (k->virt_base & ((1u << 21) - 1)) ||
        k->kend - k->virt_base > (1ull << 30)) {
        *why = "kernel below VIRT_BASE, VIRT_BASE not 2 MiB aligned, or kernel over 1 GiB";
        return -ENOEXEC;
    }
    if (k->entry < k->kstart || k->entry >= k->kend ||
        (k->hypercall_page && (k->hypercall_page & 4095 || k->hypercall_page < k->kstart ||
                               k->hypercall_page >= k->kend))) {
        *why = "entry point or hypercall page outside the kernel";
        return -ENOEXEC;
    }
    return 0;
}
