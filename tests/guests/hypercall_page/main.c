/* hypercall_page: the page named by XEN_ELFNOTE_HYPERCALL_PAGE is filled and its stubs work. */
#include "test.h"

const char test_title[] = "hypercalls through the hypercall page";

static const char text[] = "hypercall_page: console write through the page\n";

void test_main(void)
{
    struct xen_feature_info a = { .submap_idx = 0 }, b = { .submap_idx = 0 };
    long rc;

    if (hypercall_page[0] == 0xcc)
        test_failure_exit("hypercall page not filled (first byte still int3)");

    ASSERT_EQ(hypercall_page0(__HYPERVISOR_xen_version),
              hypercall_syscall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0));

    ASSERT_EQ(hypercall_page2(__HYPERVISOR_xen_version, XENVER_get_features, &a), 0);
    ASSERT_EQ(hypervisor_xen_version(XENVER_get_features, &b), 0);
    ASSERT_EQ(a.submap, b.submap);

    rc = hypercall_page3(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(text) - 1, text);
    ASSERT_CONSOLE_WRITE_OK(rc, sizeof(text) - 1);

    /* Stubs for numbers the hypervisor does not implement still return -ENOSYS. */
    ASSERT_EQ(hypercall_page0(100), -XEN_ENOSYS);
    ASSERT_EQ(hypercall_page0(11), -XEN_ENOSYS);
}
