/*
 * A guardian for a guest that a save or snapshot takes out of its normal running (log-dirty
 * mode, a suspend, a pause). Should the toolstack process die before it has put the guest
 * back (killed, out of memory, its terminal gone), a child in a session of its own, which
 * only reads a pipe from it, sees the pipe close early and puts the guest back: resumed in
 * place, unpaused, log-dirty off. The process tells it each step before taking it, so that
 * whatever the guardian undoes is harmless if the step never happened.
 */
#ifndef TERN_GUARD_H
#define TERN_GUARD_H

#include <stdint.h>
#include <sys/types.h>

enum guard_step {
    GUARD_LOGDIRTY = 'L',     /* log-dirty about to go on */
    GUARD_LOGDIRTY_OFF = 'l', /* ... and off again (or it never went on) */
    GUARD_SUSPEND = 'S',      /* a suspend request about to be made */
    GUARD_RESUMED = 'R',      /* ... the guest runs again (resumed, or it never suspended) */
    GUARD_PAUSE = 'P',        /* a pause about to be taken */
    GUARD_UNPAUSED = 'U',     /* ... and given back */
};

struct guard {
    int fd;
    pid_t pid;
};

/* Starts the guardian of domain domid; what names the work in its message ("snapshot").
 * Call before any thread is started. 0 or -errno (then g is inert). */
int guard_start(struct guard *g, uint16_t domid, const char *what);
void guard_step(struct guard *g, enum guard_step s);
/* The guest is back as it should be: the guardian ends without touching it. */
void guard_end(struct guard *g);
/* Fault injection for the tests: when $TERN_KILL_AT is point, the process kills itself
 * there (SIGKILL), as a kill from outside at that moment would. */
void guard_kill_point(const char *point);

#endif
