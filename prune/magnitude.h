/*
 * magnitude.h — unstructured pruning by magnitude (global or per layer),
 * its random control, and the gradual schedule of Zhu & Gupta (2017).
 *
 *     nc_mask *m = nc_mask_new(net);                // prune/mask.h
 *     for (int64_t t = 0; t < steps; t++) {
 *         double s = nc_prune_cubic(0, 0.9, 0, steps, t);
 *         nc_prune_magnitude(ctx, m, nc_net_params(net), s,
 *                            NC_PRUNE_GLOBAL, 0);
 *         nc_mask_apply(m, nc_net_params(net));
 *         ...one training step, then nc_mask_apply again...
 *     }
 *
 * Pruning is monotone: a weight pruned once stays pruned when a later call
 * asks for more sparsity, and every choice is deterministic: ties in
 * magnitude go to the lower parameter index, and random pruning draws from
 * a seeded stream.
 */
#ifndef NC_PRUNE_MAGNITUDE_H
#define NC_PRUNE_MAGNITUDE_H

#include <stdint.h>

#include "core/ctx.h"
#include "prune/mask.h"

typedef enum nc_prune_kind {
    NC_PRUNE_GLOBAL = 0,   /* smallest |w| over all prunable weights */
    NC_PRUNE_LAYER,        /* smallest |w| within each layer, each to the
                              same sparsity */
    NC_PRUNE_RANDOM        /* uniformly random among the kept weights (the
                              control), each layer to the same sparsity */
} nc_prune_kind;

/* Prunes m to `sparsity` (in [0, 1)) of its prunable weights, by kind,
 * from the weights in params; weights already pruned stay pruned and
 * count towards it (a call asking for less than is pruned changes
 * nothing). The count is round(sparsity * n) over the set in question.
 * seed drives NC_PRUNE_RANDOM only. NC_ERR_RANGE names a sparsity outside
 * [0, 1); NC_ERR_NOMEM. */
nc_status nc_prune_magnitude(nc_ctx *ctx, nc_mask *m, const float *params,
                             double sparsity, nc_prune_kind kind,
                             uint64_t seed);

/* The sparsity at step t of gradual pruning (Zhu & Gupta 2017): s_f +
 * (s_i - s_f) * (1 - (t - t0) / n)^3 for t0 <= t <= t0 + n, s_i before t0
 * and s_f after. n must be > 0. */
double nc_prune_cubic(double s_i, double s_f, int64_t t0, int64_t n,
                      int64_t t);

#endif
