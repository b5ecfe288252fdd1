/* The toolstack's own records of its domains: one small directory per domain id. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

const char *state_run_dir(void)
{
    const char *d = getenv("TERN_RUN_DIR");
    return d && *d ? d : "/run/tern";
}

const char *state_log_dir(void)
{
    const char *d = getenv("TERN_LOG_DIR");
    return d && *d ? d : "/var/log/tern";
}

void state_path(uint16_t domid, const char *leaf, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%u%s%s", state_run_dir(), domid, leaf ? "/" : "", leaf ? leaf : "");
}

int state_save(uint16_t domid, const struct domain_state *s)
{
    char dir[512], path[600], tmp[620];
    FILE *f;

    mkdir(state_run_dir(), 0700);
    state_path(domid, NULL, dir, sizeof(dir));
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "name=%s\nconfig=%s\nconsole_mfn=%llu\nconsole_port=%u\n", s->name, s->config,
            (unsigned long long)s->console_mfn, s->console_port);
    if (fclose(f) || rename(tmp, path))
        return -errno;
    return 0;
}

int state_load(uint16_t domid, struct domain_state *s)
{
    char path[600], line[700];
    FILE *f;

    memset(s, 0, sizeof(*s));
    state_path(domid, "state", path, sizeof(path));
    f = fopen(path, "r");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "name=", 5))
            snprintf(s->name, sizeof(s->name), "%.63s", line + 5);
        else if (!strncmp(line, "config=", 7))
            snprintf(s->config, sizeof(s->config), "%.511s", line + 7);
        else if (!strncmp(line, "console_mfn=", 12))
            s->console_mfn = strtoull(line + 12, NULL, 10);
        else if (!strncmp(line, "console_port=", 13))
            s->console_port = (uint32_t)strtoul(line + 13, NULL, 10);
    }
    fclose(f);
    return s->name[0] ? 0 : -ENOENT;
}

void state_forget(uint16_t domid)
{
    char path[600];
    static const char *const leaves[] = { "state", "state.tmp", "monitor.sock", "monitor.pid" };

    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        state_path(domid, leaves[i], path, sizeof(path));
        unlink(path);
    }
    state_path(domid, NULL, path, sizeof(path));
    rmdir(path);
}

int state_find(const char *name, uint16_t *domid)
{
    DIR *d = opendir(state_run_dir());
    struct dirent *e;
    int rc = -ENOENT;

    if (!d)
        return -ENOENT;
    while ((e = readdir(d)) != NULL && rc) {
        char *end;
        unsigned long id = strtoul(e->d_name, &end, 10);
        struct domain_state s;
        if (*end || end == e->d_name || id > 0x7fef)
            continue;
        if (!state_load((uint16_t)id, &s) && !strcmp(s.name, name)) {
            *domid = (uint16_t)id;
            rc = 0;
        }
    }
    closedir(d);
    return rc;
}

void state_stop_monitor(uint16_t domid)
{
    char path[600];
    FILE *f;
    int pid = 0;

    state_path(domid, "monitor.pid", path, sizeof(path));
    f = fopen(path, "r");
    if (!f)
        return;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    if (pid <= 1 || kill(pid, SIGTERM))
        return;
    /* it unmaps the console page and removes its files, then exits: wait up to 5 s */
    for (int i = 0; i < 500 && !kill(pid, 0); i++)
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
}
