/* See spawn.h. Double fork: the helper is reparented to init, nothing waits for it here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

int spawn_detached(int (*run)(void *arg), void *arg)
{
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid > 0)
        return waitpid(pid, NULL, 0) < 0 ? -errno : 0;
    setsid();
    if (fork() != 0)
        _exit(0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    signal(SIGHUP, SIG_IGN);
    _exit(run(arg));
}
