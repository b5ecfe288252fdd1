/* Put pipeline: both threads hash each batch; a worker thread writes the new chunks to the pack. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/*
 * SHA-256 is the one cost every page pays, so the caller and the worker
 * share it, claiming a few pages at a time; whoever hashes a page also
 * looks it up and, when it is new and compressible, deflates it while it
 * is in cache. The caller then deduplicates the batch and queues its new
 * chunks; the worker writes raw ones straight from the caller's memory,
 * one writev per PIPE_UNIT chunks (headers come from the pack writer's
 * buffer), and joins the hashing of the next batch whenever it has
 * nothing to write. Before a call returns, pipe_release copies what is
 * still unwritten to the staging area, so the caller's memory is free
 * again and the worker keeps going.
 */

#define HASH_GROUP 4u  /* pages claimed at once by a hashing thread */
#define PUB_GROUP 32u  /* jobs handed to the worker at once */
#define SOLO_HASH 16u  /* smaller batches are hashed by the caller alone */

/* Hashes page k (all-zero ones are only flagged); 1 if it has a hash. */
static int hash_one(const struct put_hash_work *hw, struct store_codec *c, size_t k,
                    int *err)
{
    if (hw->kind[k])
        return 0;
    if (page_is_zero(hw->data[k])) {
        hw->what[k] = PAGE_SEEN_ZERO;
        return 0;
    }
    if (codec_hash(c, hw->data[k], hw->out[k])) {
        *err = -EIO;
        return 0;
    }
    table_prefetch(hw->known[0], hw->out[k]);
    table_prefetch(hw->known[1], hw->out[k]);
    return 1;
}

/* Looks a hashed page up, and deflates it when it is new and compressible. */
static int sort_one(const struct put_hash_work *hw, struct store_codec *c, size_t k)
{
    const void *page = hw->data[k];
    uint32_t len;
    uint16_t enc;

    if (table_find(hw->known[0], hw->out[k]) || table_find(hw->known[1], hw->out[k])) {
        hw->what[k] = PAGE_SEEN_KNOWN;
        return 0;
    }
    hw->what[k] = 0;
    if (!codec_worth_deflating(page))
        return 0;
    if (codec_encode(c, page, hw->zout + k * STORE_PAGE_SIZE, &len, &enc))
        return -EIO;
    if (enc == CHUNK_DEFLATE) {
        hw->what[k] = PAGE_SEEN_DEFLATED;
        hw->zlen[k] = (uint16_t)len;
    }
    return 0;
}

/* Claims and hashes pages until none is left; returns how many it did.
 * A group is hashed first, then looked up: the table slots are loaded
 * meanwhile, and the pages are still in cache for the sampling. */
static size_t hash_some(struct put_hash_work *hw, struct store_codec *c, int *err)
{
    size_t i, k, end, did = 0;
    uint8_t hashed[HASH_GROUP];
    int rc = 0;

    for (;;) {
        i = atomic_fetch_add_explicit(&hw->next, HASH_GROUP, memory_order_relaxed);
        if (i >= hw->n)
            break;
        end = hw->n - i < HASH_GROUP ? hw->n : i + HASH_GROUP;
        for (k = i; k < end; k++)
            hashed[k - i] = (uint8_t)hash_one(hw, c, k, &rc);
        for (k = i; k < end; k++)
            if (hashed[k - i] && !rc)
                rc = sort_one(hw, c, k);
        did += end - i;
    }
    if (rc && !*err)
        *err = rc;
    return did;
}

/* Writes jobs [s, e) with one gathered write. */
static int write_unit(struct put_pipe *pp, size_t s, size_t e)
{
    size_t i;
    int rc;

    for (i = s; i < e; i++) {
        const struct put_job *j = &pp->ring[i % PIPE_RING];
        rc = pack_writer_add_ref(pp->pw, j->hash, j->data, j->len, j->enc);
        if (rc)
            return rc;
        pp->st.new_chunks++;
        pp->st.stored_bytes += j->len;
        if (j->enc == CHUNK_RAW)
            pp->st.raw_chunks++;
        else
            pp->st.zlib_chunks++;
    }
    return pack_writer_flush(pp->pw);
}

/* Worker: writing first, since the caller can only queue so much; else
 * helping with the batch being hashed. Called and returns with mu held. */
static int worker_step(struct put_pipe *pp, int *rc)
{
    struct put_hash_work *hw = &pp->hw;
    size_t s, e, did;
    int herr = 0;

    if (pp->claimed < pp->pub) {
        s = pp->claimed;
        e = pp->pub - s > PIPE_UNIT ? s + PIPE_UNIT : pp->pub;
        pp->claimed = e;
        pthread_mutex_unlock(&pp->mu);
        /* After a failure, jobs are only consumed so the caller never waits forever. */
        if (!*rc)
            *rc = write_unit(pp, s, e);
        pthread_mutex_lock(&pp->mu);
        if (*rc && !pp->err)
            pp->err = *rc;
        pp->tail = e;
        pthread_cond_broadcast(&pp->cv_done);
        return 1;
    }
    if (hw->active && atomic_load(&hw->next) < hw->n) {
        hw->worker_in = 1;
        pthread_mutex_unlock(&pp->mu);
        did = hash_some(hw, &pp->codec, &herr);
        pthread_mutex_lock(&pp->mu);
        hw->done += did;
        if (herr && !hw->err)
            hw->err = herr;
        hw->worker_in = 0;
        pthread_cond_broadcast(&pp->cv_done);
        return 1;
    }
    return 0;
}

static void *pipe_worker(void *arg)
{
    struct put_pipe *pp = arg;
    int rc = 0;

    pthread_setname_np(pthread_self(), "store-put");
    pthread_mutex_lock(&pp->mu);
    for (;;) {
        if (worker_step(pp, &rc))
            continue;
        if (pp->stop)
            break;
        pthread_cond_wait(&pp->cv_work, &pp->mu);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

int pipe_start(struct put_pipe *pp, struct pack_writer *pw)
{
    int rc = -ENOMEM;

    memset(pp, 0, sizeof(*pp));
    pp->pw = pw;
    /* Staging pages are touched only when a call returns with a backlog. */
    pp->staging = malloc((size_t)PIPE_RING * STORE_PAGE_SIZE);
    if (!pp->staging || (rc = codec_init(&pp->codec)))
        goto out_free;
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->cv_work, NULL);
    pthread_cond_init(&pp->cv_done, NULL);
    if (pthread_create(&pp->thr, NULL, pipe_worker, pp)) {
        pthread_cond_destroy(&pp->cv_done);
        pthread_cond_destroy(&pp->cv_work);
        pthread_mutex_destroy(&pp->mu);
        codec_fini(&pp->codec);
        rc = -EAGAIN;
        goto out_free;
    }
    pp->running = 1;
    return 0;
out_free:
    free(pp->staging);
    pp->staging = NULL;
    return rc;
}

int pipe_hash(struct put_pipe *pp, struct store_codec *c, struct put_hash_work *in)
{
    struct put_hash_work *hw = &pp->hw;
    size_t did;
    int err = 0;

    if (in->n < SOLO_HASH) {
        atomic_store(&in->next, 0);
        hash_some(in, c, &err);
        return err;
    }
    pthread_mutex_lock(&pp->mu);
    hw->data = in->data;
    hw->kind = in->kind;
    hw->out = in->out;
    hw->what = in->what;
    hw->zout = in->zout;
    hw->zlen = in->zlen;
    hw->known[0] = in->known[0];
    hw->known[1] = in->known[1];
    hw->n = in->n;
    atomic_store(&hw->next, 0);
    hw->done = 0;
    hw->err = 0;
    hw->active = 1;
    pthread_cond_signal(&pp->cv_work);
    pthread_mutex_unlock(&pp->mu);

    did = hash_some(hw, c, &err);

    pthread_mutex_lock(&pp->mu);
    hw->done += did;
    /* The worker may still hold pages it claimed. */
    while (hw->done < hw->n || hw->worker_in)
        pthread_cond_wait(&pp->cv_done, &pp->mu);
    hw->active = 0;
    if (!err)
        err = hw->err;
    pthread_mutex_unlock(&pp->mu);
    return err;
}

static void pipe_publish_locked(struct put_pipe *pp)
{
    if (pp->pub != pp->head) {
        pp->pub = pp->head;
        pthread_cond_signal(&pp->cv_work);
    }
}

int pipe_push(struct put_pipe *pp, const void *data, const uint8_t hash[32],
              uint32_t len, uint16_t enc)
{
    struct put_job *j;
    int err = 0;

    if (pp->head - pp->tail_seen >= PIPE_RING) {
        pthread_mutex_lock(&pp->mu);
        pipe_publish_locked(pp);
        while (pp->head - pp->tail >= PIPE_RING && !pp->err)
            pthread_cond_wait(&pp->cv_done, &pp->mu);
        pp->tail_seen = pp->tail;
        err = pp->err;
        pthread_mutex_unlock(&pp->mu);
        if (pp->head - pp->tail_seen >= PIPE_RING)
            return err;
    }
    j = &pp->ring[pp->head % PIPE_RING];
    j->data = data;
    if (enc != CHUNK_RAW) {
        /* The batch's deflate buffer is reused by the next batch. */
        uint8_t *slot = pp->staging + (pp->head % PIPE_RING) * STORE_PAGE_SIZE;
        memcpy(slot, data, len);
        j->data = slot;
    }
    memcpy(j->hash, hash, 32);
    j->len = len;
    j->enc = enc;
    pp->head++;
    if (pp->head - pp->pub >= PUB_GROUP) {
        pthread_mutex_lock(&pp->mu);
        pipe_publish_locked(pp);
        pp->tail_seen = pp->tail;
        err = pp->err;
        pthread_mutex_unlock(&pp->mu);
    }
    return err;
}

int pipe_release(struct put_pipe *pp)
{
    size_t i, claimed;
    int err;

    if (!pp->running)
        return 0;
    pthread_mutex_lock(&pp->mu);
    pipe_publish_locked(pp);
    /* Jobs the worker has not taken move to staging; it waits for the lock. */
    for (i = pp->claimed; i < pp->head; i++) {
        struct put_job *j = &pp->ring[i % PIPE_RING];
        uint8_t *slot = pp->staging + (i % PIPE_RING) * STORE_PAGE_SIZE;
        if (j->data != slot) {
            memcpy(slot, j->data, STORE_PAGE_SIZE);
            j->data = slot;
        }
    }
    claimed = pp->claimed;
    while (pp->tail < claimed)
        pthread_cond_wait(&pp->cv_done, &pp->mu);
    pp->tail_seen = pp->tail;
    err = pp->err;
    pthread_mutex_unlock(&pp->mu);
    return err;
}

int pipe_drain(struct put_pipe *pp)
{
    int err;

    if (!pp->running)
        return 0;
    pthread_mutex_lock(&pp->mu);
    pipe_publish_locked(pp);
    while (pp->tail != pp->head)
        pthread_cond_wait(&pp->cv_done, &pp->mu);
    pp->tail_seen = pp->tail;
    err = pp->err;
    pthread_mutex_unlock(&pp->mu);
    return err;
}

void pipe_stop(struct put_pipe *pp)
{
    if (!pp->running)
        return;
    pipe_drain(pp);
    pthread_mutex_lock(&pp->mu);
    pp->stop = 1;
    pthread_cond_signal(&pp->cv_work);
    pthread_mutex_unlock(&pp->mu);
    pthread_join(pp->thr, NULL);
    pthread_cond_destroy(&pp->cv_done);
    pthread_cond_destroy(&pp->cv_work);
    pthread_mutex_destroy(&pp->mu);
    codec_fini(&pp->codec);
    free(pp->staging);
    pp->staging = NULL;
    pp->running = 0;
}
