/* The per-domain monitor: console back-end and life-cycle actions (monitor.c). */
#ifndef TERN_MONITOR_H
#define TERN_MONITOR_H

#include <stdint.h>

int monitor_run(uint16_t domid);
/* Forks a detached monitor for domid; 0 or -errno. */
int monitor_spawn(uint16_t domid);

#endif
