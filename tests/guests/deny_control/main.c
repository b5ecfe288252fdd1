/*
 * deny_control: an ordinary domain asks for every control-domain power: domctl, sysctl,
 * memory of another domain, foreign page-table updates, the machine memory map, and
 * console input. Each is refused with -EPERM, whatever the arguments look like.
 */
#include "pv.h"
#include <public/domctl.h>
#include <public/sysctl.h>

const char test_title[] = "control-domain operations are refused to an ordinary domain";

static struct xen_domctl dctl;
static struct xen_sysctl sctl;
static uint64_t frames[4];
static char buf[64];

static long domctl(void *op)
{
    return hypercall1(__HYPERVISOR_domctl, op);
}

static long sysctl(void *op)
{
    return hypercall1(__HYPERVISOR_sysctl, op);
}

void test_main(void)
{
    static const uint32_t dcmds[] = { XEN_DOMCTL_createdomain, XEN_DOMCTL_destroydomain,
                                      XEN_DOMCTL_pausedomain, XEN_DOMCTL_unpausedomain,
                                      XEN_DOMCTL_getdomaininfo, XEN_DOMCTL_max_mem,
                                      XEN_DOMCTL_setvcpucontext, XEN_DOMCTL_getvcpuinfo,
                                      XEN_DOMCTL_max_vcpus, XEN_DOMCTL_getpageframeinfo3, 9999 };
    unsigned int n = 0;

    for (unsigned int i = 0; i < ARRAY_SIZE(dcmds); i++)
        for (unsigned int dom = 0; dom < 3; dom++, n++) {
            dctl.cmd = dcmds[i];
            dctl.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
            dctl.domain = (domid_t)(dom == 2 ? pv_domid() : dom);
            ASSERT_RC(domctl(&dctl), -XEN_EPERM);
        }
    /* a bad pointer or version is still refused for privilege first */
    ASSERT_RC(domctl((void *)0x10), -XEN_EPERM);
    sctl.cmd = XEN_SYSCTL_getdomaininfolist;
    sctl.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    ASSERT_RC(sysctl(&sctl), -XEN_EPERM);
    sctl.cmd = XEN_SYSCTL_physinfo;
    ASSERT_RC(sysctl(&sctl), -XEN_EPERM);
    ASSERT_RC(sysctl((void *)0x10), -XEN_EPERM);
    n += 4;
    /* memory of domain 0 and of a made-up domain */
    for (domid_t dom = 0; dom < 5; dom += 4, n++) {
        struct xen_memory_reservation r = { .nr_extents = 1, .domid = dom };
        r.extent_start = frames;
        if (dom == pv_domid())
            continue;
        ASSERT_RC(hypervisor_memory_op(XENMEM_populate_physmap, &r), -XEN_EPERM);
        ASSERT_RC(hypervisor_memory_op(XENMEM_maximum_reservation, &dom), -XEN_EPERM);
    }
    /* the host's memory map and console input are the control domain's */
    struct xen_memory_map map = { .nr_entries = 1, .buffer = buf };
    ASSERT_RC(hypervisor_memory_op(XENMEM_machine_memory_map, &map), -XEN_EPERM);
    ASSERT_RC(hypervisor_console_io(CONSOLEIO_read, sizeof(buf), buf), -XEN_EPERM);
    n += 2;
    guest_printf("deny_control: %u control operations refused\n", n);
}
