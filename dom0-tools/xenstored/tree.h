/*
 * The store's tree: nodes with a value, permissions and children, addressed by absolute
 * canonical paths ("/local/domain/1/name"). Pure data structure: no permission checks,
 * no watches (ops.c does those).
 */
#ifndef XSD_TREE_H
#define XSD_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One permission entry; the first names the owner and what everyone else may do. */
struct xs_perm {
    uint16_t domid;
    char kind; /* 'n' none, 'r' read, 'w' write, 'b' both */
};

struct node {
    char *name;                /* one path component; "" for the root */
    char *value;
    uint32_t len;
    struct xs_perm *perms;
    uint32_t nperms;
    uint64_t gen;              /* tree generation of its last change, or of a child's */
    struct node *parent;
    struct node **kids;
    uint32_t nkids, cap;
};

struct tree {
    struct node *root;
    uint64_t gen;              /* bumped by every change */
    uint32_t *owned;           /* nodes per owner domid (65536 counters) */
};

int tree_init(struct tree *t);
void tree_free(struct tree *t);
/* A deep copy, generations included (a transaction's private view). */
int tree_clone(struct tree *dst, const struct tree *src);

struct node *tree_lookup(const struct tree *t, const char *path);
/* The deepest existing node on path (the root at worst). */
struct node *tree_nearest(const struct tree *t, const char *path);
/* Creates path and its missing ancestors, each taking its parent's permissions with owner
 * set to owner (unless keep_owner): 0 or -ENOMEM. *created counts new nodes. */
int tree_create(struct tree *t, const char *path, uint16_t owner, bool keep_owner, struct node **out,
                unsigned int *created);
int tree_set_value(struct tree *t, struct node *n, const void *val, uint32_t len);
int tree_set_perms(struct tree *t, struct node *n, const struct xs_perm *p, uint32_t np);
/* Removes n and its subtree (not the root). */
void tree_remove(struct tree *t, struct node *n);
/* Nodes in the subtree below and including n. */
unsigned int tree_count(const struct node *n);

#endif
