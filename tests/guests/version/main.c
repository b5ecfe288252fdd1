/* version: every xen_version sub-op a PV kernel uses, with exact-size and zero-padding checks. */
#include "test.h"

const char test_title[] = "xen_version sub-ops";

#define CANARY 0xa5

/* A result buffer followed by guard bytes the hypervisor must not touch. */
struct guarded {
    char buf[1024];
    uint8_t guard[64];
};
static struct guarded out;

static void fill(void)
{
    memset(&out, CANARY, sizeof(out));
}

static bool guard_intact(size_t from)
{
    const uint8_t *p = (const uint8_t *)&out;

    for (size_t i = from; i < sizeof(out); i++)
        if (p[i] != CANARY)
            return false;
    return true;
}

/* A string result: NUL inside size, printable before it, zeros after it. */
static void check_string(const char *what, size_t size)
{
    size_t len = strnlen(out.buf, size);

    if (len == size) {
        test_fail("%s: no NUL within %zu bytes", what, size);
        return;
    }
    for (size_t i = 0; i < len; i++)
        if (out.buf[i] < 0x20 || out.buf[i] > 0x7e) {
            test_fail("%s: byte %zu is %#x, not printable", what, i, (uint8_t)out.buf[i]);
            return;
        }
    for (size_t i = len; i < size; i++)
        if (out.buf[i]) {
            test_fail("%s: not zero-padded (byte %zu is %#x)", what, i, (uint8_t)out.buf[i]);
            break;
        }
    if (!guard_intact(size))
        test_fail("%s: wrote past its %zu bytes", what, size);
    guest_printf("%s: \"%s\"\n", what, out.buf);
}

static void test_strings(void)
{
    long rc;

    fill();
    rc = hypervisor_xen_version(XENVER_extraversion, out.buf);
    ASSERT_EQ(rc, 0);
    check_string("extraversion", sizeof(xen_extraversion_t));

    fill();
    rc = hypervisor_xen_version(XENVER_capabilities, out.buf);
    ASSERT_EQ(rc, 0);
    check_string("capabilities", sizeof(xen_capabilities_info_t));
    if (!strstr(out.buf, "xen-3.0-x86_64"))
        test_fail("capabilities lack xen-3.0-x86_64");

    fill();
    rc = hypervisor_xen_version(XENVER_changeset, out.buf);
    ASSERT_EQ(rc, 0);
    check_string("changeset", sizeof(xen_changeset_info_t));

    /* Privileged in Xen: a domU may be refused, but never get garbage. */
    fill();
    rc = hypervisor_xen_version(XENVER_commandline, out.buf);
    if (rc == -XEN_EPERM)
        guest_printf("commandline: refused (-EPERM)\n");
    else if (rc == 0)
        check_string("commandline", sizeof(xen_commandline_t));
    else
        test_fail("commandline: rc %ld", rc);
}

static void test_features(void)
{
    struct xen_feature_info fi = { .submap_idx = 0, .submap = 0xdeadbeef };
    long rc = hypervisor_xen_version(XENVER_get_features, &fi);

    ASSERT_EQ(rc, 0);
    ASSERT_EQ(fi.submap_idx, 0);
    guest_printf("features[0] = %#x\n", fi.submap);
    if (!(fi.submap & (1u << XENFEAT_mmu_pt_update_preserve_ad)))
        test_fail("XENFEAT_mmu_pt_update_preserve_ad missing (Linux panics)");
    if (!(fi.submap & (1u << XENFEAT_gnttab_map_avail_bits)))
        test_fail("XENFEAT_gnttab_map_avail_bits missing (Linux panics)");
    if (fi.submap & (1u << XENFEAT_auto_translated_physmap))
        test_fail("XENFEAT_auto_translated_physmap set for a PV guest");
    if (fi.submap & (1u << XENFEAT_supervisor_mode_kernel))
        test_fail("XENFEAT_supervisor_mode_kernel set");
    if (fi.submap & (1u << XENFEAT_hvm_callback_vector))
        test_fail("XENFEAT_hvm_callback_vector set for a PV guest");

    fi = (struct xen_feature_info){ .submap_idx = XENFEAT_NR_SUBMAPS };
    rc = hypervisor_xen_version(XENVER_get_features, &fi);
    ASSERT_EQ(rc, -XEN_EINVAL);
}

void test_main(void)
{
    struct xen_platform_parameters pp = { .virt_start = 0 };
    long rc;

    rc = hypervisor_xen_version(XENVER_version, NULL);
    guest_printf("version %ld.%ld\n", rc >> 16, rc & 0xffff);
    if (rc < 0 || (rc >> 16) < 3)
        test_fail("XENVER_version returned %#lx", rc);

    test_strings();
    test_features();

    rc = hypervisor_xen_version(XENVER_platform_parameters, &pp);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(pp.virt_start, HYPERVISOR_VIRT_START);

    ASSERT_EQ(hypervisor_xen_version(XENVER_pagesize, NULL), 4096);

    fill();
    rc = hypervisor_xen_version(XENVER_guest_handle, out.buf);
    ASSERT_EQ(rc, 0);
    if (!guard_intact(sizeof(xen_domain_handle_t)))
        test_fail("guest_handle wrote more than 16 bytes");

    ASSERT_EQ(hypervisor_xen_version(0x7fff, NULL), -XEN_ENOSYS);
}
