#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <cblas.h>

enum {
    NC_POOL_MAX = 64,
    /* Waiting is spin, then yield, then sleep. Spinning keeps the fork-join
     * of the many small kernels of a training step in the microseconds;
     * yielding keeps a waiting thread from holding a core that the thread
     * it waits for needs when the machine is shared; sleeping keeps an idle
     * pool from costing anything. */
    NC_POOL_SPIN = 4000,
    NC_POOL_YIELD = 2000
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

typedef struct pool_worker {
    struct nc_pool *pool;
    int id;
    pthread_t th;
} pool_worker;

struct nc_pool {
    int threads;
    pthread_mutex_t mu;
    pthread_cond_t go;     /* a job was published (or stop) */
    pthread_cond_t done;   /* the last worker finished a job */
    atomic_uint epoch;     /* bumped to publish a job */
    atomic_int pending;    /* workers still running the current job */
    atomic_int stop;
    atomic_int caller_sleeps;
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

static int job_published(struct nc_pool *p, unsigned seen)
{
    return atomic_load_explicit(&p->epoch, memory_order_acquire) != seen ||
           atomic_load(&p->stop);
}

static int job_finished(struct nc_pool *p, unsigned unused)
{
    (void)unused;
    return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

/* Waits until ready(p, arg): spin, then yield, then sleep on cv. A sleeper
 * that needs announcing (the caller; workers are always woken by a
 * broadcast) sets *sleeping while it sleeps. */
static void pool_wait(struct nc_pool *p, int (*ready)(struct nc_pool *, unsigned),
                      unsigned arg, pthread_cond_t *cv, atomic_int *sleeping)
{
    for (int spins = 0; !ready(p, arg); spins++) {
        if (spins < NC_POOL_SPIN) {
            cpu_relax();
        } else if (spins < NC_POOL_SPIN + NC_POOL_YIELD) {
            sched_yield();
        } else {
            pthread_mutex_lock(&p->mu);
            if (sleeping)
                atomic_store(sleeping, 1);
            while (!ready(p, arg))
                pthread_cond_wait(cv, &p->mu);
            if (sleeping)
                atomic_store(sleeping, 0);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *pool_main(void *a)
{
    pool_worker *w = a;
    struct nc_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        pool_wait(p, job_published, seen, &p->go, NULL);
        if (atomic_load(&p->stop))
            return NULL;
        seen = atomic_load_explicit(&p->epoch, memory_order_acquire);
        pool_do(p, w->id);
        if (atomic_fetch_sub(&p->pending, 1) == 1 &&
            atomic_load(&p->caller_sleeps)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
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
    pthread_cond_init(&p->done, NULL);
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
    pthread_cond_destroy(&p->done);
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
    pool_wait(p, job_finished, 0, &p->done, &p->caller_sleeps);
}

void nc_blas_serial(void)
{
    openblas_set_num_threads(1);
}
