/*
 * Transactions: each works on a private copy of the tree taken at its start and records
 * which nodes it touched (read or changed) with their generation then. A commit succeeds
 * only if none of those nodes changed meanwhile; it then replays the logged changes on
 * the real tree (firing watches). Otherwise EAGAIN, and the client retries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

struct txn *txn_find(struct conn *c, uint32_t id)
{
    for (struct txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

int txn_start(struct xsd *x, struct conn *c, uint32_t *id)
{
    struct txn *t;

    if (!c->privileged && c->ntxns >= QUOTA_TXNS)
        return -ENOSPC;
    if (!(t = calloc(1, sizeof(*t))))
        return -ENOMEM;
    if (tree_clone(&t->view, &x->tree)) {
        free(t);
        return -ENOMEM;
    }
    do
        t->id = ++c->next_txid;
    while (!t->id || txn_find(c, t->id));
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    *id = t->id;
    return 0;
}

static void txn_free(struct txn *t)
{
    for (uint32_t i = 0; i < t->nacc; i++)
        free(t->acc[i].path);
    for (uint32_t i = 0; i < t->nops; i++) {
        free(t->ops[i].path);
        free(t->ops[i].val);
        free(t->ops[i].perms);
    }
    free(t->acc);
    free(t->ops);
    tree_free(&t->view);
    free(t);
}

void txn_touch(struct txn *t, const char *path)
{
    struct node *n;

    for (uint32_t i = 0; i < t->nacc; i++)
        if (!strcmp(t->acc[i].path, path))
            return;
    if (t->nacc == t->acc_cap) {
        uint32_t cap = t->acc_cap ? t->acc_cap * 2 : 8;
        struct access *a = realloc(t->acc, cap * sizeof(*a));
        if (!a)
            goto poison;
        t->acc = a;
        t->acc_cap = cap;
    }
    n = tree_lookup(&t->view, path);
    if (!(t->acc[t->nacc].path = strdup(path)))
        goto poison;
    t->acc[t->nacc++].gen = n ? n->gen : 0;
    return;
poison:
    t->view.gen = 0; /* out of memory: this transaction cannot commit */
}

int txn_log(struct txn *t, uint32_t type, const char *path, const char *val, uint32_t len,
            const struct xs_perm *perms, uint32_t nperms)
{
    struct txop *op;

    if (t->nops == t->ops_cap) {
        uint32_t cap = t->ops_cap ? t->ops_cap * 2 : 8;
        struct txop *o = realloc(t->ops, cap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        t->ops = o;
        t->ops_cap = cap;
    }
    op = &t->ops[t->nops];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->len = len;
    op->nperms = nperms;
    op->path = strdup(path);
    op->val = len ? malloc(len) : NULL;
    op->perms = nperms ? malloc(nperms * sizeof(*perms)) : NULL;
    if (!op->path || (len && !op->val) || (nperms && !op->perms)) {
        free(op->path);
        free(op->val);
        free(op->perms);
        return -ENOMEM;
    }
    if (len)
        memcpy(op->val, val, len);
    if (nperms)
        memcpy(op->perms, perms, nperms * sizeof(*perms));
    t->nops++;
    return 0;
}

static bool conflicts(const struct xsd *x, const struct txn *t)
{
    if (!t->view.gen)
        return true;
    for (uint32_t i = 0; i < t->nacc; i++) {
        const struct node *n = tree_lookup(&x->tree, t->acc[i].path);
        if ((n ? n->gen : 0) != t->acc[i].gen)
            return true;
    }
    return false;
}

static void unlink_txn(struct conn *c, struct txn *t)
{
    for (struct txn **p = &c->txns; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            c->ntxns--;
            return;
        }
}

int txn_end(struct xsd *x, struct conn *c, struct txn *t, bool commit)
{
    int rc = 0;

    unlink_txn(c, t);
    if (commit && conflicts(x, t))
        rc = -EAGAIN;
    else if (commit)
        for (uint32_t i = 0; i < t->nops && !rc; i++)
            rc = op_apply(x, c, &x->tree, NULL, &t->ops[i]);
    txn_free(t);
    return rc;
}

void txn_free_all(struct conn *c)
{
    while (c->txns) {
        struct txn *t = c->txns;
        c->txns = t->next;
        txn_free(t);
    }
    c->ntxns = 0;
}
