/* `tern console DOMAIN`: attach to a domain's console through its monitor. Ctrl-] (as
 * with xl) detaches; the domain keeps running. When input is not a terminal, its end
 * detaches too, once the output has been quiet for half a second (scripts feed a command,
 * wait for its answer in the log, and close). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"

#define DETACH 0x1d /* Ctrl-] */

static int connect_monitor(uint16_t domid)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    state_path(domid, "monitor.sock", a.sun_path, sizeof(a.sun_path));

    /* a just-created domain's monitor may not listen yet: try for up to 5 s */
    for (int i = 0; i < 50; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
            return fd;
        close(fd);
        nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
    }
    return -ENOENT;
}

static void relay(int sock)
{
    struct termios old, raw;
    int tty = isatty(0) && !tcgetattr(0, &old);
    char buf[4096];
    int in_open = 1;

    if (tty) {
        raw = old;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
    }
    for (;;) {
        struct pollfd p[2] = { { sock, POLLIN, 0 }, { 0, POLLIN, 0 } };
        int ready = poll(p, in_open ? 2 : 1, in_open || tty ? -1 : 500);
        if (ready < 0 && errno != EINTR)
            break;
        if (!ready)
            break; /* input ended and the output went quiet */
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(sock, buf, sizeof(buf));
            if (n <= 0 || write(1, buf, (size_t)n) < 0)
                break; /* the domain is gone */
        }
        if (in_open && p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0) {
                in_open = 0; /* no more input: show what output is still coming */
                continue;
            }
            char *d = memchr(buf, DETACH, (size_t)n);
            if (d)
                n = d - buf;
            if (n > 0 && write(sock, buf, (size_t)n) < 0)
                break;
            if (d)
                break;
        }
    }
    if (tty)
        tcsetattr(0, TCSANOW, &old);
}

int cmd_console(int argc, char **argv)
{
    uint16_t id;
    int sock;

    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: tern console DOMAIN\nAttach to the domain's console; Ctrl-] "
                        "detaches (the domain keeps running).\n");
        return argc == 2 ? CLI_OK : CLI_USAGE;
    }
    if (cli_domain_id(argv[1], &id)) {
        cli_err("console: no domain '%s'", argv[1]);
        return CLI_FAIL;
    }
    if (id == 0) {
        cli_err("console: domain 0's console is the host's serial line");
        return CLI_FAIL;
    }
    sock = connect_monitor(id);
    if (sock < 0) {
        cli_err("console: domain %u has no console monitor (not made by tern create?)", id);
        return CLI_FAIL;
    }
    if (isatty(0))
        fprintf(stderr, "[tern: console of domain %u; Ctrl-] detaches]\r\n", id);
    relay(sock);
    close(sock);
    return CLI_OK;
}
