/* xs: a guest's view of xenstore through its kernel's /dev/xen/xenbus (what a domain may
 * read and write), for tests of permissions and of the store from inside a domU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dom0-tools/lib/xs/xs.h"
#include "work.h"

static int fail(const char *op, const char *path, int rc)
{
    printf("xs %s %s: error %s\n", op, path, strerror(-rc));
    return 1;
}

int xs_main(int argc, char **argv)
{
    struct xs x;
    char *v;
    uint32_t len;
    unsigned int n;
    int rc;

    if (argc < 3) {
        fprintf(stderr, "usage: xs read|write|rm|ls|perms PATH [VALUE|PERM...]\n");
        return 2;
    }
    if ((rc = xs_open(&x)))
        return fail("open", "/dev/xen/xenbus", rc);
    const char *op = argv[1], *path = argv[2];
    if (!strcmp(op, "read") && !(rc = xs_read(&x, 0, path, &v, &len))) {
        printf("%.*s\n", (int)len, v);
    } else if (!strcmp(op, "write")) {
        rc = argc > 3 ? xs_write_str(&x, 0, path, argv[3]) : -EINVAL;
    } else if (!strcmp(op, "rm")) {
        rc = xs_rm(&x, 0, path);
    } else if ((!strcmp(op, "ls") && !(rc = xs_directory(&x, 0, path, &v, &n))) ||
               (!strcmp(op, "perms") && argc == 3 && !(rc = xs_get_perms(&x, 0, path, &v, &n)))) {
        for (const char *s = v; n--; s += strlen(s) + 1)
            printf("%s%s", s, n ? " " : "\n");
    } else if (!strcmp(op, "perms")) {
        rc = xs_set_perms(&x, 0, path, (const char *const *)argv + 3, (unsigned int)argc - 3);
    } else if (strcmp(op, "read") && strcmp(op, "ls")) {
        rc = -EINVAL;
    }
    xs_close(&x);
    return rc ? fail(op, path, rc) : 0;
}
