/* hello: the smallest guest: write to the console and power off. */
#include "test.h"

const char test_title[] = "console write and clean shutdown";

void test_main(void)
{
    static const char msg[] = "Hello from a Tern PV guest\n";
    long rc = hypervisor_console_write(msg, sizeof(msg) - 1);

    ASSERT_CONSOLE_WRITE_OK(rc, sizeof(msg) - 1);
}
