/* Compile-only check: every guest ABI header builds alone and together; the _Static_asserts pin the layout. */
#include <public/xen.h>
#include <public/arch-x86/xen.h>
#include <public/callback.h>
#include <public/elfnote.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/features.h>
#include <public/grant_table.h>
#include <public/io/console.h>
#include <public/memory.h>
#include <public/physdev.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>

/* Spot checks of values guests and the hypervisor hard-wire. */
_Static_assert(FLAT_KERNEL_CS == 0xe033 && FLAT_KERNEL_SS == 0xe02b, "selectors");
_Static_assert(HYPERVISOR_VIRT_START == 0xFFFF800000000000UL, "hypervisor hole");
_Static_assert(EVTCHN_2L_NR_CHANNELS == 4096, "2-level event channels");
_Static_assert(sizeof(xen_extraversion_t) == 16 && sizeof(xen_capabilities_info_t) == 1024,
               "version strings");
_Static_assert(MEMOP_CMD_MASK == 0x3f, "memory_op command mask");

/* Keeps the translation unit non-empty for -pedantic. */
typedef int abi_check_unit;
