/* Per-CPU areas: each CPU gets its own copy of the .percpu.data template. */
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/percpu.h>

extern char __per_cpu_start[], __per_cpu_end[];

int percpu_alloc(unsigned int cpu)
{
    size_t size = (size_t)(__per_cpu_end - __per_cpu_start);
    unsigned int order = 0;
    char *area;

    while ((PAGE_SIZE << order) < size)
        order++;
    area = alloc_xenheap_pages(order);
    if (!area)
        return -ENOMEM;
    memcpy(area, __per_cpu_start, size);
    __per_cpu_offset[cpu] = (unsigned long)(area - __per_cpu_start);
    return 0;
}
