/*
 * Watches: a change to a node fires every watch on it or on an ancestor; removing a node
 * also fires the watches below it. A watcher must be able to read the node to hear of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

/* Is path equal to base or below it? */
static bool under(const char *path, const char *base)
{
    size_t n = strlen(base);

    if (!strcmp(base, "/"))
        return path[0] == '/';
    return !strncmp(path, base, n) && (path[n] == 0 || path[n] == '/');
}

static bool may_see(const struct conn *c, const struct node *n)
{
    return n ? can_read(c, n) : c->privileged;
}

static void fire_one(struct xsd *x, struct conn *c, const struct watch *w, const char *path)
{
    char rel[XENSTORE_ABS_PATH_MAX + 1];
    const char *shown = path;

    if (w->relative) {
        int n = snprintf(rel, sizeof(rel), "/local/domain/%u/", c->domid);
        if (!strncmp(path, rel, (size_t)n))
            shown = path + n;
    }
    conn_event(x, c, shown, w->token);
}

void watch_fire(struct xsd *x, const char *path, const struct node *node, bool recurse)
{
    for (struct conn *c = x->conns; c; c = c->next) {
        if (c->broken)
            continue;
        for (struct watch *w = c->watches; w; w = w->next) {
            if (path[0] == '@') {
                if (!strcmp(w->path, path) && c->privileged)
                    fire_one(x, c, w, path);
            } else if (under(path, w->path)) {
                if (may_see(c, node))
                    fire_one(x, c, w, path);
            } else if (recurse && under(w->path, path)) {
                if (may_see(c, node))
                    fire_one(x, c, w, w->path);
            }
        }
    }
}

int watch_add(struct xsd *x, struct conn *c, const char *path, const char *token, bool relative)
{
    struct watch *w;

    (void)x;
    for (w = c->watches; w; w = w->next)
        if (!strcmp(w->path, path) && !strcmp(w->token, token))
            return -EEXIST;
    if (!c->privileged && c->nwatches >= QUOTA_WATCHES)
        return -E2BIG;
    w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
        if (w)
            free(w->path);
        free(w);
        return -ENOMEM;
    }
    w->relative = relative;
    w->next = c->watches;
    c->watches = w;
    c->nwatches++;
    return 0;
}

static void watch_free(struct watch *w)
{
    free(w->path);
    free(w->token);
    free(w);
}

int watch_del(struct conn *c, const char *path, const char *token)
{
    for (struct watch **p = &c->watches; *p; p = &(*p)->next)
        if (!strcmp((*p)->path, path) && !strcmp((*p)->token, token)) {
            struct watch *w = *p;
            *p = w->next;
            watch_free(w);
            c->nwatches--;
            return 0;
        }
    return -ENOENT;
}

void watch_free_all(struct conn *c)
{
    while (c->watches) {
        struct watch *w = c->watches;
        c->watches = w->next;
        watch_free(w);
    }
    c->nwatches = 0;
}
