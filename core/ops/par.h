/*
 * par.h — internal: how the parameter-light ops in core/ops/ spread a loop
 * over the net's pool (core/pool.h).
 *
 * The ops split work so that every output element is computed by exactly one
 * thread with the same arithmetic as a single-threaded run (channels for
 * batch norm, (channel, sample) planes for pooling, flat spans for the
 * elementwise ops), so results are bit-identical for ANY thread count.
 *
 *     static void relu_span(void *arg, size_t lo, size_t hi, int thread)
 *     { ... elements [lo, hi) ... }
 *     nc_par_for(e, m, NC_PAR_LINE, 2 * m, relu_span, (void *)e);
 */
#ifndef NC_OPS_PAR_H
#define NC_OPS_PAR_H

#include <stddef.h>

#include "core/op.h"

/* Below this many floats touched (about 3 µs of streaming on one core) a
 * fork-join, which costs 1-2 µs on an idle machine, saves nothing; such
 * loops run inline on the caller. Measured with relu: 16K elements take
 * 0.8 µs on one thread and 1.5-2 µs on two, 512K take 46 µs and 24 µs. */
enum { NC_PAR_MIN_FLOATS = 1 << 17 };

/* Span granularity of flat float ranges: 16 floats are a 64-byte line, so
 * spans are whole vectors and threads write disjoint lines of an aligned
 * buffer. */
enum { NC_PAR_LINE = 16 };

/* One span of a parallel loop: items [lo, hi); `thread` owns the scratch
 * e->work + thread * e->n_work for the duration of the call. */
typedef void (*nc_par_fn)(void *arg, size_t lo, size_t hi, int thread);

/* Runs fn over items [0, n) as at most e->threads contiguous spans whose
 * boundaries are multiples of `align` items, balanced to within one align
 * block, and returns when all are done. `floats` is how many floats the
 * whole loop reads and writes (its cost in streamed floats): below
 * NC_PAR_MIN_FLOATS, or without a pool, it is one call fn(arg, 0, n, 0) on
 * the caller. n == 0 calls nothing. */
void nc_par_for(const nc_exec *e, size_t n, size_t align, size_t floats,
                nc_par_fn fn, void *arg);

#endif
