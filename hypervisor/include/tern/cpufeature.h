/* CPU features the hypervisor needs or will offer to guests. */
#ifndef TERN_CPUFEATURE_H
#define TERN_CPUFEATURE_H

#include <tern/types.h>

struct cpu_features {
    char vendor[13];
    char brand[49];
    uint32_t max_leaf, max_ext_leaf;
    uint32_t family, model, stepping;
    bool nx, xsave, osxsave_ok, avx, fsgsbase, smep, smap, pge, pse, pdpe1gb, x2apic,
        tsc_invariant, rdtscp, syscall, fxsr, sse2, pcid, invpcid, hypervisor, sep;
    uint64_t xcr0_supported;
    uint32_t xsave_size;
};

extern struct cpu_features boot_cpu;

void cpu_detect_features(struct cpu_features *f);
void cpu_print_features(const struct cpu_features *f);

#endif
