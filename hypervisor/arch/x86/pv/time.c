/*
 * pvclock for guests: each vcpu_info carries (tsc_timestamp, system_time, mul, shift) so
 * the guest computes system time from its own rdtsc. They are the same for every vCPU
 * (the hypervisor's own origin and scale), so time is monotonic across vCPUs; written
 * under the version protocol (odd while being written).
 */
#include <tern/domain.h>
#include <tern/time.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/uaccess.h>
#include <tern/lib.h>
#include <public/vcpu.h>

void pv_update_time(struct vcpu *v)
{
    struct vcpu_time_info *t = &v->vcpu_info->time;
    uint64_t tsc0;
    uint32_t mul;
    int8_t shift;

    time_pvclock_params(&tsc0, &mul, &shift);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE); /* odd: being written */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = tsc0;
    t->system_time = 0;
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    /* one TSC rate on every CPU (invariant TSC; TCG uses the host's): guests may
     * read the clock in user space (the vDSO) */
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);
    if (v->time_area_va && copy_to_guest(v->time_area_va, t, sizeof(*t)))
        v->time_area_va = 0; /* unmapped: the guest registers again if it wants it */
}

/* What VCPUOP_get_runstate_info and the runstate area say: the vCPU's state now and how
 * long it has run (the other states' times are not kept). */
void pv_runstate(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    memset(r, 0, sizeof(*r));
    switch (v->state) {
    case VCPU_RUNNING: r->state = RUNSTATE_running; break;
    case VCPU_RUNNABLE: r->state = RUNSTATE_runnable; break;
    case VCPU_BLOCKED: r->state = RUNSTATE_blocked; break;
    default: r->state = RUNSTATE_offline; break;
    }
    r->state_entry_time = (uint64_t)NOW();
    r->time[RUNSTATE_running] = (uint64_t)v->runtime;
}

/* The runstate area the guest registered: how long this vCPU has run. */
void pv_update_runstate(struct vcpu *v)
{
    struct vcpu_runstate_info r;

    if (!v->runstate_va)
        return;
    pv_runstate(v, &r);
    r.state = RUNSTATE_running; /* written as it goes on a CPU */
    if (copy_to_guest(v->runstate_va, &r, sizeof(r)))
        v->runstate_va = 0; /* unmapped now: the guest re-registers if it cares */
}
