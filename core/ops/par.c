#include "core/ops/par.h"

#include "core/pool.h"

typedef struct par_job {
    nc_par_fn fn;
    void *arg;
    size_t n, align, blocks;
    int tasks;
} par_job;

/* Task t gets align blocks [t*B/T, (t+1)*B/T): contiguous, in order, and
 * sizes differing by at most one block. */
static void par_task(void *arg, int task, int thread)
{
    const par_job *j = arg;
    size_t b0 = j->blocks * (size_t)task / (size_t)j->tasks;
    size_t b1 = j->blocks * (size_t)(task + 1) / (size_t)j->tasks;
    size_t lo = b0 * j->align, hi = b1 * j->align;
    if (hi > j->n)
        hi = j->n;
    if (lo < hi)
        j->fn(j->arg, lo, hi, thread);
}

void nc_par_for(const nc_exec *e, size_t n, size_t align, size_t floats,
                nc_par_fn fn, void *arg)
{
    if (n == 0)
        return;
    if (align == 0)
        align = 1;
    size_t blocks = (n - 1) / align + 1;
    /* Both bounds matter: thread ids index the e->threads scratch areas. */
    int threads = nc_pool_threads(e->pool);
    if (e->threads < threads)
        threads = e->threads;
    if (threads <= 1 || blocks < 2 || floats < NC_PAR_MIN_FLOATS) {
        fn(arg, 0, n, 0);
        return;
    }
    par_job j = { fn, arg, n, align, blocks,
                  blocks < (size_t)threads ? (int)blocks : threads };
    nc_pool_run(e->pool, j.tasks, par_task, &j);
}
