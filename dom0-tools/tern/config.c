/* Parsing guest configuration files: one setting per line, checked as it is read. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG (64 * 1024)

struct parser {
    const char *file;
    unsigned int line;
    char *err;
    size_t err_len;
};

static int bad(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    int n = p->line ? snprintf(p->err, p->err_len, "%s:%u: ", p->file, p->line) : 0;

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->err_len)
        vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A quoted string into out; *s moves past it. */
static int parse_string(struct parser *p, const char **s, char *out, size_t len)
{
    char q = **s;
    const char *start = *s + 1, *end = strchr(start, q);

    if (q != '"' && q != '\'')
        return bad(p, "expected a quoted string");
    if (!end)
        return bad(p, "string not closed with %c", q);
    if ((size_t)(end - start) >= len)
        return bad(p, "string longer than %zu characters", len - 1);
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = 0;
    *s = end + 1;
    return 0;
}

static int parse_uint(struct parser *p, const char **s, uint64_t max, uint64_t *out)
{
    char *end;

    if (!isdigit((unsigned char)**s))
        return bad(p, "expected a number");
    errno = 0;
    *out = strtoull(*s, &end, 10);
    if (errno || *out > max)
        return bad(p, "number out of range (at most %llu)", (unsigned long long)max);
    *s = end;
    return 0;
}

static int parse_action(struct parser *p, const char **s, enum config_action *a)
{
    char v[32];

    if (parse_string(p, s, v, sizeof(v)))
        return -1;
    if (!strcmp(v, "destroy"))
        *a = ACTION_DESTROY;
    else if (!strcmp(v, "restart"))
        *a = ACTION_RESTART;
    else if (!strcmp(v, "preserve"))
        *a = ACTION_PRESERVE;
    else
        return bad(p, "'%s' is not destroy, restart or preserve", v);
    return 0;
}

static bool valid_name(const char *n)
{
    if (!*n || !strcmp(n, "Domain-0"))
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && *n != '-' && *n != '_' && *n != '.')
            return false;
    return true;
}

static bool valid_mac(const char *m)
{
    unsigned int b[6];
    char end;

    if (strlen(m) != 17 || sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                  &b[5], &end) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (m[3 * i + 2] != (i == 5 ? 0 : ':'))
            return false;
    return !(b[0] & 1); /* a unicast address */
}

/* "key=value,key=value" of one vif entry. */
static int parse_vif(struct parser *p, const char *spec, struct vif_config *v)
{
    char buf[CONFIG_STR], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", spec);
    snprintf(v->bridge, sizeof(v->bridge), "br0");
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        while (*kv == ' ')
            kv++;
        char *eq = strchr(kv, '=');
        if (!eq)
            return bad(p, "vif: '%s' is not key=value", kv);
        *eq++ = 0;
        if (!strcmp(kv, "mac")) {
            if (!valid_mac(eq))
                return bad(p, "vif: '%s' is not a unicast MAC like 00:16:3e:01:02:03", eq);
            snprintf(v->mac, sizeof(v->mac), "%s", eq);
        } else if (!strcmp(kv, "bridge")) {
            if (!*eq || strlen(eq) >= sizeof(v->bridge) || strchr(eq, '/'))
                return bad(p, "vif: '%s' is not a bridge name", eq);
            snprintf(v->bridge, sizeof(v->bridge), "%s", eq);
        } else {
            return bad(p, "vif: unknown key '%s' (mac, bridge)", kv);
        }
    }
    return 0;
}

unsigned int config_vdev_devid(const char *vdev)
{
    unsigned int disk = 0, part = 0;
    const char *s = vdev + 3;

    if (strncmp(vdev, "xvd", 3) || !islower((unsigned char)*s))
        return 0;
    for (; islower((unsigned char)*s); s++) { /* bijective base 26: a=1 ... z=26, aa=27 */
        disk = disk * 26 + (unsigned int)(*s - 'a') + 1;
        if (disk > (1u << 20))
            return 0;
    }
    disk--; /* xvda is disk 0 */
    if (*s) {
        if (*s == '0')
            return 0;
        for (; isdigit((unsigned char)*s); s++)
            part = part * 10 + (unsigned int)(*s - '0');
        if (*s || part > 255)
            return 0;
    }
    if (disk < 16 && part < 16)
        return (202u << 8) | (disk << 4) | part;
    if (disk >= (1u << 20))
        return 0;
    return (1u << 28) | (disk << 8) | part;
}

/* "file:PATH,VDEV,MODE" or "phy:DEV,VDEV,MODE" (a bare PATH is file:). */
static int parse_disk(struct parser *p, const char *spec, struct disk_config *d)
{
    char buf[CONFIG_STR], *f[5], *save = NULL;
    int n = 0;

    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *t = strtok_r(buf, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        f[n++] = t;
    }
    if (n != 3 && n != 4)
        return bad(p, "disk: '%s' is not TARGET,VDEV,MODE[,backendtype=qdisk|phy] (file:/var/lib/tern/g.img,xvda,w)",
                   spec);
    d->phy = !strncmp(f[0], "phy:", 4);
    d->qdisk = n == 4 && !strcmp(f[3], "backendtype=qdisk");
    if (n == 4 && strcmp(f[3], "backendtype=phy") && (!d->qdisk || d->phy))
        return bad(p, "disk: '%s' is not backendtype=phy or backendtype=qdisk (qdisk only for files)", f[3]);
    const char *target = d->phy ? f[0] + 4 : !strncmp(f[0], "file:", 5) ? f[0] + 5 : f[0];
    if (target[0] != '/')
        return bad(p, "disk: '%s' is not an absolute path", target);
    snprintf(d->target, sizeof(d->target), "%s", target);
    if (strlen(f[1]) >= sizeof(d->vdev) || !(d->devid = config_vdev_devid(f[1])))
        return bad(p, "disk: '%s' is not a guest disk name like xvda or xvdb1", f[1]);
    snprintf(d->vdev, sizeof(d->vdev), "%s", f[1]);
    if (strcmp(f[2], "w") && strcmp(f[2], "r") && strcmp(f[2], "rw") && strcmp(f[2], "ro"))
        return bad(p, "disk: mode '%s' is not w or r", f[2]);
    d->writable = f[2][0] == 'w' || !strcmp(f[2], "rw");
    return 0;
}

/* [ 'a', "b" ]: each string through parse_vif (disks: parse_disk). */
static int parse_devices(struct parser *p, const char **s, struct domain_config *c, bool disks)
{
    char item[CONFIG_STR];
    unsigned int *count = disks ? &c->nr_disks : &c->nr_vifs, max = disks ? MAX_DISKS : MAX_VIFS;

    if (**s != '[')
        return bad(p, "expected a [ list ] of strings");
    *s = skip_space(*s + 1);
    *count = 0;
    while (**s != ']') {
        if (*count == max)
            return bad(p, "more than %u %s", max, disks ? "disks" : "vifs");
        if (parse_string(p, s, item, sizeof(item)) ||
            (disks ? parse_disk(p, item, &c->disk[*count]) : parse_vif(p, item, &c->vif[*count])))
            return -1;
        for (unsigned int i = 0; disks && i < *count; i++)
            if (c->disk[i].devid == c->disk[*count].devid)
                return bad(p, "disk: %s given twice", c->disk[i].vdev);
        (*count)++;
        *s = skip_space(*s);
        if (**s == ',')
            *s = skip_space(*s + 1);
        else if (**s != ']')
            return bad(p, "expected ',' or ']' in the list");
    }
    (*s)++;
    return 0;
}

static int setting(struct parser *p, const char *key, const char **s, struct domain_config *c)
{
    uint64_t v;

    if (!strcmp(key, "name")) {
        if (parse_string(p, s, c->name, sizeof(c->name)))
            return -1;
        if (!valid_name(c->name))
            return bad(p, "name '%s': use letters, digits, '-', '_' and '.'", c->name);
        return 0;
    }
    if (!strcmp(key, "memory")) {
        if (parse_uint(p, s, 1 << 20, &v))
            return -1;
        if (v < 4)
            return bad(p, "memory is in MiB and at least 4");
        c->memory_mib = v;
        return 0;
    }
    if (!strcmp(key, "vcpus") || !strcmp(key, "maxvcpus")) {
        if (parse_uint(p, s, 8, &v))
            return -1;
        if (!v)
            return bad(p, "vcpus must be 1 to 8");
        c->vcpus = (unsigned int)v;
        return 0;
    }
    if (!strcmp(key, "kernel"))
        return parse_string(p, s, c->kernel, sizeof(c->kernel));
    if (!strcmp(key, "ramdisk"))
        return parse_string(p, s, c->ramdisk, sizeof(c->ramdisk));
    if (!strcmp(key, "cmdline") || !strcmp(key, "extra"))
        return parse_string(p, s, c->cmdline, sizeof(c->cmdline));
    if (!strcmp(key, "on_poweroff"))
        return parse_action(p, s, &c->on_poweroff);
    if (!strcmp(key, "on_reboot"))
        return parse_action(p, s, &c->on_reboot);
    if (!strcmp(key, "on_crash"))
        return parse_action(p, s, &c->on_crash);
    if (!strcmp(key, "vif"))
        return parse_devices(p, s, c, false);
    if (!strcmp(key, "disk"))
        return parse_devices(p, s, c, true);
    return bad(p, "unknown setting '%s'", key);
}

int config_parse(const char *text, const char *file, struct domain_config *c, char *err,
                 size_t err_len)
{
    struct parser p = { file, 0, err, err_len };
    const char *line = text;

    memset(c, 0, sizeof(*c));
    c->memory_mib = 128;
    c->vcpus = 1;
    c->on_reboot = ACTION_RESTART;
    while (line && *line) {
        const char *next = strchr(line, '\n'), *s = skip_space(line);
        char key[32];
        size_t n = 0;
        p.line++;
        if (*s == '#' || *s == '\n' || *s == '\r' || !*s) {
            line = next ? next + 1 : NULL;
            continue;
        }
        while (isalnum((unsigned char)s[n]) || s[n] == '_')
            n++;
        if (!n || n >= sizeof(key))
            return bad(&p, "expected a setting name");
        memcpy(key, s, n);
        key[n] = 0;
        s = skip_space(s + n);
        if (*s != '=')
            return bad(&p, "expected '=' after '%s'", key);
        s = skip_space(s + 1);
        if (setting(&p, key, &s, c))
            return -1;
        s = skip_space(s);
        if (*s == ';')
            s = skip_space(s + 1);
        if (*s && *s != '\n' && *s != '\r' && *s != '#')
            return bad(&p, "unexpected text after the value of '%s'", key);
        line = next ? next + 1 : NULL;
    }
    p.line = 0;
    if (!c->name[0])
        return snprintf(err, err_len, "%s: no name = \"...\"", file), -1;
    for (unsigned int i = 0; i < c->nr_vifs; i++)
        if (!c->vif[i].mac[0])
            config_default_mac(c->name, i, c->vif[i].mac);
    if (!c->kernel[0])
        return snprintf(err, err_len, "%s: no kernel = \"...\"", file), -1;
    return 0;
}

void config_default_mac(const char *name, unsigned int index, char mac[18])
{
    /* Xen's OUI and three bytes of a hash of name and index: stable across restarts */
    uint32_t h = 2166136261u;

    for (const char *n = name; *n; n++)
        h = (h ^ (uint8_t)*n) * 16777619u;
    h = (h ^ index) * 16777619u;
    snprintf(mac, 18, "00:16:3e:%02x:%02x:%02x", (h >> 16) & 0x7f, (h >> 8) & 0xff, h & 0xff);
}

int config_parse_vif(const char *spec, struct vif_config *v, char *err, size_t err_len)
{
    struct parser p = { "vif", 0, err, err_len };

    memset(v, 0, sizeof(*v));
    return parse_vif(&p, spec, v);
}

int config_parse_disk(const char *spec, struct disk_config *d, char *err, size_t err_len)
{
    struct parser p = { "disk", 0, err, err_len };

    memset(d, 0, sizeof(*d));
    return parse_disk(&p, spec, d);
}

/* A relative path in the config is relative to the config's directory. */
static void resolve(const char *cfg, char *path, size_t len)
{
    const char *slash = strrchr(cfg, '/');
    char buf[CONFIG_STR * 2];

    if (!path[0] || path[0] == '/' || !slash)
        return;
    snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - cfg), cfg, path);
    if (strlen(buf) < len)
        strcpy(path, buf);
}

int config_load(const char *path, struct domain_config *c, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    char *text;
    size_t n;
    int rc;

    if (!f)
        return snprintf(err, err_len, "%s: %s", path, strerror(errno)), -1;
    text = malloc(MAX_CONFIG + 1);
    n = text ? fread(text, 1, MAX_CONFIG + 1, f) : 0;
    fclose(f);
    if (!text)
        return snprintf(err, err_len, "%s: out of memory", path), -1;
    if (n > MAX_CONFIG) {
        free(text);
        return snprintf(err, err_len, "%s: larger than %d bytes", path, MAX_CONFIG), -1;
    }
    text[n] = 0;
    rc = config_parse(text, path, c, err, err_len);
    free(text);
    if (!rc) {
        resolve(path, c->kernel, sizeof(c->kernel));
        resolve(path, c->ramdisk, sizeof(c->ramdisk));
    }
    return rc;
}

const char *config_action_name(enum config_action a)
{
    return a == ACTION_RESTART ? "restart" : a == ACTION_PRESERVE ? "preserve" : "destroy";
}
