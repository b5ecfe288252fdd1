/*
 * A non-canonical access through the stack segment is #SS(0) on hardware, any other
 * non-canonical access #GP(0). An emulated CPU (QEMU) raises #GP for both, so a guest's
 * #GP(0) is looked at again: the instruction at its %rip is decoded as far as its memory
 * operand, and if that operand is SS-based (base register %rsp or %rbp, or the stack an
 * instruction pushes to or pops from) and its address is not canonical, the guest gets
 * #SS(0) instead, as on hardware and as Xen's emulator gives it.
 */
#include <tern/domain.h>
#include <tern/types.h>
#include <asm/pv.h>
#include <asm/regs.h>
#include <asm/uaccess.h>

#define MAX_INSN 15

/* Bit n set: one-byte opcode n takes a ModRM byte (64-bit mode; VEX and EVEX apart). */
static const uint32_t modrm_1byte[8] = {
    0x0f0f0f0f, 0x0f0f0f0f, 0x00000000, 0x00000a0c, 0x0000ffff, 0x00000000, 0xff0f00f3, 0xc0c00000,
};

/* Bit n set: two-byte opcode 0f n takes a ModRM byte (0f 38 and 0f 3a always do). */
static const uint32_t modrm_0f[8] = {
    0xffffa00f, 0x0000ff0f, 0xffffffff, 0xff7fffff, 0xffff0000, 0xfffff838, 0xffff00ff, 0xffffffff,
};

static bool bit(const uint32_t *map, uint8_t op)
{
    return map[op / 32] >> (op % 32) & 1;
}

static bool canonical(uint64_t a)
{
    return (int64_t)(a << 16) >> 16 == (int64_t)a;
}

static uint64_t reg_value(const struct cpu_user_regs *r, unsigned int n)
{
    const uint64_t v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
                             r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
    return v[n & 15];
}

/* The one-byte opcodes that push to or pop from the stack besides any ModRM operand. */
static bool stack_op_1byte(uint8_t op, uint8_t modrm_reg, bool has_modrm)
{
    if ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x9c || op == 0x9d ||
        op == 0xc2 || op == 0xc3 || op == 0xc8 || op == 0xc9 || op == 0xca || op == 0xcb ||
        op == 0xcf || op == 0xe8)
        return true;
    if (op == 0xff && has_modrm) /* call, call far, push r/m */
        return modrm_reg == 2 || modrm_reg == 3 || modrm_reg == 6;
    return op == 0x8f; /* pop r/m */
}

bool pv_gp_is_stack_fault(const struct cpu_user_regs *regs)
{
    uint8_t b[MAX_INSN];
    unsigned int n = 0, i = 0, rex = 0;
    bool addr32 = false, other_seg = false, has_modrm, stack_op = false, twobyte = false;
    uint8_t op;

    while (n < MAX_INSN && !copy_from_guest(&b[n], regs->rip + n, 1))
        n++;
    /* legacy prefixes; in 64-bit mode only FS and GS overrides change the segment */
    for (; i < n; i++) {
        if (b[i] == 0x67)
            addr32 = true;
        else if (b[i] == 0x64 || b[i] == 0x65)
            other_seg = true;
        else if (b[i] != 0x66 && b[i] != 0xf0 && b[i] != 0xf2 && b[i] != 0xf3 && b[i] != 0x2e &&
                 b[i] != 0x36 && b[i] != 0x3e && b[i] != 0x26)
            break;
    }
    if (i < n && (b[i] & 0xf0) == 0x40)
        rex = b[i++];
    if (i >= n)
        return false;
    op = b[i++];
    if (op == 0xc4 || op == 0xc5 || op == 0x62) {
        /* VEX (3 or 2 bytes) or EVEX (4), then the opcode and a ModRM; their R, X and B
         * are stored inverted in the first byte after the escape */
        unsigned int len = op == 0xc5 ? 1 : op == 0xc4 ? 2 : 3;
        if (i + len + 1 > n)
            return false;
        uint8_t p = (uint8_t)~b[i];
        rex = op == 0xc5 ? (p >> 7) << 2 : ((p >> 7) << 2) | ((p >> 6 & 1) << 1) | (p >> 5 & 1);
        i += len + 1;
        has_modrm = true;
    } else if (op == 0x0f) {
        if (i >= n)
            return false;
        op = b[i++];
        twobyte = true;
        if (op == 0x38 || op == 0x3a) {
            i++; /* the third opcode byte */
            has_modrm = true;
        } else {
            has_modrm = bit(modrm_0f, op);
        }
    } else {
        has_modrm = bit(modrm_1byte, op);
    }
    if (!twobyte && stack_op_1byte(op, has_modrm && i < n ? (b[i] >> 3) & 7 : 0, has_modrm))
        stack_op = true;
    if (twobyte && (op == 0xa0 || op == 0xa1 || op == 0xa8 || op == 0xa9))
        stack_op = true; /* push/pop fs, gs */
    /* the stack itself: the bytes below %rsp a push writes, or those a pop reads */
    if (stack_op && (!canonical(regs->rsp) || !canonical(regs->rsp - 8)))
        return true;
    if (!has_modrm || i >= n)
        return false;

    uint8_t modrm = b[i++], mod = modrm >> 6, rm = modrm & 7;
    int64_t disp = 0;
    uint64_t ea = 0;
    bool ss = false;

    if (mod == 3)
        return false; /* a register operand */
    if (rm == 4) {
        if (i >= n)
            return false;
        uint8_t sib = b[i++];
        unsigned int base = (sib & 7) | ((rex & 1) << 3), index = ((sib >> 3) & 7) | ((rex & 2) << 2);
        if (index != 4)
            ea += reg_value(regs, index) << (sib >> 6);
        if ((sib & 7) == 5 && mod == 0) {
            mod = 2; /* no base, a 32-bit displacement */
        } else {
            ea += reg_value(regs, base);
            ss = base == 4 || base == 5;
        }
    } else if (rm == 5 && mod == 0) {
        return false; /* %rip-relative: canonical whenever %rip is */
    } else {
        unsigned int base = rm | ((rex & 1) << 3);
        ea += reg_value(regs, base);
        ss = base == 4 || base == 5;
    }
    if (mod == 1 && i < n)
        disp = (int8_t)b[i];
    else if (mod == 2 && i + 4 <= n)
        disp = (int32_t)((uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
                         (uint32_t)b[i + 3] << 24);
    ea += (uint64_t)disp;
    if (addr32)
        ea &= 0xffffffffu;
    return ss && !other_seg && (!canonical(ea) || !canonical(ea + 7));
}
