/* The store's tree of nodes. */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct node *node_new(const char *name, size_t nlen)
{
    struct node *n = calloc(1, sizeof(*n));

    if (!n || !(n->name = strndup(name, nlen))) {
        free(n);
        return NULL;
    }
    return n;
}

static void node_free(struct node *n)
{
    for (uint32_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->perms);
    free(n->value);
    free(n->name);
    free(n);
}

static void own(struct tree *t, const struct node *n, int delta)
{
    if (n->nperms)
        t->owned[n->perms[0].domid] += (uint32_t)delta;
}

int tree_init(struct tree *t)
{
    static const struct xs_perm root_perm = { 0, 'n' };

    t->gen = 1;
    t->owned = calloc(65536, sizeof(*t->owned));
    t->root = node_new("", 0);
    if (!t->owned || !t->root || tree_set_perms(t, t->root, &root_perm, 1)) {
        tree_free(t);
        return -ENOMEM;
    }
    t->root->gen = t->gen;
    return 0;
}

void tree_free(struct tree *t)
{
    if (t->root)
        node_free(t->root);
    free(t->owned);
    t->root = NULL;
    t->owned = NULL;
}

static struct node *node_clone(const struct node *s, struct node *parent)
{
    struct node *n = node_new(s->name, strlen(s->name));

    if (!n)
        return NULL;
    n->parent = parent;
    n->gen = s->gen;
    n->len = s->len;
    n->nperms = s->nperms;
    n->value = s->len ? malloc(s->len) : NULL;
    n->perms = malloc(s->nperms * sizeof(*n->perms));
    n->kids = s->nkids ? malloc(s->nkids * sizeof(*n->kids)) : NULL;
    if ((s->len && !n->value) || !n->perms || (s->nkids && !n->kids)) {
        node_free(n);
        return NULL;
    }
    if (s->len)
        memcpy(n->value, s->value, s->len);
    memcpy(n->perms, s->perms, s->nperms * sizeof(*n->perms));
    n->cap = s->nkids;
    for (uint32_t i = 0; i < s->nkids; i++, n->nkids++)
        if (!(n->kids[i] = node_clone(s->kids[i], n))) {
            node_free(n);
            return NULL;
        }
    return n;
}

int tree_clone(struct tree *dst, const struct tree *src)
{
    dst->gen = src->gen;
    dst->owned = malloc(65536 * sizeof(*dst->owned));
    dst->root = node_clone(src->root, NULL);
    if (!dst->owned || !dst->root) {
        tree_free(dst);
        return -ENOMEM;
    }
    memcpy(dst->owned, src->owned, 65536 * sizeof(*dst->owned));
    return 0;
}

static struct node *child(const struct node *n, const char *name, size_t len)
{
    for (uint32_t i = 0; i < n->nkids; i++)
        if (!strncmp(n->kids[i]->name, name, len) && !n->kids[i]->name[len])
            return n->kids[i];
    return NULL;
}

/* Walks path from the root; *rest gets the part not found ("" when all was). */
static struct node *walk(const struct tree *t, const char *path, const char **rest)
{
    struct node *n = t->root;
    const char *p = path;

    while (*p == '/')
        p++;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct node *c = child(n, p, len);
        if (!c)
            break;
        n = c;
        p += len;
        while (*p == '/')
            p++;
    }
    *rest = p;
    return n;
}

struct node *tree_lookup(const struct tree *t, const char *path)
{
    const char *rest;
    struct node *n = walk(t, path, &rest);

    return *rest ? NULL : n;
}

struct node *tree_nearest(const struct tree *t, const char *path)
{
    const char *rest;

    return walk(t, path, &rest);
}

static int add_child(struct node *p, struct node *c)
{
    if (p->nkids == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 4;
        struct node **k = realloc(p->kids, cap * sizeof(*k));
        if (!k)
            return -ENOMEM;
        p->kids = k;
        p->cap = cap;
    }
    p->kids[p->nkids++] = c;
    c->parent = p;
    return 0;
}

int tree_create(struct tree *t, const char *path, uint16_t owner, bool keep_owner, struct node **out,
                unsigned int *created)
{
    const char *p;
    struct node *n = walk(t, path, &p);

    *created = 0;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct node *c = node_new(p, len);
        if (!c)
            return -ENOMEM;
        if (tree_set_perms(t, c, n->perms, n->nperms)) {
            node_free(c);
            return -ENOMEM;
        }
        if (add_child(n, c)) {
            own(t, c, -1);
            node_free(c);
            return -ENOMEM;
        }
        if (!keep_owner) {
            own(t, c, -1);
            c->perms[0].domid = owner;
            own(t, c, 1);
        }
        n->gen = c->gen = ++t->gen;
        n = c;
        (*created)++;
        p += len;
        while (*p == '/')
            p++;
    }
    *out = n;
    return 0;
}

int tree_set_value(struct tree *t, struct node *n, const void *val, uint32_t len)
{
    char *v = len ? malloc(len) : NULL;

    if (len && !v)
        return -ENOMEM;
    if (len)
        memcpy(v, val, len);
    free(n->value);
    n->value = v;
    n->len = len;
    n->gen = ++t->gen;
    return 0;
}

int tree_set_perms(struct tree *t, struct node *n, const struct xs_perm *p, uint32_t np)
{
    struct xs_perm *c = malloc(np * sizeof(*c));

    if (!c)
        return -ENOMEM;
    memcpy(c, p, np * sizeof(*c));
    own(t, n, -1);
    free(n->perms);
    n->perms = c;
    n->nperms = np;
    own(t, n, 1);
    n->gen = ++t->gen;
    return 0;
}

static void unown_all(struct tree *t, const struct node *n)
{
    own(t, n, -1);
    for (uint32_t i = 0; i < n->nkids; i++)
        unown_all(t, n->kids[i]);
}

void tree_remove(struct tree *t, struct node *n)
{
    struct node *p = n->parent;

    if (!p)
        return;
    for (uint32_t i = 0; i < p->nkids; i++)
        if (p->kids[i] == n) {
            memmove(&p->kids[i], &p->kids[i + 1], (--p->nkids - i) * sizeof(*p->kids));
            break;
        }
    p->gen = ++t->gen;
    unown_all(t, n);
    node_free(n);
}

unsigned int tree_count(const struct node *n)
{
    unsigned int c = 1;

    for (uint32_t i = 0; i < n->nkids; i++)
        c += tree_count(n->kids[i]);
    return c;
}
