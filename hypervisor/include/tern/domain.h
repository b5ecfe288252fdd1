/* Domains and their virtual CPUs. */
#ifndef TERN_DOMAIN_H
#define TERN_DOMAIN_H

#include <tern/list.h>
#include <tern/spinlock.h>
#include <tern/timer.h>
#include <tern/types.h>
#include <asm/regs.h>
#include <public/xen.h>

#define MAX_VCPUS_PER_DOMAIN 8
#define DOMAIN_NAME_LEN 32
#define CONSOLE_LINE 256

enum vcpu_state { VCPU_OFFLINE, VCPU_RUNNABLE, VCPU_RUNNING, VCPU_BLOCKED };
#define POLL_NONE (-1)
#define POLL_ANY  (-2)

struct domain;
struct pv_shadow;

struct vcpu {
    unsigned int vcpu_id;
    struct domain *domain;
    enum vcpu_state state;
    int processor;                  /* CPU it runs on, or -1 */
    struct cpu_user_regs regs;      /* saved while not running */
    bool kernel_mode;               /* guest kernel (true) or guest user (false) */
    mfn_t guest_table;              /* kernel L4 */
    mfn_t guest_table_user;         /* user L4, 0 if none */
    uint64_t kernel_sp;             /* stack_switch: kernel stack for bounces */
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    struct trap_info traps[256];
    uint64_t event_callback, failsafe_callback, syscall_callback;
    bool syscall_mask_events;
    /* compat mode's syscall; sysenter (kept for the guest: the CPU's SYSENTER is not set up) */
    uint64_t syscall32_callback, sysenter_callback;
    bool syscall32_mask_events, sysenter_mask_events;
    struct vcpu_info *vcpu_info;    /* in shared_info (or registered) */
    /* scheduling */
    struct list_head runq;          /* on the runqueue while runnable */
    s_time_t run_start;             /* when it last went on a CPU */
    s_time_t runtime;               /* CPU time used, ns */
    uint64_t vruntime;              /* runtime scaled by weight: the fair-share key */
    s_time_t period_start, period_used; /* cap accounting */
    bool yielded;                   /* SCHEDOP_yield: switch if anyone else is runnable */
    struct timer singleshot;        /* VCPUOP_set_singleshot_timer / set_timer_op */
    struct timer poll_timer;        /* SCHEDOP_poll timeout: wakes, raises no event */
    int poll_port;                  /* SCHEDOP_poll: the one port polled, POLL_ANY or POLL_NONE */
    uint32_t virq_to_port[24];      /* NR_VIRQS */
    bool initialised;               /* has a context (VCPUOP_initialise or the builder) */
    bool in_multicall;              /* entries of a multicall do not preempt themselves */
    struct domain *foreign;         /* during a control domain's mmu_update for another
                                       domain: whose frames its entries may map */
    bool hcall_continued;           /* the hypercall asked to be issued again ... */
    uint64_t hcall_args[4];         /* ... with these arguments */
    unsigned int iopl;              /* PHYSDEVOP_set_iopl: virtual IOPL */
    uint64_t runstate_va;           /* VCPUOP_register_runstate_memory_area, 0 if none */
    uint64_t time_area_va;          /* VCPUOP_register_vcpu_time_memory_area, 0 if none */
    struct page_info *vcpu_info_page; /* VCPUOP_register_vcpu_info: held while registered */
    uint64_t debugreg[8];
    bool fpu_ts;                    /* virtual CR0.TS (fpu_taskswitch) */
    uint64_t guest_cr4;             /* what the guest reads back from CR4 */
    void *fpu_area;                 /* FXSAVE/XSAVE image, 64-byte aligned */
    /* descriptor tables (arch/x86/pv/descriptor.c); frames hold a seg_desc type ref */
    mfn_t gdt_frames[14];
    unsigned int gdt_ents;
    mfn_t ldt_frames[16];
    unsigned int ldt_ents;
    uint64_t ldt_base;
    uint16_t sel[4];                /* ds es fs gs while not running */
};

struct domain {
    uint16_t domid;
    char name[DOMAIN_NAME_LEN];
    bool is_privileged;
    spinlock_t lock;
    struct list_head link;          /* all domains */
    unsigned int max_vcpus;
    struct vcpu *vcpus[MAX_VCPUS_PER_DOMAIN];
    /* memory */
    uint64_t max_pages, tot_pages;
    struct list_head page_list;
    mfn_t *p2m;                     /* pfn -> mfn of the initial allocation */
    uint64_t p2m_size;
    struct shared_info *shared_info;
    unsigned long vm_assist;
    /* scheduling */
    unsigned int weight;            /* relative share, default 256 */
    unsigned int cap;               /* percent of one CPU, 0 = none */
    s_time_t created;               /* system time at creation */
    /* life cycle */
    bool is_shutting_down, is_dying;
    unsigned int shutdown_code;
    uint32_t suspend_online;        /* SHUTDOWN_suspend: the vCPUs that were up, for a resume */
    bool is_controlled;             /* made by the control domain: kept after shutdown until it
                                       destroys it (boot modules go at once) */
    unsigned int pause_count;       /* > 0: no vCPU of it runs (domctl pause, creation) */
    unsigned int refcnt;            /* domain_get references: teardown waits for them */
    uint8_t handle[16];             /* the toolstack's UUID for it */
    uint32_t pci_cf8;               /* hardware domain: its PCI conf1 address register */
    /* event channels */
    struct evtchn *evtchn;
    struct evtchn_fifo *fifo;       /* the FIFO ABI's state, NULL while 2-level */
    unsigned int max_evtchns;       /* the port table's size */
    unsigned int evtchn_free_hint;  /* no free port below it (under the event lock) */
    struct grant_table *grant_table; /* common/grant_table.c */
    struct pv_shadow *shadow;       /* log-dirty state (arch/x86/pv/shadow.c), NULL when off */
    /* console */
    char cons_buf[CONSOLE_LINE];
    unsigned int cons_len;
    paddr_t console_ring;           /* machine address of the PV console page */
    unsigned int console_port;      /* its event channel, bound to the hypervisor */
    bool console_kick;              /* the guest notified: drain the ring */
};

#define for_each_vcpu(d, v) \
    for (unsigned int _i = 0; _i < (d)->max_vcpus; _i++) \
        if (((v) = (d)->vcpus[_i]) != NULL)

extern struct list_head domain_list;
extern spinlock_t domain_list_lock;

struct domain *domain_create(uint16_t domid, const char *name, unsigned int nr_vcpus,
                             uint64_t max_pages, bool privileged);
/* For the control domain: no memory, vCPUs down, paused once. -EEXIST, -ENOMEM. */
int domain_create_controlled(uint16_t domid, const char *name, unsigned int nr_vcpus,
                             struct domain **out);
struct xen_domctl_getdomaininfo;
void domain_fill_info(struct domain *d, struct xen_domctl_getdomaininfo *info);
int domain_alloc_memory(struct domain *d, uint64_t nr_pages);
void domain_shutdown(struct domain *d, unsigned int reason);
/* XEN_DOMCTL_resumedomain: a domain shut down for suspend runs on (its vCPUs that were up
 * come back); -EINVAL when it is not suspended. */
int domain_resume(struct domain *d);
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void domain_kill(struct domain *d);
struct domain *domain_by_id(uint16_t domid);
/* domain_by_id with a reference that keeps it from being freed (not from dying); NULL if
 * there is no such live domain. Every domain_get needs a domain_put. */
struct domain *domain_get(uint16_t domid);
void domain_put(struct domain *d);
/* Synchronous: when it returns no vCPU of d is on a CPU. Not for the caller's own domain. */
void domain_pause(struct domain *d);
/* -EINVAL when not paused. */
int domain_unpause(struct domain *d);
/* Control-domain teardown: vCPUs stopped, resources released once none is on a CPU. */
void domain_destroy_by_control(struct domain *d);
unsigned int domain_count(void);
/* Around building the boot modules' domains, so exit_when_done waits for all of them. */
void domain_boot_begin(void);
void domain_boot_end(bool started_any);
uint16_t domain_next_free_id(void);

/* Guest console output, one prefixed line at a time. */
void domain_console_write(struct domain *d, const char *s, size_t n);
void domain_console_flush(struct domain *d);

#endif
