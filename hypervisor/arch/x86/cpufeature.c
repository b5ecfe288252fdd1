/* CPUID probing: what the CPU can do, for the hypervisor and for the guest CPU policy. */
#include <tern/cpufeature.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <asm/processor.h>

struct cpu_features boot_cpu;

void cpu_detect_features(struct cpu_features *f)
{
    uint32_t a, b, c, d;

    memset(f, 0, sizeof(*f));
    cpuid(0, &a, &b, &c, &d);
    f->max_leaf = a;
    memcpy(f->vendor, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    cpuid(1, &a, &b, &c, &d);
    f->family = (a >> 8) & 0xf;
    if (f->family == 0xf)
        f->family += (a >> 20) & 0xff;
    f->model = ((a >> 4) & 0xf) | (((a >> 16) & 0xf) << 4);
    f->stepping = a & 0xf;
    f->pse = d & (1u << 3);
    f->sep = d & (1u << 11);
    f->pge = d & (1u << 13);
    f->fxsr = d & (1u << 24);
    f->sse2 = d & (1u << 26);
    f->pcid = c & (1u << 17);
    f->x2apic = c & (1u << 21);
    f->xsave = c & (1u << 26);
    f->avx = c & (1u << 28);
    f->hypervisor = c & (1u << 31);
    if (f->max_leaf >= 7) {
        cpuid_count(7, 0, &a, &b, &c, &d);
        f->fsgsbase = b & (1u << 0);
        f->smep = b & (1u << 7);
        f->invpcid = b & (1u << 10);
        f->smap = b & (1u << 20);
    }
    if (f->xsave && f->max_leaf >= 0xd) {
        cpuid_count(0xd, 0, &a, &b, &c, &d);
        f->xcr0_supported = ((uint64_t)d << 32) | a;
        f->xsave_size = c;
    }
    cpuid(0x80000000, &a, &b, &c, &d);
    f->max_ext_leaf = a;
    if (f->max_ext_leaf >= 0x80000001) {
        cpuid(0x80000001, &a, &b, &c, &d);
        f->nx = d & (1u << 20);
        f->syscall = d & (1u << 11);
        f->pdpe1gb = d & (1u << 26);
        f->rdtscp = d & (1u << 27);
    }
    if (f->max_ext_leaf >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, &a, &b, &c, &d);
            memcpy(f->brand + 16 * i, &a, 4);
            memcpy(f->brand + 16 * i + 4, &b, 4);
            memcpy(f->brand + 16 * i + 8, &c, 4);
            memcpy(f->brand + 16 * i + 12, &d, 4);
        }
    }
    if (f->max_ext_leaf >= 0x80000007) {
        cpuid(0x80000007, &a, &b, &c, &d);
        f->tsc_invariant = d & (1u << 8);
    }
}

void cpu_print_features(const struct cpu_features *f)
{
    pr_info("CPU: %s family %u model %u stepping %u: %s\n", f->vendor, f->family, f->model,
            f->stepping, f->brand[0] ? f->brand : "(no brand string)");
    pr_info("CPU features:%s%s%s%s%s%s%s%s%s%s%s%s\n", f->nx ? " nx" : "", f->syscall ? " syscall" : "",
            f->xsave ? " xsave" : "", f->avx ? " avx" : "", f->fsgsbase ? " fsgsbase" : "",
            f->smep ? " smep" : "", f->smap ? " smap" : "", f->pge ? " pge" : "",
            f->pdpe1gb ? " pdpe1gb" : "", f->x2apic ? " x2apic" : "", f->rdtscp ? " rdtscp" : "",
            f->tsc_invariant ? " invtsc" : "");
    if (f->xsave)
        pr_info("CPU: XSAVE features %#lx, area %u bytes\n", (unsigned long)f->xcr0_supported,
                f->xsave_size);
}
