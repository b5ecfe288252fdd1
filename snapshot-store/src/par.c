/* A helper thread that runs one function beside the caller, for work split across both cores. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "store_internal.h"

static void *par_helper(void *arg)
{
    struct store_par *p = arg;
    unsigned seen = 0;

    pthread_setname_np(pthread_self(), "store-par");
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->stop)
            pthread_cond_wait(&p->cv_go, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        if (p->cancel == seen)
            continue; /* the caller did it all before we woke */
        p->taken = seen;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->arg, 1);
        pthread_mutex_lock(&p->mu);
        p->done = seen;
        pthread_cond_signal(&p->cv_done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int par_start(struct store_par *p)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_go, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    if (pthread_create(&p->thr, NULL, par_helper, p)) {
        pthread_cond_destroy(&p->cv_done);
        pthread_cond_destroy(&p->cv_go);
        pthread_mutex_destroy(&p->mu);
        return -EAGAIN;
    }
    p->running = 1;
    return 0;
}

void par_run(struct store_par *p, void (*fn)(void *arg, int tid), void *arg)
{
    unsigned gen;

    if (!p->running) {
        fn(arg, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    gen = ++p->gen;
    pthread_cond_signal(&p->cv_go);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0);
    pthread_mutex_lock(&p->mu);
    if (p->taken != gen)
        p->cancel = p->done = gen;
    while (p->done != gen)
        pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void par_stop(struct store_par *p)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv_go);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thr, NULL);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_go);
    pthread_mutex_destroy(&p->mu);
    p->running = 0;
}
