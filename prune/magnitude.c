/*
 * magnitude.c — pruning by magnitude and at random, and the cubic
 * schedule (prune/magnitude.h).
 *
 * Each call ranks a set of weights (all prunable ones, or one layer's) and
 * clears the keep bytes of the first k = round(sparsity * n) in that order.
 * Weights already pruned rank first whatever they hold, so a call never
 * revives one and gradual pruning only ever adds to the pruned set. The
 * rank is |w| with the lower index first among equals (magnitude), or a
 * seeded shuffle (random): both are total orders, so the result depends on
 * nothing but the weights, the mask and the seed.
 */
#include "prune/magnitude.h"

#include <math.h>
#include <stdlib.h>

#include "core/rng.h"
#include "prune/prune_int.h"

typedef struct ranked {
    float key;          /* -1 for pruned, else |w| (or a random rank) */
    uint32_t tie;       /* random rank among equal keys, or 0 */
    size_t j;           /* parameter index */
} ranked;

static int by_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->tie != y->tie)
        return x->tie < y->tie ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* Appends the weights [off, off + n) to r[*k...). */
static void collect(const uint8_t *keep, const float *w, size_t off, size_t n,
                    int random, nc_rng *rng, ranked *r, size_t *k)
{
    for (size_t j = off; j < off + n; j++) {
        ranked x = { .j = j };
        if (!keep[j])
            x.key = -1.0f;
        else if (random)
            x.tie = nc_rng_u32(rng);
        else
            x.key = isnan(w[j]) ? INFINITY : fabsf(w[j]);
        r[(*k)++] = x;
    }
}

/* Clears the first round(s * k) of r[0..k) in rank order. */
static void prune_first(uint8_t *keep, ranked *r, size_t k, double s)
{
    qsort(r, k, sizeof *r, by_rank);
    size_t cut = (size_t)llround(s * (double)k);
    for (size_t i = 0; i < cut && i < k; i++)
        keep[r[i].j] = 0;
}

nc_status nc_prune_magnitude(nc_ctx *ctx, nc_mask *m, const float *params,
                             double sparsity, nc_prune_kind kind,
                             uint64_t seed)
{
    if (!(sparsity >= 0 && sparsity < 1))
        return nc_fail(ctx, NC_ERR_RANGE, "sparsity %g is outside [0, 1)",
                       sparsity);
    if (kind != NC_PRUNE_GLOBAL && kind != NC_PRUNE_LAYER &&
        kind != NC_PRUNE_RANDOM)
        return nc_fail(ctx, NC_ERR_INVAL, "unknown pruning kind %d",
                       (int)kind);
    size_t total = nc_mask_prunable(m);
    ranked *r = malloc((total ? total : 1) * sizeof *r);
    if (!r)
        return nc_fail(ctx, NC_ERR_NOMEM, "pruning: out of memory for %zu "
                       "weights", total);
    uint8_t *keep = nc_mask_keep_mut(m);
    nc_rng rng = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_PRUNE, 0));
    int random = kind == NC_PRUNE_RANDOM;
    size_t k = 0;
    for (int i = 0; i < nc_mask_layers(m); i++) {
        int node;
        size_t off, n;
        nc_mask_layer(m, i, &node, &off, &n);
        collect(keep, params, off, n, random, &rng, r, &k);
        if (kind != NC_PRUNE_GLOBAL) {
            prune_first(keep, r, k, sparsity);
            k = 0;
        }
    }
    if (kind == NC_PRUNE_GLOBAL)
        prune_first(keep, r, k, sparsity);
    free(r);
    return NC_OK;
}

double nc_prune_cubic(double s_i, double s_f, int64_t t0, int64_t n,
                      int64_t t)
{
    if (t <= t0 || n <= 0)
        return t <= t0 ? s_i : s_f;
    if (t >= t0 + n)
        return s_f;
    double f = 1.0 - (double)(t - t0) / (double)n;
    return s_f + (s_i - s_f) * f * f * f;
}
