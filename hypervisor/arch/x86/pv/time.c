/*
 * pvclock for guests: each vcpu_info carries (tsc_timestamp, system_time, mul, shift) so
 * the guest computes system time from its own rdtsc. Updated whenever the vCPU is
 * loaded onto a CPU, under the version protocol (odd while being written).
 */
#include <tern/domain.h>
#include <tern/time.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/uaccess.h>
#include <tern/lib.h>
#include <public/vcpu.h>

static uint32_t pv_mul;
static int8_t pv_shift;

/* ns = ((tsc delta, shifted by tsc_shift) * mul) >> 32, with mul in [2^31, 2^32). */
static void compute_scale(void)
{
    uint64_t scale = (1000000000ull << 32) / (tsc_khz() * 1000);
    int shift = 0;

    while (scale >= (1ull << 32)) {
        scale >>= 1;
        shift++;
    }
    while (scale < (1ull << 31)) {
        scale <<= 1;
        shift--;
    }
    pv_mul = (uint32_t)scale;
    pv_shift = (int8_t)shift;
}

void pv_update_time(struct vcpu *v)
{
    struct vcpu_time_info *t = &v->vcpu_info->time;

    if (!pv_mul)
        compute_scale();
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE); /* odd: being written */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t tsc = rdtsc();
    t->tsc_timestamp = tsc;
    t->system_time = (uint64_t)NOW();
    t->tsc_to_system_mul = pv_mul;
    t->tsc_shift = pv_shift;
    /* one TSC rate on every CPU (invariant TSC; TCG uses the host's): guests may
     * read the clock in user space (the vDSO) */
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);
    if (v->time_area_va && copy_to_guest(v->time_area_va, t, sizeof(*t)))
        v->time_area_va = 0; /* unmapped: the guest registers again if it wants it */
}

/* The runstate area the guest registered: how long this vCPU has run. */
void pv_update_runstate(struct vcpu *v)
{
    struct vcpu_runstate_info r;

    if (!v->runstate_va)
        return;
    memset(&r, 0, sizeof(r));
    r.state = RUNSTATE_running;
    r.state_entry_time = (uint64_t)NOW();
    r.time[RUNSTATE_running] = (uint64_t)v->runtime;
    if (copy_to_guest(v->runstate_va, &r, sizeof(r)))
        v->runstate_va = 0; /* unmapped now: the guest re-registers if it cares */
}
