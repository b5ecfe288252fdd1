/* tern xs: look into and change the xenstore tree (the daemon's socket in dom0, the
 * kernel's /dev/xen/xenbus elsewhere). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xs/xs.h"
#include "cli.h"

static const char usage_text[] =
    "usage: tern xs read PATH...\n"
    "       tern xs write PATH VALUE [PATH VALUE...]\n"
    "       tern xs ls [-r] [PATH]        children (-r: the whole subtree with values)\n"
    "       tern xs mkdir PATH... | rm PATH...\n"
    "       tern xs perms PATH [PERM...]  show or set: PERM is n|r|w|b and a domain id,\n"
    "                                     the first one names the owner and everyone else\n"
    "       tern xs watch PATH [-n COUNT] [-t SECONDS]   print 'path token' per event\n"
    "Paths without a leading '/' are under the caller's /local/domain/ID.\n";

static int fail(const char *what, const char *path, int rc)
{
    cli_err("%s %s: %s", what, path, strerror(-rc));
    return CLI_FAIL;
}

static void print_value(const char *v, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        putchar(v[i] >= 32 && v[i] < 127 ? v[i] : '?');
}

static int list(struct xs *x, const char *path, bool recurse, int level)
{
    char *names, *val, child[3200];
    unsigned int n;
    uint32_t len;
    int rc = xs_directory(x, 0, path, &names, &n);

    if (rc)
        return level ? 0 : fail("ls", path, rc); /* removed meanwhile */
    const char *s = names;
    for (unsigned int i = 0; i < n; i++, s += strlen(s) + 1) {
        snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "", s);
        if (!recurse) {
            puts(s);
            continue;
        }
        printf("%*s%s", level * 2, "", s);
        if (!xs_read(x, 0, child, &val, &len)) {
            printf(" = \"");
            print_value(val, len);
            putchar('"');
            free(val);
        }
        putchar('\n');
        list(x, child, true, level + 1);
    }
    free(names);
    return CLI_OK;
}

static int perms(struct xs *x, int argc, char **argv)
{
    char *p;
    unsigned int n;
    int rc;

    if (argc > 1) {
        rc = xs_set_perms(x, 0, argv[0], (const char *const *)argv + 1, (unsigned int)argc - 1);
        return rc ? fail("perms", argv[0], rc) : CLI_OK;
    }
    if ((rc = xs_get_perms(x, 0, argv[0], &p, &n)))
        return fail("perms", argv[0], rc);
    for (const char *s = p; n--; s += strlen(s) + 1)
        printf("%s%s", s, n ? " " : "\n");
    free(p);
    return CLI_OK;
}

static int watch(struct xs *x, int argc, char **argv)
{
    long count = -1, secs = -1;
    int rc;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n"))
            count = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-t"))
            secs = strtol(argv[i + 1], NULL, 10);
    }
    if ((rc = xs_watch(x, argv[0], "tern")))
        return fail("watch", argv[0], rc);
    for (long seen = 0; count < 0 || seen < count; seen++) {
        char *path, *token;
        if ((rc = xs_read_watch(x, secs < 0 ? -1 : (int)secs * 1000, &path, &token))) {
            if (rc == -ETIMEDOUT)
                return seen ? CLI_OK : (cli_err("watch %s: no event in %ld s", argv[0], secs), CLI_FAIL);
            return fail("watch", argv[0], rc);
        }
        printf("%s %s\n", path, token);
        fflush(stdout);
        free(path);
    }
    return CLI_OK;
}

static int run(struct xs *x, int argc, char **argv)
{
    const char *op = argv[0];
    char *val;
    uint32_t len;
    int rc;

    if (!strcmp(op, "ls")) {
        bool r = argc > 1 && !strcmp(argv[1], "-r");
        return list(x, argc > 1 + r ? argv[1 + r] : "/", r, 0);
    }
    if (argc < 2)
        return -1;
    if (!strcmp(op, "perms"))
        return perms(x, argc - 1, argv + 1);
    if (!strcmp(op, "watch"))
        return watch(x, argc - 1, argv + 1);
    if (!strcmp(op, "write")) {
        if (argc % 2 == 0)
            return -1;
        for (int i = 1; i < argc; i += 2)
            if ((rc = xs_write_str(x, 0, argv[i], argv[i + 1])))
                return fail("write", argv[i], rc);
        return CLI_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(op, "read")) {
            if ((rc = xs_read(x, 0, argv[i], &val, &len)))
                return fail("read", argv[i], rc);
            print_value(val, len);
            putchar('\n');
            free(val);
        } else if (!strcmp(op, "mkdir") || !strcmp(op, "rm")) {
            rc = op[0] == 'm' ? xs_mkdir(x, 0, argv[i]) : xs_rm(x, 0, argv[i]);
            if (rc)
                return fail(op, argv[i], rc);
        } else {
            return -1;
        }
    }
    return CLI_OK;
}

int cmd_xs(int argc, char **argv)
{
    struct xs x;
    int rc;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if ((rc = xs_open(&x))) {
        cli_err("cannot reach xenstored: %s (is tern-xenstored running?)", strerror(-rc));
        return CLI_FAIL;
    }
    rc = run(&x, argc - 1, argv + 1);
    xs_close(&x);
    if (rc < 0) {
        fputs(usage_text, stderr);
        return CLI_USAGE;
    }
    return rc;
}
