/*
 * The requests of the wire protocol (docs/control-domain.md, "xenstore"): decode and check
 * the payload, check permissions and quotas, then change the tree (the global one, or a
 * transaction's private view, logged for the commit) and fire watches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xs/xs.h"
#include "xenstored.h"


static void reply_err(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, int err)
{
    const char *name = xs_error_name(err);

    conn_send(x, c, h, XS_ERROR, name, strlen(name) + 1);
}

static void reply_str(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char *s)
{
    conn_send(x, c, h, h->type, s, strlen(s) + 1);
}

static char perm_of(const struct conn *c, const struct node *n)
{
    if (c->privileged || n->perms[0].domid == c->domid)
        return 'b';
    for (uint32_t i = 1; i < n->nperms; i++)
        if (n->perms[i].domid == c->domid)
            return n->perms[i].kind;
    return n->perms[0].kind;
}

bool can_read(const struct conn *c, const struct node *n)
{
    char k = perm_of(c, n);
    return k == 'r' || k == 'b';
}

static bool can_write(const struct conn *c, const struct node *n)
{
    char k = perm_of(c, n);
    return k == 'w' || k == 'b';
}

/* Absolute canonical path into out (XENSTORE_ABS_PATH_MAX + 1 bytes): relative paths are
 * under the caller's /local/domain/N. */
static int canon(const struct conn *c, const char *in, char *out)
{
    size_t n = strlen(in);

    if (in[0] == '/') {
        if (n > XENSTORE_ABS_PATH_MAX)
            return -EINVAL;
        memcpy(out, in, n + 1);
    } else {
        if (!n || n > XENSTORE_REL_PATH_MAX)
            return -EINVAL;
        snprintf(out, XENSTORE_ABS_PATH_MAX + 1, "/local/domain/%u/%s", c->domid, in);
    }
    for (const char *p = out; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  strchr("-/_@", *p);
        if (!ok || (p[0] == '/' && p[1] == '/'))
            return -EINVAL;
    }
    n = strlen(out);
    return n > 1 && out[n - 1] == '/' ? -EINVAL : 0;
}

static void parent_of(const char *path, char *out)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

    memcpy(out, path, n);
    out[n] = 0;
}

static unsigned int depth(const struct node *n)
{
    unsigned int d = 0;

    for (; n->parent; n = n->parent)
        d++;
    return d;
}

static unsigned int components(const char *path)
{
    unsigned int k = 0;

    for (const char *p = path; *p; p++)
        k += *p == '/' && p[1];
    return k;
}

static void touch(struct txn *tx, const char *path, bool and_parent)
{
    char parent[XENSTORE_ABS_PATH_MAX + 1];

    if (!tx)
        return;
    txn_touch(tx, path);
    if (and_parent) {
        parent_of(path, parent);
        txn_touch(tx, parent);
    }
}

static int op_write(struct xsd *x, struct conn *c, struct tree *t, struct txn *tx, const struct txop *op)
{
    struct node *n = tree_lookup(t, op->path);
    unsigned int created;
    int rc;

    if (!n) {
        struct node *anc = tree_nearest(t, op->path);
        if (!can_write(c, anc))
            return -EACCES;
        if (!c->privileged && t->owned[c->domid] + components(op->path) - depth(anc) > QUOTA_NODES)
            return -ENOSPC;
        touch(tx, op->path, true);
        if ((rc = tree_create(t, op->path, c->domid, c->privileged, &n, &created)))
            return rc;
    } else {
        if (!can_write(c, n))
            return -EACCES;
        if (op->type == XS_MKDIR)
            return 0;
        touch(tx, op->path, false);
    }
    if (op->type == XS_WRITE && (rc = tree_set_value(t, n, op->val, op->len)))
        return rc;
    if (t == &x->tree)
        watch_fire(x, op->path, n, false);
    return 0;
}

static int op_rm(struct xsd *x, struct conn *c, struct tree *t, struct txn *tx, const struct txop *op)
{
    char parent[XENSTORE_ABS_PATH_MAX + 1];
    struct node *n = tree_lookup(t, op->path);

    parent_of(op->path, parent);
    if (!n) {
        touch(tx, op->path, true);
        return tree_lookup(t, parent) ? 0 : -ENOENT; /* gone already is fine, as on Xen */
    }
    if (!n->parent)
        return -EINVAL;
    if (!can_write(c, n))
        return -EACCES;
    touch(tx, op->path, true);
    if (t == &x->tree)
        watch_fire(x, op->path, n, true);
    tree_remove(t, n);
    return 0;
}

static int op_set_perms(struct xsd *x, struct conn *c, struct tree *t, struct txn *tx, const struct txop *op)
{
    struct node *n = tree_lookup(t, op->path);
    int rc;

    touch(tx, op->path, false);
    if (!n)
        return -ENOENT;
    if (!c->privileged && (n->perms[0].domid != c->domid || op->perms[0].domid != c->domid))
        return n->perms[0].domid != c->domid ? -EACCES : -EPERM;
    if ((rc = tree_set_perms(t, n, op->perms, op->nperms)))
        return rc;
    if (t == &x->tree)
        watch_fire(x, op->path, n, false);
    return 0;
}

int op_apply(struct xsd *x, struct conn *c, struct tree *t, struct txn *tx, const struct txop *op)
{
    int rc;

    switch (op->type) {
    case XS_WRITE:
    case XS_MKDIR:
        rc = op_write(x, c, t, tx, op);
        break;
    case XS_RM:
        rc = op_rm(x, c, t, tx, op);
        break;
    default:
        rc = op_set_perms(x, c, t, tx, op);
        break;
    }
    if (!rc && tx)
        rc = txn_log(tx, op->type, op->path, op->val, op->len, op->perms, op->nperms);
    return rc;
}

/* "path\0" and more NUL-terminated strings: how many (up to max) or -EINVAL. */
static int strings(const char *p, uint32_t len, const char **v, int max)
{
    int n = 0;

    if (!len || p[len - 1])
        return -EINVAL;
    for (uint32_t off = 0; off < len && n < max; off += (uint32_t)strlen(p + off) + 1)
        v[n++] = p + off;
    return n;
}

static int parse_perms(const char **v, int n, struct xs_perm *out)
{
    for (int i = 0; i < n; i++) {
        char *end;
        unsigned long id = strtoul(v[i] + 1, &end, 10);
        if (!strchr("nrwb", v[i][0]) || !v[i][0] || !v[i][1] || *end || id > 65535)
            return -EINVAL;
        out[i].kind = v[i][0];
        out[i].domid = (uint16_t)id;
    }
    return n ? 0 : -EINVAL;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int do_read(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, struct tree *t,
                   struct txn *tx, const char *path)
{
    struct node *n = tree_lookup(t, path);
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t len = 0;

    touch(tx, path, false);
    if (!n)
        return -ENOENT;
    if (!can_read(c, n))
        return -EACCES;
    if (h->type == XS_READ) {
        conn_send(x, c, h, XS_READ, n->value, n->len);
        return 0;
    }
    if (h->type == XS_GET_PERMS) {
        for (uint32_t i = 0; i < n->nperms && len + 8 <= sizeof(buf); i++)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%c%u", n->perms[i].kind, n->perms[i].domid) + 1;
        conn_send(x, c, h, XS_GET_PERMS, buf, len);
        return 0;
    }
    for (uint32_t i = 0; i < n->nkids; i++) {
        size_t k = strlen(n->kids[i]->name) + 1;
        if (len + k > sizeof(buf))
            return -E2BIG; /* the client asks again with XS_DIRECTORY_PART */
        memcpy(buf + len, n->kids[i]->name, k);
        len += k;
    }
    conn_send(x, c, h, XS_DIRECTORY, buf, len);
    return 0;
}

/* "path\0offset\0" -> "generation\0" and the children from that byte offset of the whole
 * listing; a final empty name when the listing ends in this part. */
static int do_directory_part(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, struct tree *t,
                             struct txn *tx, const char *path, const char *offset)
{
    struct node *n = tree_lookup(t, path);
    char buf[XENSTORE_PAYLOAD_MAX];
    uint64_t off, pos = 0;
    size_t len;
    uint32_t i;

    touch(tx, path, false);
    if (parse_u64(offset, UINT32_MAX, &off))
        return -EINVAL;
    if (!n)
        return -ENOENT;
    if (!can_read(c, n))
        return -EACCES;
    len = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n->gen) + 1;
    for (i = 0; i < n->nkids && pos < off; i++)
        pos += strlen(n->kids[i]->name) + 1;
    if (pos != off)
        return -EINVAL;
    for (; i < n->nkids; i++) {
        size_t k = strlen(n->kids[i]->name) + 1;
        if (len + k + 1 > sizeof(buf))
            break;
        memcpy(buf + len, n->kids[i]->name, k);
        len += k;
    }
    if (i == n->nkids)
        buf[len++] = 0;
    conn_send(x, c, h, XS_DIRECTORY_PART, buf, len);
    return 0;
}

static int do_watch(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char **v)
{
    char path[XENSTORE_ABS_PATH_MAX + 1];
    bool special = v[0][0] == '@', relative = v[0][0] != '/' && !special;
    int rc;

    if (special) {
        if (strlen(v[0]) > XENSTORE_REL_PATH_MAX)
            return -EINVAL;
        strcpy(path, v[0]);
    } else if ((rc = canon(c, v[0], path))) {
        return rc;
    }
    if (h->type == XS_UNWATCH)
        rc = watch_del(c, path, v[1]);
    else
        rc = watch_add(x, c, path, v[1], relative);
    if (rc)
        return rc;
    reply_str(x, c, h, "OK");
    if (h->type == XS_WATCH)
        conn_event(x, c, v[0], v[1]); /* a new watch fires once at once */
    return 0;
}

static int do_domain_op(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char **v, int n)
{
    uint64_t domid, mfn, port;
    char buf[64];
    struct conn *d;

    if (n < 1 || parse_u64(v[0], 0x7fef, &domid))
        return -EINVAL;
    switch (h->type) {
    case XS_GET_DOMAIN_PATH:
        snprintf(buf, sizeof(buf), "/local/domain/%u", (unsigned int)domid);
        reply_str(x, c, h, buf);
        return 0;
    case XS_IS_DOMAIN_INTRODUCED:
        reply_str(x, c, h, domid == 0 || domain_conn(x, (uint16_t)domid) ? "T" : "F");
        return 0;
    }
    if (!c->privileged)
        return -EACCES;
    switch (h->type) {
    case XS_INTRODUCE:
        if (n < 3 || parse_u64(v[1], UINT64_MAX >> 12, &mfn) || parse_u64(v[2], UINT32_MAX, &port))
            return -EINVAL;
        return domain_introduce(x, (uint16_t)domid, mfn, (uint32_t)port);
    case XS_RELEASE:
        return domain_release(x, (uint16_t)domid);
    case XS_RESUME:
        if (!(d = domain_conn(x, (uint16_t)domid)))
            return -ENOENT;
        d->shutdown = false;
        return 0;
    default: /* XS_SET_TARGET: device-model stub domains, which Tern does not have */
        return -ENOSYS;
    }
}

static int do_change(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, struct tree *t,
                     struct txn *tx, const char *payload)
{
    char path[XENSTORE_ABS_PATH_MAX + 1];
    const char *v[XENSTORE_PAYLOAD_MAX / 2 + 1];
    struct xs_perm perms[XENSTORE_PAYLOAD_MAX / 2];
    struct txop op = { .type = h->type, .path = path };
    int n, rc;

    if (h->type == XS_WRITE) {
        size_t plen = strnlen(payload, h->len);
        if (plen == h->len)
            return -EINVAL;
        v[0] = payload;
        op.val = (char *)payload + plen + 1;
        op.len = h->len - (uint32_t)plen - 1;
        if (!c->privileged && op.len > QUOTA_VALUE)
            return -ENOSPC;
    } else if ((n = strings(payload, h->len, v, (int)(sizeof(v) / sizeof(v[0])))) < 1) {
        return -EINVAL;
    } else if (h->type == XS_SET_PERMS) {
        if ((rc = parse_perms(v + 1, n - 1, perms)))
            return rc;
        op.perms = perms;
        op.nperms = (uint32_t)n - 1;
    }
    if ((rc = canon(c, v[0], path)))
        return rc;
    if ((rc = op_apply(x, c, t, tx, &op)))
        return rc;
    reply_str(x, c, h, "OK");
    return 0;
}

static int dispatch(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char *payload)
{
    char path[XENSTORE_ABS_PATH_MAX + 1];
    const char *v[4];
    struct txn *tx = NULL;
    struct tree *t = &x->tree;
    int n = strings(payload, h->len, v, 4), rc;
    uint32_t id;

    if (h->tx_id && h->type != XS_TRANSACTION_START) {
        if (!(tx = txn_find(c, h->tx_id)))
            return -ENOENT;
        t = &tx->view;
    }
    switch (h->type) {
    case XS_READ:
    case XS_DIRECTORY:
    case XS_GET_PERMS:
    case XS_DIRECTORY_PART:
        if (n < (h->type == XS_DIRECTORY_PART ? 2 : 1) || (rc = canon(c, v[0], path)))
            return -EINVAL;
        if (h->type == XS_DIRECTORY_PART)
            return do_directory_part(x, c, h, t, tx, path, v[1]);
        return do_read(x, c, h, t, tx, path);
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS:
        return do_change(x, c, h, t, tx, payload);
    case XS_WATCH:
    case XS_UNWATCH:
        return n < 2 ? -EINVAL : do_watch(x, c, h, v);
    case XS_TRANSACTION_START:
        if (h->tx_id)
            return -EBUSY; /* no nesting */
        if ((rc = txn_start(x, c, &id)))
            return rc;
        snprintf(path, sizeof(path), "%u", id);
        reply_str(x, c, h, path);
        return 0;
    case XS_TRANSACTION_END:
        if (!tx)
            return -ENOENT;
        if (n < 1 || (strcmp(v[0], "T") && strcmp(v[0], "F")))
            return -EINVAL;
        if ((rc = txn_end(x, c, tx, v[0][0] == 'T')))
            return rc;
        reply_str(x, c, h, "OK");
        return 0;
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_GET_DOMAIN_PATH:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
    case XS_SET_TARGET:
        if ((rc = do_domain_op(x, c, h, v, n)))
            return rc;
        if (h->type != XS_GET_DOMAIN_PATH && h->type != XS_IS_DOMAIN_INTRODUCED)
            reply_str(x, c, h, "OK");
        return 0;
    case XS_RESET_WATCHES:
        watch_free_all(c);
        txn_free_all(c);
        reply_str(x, c, h, "OK");
        return 0;
    case XS_CONTROL:
        if (!c->privileged)
            return -EACCES;
        if (n < 1 || strcmp(v[0], "print"))
            return -EINVAL;
        xsd_log(x, "print: %s", n > 1 ? v[1] : "");
        reply_str(x, c, h, "OK");
        return 0;
    default:
        return -EINVAL;
    }
}

void xsd_request(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char *payload)
{
    int rc;

    x->current = c;
    if ((rc = dispatch(x, c, h, payload)))
        reply_err(x, c, h, rc);
    x->current = NULL;
    if (c->evq) { /* events its own request raised, after its reply */
        if (c->out_tail)
            c->out_tail->next = c->evq;
        else
            c->out = c->evq;
        c->out_tail = c->evq_tail;
        c->evq = c->evq_tail = NULL;
    }
}
