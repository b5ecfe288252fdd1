/* Ticket spinlocks: fair between CPUs, with IRQ-saving variants. */
#ifndef TERN_SPINLOCK_H
#define TERN_SPINLOCK_H

#include <tern/types.h>
#include <asm/processor.h>

typedef struct {
    uint16_t next;
    uint16_t owner;
} spinlock_t;

#ifdef TERN_HOST
static inline void smp_answer_call(void) {}
#else
/* Runs a cross-CPU call owed to this CPU (arch/x86/smp.c). A CPU spinning for a lock, maybe
 * with interrupts off, answers calls meanwhile: the caller of smp_call_function may hold the
 * very lock it waits for, and would wait for it forever. */
void smp_answer_call(void);
#endif

#define SPIN_LOCK_UNLOCKED { 0, 0 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPIN_LOCK_UNLOCKED

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        smp_answer_call();
        cpu_relax();
    }
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint16_t expect = owner;
    /* free only when next == owner; take it by bumping next */
    return __atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1), false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l)
{
    return __atomic_load_n(&l->next, __ATOMIC_RELAXED) != __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#define spin_lock_irqsave(l, f) do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

#endif
