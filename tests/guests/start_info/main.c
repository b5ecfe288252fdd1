/* start_info: the start-of-day layout the domain builder promises (xen.h, struct start_info). */
#include "test.h"

const char test_title[] = "start_info contents and initial mappings";

#define PAGE 4096ULL

/* A page of our own .bss whose mapping is replaced by the shared-info frame. */
static uint8_t shinfo_window[4096] __attribute__((aligned(4096)));

static uint64_t va_to_pfn(uint64_t va)
{
    return (va - GUEST_VIRT_BASE) / PAGE;
}

static void check_magic_and_sizes(const struct start_info *si)
{
    size_t cmdlen = strnlen(si->cmd_line, sizeof(si->cmd_line));

    if (strncmp(si->magic, "xen-3.0-x86_64", sizeof(si->magic)))
        test_fail("magic is \"%.32s\", expected \"xen-3.0-x86_64\"", si->magic);
    if (!si->nr_pages)
        test_fail("nr_pages is 0");
    if (cmdlen == sizeof(si->cmd_line))
        test_fail("cmd_line is not NUL-terminated");
    guest_printf("nr_pages %llu, flags %#x, cmd_line \"%.*s\"\n",
                 (unsigned long long)si->nr_pages, si->flags, (int)cmdlen, si->cmd_line);
}

/* Order from xen.h: image, p2m list, start_info, ..., page tables, stack. */
static void check_layout(const struct start_info *si)
{
    uint64_t si_va = (uint64_t)(uintptr_t)si;
    uint64_t image_end = (uint64_t)(uintptr_t)_end;
    uint64_t pt_end = si->pt_base + si->nr_pt_frames * PAGE;

    ASSERT_EQ(si_va % PAGE, 0);
    ASSERT_EQ(si->pt_base % PAGE, 0);
    ASSERT(si->mfn_list >= image_end);
    ASSERT(si->mfn_list + si->nr_pages * 8 <= si_va);
    ASSERT(si_va < si->pt_base);
    ASSERT(si->nr_pt_frames >= 4); /* at least L4, L3, L2, L1 */
    ASSERT(boot_entry_rsp > pt_end);
    if (va_to_pfn(boot_entry_rsp - 1) >= si->nr_pages)
        test_fail("entry stack %#llx lies beyond nr_pages", (unsigned long long)boot_entry_rsp);
    guest_printf("start_info %p, mfn_list %#llx, pt_base %#llx (%llu frames), entry rsp %#llx\n",
                 (const void *)si, (unsigned long long)si->mfn_list,
                 (unsigned long long)si->pt_base, (unsigned long long)si->nr_pt_frames,
                 (unsigned long long)boot_entry_rsp);
}

/* The bootstrap tables and the p2m must be readable through the initial mappings. */
static void check_readable(const struct start_info *si)
{
    const volatile uint64_t *l4 = (const volatile uint64_t *)(uintptr_t)si->pt_base;
    const volatile uint64_t *p2m = (const volatile uint64_t *)(uintptr_t)si->mfn_list;
    const volatile uint64_t *stack = (const volatile uint64_t *)(uintptr_t)(boot_entry_rsp - 8);
    uint64_t e511 = l4[511];

    if (!(e511 & GUEST_PTE_PRESENT))
        test_fail("L4[511] (maps the kernel window) not present: %#llx",
                  (unsigned long long)e511);
    for (uint64_t pfn = 0; pfn < si->nr_pages; pfn++)
        if (!p2m[pfn] || p2m[pfn] == ~0ULL) {
            test_fail("p2m[%llu] = %#llx", (unsigned long long)pfn,
                      (unsigned long long)p2m[pfn]);
            break;
        }
    (void)*stack;
    /* Writing to pt_base must fault (read-only): not tested until traps are wired. */
}

static void check_shared_info(const struct start_info *si)
{
    uint64_t va = (uint64_t)(uintptr_t)shinfo_window;
    uint64_t pte = si->shared_info | GUEST_PTE_PRESENT | GUEST_PTE_RW | GUEST_PTE_ACCESSED |
                   GUEST_PTE_DIRTY;
    const volatile struct shared_info *sh = (const volatile struct shared_info *)shinfo_window;
    long rc;

    if (!si->shared_info || si->shared_info % PAGE) {
        test_fail("shared_info address %#llx", (unsigned long long)si->shared_info);
        return;
    }
    rc = hypervisor_update_va_mapping(va, pte, UVMF_INVLPG);
    if (rc) {
        test_fail("update_va_mapping(shared_info) = %ld", rc);
        return;
    }
    /* Events are masked at entry. */
    ASSERT_EQ(sh->vcpu_info[0].evtchn_upcall_mask, 1);
    guest_printf("shared_info: vcpu0 upcall pending %u mask %u, wc %u.%09u\n",
                 sh->vcpu_info[0].evtchn_upcall_pending, sh->vcpu_info[0].evtchn_upcall_mask,
                 sh->wc_sec, sh->wc_nsec);
}

static void check_segments(void)
{
    uint16_t cs, ss;

    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    ASSERT_EQ(cs, FLAT_KERNEL_CS);
    ASSERT_EQ(ss, FLAT_KERNEL_SS);
}

void test_main(void)
{
    const struct start_info *si = start_info;

    check_magic_and_sizes(si);
    check_layout(si);
    check_readable(si);
    check_shared_info(si);
    check_segments();
}
