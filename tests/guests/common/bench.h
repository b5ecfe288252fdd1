/* Benchmark guests: arguments from the command line and one machine-readable line per figure. */
#ifndef GUEST_BENCH_H
#define GUEST_BENCH_H

#include "pv.h"

/* The value of `name=N` on the guest command line, or def. */
uint64_t bench_arg(const char *name, uint64_t def);
/* Prints `BENCH <name> <value> <unit>` with three decimals. */
void bench_report(const char *name, uint64_t value_milli, const char *unit);

#endif
