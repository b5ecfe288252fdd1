/* Ending a run: power QEMU (or the machine) off with a status. */
#ifndef TERN_SHUTDOWN_H
#define TERN_SHUTDOWN_H

/* Values written to QEMU's isa-debug-exit; QEMU exits with (value << 1) | 1. */
#define EXIT_SUCCESS_STATUS 0 /* QEMU exit code 1 */
#define EXIT_FAILURE_STATUS 1 /* QEMU exit code 3 */

void __attribute__((noreturn)) machine_exit(int status);
void __attribute__((noreturn)) machine_halt_forever(void);
/* A platform reset (QEMU with -no-reboot exits instead). */
void __attribute__((noreturn)) machine_reboot(void);

#endif
