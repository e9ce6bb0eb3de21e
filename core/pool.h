/*
 * pool.h — a fixed fork-join thread pool for nasc's kernels.
 *
 * nasc owns its threads: OpenBLAS runs single-threaded inside each task and
 * the pool spreads a kernel's tasks over `threads` threads (the caller is
 * thread 0). Task t always runs on thread t % threads, so per-thread partial
 * results (e.g. weight-gradient accumulators) are reduced in a fixed order
 * and results are bit-identical for a given thread count.
 *
 *     nc_pool *p = nc_pool_new(2);
 *     nc_pool_run(p, n_chunks, my_chunk_fn, &args);   // waits for all
 *     nc_pool_free(p);
 *
 * A NULL pool is valid everywhere and means one thread.
 */
#ifndef NC_POOL_H
#define NC_POOL_H

typedef struct nc_pool nc_pool;

/* fn(arg, task, thread): one task; thread is in [0, nc_pool_threads). */
typedef void (*nc_pool_fn)(void *arg, int task, int thread);

/* A pool of `threads` threads (threads - 1 workers are started), or NULL if
 * threads <= 1 or on failure (callers then run single-threaded). Owned by
 * the caller: nc_pool_free. */
nc_pool *nc_pool_new(int threads);
/* Stops and joins the workers; accepts NULL. */
void nc_pool_free(nc_pool *p);
/* Threads of the pool; 1 for NULL. */
int nc_pool_threads(const nc_pool *p);
/* Runs tasks 0..n_tasks-1, task t on thread t % threads, and returns when
 * all are done. Not reentrant: a task must not call nc_pool_run. */
void nc_pool_run(nc_pool *p, int n_tasks, nc_pool_fn fn, void *arg);

/* Makes OpenBLAS run on the calling thread only: nasc spreads work over its
 * own pools, and OpenBLAS threads spinning beside them would fight them for
 * the same cores. Idempotent; nc_net_finalize calls it, and a program that
 * calls BLAS before it builds a net (a predictor alone) calls it first. */
void nc_blas_serial(void);

#endif
