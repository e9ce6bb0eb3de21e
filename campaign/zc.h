/*
 * zc.h — zero-cost scores for search strategies: the scorer behind the
 * predictive strategy's warm-up and proxy feature (nc_strategy_set_zc).
 * It builds each architecture's stand-alone net (the space's build), scores
 * it with a data-free proxy of predictors/proxy.h (params, flops, synflow)
 * through predictors/proxy_batch.h and remembers the score, so an
 * architecture met again costs a lookup.
 *
 *     nc_zc *z;
 *     if (nc_zc_new(ctx, sp, "synflow", (nc_shape){3, 32, 32}, 10, seed, 2, &z))
 *         ...ctx->msg...
 *     nc_strategy_set_zc(strategy, nc_zc_score, z);
 *     ...
 *     nc_strategy_free(strategy);
 *     nc_zc_free(z);
 *
 * Scores are pure functions of (architecture, proxy, input shape, classes,
 * seed): each net runs single-threaded on one worker, so the number of
 * worker threads changes the wall time only. That is what lets a resumed
 * campaign recompute instead of storing them.
 */
#ifndef NC_ZC_H
#define NC_ZC_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/op.h"
#include "search/strategy.h"

typedef struct nc_zc nc_zc;

/* A scorer of sp's architectures by `proxy` on nets for inputs of shape in
 * with n_classes logits, initialized from seed, over `threads` workers
 * (1..64). Only proxies that read no batch are accepted: NC_ERR_INVAL names
 * an unknown proxy (listing the known ones) or one that needs data. sp must
 * outlive the scorer; the caller owns *out (nc_zc_free), NULL on failure. */
nc_status nc_zc_new(nc_ctx *ctx, const nc_space *sp, const char *proxy,
                    nc_shape in, int n_classes, uint64_t seed, int threads,
                    nc_zc **out);

/* Frees z; NULL is allowed. */
void nc_zc_free(nc_zc *z);

/* An nc_zc_fn (search/strategy.h) with user = an nc_zc: the scores of
 * a[0..n) into score[0..n), -INFINITY for a degenerate net (no path from
 * input to logits). Errors: a net that cannot be built or scored (its
 * architecture named in the message), NC_ERR_NOMEM. Not thread-safe: one
 * caller at a time per scorer. */
nc_status nc_zc_score(void *zc, nc_ctx *ctx, const nc_arch *a, size_t n,
                      double *score);

/* Architectures scored so far (memoized), for tests and progress. */
size_t nc_zc_n_scored(const nc_zc *z);

#endif
