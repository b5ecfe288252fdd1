/*
 * Privileged-instruction emulation for PV kernels (which run at CPL 3), and the CPUID
 * policy they see. Only what guests need is emulated; anything else is a #GP or #UD
 * delivered to the guest.
 */
#include <tern/domain.h>
#include <tern/lib.h>
#include <tern/time.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_emul.h>
#include <asm/pv_iomem.h>
#include <asm/pv_mm.h>
#include <asm/uaccess.h>
#include <asm/pv_hypercall.h>
#include <asm/page.h>

#define XEN_CPUID_BASE 0x40000000

void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t res[4])
{
    if (leaf >= XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x100) {
        memset(res, 0, 16);
        switch (leaf - XEN_CPUID_BASE) {
        case 0: /* "XenVMMXenVMM", highest leaf */
            res[0] = XEN_CPUID_BASE + 2;
            memcpy(&res[1], "XenV", 4);
            memcpy(&res[2], "MMXe", 4);
            memcpy(&res[3], "nVMM", 4);
            break;
        case 1:
            res[0] = (4 << 16) | 17;
            break;
        case 2: /* hypercall pages, and their MSR */
            res[0] = 1;
            res[1] = XEN_CPUID_BASE;
            break;
        }
        return;
    }
    cpuid_count(leaf, sub, &res[0], &res[1], &res[2], &res[3]);
    switch (leaf) {
    case 1:
        /* hide PSE, PGE, MTRR, MCE, MCA, APIC-visible bits a PV kernel must not use */
        res[3] &= ~((1u << 3) | (1u << 13) | (1u << 12) | (1u << 7) | (1u << 14) | (1u << 9));
        /* the hardware domain sees the APIC, as on Xen: Linux then reads the MADT for the
         * I/O APICs and routes GSIs through PHYSDEVOP (its local APIC is a dummy page) */
        if (v->domain->is_privileged)
            res[3] |= 1u << 9;
        /* hide VMX, SMX, MONITOR, PCID, x2APIC, TSC-deadline; show "hypervisor" */
        res[2] &= ~((1u << 5) | (1u << 6) | (1u << 3) | (1u << 17) | (1u << 21) | (1u << 24));
        res[2] |= 1u << 31;
        res[1] = (res[1] & 0x00ffffffu) | ((uint32_t)v->vcpu_id << 24); /* APIC id */
        break;
    case 7:
        if (sub == 0) {
            /* FSGSBASE (the guest turns it on in its CR4) and plain user-level extensions:
             * no SMEP, SMAP, INVPCID, MPX, AVX-512, PKU, UMIP, LA57, CET or AMX, which a
             * PV kernel cannot use */
            res[1] &= (1u << 0) | (1u << 3) | (1u << 5) | (1u << 8) | (1u << 9) | (1u << 18) | (1u << 19) |
                      (1u << 23) | (1u << 24) | (1u << 29); /* FSGSBASE BMI1 AVX2 BMI2 ERMS RDSEED ADX
                                                                CLFLUSHOPT CLWB SHA */
            res[2] &= (1u << 8) | (1u << 9) | (1u << 10); /* GFNI VAES VPCLMULQDQ */
            res[3] &= (1u << 4);                          /* FSRM */
        } else {
            res[0] = res[1] = res[2] = res[3] = 0;
        }
        break;
    case 0xd:
        if (sub == 0) {
            /* the state guests get: what XCR0 holds while they run */
            uint64_t xcr0 = pv_guest_xcr0();
            res[0] &= (uint32_t)xcr0;
            res[3] = 0;
            res[1] = res[2] = pv_guest_xsave_size();
        } else if (sub == 1) {
            res[0] &= (1u << 0) | (1u << 2); /* XSAVEOPT, XGETBV1; no XSAVEC/XSAVES */
            res[1] = res[2] = res[3] = 0;
        } else if (sub < 64 && !(pv_guest_xcr0() & (1ull << sub))) {
            res[0] = res[1] = res[2] = res[3] = 0;
        }
        break;
    case 0x80000001:
        res[3] &= ~(1u << 26); /* 1 GiB pages */
        break;
    }
}

bool pv_emulate_forced(struct vcpu *v, struct cpu_user_regs *regs)
{
    static const uint8_t sig[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    uint8_t insn[7];
    uint32_t res[4];

    if (copy_from_guest(insn, regs->rip, sizeof(insn)) || memcmp(insn, sig, sizeof(sig)))
        return false;
    pv_cpuid(v, (uint32_t)regs->rax, (uint32_t)regs->rcx, res);
    regs->rax = res[0];
    regs->rbx = res[1];
    regs->rcx = res[2];
    regs->rdx = res[3];
    regs->rip += sizeof(sig);
    return true;
}

static bool emulate_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    /* the CPU's, not the vCPU's copies: with FSGSBASE the guest changes them directly
     * (a kernel-mode rdmsr: GS is the kernel's, the shadow the user's) */
    case MSR_FS_BASE:
        *val = rdmsr(MSR_FS_BASE);
        return true;
    case MSR_GS_BASE:
        *val = rdmsr(MSR_GS_BASE);
        return true;
    case MSR_SHADOW_GS_BASE:
        *val = rdmsr(MSR_SHADOW_GS_BASE);
        return true;
    case MSR_EFER:
        *val = rdmsr(MSR_EFER) & (EFER_SCE | EFER_LME | EFER_NXE | (1u << 10));
        return true;
    case MSR_PAT:
        *val = PV_GUEST_PAT;
        return true;
    case 0x1b: /* APIC base: no APIC for PV guests */
    case 0x8b: /* microcode revision */
    case 0x1a0: /* MISC_ENABLE */
        *val = 0;
        return true;
    default:
        return false;
    }
}

static bool emulate_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
    bool canonical = (int64_t)(val << 16) >> 16 == (int64_t)val;

    switch (msr) {
    case MSR_FS_BASE:
        if (!canonical)
            return false;
        v->fs_base = val;
        wrmsr(MSR_FS_BASE, val);
        return true;
    case MSR_GS_BASE:
        if (!canonical)
            return false;
        v->gs_base_kernel = val;
        wrmsr(MSR_GS_BASE, val);
        return true;
    case MSR_SHADOW_GS_BASE:
        if (!canonical)
            return false;
        v->gs_base_user = val;
        wrmsr(MSR_SHADOW_GS_BASE, val);
        return true;
    default:
        return false;
    }
}

static uint64_t *gpr(struct cpu_user_regs *r, unsigned int n)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                          &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[n & 15];
}

#define GUEST_CR0 (X86_CR0_PE | X86_CR0_MP | (1ul << 4) | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_PG)

/* mov to/from CR0, CR2, CR3, CR4: 0f 20 /r and 0f 22 /r with a register operand. */
static bool emulate_mov_cr(struct vcpu *v, struct cpu_user_regs *regs, bool to_cr, uint8_t rex,
                           uint8_t modrm)
{
    unsigned int cr = ((modrm >> 3) & 7) | ((rex & 4) << 1), reg = (modrm & 7) | ((rex & 1) << 3);
    uint64_t *r = gpr(regs, reg);

    if ((modrm >> 6) != 3)
        return false;
    if (!to_cr) {
        switch (cr) {
        case 0: *r = GUEST_CR0 | (v->fpu_ts ? X86_CR0_TS : 0); return true;
        case 2: *r = v->vcpu_info->arch.cr2; return true;
        case 3: *r = (uint64_t)v->guest_table << PAGE_SHIFT; return true;
        case 4: *r = v->guest_cr4; return true;
        default: return false;
        }
    }
    switch (cr) {
    case 0:
        /* only TS means anything: the rest of CR0 is the hypervisor's */
        do_fpu_taskswitch(*r & X86_CR0_TS);
        return true;
    case 2:
        v->vcpu_info->arch.cr2 = *r;
        return true;
    case 4:
        /* a shadow: guests read back what they wrote; of the real one only FSGSBASE follows */
        v->guest_cr4 = *r;
        pv_cr4_load(v);
        return true;
    default:
        return false;
    }
}

/*
 * in/out for a guest kernel with virtual IOPL >= 1. No hardware is touched (reads are all
 * ones, writes dropped) except by the hardware domain: PCI configuration space mediated,
 * other ports but the hypervisor's own passed through.
 */
static bool emulate_port_io(struct vcpu *v, struct cpu_user_regs *regs, const uint8_t *b, size_t n)
{
    size_t i = 0;
    unsigned int size = 4;
    uint16_t port;
    bool in;
    uint8_t op;

    if (!v->kernel_mode || v->iopl < 1)
        return false;
    if (i < n && b[i] == 0x66) {
        size = 2;
        i++;
    }
    if (i >= n)
        return false;
    op = b[i++];
    switch (op) {
    case 0xe4: case 0xe5: case 0xec: case 0xed:
        in = true;
        break;
    case 0xe6: case 0xe7: case 0xee: case 0xef:
        in = false;
        break;
    default:
        return false;
    }
    if (op == 0xe4 || op == 0xec || op == 0xe6 || op == 0xee)
        size = 1;
    if (op <= 0xe7) {
        if (i >= n)
            return false;
        port = b[i++]; /* imm8 */
    } else {
        port = (uint16_t)regs->rdx;
    }
    uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
    bool conf = v->domain->is_privileged && pci_conf_port(port, size);
    bool hw = v->domain->is_privileged && !conf && ioport_hw_allowed(port, size);
    if (in) {
        uint64_t val = conf ? pci_conf_read(v->domain, port, size) & mask : hw ? ioport_hw_read(port, size) : mask;
        regs->rax = size == 4 ? val : (regs->rax & ~mask) | val;
    } else if (conf) {
        pci_conf_write(v->domain, port, size, (uint32_t)(regs->rax & mask));
    } else if (hw) {
        ioport_hw_write(port, size, (uint32_t)(regs->rax & mask));
    }
    regs->rip += i;
    return true;
}

bool pv_emulate_privileged(struct vcpu *v, struct cpu_user_regs *regs)
{
    uint8_t insn[4] = { 0 };
    uint64_t val;
    uint8_t rex = 0;
    size_t off = 0;

    if (copy_from_guest(insn, regs->rip, 2))
        return false;
    copy_from_guest(insn + 2, regs->rip + 2, 2); /* may be past a page end: then zeros */
    if (emulate_port_io(v, regs, insn, sizeof(insn)))
        return true;
    if ((insn[0] == 0xfa || insn[0] == 0xfb) && v->kernel_mode && v->iopl >= 1) {
        /* cli/sti with virtual IOPL: they mask and unmask event delivery, as on Xen */
        v->vcpu_info->evtchn_upcall_mask = insn[0] == 0xfa;
        regs->rip += 1;
        return true;
    }
    if ((insn[0] & 0xf0) == 0x40) {
        rex = insn[0];
        off = 1;
    }
    if (insn[off] != 0x0f)
        return false;
    if (insn[off + 1] == 0x20 || insn[off + 1] == 0x22) {
        if (!v->kernel_mode || !emulate_mov_cr(v, regs, insn[off + 1] == 0x22, rex, insn[off + 2]))
            return false;
        regs->rip += off + 3;
        return true;
    }
    if (off)
        return false;
    if (insn[1] == 0x01 && insn[2] == 0xd1) { /* xsetbv: XCR0 is ours; only its value is accepted */
        if (!v->kernel_mode || (uint32_t)regs->rcx != 0 ||
            ((regs->rdx << 32) | (uint32_t)regs->rax) != pv_guest_xcr0())
            return false;
        regs->rip += 3;
        return true;
    }
    if (insn[1] == 0x21 || insn[1] == 0x23) { /* mov from/to a debug register */
        unsigned int dr = (insn[2] >> 3) & 7, reg = insn[2] & 7;
        if ((insn[2] >> 6) != 3 || !v->kernel_mode)
            return false;
        if (insn[1] == 0x21) {
            long val = do_get_debugreg(dr);
            if (val < 0 && val >= -4095)
                return false;
            *gpr(regs, reg) = (uint64_t)val;
        } else if (do_set_debugreg(dr, *gpr(regs, reg))) {
            return false;
        }
        regs->rip += 3;
        return true;
    }
    switch (insn[1]) {
    case 0x09: /* wbinvd: nothing a domU may flush */
        break;
    case 0x32: /* rdmsr */
        if (!emulate_rdmsr(v, (uint32_t)regs->rcx, &val))
            return false;
        regs->rax = (uint32_t)val;
        regs->rdx = val >> 32;
        break;
    case 0x30: /* wrmsr */
        if (!emulate_wrmsr(v, (uint32_t)regs->rcx, (regs->rdx << 32) | (uint32_t)regs->rax))
            return false;
        break;
    default:
        return false;
    }
    regs->rip += 2;
    return true;
}
