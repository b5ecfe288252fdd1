/* forkexec: N rounds of fork, exec and wait; counts the rounds that did not exit 0. */
#include <inttypes.h>
#include <stdio.h>

#include "work.h"

int forkexec_main(int argc, char **argv)
{
    long n = 100, failures = 0;
    char *prog = "/bin/true";
    uint64_t t0, ns;
    int first_rc = 0;

    if (argc > 3 || (argc >= 2 && work_parse_count(argv[1], 1, 10000000, &n) != 0)) {
        fprintf(stderr, "usage: forkexec [N] [PROGRAM]\n");
        return 2;
    }
    if (argc == 3)
        prog = argv[2];
    t0 = work_now_ns();
    for (long i = 0; i < n; i++) {
        char *child_argv[] = {prog, NULL};
        int rc = work_spawn_wait(child_argv);

        if (rc != 0 && failures++ == 0)
            first_rc = rc;
    }
    ns = work_now_ns() - t0;
    printf("FORKEXEC %s n=%ld failures=%ld first_error=%d total_ms=%.1f per_us=%.1f\n",
           failures ? "FAIL" : "PASS", n, failures, first_rc, (double)ns / 1e6,
           (double)ns / 1e3 / (double)n);
    return failures ? 1 : 0;
}
