/* Decodes the "Xen" ELF notes of a PV guest kernel into struct elf_image_info. */
#include <tern/elf.h>
#include <tern/errno.h>
#include <tern/string.h>
#include <public/elfnote.h>
#include <public/features.h>

/* ELF note header: the same three 32-bit words for ELF32 and ELF64. */
struct elf_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
};
_Static_assert(sizeof(struct elf_nhdr) == 12, "ELF note header is 12 bytes");

/* The names FEATURES uses: XENFEAT_* without the prefix. */
#define FEAT(n) { #n, XENFEAT_##n }
static const struct {
    const char *name;
    unsigned int bit;
} xen_features[] = {
    FEAT(writable_page_tables),
    FEAT(writable_descriptor_tables),
    FEAT(auto_translated_physmap),
    FEAT(supervisor_mode_kernel),
    FEAT(pae_pgdir_above_4gb),
    FEAT(mmu_pt_update_preserve_ad),
    FEAT(highmem_assist),
    FEAT(gnttab_map_avail_bits),
    FEAT(hvm_callback_vector),
    FEAT(hvm_safe_pvclock),
    FEAT(hvm_pirqs),
    FEAT(dom0),
    FEAT(grant_map_identity),
    FEAT(memory_op_vnode_supported),
    FEAT(ARM_SMCCC_supported),
    FEAT(linux_rsdp_unrestricted),
    FEAT(not_direct_mapped),
    FEAT(direct_mapped),
    FEAT(runstate_phys_area),
    FEAT(vcpu_time_phys_area),
    FEAT(dm_msix_all_writes),
};
#undef FEAT
_Static_assert(XENFEAT_NR_SUBMAPS == 1, "elf_image_info holds one feature submap");

static int note_fail(const char **why, int err, const char *msg)
{
    if (why)
        *why = msg;
    return err;
}

static int feature_bit(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(xen_features); i++) {
        const char *f = xen_features[i].name;

        if (strnlen(f, len + 1) == len && memcmp(f, name, len) == 0)
            return (int)xen_features[i].bit;
    }
    return -1;
}

int elf_parse_features(const char *str, size_t len, uint32_t *supported,
                       uint32_t *required, const char **why)
{
    size_t pos = 0;

    while (pos < len) {
        const char *tok = str + pos;
        const char *bar = memchr(tok, '|', len - pos);
        size_t tlen = bar ? (size_t)(bar - tok) : len - pos;
        bool req = tok[0] == '!'; /* in bounds: pos < len */
        int bit = feature_bit(tok + req, tlen - req);

        pos += tlen + 1;
        if (bit >= 0) {
            supported[0] |= 1U << bit;
            if (req)
                required[0] |= 1U << bit;
        } else if (req) {
            /* The guest cannot run without something we do not know. */
            return note_fail(why, -ENOEXEC, "FEATURES requires an unknown feature");
        }
    }
    return 0;
}

/* Numeric notes are 4 or 8 bytes, little endian like the image. */
static int note_number(const uint8_t *desc, uint32_t descsz, uint64_t *out,
                       const char **why)
{
    uint32_t v32;

    if (descsz == 8) {
        memcpy(out, desc, 8);
        return 0;
    }
    if (descsz == 4) {
        memcpy(&v32, desc, 4);
        *out = v32;
        return 0;
    }
    return note_fail(why, -EINVAL, "Xen numeric note is not 4 or 8 bytes");
}

/*
 * String notes end at a NUL inside the descriptor, or at its end: Linux's FEATURES note
 * is emitted with .ascii and has no terminator. Returns the length.
 */
static int note_string(const uint8_t *desc, uint32_t descsz, size_t *len,
                       const char **why)
{
    const uint8_t *nul = descsz ? memchr(desc, '\0', descsz) : NULL;

    (void)why;
    *len = nul ? (size_t)(nul - desc) : descsz;
    return 0;
}

static int note_copy_string(char *dst, const uint8_t *desc, uint32_t descsz,
                            const char **why)
{
    size_t len;
    int rc = note_string(desc, descsz, &len, why);

    if (rc)
        return rc;
    if (len >= ELF_INFO_STR_LEN)
        return note_fail(why, -EINVAL, "Xen string note is too long");
    memcpy(dst, desc, len);
    memset(dst + len, 0, ELF_INFO_STR_LEN - len);
    return 0;
}

static int note_pae(struct elf_image_info *info, const uint8_t *desc,
                    uint32_t descsz, const char **why)
{
    const char *s = (const char *)desc;
    size_t len;
    int rc = note_string(desc, descsz, &len, why);

    if (rc)
        return rc;
    info->pae_ok = (len >= 3 && memcmp(s, "yes", 3) == 0) ||
                   (len == 7 && memcmp(s, "bimodal", 7) == 0);
    return 0;
}

static int note_features(struct elf_image_info *info, const uint8_t *desc,
                         uint32_t descsz, const char **why)
{
    size_t len;
    int rc = note_string(desc, descsz, &len, why);

    if (rc)
        return rc;
    return elf_parse_features((const char *)desc, len, info->features_supported,
                              info->features_required, why);
}

/* SUPPORTED_FEATURES is an array of 32-bit submaps; we know one. */
static int note_supported(struct elf_image_info *info, const uint8_t *desc,
                          uint32_t descsz, const char **why)
{
    uint32_t map;

    if (descsz < 4 || descsz % 4)
        return note_fail(why, -EINVAL, "SUPPORTED_FEATURES is not 32-bit words");
    memcpy(&map, desc, 4);
    info->features_supported[0] |= map;
    return 0;
}

static int note_numeric(struct elf_note_scan *s, uint32_t type,
                        const uint8_t *desc, uint32_t descsz, const char **why)
{
    struct elf_image_info *info = s->info;
    uint64_t v;
    int rc = note_number(desc, descsz, &v, why);

    if (rc)
        return rc;
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        info->entry = v;
        s->have_entry = true;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        info->hypercall_page = v;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        info->virt_base = v;
        s->have_virt_base = true;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        info->paddr_offset = v;
        s->have_paddr_offset = true;
        break;
    case XEN_ELFNOTE_INIT_P2M:
        info->init_p2m = v;
        break;
    case XEN_ELFNOTE_MOD_START_PFN:
        info->mod_start_pfn = v != 0;
        break;
    default: /* XEN_ELFNOTE_PHYS32_ENTRY */
        info->phys32_entry = v;
        break;
    }
    return 0;
}

static int note_xen(struct elf_note_scan *s, uint32_t type, const uint8_t *desc,
                    uint32_t descsz, const char **why)
{
    struct elf_image_info *info = s->info;

    info->has_xen_notes = true;
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
    case XEN_ELFNOTE_HYPERCALL_PAGE:
    case XEN_ELFNOTE_VIRT_BASE:
    case XEN_ELFNOTE_PADDR_OFFSET:
    case XEN_ELFNOTE_INIT_P2M:
    case XEN_ELFNOTE_MOD_START_PFN:
    case XEN_ELFNOTE_PHYS32_ENTRY:
        return note_numeric(s, type, desc, descsz, why);
    case XEN_ELFNOTE_XEN_VERSION:
        return note_copy_string(info->xen_version, desc, descsz, why);
    case XEN_ELFNOTE_GUEST_OS:
        return note_copy_string(info->guest_os, desc, descsz, why);
    case XEN_ELFNOTE_GUEST_VERSION:
        return note_copy_string(info->guest_version, desc, descsz, why);
    case XEN_ELFNOTE_LOADER:
        return note_copy_string(info->loader, desc, descsz, why);
    case XEN_ELFNOTE_PAE_MODE:
        return note_pae(info, desc, descsz, why);
    case XEN_ELFNOTE_FEATURES:
        return note_features(info, desc, descsz, why);
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        return note_supported(info, desc, descsz, why);
    default:
        return 0; /* types we do not use (L1_MFN_VALID, HV_START_LOW, ...) */
    }
}

void elf_note_scan_init(struct elf_note_scan *s, struct elf_image_info *info)
{
    memset(s, 0, sizeof(*s));
    s->info = info;
    s->notes_left = ELF_MAX_NOTES;
}

int elf_note_scan(struct elf_note_scan *s, const uint8_t *notes, size_t len,
                  unsigned int align, const char **why)
{
    size_t off = 0;

    if (align != 4 && align != 8)
        return note_fail(why, -EINVAL, "ELF note alignment is not 4 or 8");
    while (off < len) {
        struct elf_nhdr nh;
        uint64_t name_off, desc_off, desc_end;
        int rc;

        if (s->notes_left == 0)
            return note_fail(why, -EINVAL, "too many ELF notes");
        s->notes_left--;
        if (len - off < sizeof(nh))
            return note_fail(why, -EINVAL, "truncated ELF note header");
        memcpy(&nh, notes + off, sizeof(nh));
        /* 64-bit sums of 32-bit sizes and a size_t offset cannot wrap. The
         * descriptor starts at the first aligned offset after the name. */
        name_off = (uint64_t)off + sizeof(nh);
        desc_off = ALIGN_UP(name_off + nh.n_namesz, (uint64_t)align);
        desc_end = desc_off + nh.n_descsz;
        if (desc_end > len)
            return note_fail(why, -EINVAL, "ELF note runs past its segment");
        if (nh.n_namesz == 4 && memcmp(notes + name_off, "Xen", 4) == 0) {
            rc = note_xen(s, nh.n_type, notes + desc_off, nh.n_descsz, why);
            if (rc)
                return rc;
        }
        /* The last note's tail padding may be missing. */
        off = (size_t)min_t(uint64_t, ALIGN_UP(desc_end, align), len);
    }
    return 0;
}
