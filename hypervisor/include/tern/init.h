/* Boot-time helpers: boot parameters and initcalls. */
#ifndef TERN_INIT_H
#define TERN_INIT_H

#include <tern/cmdline.h>

typedef int (*initcall_t)(void);
#define __initcall(fn) \
    static const initcall_t __initcall_##fn __attribute__((used, section(".initcall"))) = fn

void boot_params_parse(const char *cmdline);

#endif
