/* Long-lived helpers of the toolstack (a domain's monitor, a disk's backend) run detached
 * from the command that starts them: own session, no terminal, stdio on /dev/null. */
#ifndef TERN_SPAWN_H
#define TERN_SPAWN_H

/* Runs run(arg) in a grandchild and returns once it is started: 0 or -errno. The
 * grandchild exits with run's result. */
int spawn_detached(int (*run)(void *arg), void *arg);

#endif
