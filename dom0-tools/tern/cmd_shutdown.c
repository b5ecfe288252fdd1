/* `tern shutdown|reboot DOMAIN [-w] [-t SECONDS]`: ask the guest, through xenstore's
 * control/shutdown (Linux's xenbus listens there), to power off or reboot. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/ctrl/ctrl.h"
#include "cli.h"
#include "xsdom.h"

static int usage(const char *cmd, FILE *f)
{
    fprintf(f, "usage: tern %s DOMAIN [-w] [-t SECONDS]\n"
               "Asks the guest to %s (it decides how; what happens next is its config's\n"
               "on_%s). -w waits until it has, for at most -t SECONDS (default 60);\n"
               "a guest that ignores the request is stopped with 'tern destroy'.\n",
            cmd, !strcmp(cmd, "reboot") ? "reboot" : "power off",
            !strcmp(cmd, "reboot") ? "reboot" : "poweroff");
    return f == stdout ? CLI_OK : CLI_USAGE;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Until the domain has shut down or is gone (a reboot ends this domain too). */
static int wait_down(uint16_t id, double secs)
{
    struct ctrl c;
    double end = now() + secs;
    int rc = ctrl_open(&c);

    if (rc)
        return rc;
    for (;;) {
        xen_domctl_getdomaininfo_t info;
        struct timespec tick = { 0, 100 * 1000 * 1000 };
        rc = ctrl_domain_info(&c, id, &info);
        if (rc == -ESRCH || (!rc && info.flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying))) {
            rc = 0;
            break;
        }
        if (rc || now() > end) {
            rc = rc ? rc : -ETIMEDOUT;
            break;
        }
        nanosleep(&tick, NULL); /* the hypervisor offers no wait for another domain's state */
    }
    ctrl_close(&c);
    return rc;
}

int cmd_shutdown(int argc, char **argv)
{
    const char *cmd = argv[0], *what = !strcmp(cmd, "reboot") ? "reboot" : "poweroff", *dom = NULL;
    bool wait = false;
    double secs = 60;
    uint16_t id;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-w"))
            wait = true;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(cmd, stdout);
        else if (!dom && argv[i][0] != '-')
            dom = argv[i];
        else
            return usage(cmd, stderr);
    }
    if (!dom)
        return usage(cmd, stderr);
    if (cli_domain_id(dom, &id)) {
        cli_err("%s: no domain '%s'", cmd, dom);
        return CLI_FAIL;
    }
    if (id == 0) {
        cli_err("%s: domain 0 is shut down from inside (poweroff, reboot)", cmd);
        return CLI_FAIL;
    }
    rc = xsdom_request_shutdown(id, what);
    if (rc == -EOPNOTSUPP)
        cli_err("%s: domain %u has not said it listens for requests (no control/feature-%s); "
                "asked all the same", cmd, id, what);
    else if (rc) {
        cli_err("%s: cannot ask domain %u through xenstore: %s", cmd, id, strerror(-rc));
        return CLI_FAIL;
    }
    if (!wait)
        return CLI_OK;
    rc = wait_down(id, secs);
    if (rc == -ETIMEDOUT)
        cli_err("%s: domain %u has not shut down after %.0f s; 'tern destroy %s' stops it", cmd, id,
                secs, dom);
    else if (rc)
        cli_err("%s: cannot follow domain %u: %s", cmd, id, strerror(-rc));
    return rc ? CLI_FAIL : CLI_OK;
}
