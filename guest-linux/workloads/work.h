/* Shared declarations of the guest workload programs (one static multi-call binary). */
#ifndef TERN_WORK_H
#define TERN_WORK_H

#include <stdint.h>
#include <stddef.h>

/* Each applet: returns the process exit status (0 pass, 1 fail, 2 usage). */
int memtouch_main(int argc, char **argv);
int memguard_main(int argc, char **argv);
int clockcheck_main(int argc, char **argv);
int forkexec_main(int argc, char **argv);
int threads_main(int argc, char **argv);
int xs_main(int argc, char **argv);
int bench_main(int argc, char **argv);
int diskrate_main(int argc, char **argv);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t work_now_ns(void);
/* Nanoseconds on the given clock. */
uint64_t work_clock_ns(int clock_id);

/* Parses a decimal count in [min, max]; 0 or -EINVAL. */
int work_parse_count(const char *s, long min, long max, long *out);
/* Parses seconds ("2", "0.5") into nanoseconds, at most an hour; 0 or -EINVAL. */
int work_parse_seconds(const char *s, uint64_t *out_ns);
/*
 * Parses a memory size: "80%" (of MemAvailable), "64M", "1G", "4096K" or bytes.
 * 0 or -Exxx.
 */
int work_parse_size(const char *s, uint64_t *out_bytes);
/* Reads a "Key:   N kB" field of /proc/meminfo, in bytes; 0 or -Exxx. */
int work_meminfo(const char *key, uint64_t *out_bytes);

/* fork()s and execs argv[0] (a path) with argv; 0 when the child exited 0, else -Exxx or > 0. */
int work_spawn_wait(char *const argv[]);

/* Prints one machine-readable figure: "BENCH name value unit". */
void work_bench_line(const char *name, double value, const char *unit);

#endif
