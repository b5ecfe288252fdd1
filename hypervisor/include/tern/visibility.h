/* Included first in every hypervisor file: all symbols are hidden, so the compiler
 * addresses them RIP-relative instead of through a GOT (the image is not below 2 GiB). */
#pragma GCC visibility push(hidden)
