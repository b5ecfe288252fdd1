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
#include <asm/uaccess.h>

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
        /* hide VMX, SMX, MONITOR, PCID, x2APIC, TSC-deadline; show "hypervisor" */
        res[2] &= ~((1u << 5) | (1u << 6) | (1u << 3) | (1u << 17) | (1u << 21) | (1u << 24));
        res[2] |= 1u << 31;
        res[1] = (res[1] & 0x00ffffffu) | ((uint32_t)v->vcpu_id << 24); /* APIC id */
        break;
    case 7:
        if (sub == 0)
            /* FSGSBASE, SMEP, SMAP, INVPCID: not virtualised */
            res[1] &= ~((1u << 0) | (1u << 7) | (1u << 20) | (1u << 10));
        break;
    case 0xd:
        if (sub == 1)
            res[0] &= ~(1u << 3); /* XSAVES is CPL0-only */
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
    case MSR_FS_BASE:
        *val = v->fs_base;
        return true;
    case MSR_GS_BASE:
        *val = v->gs_base_kernel;
        return true;
    case MSR_SHADOW_GS_BASE:
        *val = v->gs_base_user;
        return true;
    case MSR_EFER:
        *val = rdmsr(MSR_EFER) & (EFER_SCE | EFER_LME | EFER_NXE | (1u << 10));
        return true;
    case MSR_PAT:
        *val = rdmsr(MSR_PAT);
        return true;
    case 0x1b: /* APIC base: no APIC for PV guests */
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

bool pv_emulate_privileged(struct vcpu *v, struct cpu_user_regs *regs)
{
    uint8_t insn[2];
    uint64_t val;

    if (copy_from_guest(insn, regs->rip, sizeof(insn)) || insn[0] != 0x0f)
        return false;
    switch (insn[1]) {
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
