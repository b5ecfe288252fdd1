/*
 * Guest FPU/SSE/AVX state, switched eagerly with each vCPU (XSAVE when the CPU has it,
 * else FXSAVE), the virtual CR0.TS of fpu_taskswitch, and the debug registers.
 * The hypervisor itself never touches the FPU (it is built with general registers only).
 */
#include <tern/cpufeature.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/uaccess.h>

#define XSTATE_GUEST (0x7ull) /* x87, SSE, AVX: what guests may use */

static size_t area_size = 512;
static uint64_t xcr0;

static void xsetbv(uint32_t reg, uint64_t val)
{
    asm volatile("xsetbv" ::"c"(reg), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

/* Per CPU: let the CPU run SSE (and AVX with XSAVE) in guest mode. */
void pv_fpu_cpu_init(void)
{
    unsigned long cr4 = read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

    if (boot_cpu.xsave) {
        write_cr4(cr4 | X86_CR4_OSXSAVE);
        xcr0 = boot_cpu.xcr0_supported & XSTATE_GUEST;
        xsetbv(0, xcr0);
        uint32_t a, b, c, d;
        cpuid_count(0xd, 0, &a, &b, &c, &d);
        area_size = b; /* size for the features enabled in XCR0 */
    } else {
        write_cr4(cr4);
    }
    write_cr0(read_cr0() | X86_CR0_MP | X86_CR0_NE);
}

uint64_t pv_guest_xcr0(void)
{
    return boot_cpu.xsave ? xcr0 : 0x3;
}

uint32_t pv_guest_xsave_size(void)
{
    return (uint32_t)area_size;
}

int pv_fpu_vcpu_init(struct vcpu *v)
{
    uint8_t *a = xzalloc_aligned(area_size < 576 ? 576 : area_size, 64);

    if (!a)
        return -ENOMEM;
    /* the power-on state: x87 control word 0x37f, MXCSR 0x1f80; XSAVE header all clear */
    a[0] = 0x7f;
    a[1] = 0x03;
    a[24] = 0x80;
    a[25] = 0x1f;
    v->fpu_area = a;
    return 0;
}

/* A saved FXSAVE image (a vCPU context's fpu_ctxt) as the vCPU's x87/SSE state; with
 * XSAVE, the header says those two components are in the image. Wider state starts clear. */
void pv_fpu_set_legacy(struct vcpu *v, const uint8_t img[512])
{
    memcpy(v->fpu_area, img, 512);
    if (boot_cpu.xsave) {
        memset((uint8_t *)v->fpu_area + 512, 0, 64);
        ((uint8_t *)v->fpu_area)[512] = 3; /* XSTATE_BV: x87 and SSE */
    }
}

void pv_fpu_save(struct vcpu *v)
{
    asm volatile("clts");
    if (boot_cpu.xsave)
        asm volatile("xsave64 (%0)" ::"r"(v->fpu_area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                     : "memory");
    else
        asm volatile("fxsave64 (%0)" ::"r"(v->fpu_area) : "memory");
}

void pv_fpu_load(struct vcpu *v)
{
    asm volatile("clts");
    if (boot_cpu.xsave)
        asm volatile("xrstor64 (%0)" ::"r"(v->fpu_area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                     : "memory");
    else
        asm volatile("fxrstor64 (%0)" ::"r"(v->fpu_area) : "memory");
    if (v->fpu_ts)
        write_cr0(read_cr0() | X86_CR0_TS);
}

long do_fpu_taskswitch(unsigned long set)
{
    struct vcpu *v = current;

    v->fpu_ts = set != 0;
    if (set)
        write_cr0(read_cr0() | X86_CR0_TS);
    else
        asm volatile("clts");
    return 0;
}

/* #NM with the virtual TS set belongs to the guest, which then clears TS itself. */
bool pv_fpu_nm(struct vcpu *v)
{
    if (!v->fpu_ts)
        return false;
    v->fpu_ts = false;
    asm volatile("clts");
    return true;
}

static bool dr_addr_ok(uint64_t a)
{
    return guest_range_ok(a, 1) && guest_range_ok(a + 7, 1);
}

#define DR7_GD (1ull << 13)

long do_set_debugreg(unsigned long reg, uint64_t value)
{
    struct vcpu *v = current;

    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!dr_addr_ok(value))
            return -EPERM;
        break;
    case 6:
        value = (value & 0xe00f) | PV_DR6_DEFAULT; /* reserved bits read as ones */
        break;
    case 7:
        /* no general-detect (it would trap the hypervisor's own DR writes) and
         * no I/O breakpoints (RW = 10b); reserved bits must be clear */
        if (value & (DR7_GD | 0xffffffff0000d800ull))
            return -EPERM;
        for (unsigned int i = 0; i < 4; i++)
            if (((value >> (16 + 4 * i)) & 3) == 2)
                return -EPERM;
        value |= PV_DR7_DEFAULT;
        break;
    default:
        return -EINVAL;
    }
    v->debugreg[reg] = value;
    pv_debugreg_load(v);
    return 0;
}

long do_get_debugreg(unsigned long reg)
{
    if (reg > 7 || reg == 4 || reg == 5)
        return -EINVAL;
    return (long)current->debugreg[reg];
}

#define SET_DR(n, v) asm volatile("mov %0, %%db" #n ::"r"(v))

void pv_debugreg_load(struct vcpu *v)
{
    SET_DR(7, 0ul); /* off while the addresses change */
    SET_DR(0, v->debugreg[0]);
    SET_DR(1, v->debugreg[1]);
    SET_DR(2, v->debugreg[2]);
    SET_DR(3, v->debugreg[3]);
    SET_DR(7, v->debugreg[7] | PV_DR7_DEFAULT);
}

void pv_debugreg_off(void)
{
    SET_DR(7, PV_DR7_DEFAULT);
}

void pv_debugreg_hit(struct vcpu *v)
{
    uint64_t dr6;

    asm volatile("mov %%db6, %0" : "=r"(dr6));
    /* B0-B3, BD, BS, BT: sticky, as on hardware, until the guest writes DR6 */
    v->debugreg[6] |= dr6 & 0xe00f;
    asm volatile("mov %0, %%db6" ::"r"(PV_DR6_DEFAULT));
}
