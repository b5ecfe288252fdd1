/*
 * Writable page tables: a PV kernel that enabled VMASST_TYPE_writable_pagetables may
 * write its own L1 tables, which are mapped read-only to it. The write faults; we decode
 * the instruction (the forms kernels use for PTEs: mov, xchg, cmpxchg, and bts/btr on
 * a PTE bit), validate the new entry through pv_mod_entry and step past it.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/uaccess.h>
#include <public/xen.h>

struct insn {
    uint8_t len;
    bool rex_w, lock;
    uint8_t op;            /* opcode: one byte, or the second after 0x0f */
    bool twobyte;
    uint8_t reg;           /* ModRM.reg with REX.R */
    uint8_t rm_mod;
    int64_t imm;
    unsigned int opsize;   /* 4 or 8 bytes */
};

static uint64_t *gpr(struct cpu_user_regs *r, unsigned int n)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                          &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[n & 15];
}

/* Decodes prefixes, opcode and the ModRM/SIB/displacement lengths; the address comes from CR2. */
static bool decode(const uint8_t *b, size_t n, struct insn *in)
{
    size_t i = 0;
    uint8_t rex = 0, modrm, mod, rm;

    memset(in, 0, sizeof(*in));
    for (; i < n && (b[i] == 0xf0 || b[i] == 0x2e || b[i] == 0x3e); i++)
        in->lock |= b[i] == 0xf0;
    if (i < n && (b[i] & 0xf0) == 0x40)
        rex = b[i++];
    if (i >= n)
        return false;
    in->rex_w = rex & 8;
    in->op = b[i++];
    if (in->op == 0x0f) {
        if (i >= n)
            return false;
        in->twobyte = true;
        in->op = b[i++];
    }
    if (i >= n)
        return false;
    modrm = b[i++];
    mod = modrm >> 6;
    rm = modrm & 7;
    in->rm_mod = mod;
    in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
    if (mod == 3)
        return false; /* a register destination cannot fault on memory */
    if (rm == 4 && i < n) {
        uint8_t sib = b[i++];
        if (mod == 0 && (sib & 7) == 5)
            i += 4;
    }
    if (mod == 0 && rm == 5)
        i += 4; /* RIP-relative */
    else if (mod == 1)
        i += 1;
    else if (mod == 2)
        i += 4;
    in->opsize = in->rex_w ? 8 : 4;
    if (!in->twobyte && (in->op == 0x80 || in->op == 0x83)) {
        /* group 1 with an 8-bit immediate: and/or on a byte (0x80) or a word (0x83) */
        if (i + 1 > n)
            return false;
        in->imm = in->op == 0x80 ? b[i] : (int8_t)b[i];
        if (in->op == 0x80)
            in->opsize = 1;
        i += 1;
    } else if (!in->twobyte && (in->op == 0xc7 || in->op == 0x81)) {
        int32_t imm;
        if (i + 4 > n)
            return false;
        memcpy(&imm, b + i, 4);
        in->imm = imm;
        i += 4;
    } else if (in->twobyte && in->op == 0xba) {
        if (i + 1 > n)
            return false;
        in->imm = b[i++];
    }
    in->len = (uint8_t)i;
    return i <= n;
}

/* New value of the 8-byte entry for a write of `size` bytes of `val` at byte `off`. */
static uint64_t merge(uint64_t old, uint64_t val, unsigned int off, unsigned int size)
{
    uint64_t mask = size == 8 ? ~0ull : ((1ull << (size * 8)) - 1) << (off * 8);
    return (old & ~mask) | ((val << (off * 8)) & mask);
}

bool pv_ptwr_emulate(struct vcpu *v, struct cpu_user_regs *regs, uint64_t addr)
{
    struct domain *d = v->domain;
    uint8_t bytes[15];
    struct insn in;
    mfn_t l1, table;
    const uint64_t *l1t;
    uint64_t pte, old, nv, src;
    unsigned int off = addr & 7, index;
    volatile const uint64_t *entry;
    bool zf = false;

    if (!(d->vm_assist & (1ul << VMASST_TYPE_writable_pagetables)) || !v->kernel_mode)
        return false;
    /* which frame did the write hit, and is it one of the domain's L1 tables? */
    l1 = pv_find_l1(v, addr);
    if (l1 == PV_MFN_NONE)
        return false;
    l1t = __va((paddr_t)l1 << PAGE_SHIFT);
    pte = __atomic_load_n(&l1t[(addr >> 12) & 511], __ATOMIC_ACQUIRE);
    if (!(pte & _PAGE_PRESENT))
        return false;
    table = (pte & PTE_ADDR_MASK) >> PAGE_SHIFT;
    if (!mfn_valid(table) || mfn_to_page(table)->owner != d->domid ||
        page_get_type(mfn_to_page(table)) != PGT_l1_page_table)
        return false;
    /* up to 15 bytes, but not past the end of the page if the next one is unmapped */
    size_t n = sizeof(bytes);
    if (copy_from_guest(bytes, regs->rip, n)) {
        n = min_t(size_t, n, PAGE_SIZE - (regs->rip & (PAGE_SIZE - 1)));
        if (copy_from_guest(bytes, regs->rip, n))
            return false;
    }
    if (!decode(bytes, n, &in))
        return false;
    index = (addr & (PAGE_SIZE - 1)) >> 3;
    entry = (volatile const uint64_t *)__va((paddr_t)table << PAGE_SHIFT) + index;
    old = *entry;
    src = *gpr(regs, in.reg);
    if (off + in.opsize > 8)
        return false; /* straddles two entries */
    if (!in.twobyte && in.op == 0x89) {              /* mov r/m, r */
        nv = merge(old, src, off, in.opsize);
    } else if (!in.twobyte && in.op == 0xc7 && !(in.reg & 7)) { /* mov r/m, imm32 */
        nv = merge(old, (uint64_t)in.imm, off, in.opsize);
    } else if (!in.twobyte && in.op == 0x87) {       /* xchg r/m, r */
        nv = merge(old, src, off, in.opsize);
    } else if (in.twobyte && in.op == 0xb1) {        /* cmpxchg r/m, r */
        uint64_t cur = in.opsize == 8 ? old : (old >> (off * 8)) & 0xffffffffu;
        uint64_t want = in.opsize == 8 ? regs->rax : (uint32_t)regs->rax;
        zf = cur == want;
        nv = zf ? merge(old, src, off, in.opsize) : old;
        if (!zf)
            regs->rax = in.opsize == 8 ? cur : (uint32_t)cur;
    } else if (!in.twobyte && (in.op == 0x80 || in.op == 0x81 || in.op == 0x83) &&
               ((in.reg & 7) == 1 || (in.reg & 7) == 4)) {
        /* or/and with an immediate: how Linux sets and clears single PTE bits */
        uint64_t mask = in.opsize == 8 ? ~0ull : (1ull << (in.opsize * 8)) - 1;
        uint64_t cur = (old >> (off * 8)) & mask, imm = (uint64_t)in.imm & mask;
        nv = merge(old, (in.reg & 7) == 1 ? cur | imm : cur & imm, off, in.opsize);
    } else if (in.twobyte && (in.op == 0xba || in.op == 0xab || in.op == 0xb3) ) {
        /* bts/btr with an immediate (/5, /6) or register bit number */
        unsigned int bit;
        bool set;
        if (in.op == 0xba) {
            if ((in.reg & 7) != 5 && (in.reg & 7) != 6)
                return false;
            set = (in.reg & 7) == 5;
            bit = (unsigned int)in.imm & (in.opsize * 8 - 1);
        } else {
            set = in.op == 0xab;
            bit = (unsigned int)src & (in.opsize * 8 - 1);
        }
        bit += off * 8;
        regs->rflags = (regs->rflags & ~1ul) | ((old >> bit) & 1); /* CF = the old bit */
        nv = set ? old | (1ull << bit) : old & ~(1ull << bit);
    } else {
        return false;
    }
    if (nv != old && pv_mod_entry(d->domid, table, index, nv, false))
        return false; /* an entry the guest may not have: its fault stands */
    if (!in.twobyte && in.op == 0x87)
        *gpr(regs, in.reg) = in.opsize == 8 ? old : (old >> (off * 8)) & 0xffffffffu;
    if (in.twobyte && in.op == 0xb1)
        regs->rflags = (regs->rflags & ~0x40ul) | (zf ? 0x40ul : 0);
    regs->rip += in.len;
    return true;
}
