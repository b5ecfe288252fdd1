/* Put pipeline: the caller hashes and deduplicates; a worker thread encodes and writes new pages. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/*
 * Hashing (SHA-256) is the one cost every page pays; encoding and copying
 * into the pack only new pages do. Running the two on separate cores lets a
 * put go at about hashing speed. New pages are copied into the ring, so the
 * caller's next batch is hashed while the worker writes this one. When the
 * worker has little to write it hashes too (hash jobs read the caller's
 * memory in place, and the caller waits for them).
 */

#define PIPE_GROUP 16u /* pages published to the worker at once */

static void pipe_publish_locked(struct put_pipe *pp)
{
    if (pp->pub != pp->head) {
        pp->pub = pp->head;
        pthread_cond_signal(&pp->cv_more);
    }
}

static int pipe_store_one(struct put_pipe *pp, const struct put_job *j)
{
    uint32_t len;
    uint16_t enc;
    uint64_t off;
    int rc;

    if (j->out) {
        *j->zero = (uint8_t)page_is_zero(j->data);
        return *j->zero ? 0 : codec_hash(&pp->codec, j->data, j->out);
    }

    rc = codec_encode(&pp->codec, j->data, pp->enc, &len, &enc);
    if (!rc)
        rc = pack_writer_add(pp->pw, j->hash, pp->enc, len, enc, &off);
    if (rc)
        return rc;
    pp->st.new_chunks++;
    pp->st.stored_bytes += len;
    if (enc == CHUNK_RAW)
        pp->st.raw_chunks++;
    else
        pp->st.zlib_chunks++;
    return 0;
}

static void *pipe_worker(void *arg)
{
    struct put_pipe *pp = arg;
    size_t end, i;
    int rc = 0;

    pthread_mutex_lock(&pp->mu);
    for (;;) {
        while (pp->tail == pp->pub && !pp->stop)
            pthread_cond_wait(&pp->cv_more, &pp->mu);
        if (pp->tail == pp->pub)
            break;
        end = pp->pub;
        pthread_mutex_unlock(&pp->mu);
        /* After a failure, jobs are only consumed so the caller never waits forever. */
        for (i = pp->tail; i < end && !rc; i++)
            rc = pipe_store_one(pp, &pp->ring[i % PIPE_RING]);
        pthread_mutex_lock(&pp->mu);
        if (rc && !pp->err)
            pp->err = rc;
        pp->tail = end;
        pthread_cond_broadcast(&pp->cv_room);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

int pipe_start(struct put_pipe *pp, struct pack_writer *pw)
{
    int rc;

    memset(pp, 0, sizeof(*pp));
    pp->pw = pw;
    pp->pages = malloc((size_t)PIPE_RING * STORE_PAGE_SIZE);
    if (!pp->pages)
        return -ENOMEM;
    rc = codec_init(&pp->codec);
    if (rc) {
        free(pp->pages);
        return rc;
    }
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->cv_more, NULL);
    pthread_cond_init(&pp->cv_room, NULL);
    if (pthread_create(&pp->thr, NULL, pipe_worker, pp)) {
        pthread_cond_destroy(&pp->cv_room);
        pthread_cond_destroy(&pp->cv_more);
        pthread_mutex_destroy(&pp->mu);
        codec_fini(&pp->codec);
        free(pp->pages);
        return -EAGAIN;
    }
    pp->running = 1;
    return 0;
}

static int pipe_push_job(struct put_pipe *pp, const void *data, const uint8_t *hash,
                         uint8_t *out, uint8_t *zero)
{
    struct put_job *j;

    if (pp->head - pp->tail_seen >= PIPE_RING) {
        pthread_mutex_lock(&pp->mu);
        pipe_publish_locked(pp);
        while (pp->head - pp->tail >= PIPE_RING && !pp->err)
            pthread_cond_wait(&pp->cv_room, &pp->mu);
        pp->tail_seen = pp->tail;
        pthread_mutex_unlock(&pp->mu);
        if (pp->head - pp->tail_seen >= PIPE_RING)
            return pp->err;
    }
    j = &pp->ring[pp->head % PIPE_RING];
    j->data = data;
    if (hash) {
        uint8_t *copy = pp->pages + (pp->head % PIPE_RING) * STORE_PAGE_SIZE;
        memcpy(copy, data, STORE_PAGE_SIZE);
        memcpy(j->hash, hash, 32);
        j->data = copy;
    }
    j->out = out;
    j->zero = zero;
    pp->head++;
    if (pp->head - pp->pub >= PIPE_GROUP) {
        pthread_mutex_lock(&pp->mu);
        pipe_publish_locked(pp);
        pthread_mutex_unlock(&pp->mu);
    }
    return 0;
}

int pipe_push(struct put_pipe *pp, const void *data, const uint8_t hash[32])
{
    return pipe_push_job(pp, data, hash, NULL, NULL);
}

int pipe_push_hash(struct put_pipe *pp, const void *data, uint8_t out[32], uint8_t *zero)
{
    return pipe_push_job(pp, data, NULL, out, zero);
}

size_t pipe_backlog(struct put_pipe *pp, int *err)
{
    size_t n;

    pthread_mutex_lock(&pp->mu);
    n = pp->head - pp->tail;
    *err = pp->err;
    pthread_mutex_unlock(&pp->mu);
    return n;
}

int pipe_drain(struct put_pipe *pp)
{
    int err;

    if (!pp->running)
        return 0;
    pthread_mutex_lock(&pp->mu);
    pipe_publish_locked(pp);
    while (pp->tail != pp->pub)
        pthread_cond_wait(&pp->cv_room, &pp->mu);
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
    pthread_cond_signal(&pp->cv_more);
    pthread_mutex_unlock(&pp->mu);
    pthread_join(pp->thr, NULL);
    pthread_cond_destroy(&pp->cv_room);
    pthread_cond_destroy(&pp->cv_more);
    pthread_mutex_destroy(&pp->mu);
    codec_fini(&pp->codec);
    free(pp->pages);
    pp->pages = NULL;
    pp->running = 0;
}
