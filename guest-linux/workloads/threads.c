/* threads: one busy thread per usable CPU; records which CPUs each ran on (sched_getcpu). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

#define THREADS_MAX 256

struct threads_slot {
    pthread_t tid;
    pthread_barrier_t *start;
    uint64_t run_ns;
    cpu_set_t seen;
    int started;
};

static void *threads_body(void *arg)
{
    struct threads_slot *slot = arg;
    uint64_t end;
    volatile uint64_t sink = 0;

    pthread_barrier_wait(slot->start);
    end = work_now_ns() + slot->run_ns;
    do {
        int cpu = sched_getcpu();

        if (cpu >= 0 && cpu < CPU_SETSIZE)
            CPU_SET(cpu, &slot->seen);
        for (int i = 0; i < 10000; i++)
            sink += (uint64_t)i;
    } while (work_now_ns() < end);
    return NULL;
}

/* Formats a CPU set as "0,1,3" into buf. */
static const char *threads_fmt(const cpu_set_t *set, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && off + 8 < len; c++) {
        if (CPU_ISSET(c, set))
            off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
    }
    return off ? buf : "-";
}

static int threads_start(struct threads_slot *slots, int n, pthread_barrier_t *bar, uint64_t run_ns)
{
    for (int i = 0; i < n; i++) {
        int rc;

        memset(&slots[i], 0, sizeof(slots[i]));
        slots[i].start = bar;
        slots[i].run_ns = run_ns;
        rc = pthread_create(&slots[i].tid, NULL, threads_body, &slots[i]);
        if (rc != 0)
            return -rc;
        slots[i].started = 1;
    }
    return 0;
}

int threads_main(int argc, char **argv)
{
    static struct threads_slot slots[THREADS_MAX];
    uint64_t run_ns = 1000000000ull;
    pthread_barrier_t bar;
    cpu_set_t usable, all;
    char buf[1024];
    int n, rc, online;

    if (argc > 2 || (argc == 2 && work_parse_seconds(argv[1], &run_ns) != 0)) {
        fprintf(stderr, "usage: threads [SECONDS]\n");
        return 2;
    }
    if (sched_getaffinity(0, sizeof(usable), &usable) != 0) {
        printf("THREADS FAIL sched_getaffinity: %s\n", strerror(errno));
        return 1;
    }
    online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    n = CPU_COUNT(&usable);
    if (n < 1 || n > THREADS_MAX) {
        printf("THREADS FAIL cannot run %d threads\n", n);
        return 1;
    }
    /* The barrier counts the main thread too, so all threads start spinning together. */
    pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
    rc = threads_start(slots, n, &bar, run_ns);
    if (rc != 0) {
        printf("THREADS FAIL pthread_create: %s\n", strerror(-rc));
        return 1; /* the started threads wait on the barrier forever; exit ends them */
    }
    pthread_barrier_wait(&bar);
    CPU_ZERO(&all);
    for (int i = 0; i < n; i++) {
        pthread_join(slots[i].tid, NULL);
        CPU_OR(&all, &all, &slots[i].seen);
        printf("threads: thread %d ran on cpus %s\n", i,
               threads_fmt(&slots[i].seen, buf, sizeof(buf)));
    }
    pthread_barrier_destroy(&bar);
    rc = CPU_EQUAL(&all, &usable);
    printf("THREADS %s threads=%d cpus_online=%d cpus_seen=%s\n", rc ? "PASS" : "FAIL", n, online,
           threads_fmt(&all, buf, sizeof(buf)));
    return rc ? 0 : 1;
}
