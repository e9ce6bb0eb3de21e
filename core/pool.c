#include "core/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { NC_POOL_MAX = 64, NC_POOL_SPIN = 20000 };

typedef struct pool_worker {
    struct nc_pool *pool;
    int id;
    pthread_t th;
} pool_worker;

struct nc_pool {
    int threads;
    pthread_mutex_t mu;
    pthread_cond_t go;
    /* A job is published by bumping `epoch`; workers count themselves done
     * in `pending`. Spinning first keeps the fork-join latency of the many
     * small kernels of a training step in the microseconds. */
    atomic_uint epoch;
    atomic_int pending;
    atomic_int stop;
    nc_pool_fn fn;
    void *arg;
    int n_tasks;
    pool_worker w[NC_POOL_MAX];
};

static void pool_do(struct nc_pool *p, int id)
{
    for (int t = id; t < p->n_tasks; t += p->threads)
        p->fn(p->arg, t, id);
}

static void *pool_main(void *a)
{
    pool_worker *w = a;
    struct nc_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned e;
        int spins = 0;
        while ((e = atomic_load_explicit(&p->epoch, memory_order_acquire)) == seen &&
               !atomic_load(&p->stop)) {
            if (++spins < NC_POOL_SPIN)
                continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->epoch) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->go, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = e;
        pool_do(p, w->id);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

nc_pool *nc_pool_new(int threads)
{
    if (threads <= 1)
        return NULL;
    if (threads > NC_POOL_MAX)
        threads = NC_POOL_MAX;
    struct nc_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    for (int i = 1; i < threads; i++) {
        p->w[i].pool = p;
        p->w[i].id = i;
        if (pthread_create(&p->w[i].th, NULL, pool_main, &p->w[i]) != 0) {
            p->threads = i;
            nc_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void nc_pool_free(nc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->threads; i++)
        pthread_join(p->w[i].th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    free(p);
}

int nc_pool_threads(const nc_pool *p)
{
    return p ? p->threads : 1;
}

void nc_pool_run(nc_pool *p, int n_tasks, nc_pool_fn fn, void *arg)
{
    if (!p || n_tasks <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(arg, t, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store(&p->pending, p->threads - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->epoch, 1, memory_order_release);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    pool_do(p, 0);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        ;
}
