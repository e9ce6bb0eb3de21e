/*
 * proxy_ensemble.c — the rank-aggregating ensembles of
 * predictors/proxy_ensemble.h (vote, mean_rank) and the floor that puts
 * degenerate (-inf) scores below every finite one.
 */
#include "predictors/proxy_ensemble.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predictors/rank.h"

int nc_proxy_is_ensemble(const char *name)
{
    return name && (!strcmp(name, "vote") || !strcmp(name, "mean_rank"));
}

const char *nc_proxy_ensemble_names(void)
{
    return "vote, mean_rank";
}

/* NaN and +inf have no place in a ranking; -inf is a degenerate score. */
static nc_status check_member(nc_ctx *ctx, const double *x, size_t n, int m)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]) || x[i] == INFINITY)
            return nc_fail(ctx, NC_ERR_NUMERIC,
                           "ensemble member %d: score %g at index %zu (only "
                           "finite scores and -inf for degenerate nets rank)",
                           m, x[i], i);
    return NC_OK;
}

nc_status nc_proxy_floor_degenerate(nc_ctx *ctx, const double *x, size_t n,
                                    double *out)
{
    double lo = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || x[i] == INFINITY)
            return nc_fail(ctx, NC_ERR_NUMERIC,
                           "score %g at index %zu (only finite scores and -inf "
                           "for degenerate nets rank)", x[i], i);
        if (isfinite(x[i]) && x[i] < lo)
            lo = x[i];
    }
    double floor = isfinite(lo) ? lo - 1 - fabs(lo) : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = isfinite(x[i]) ? x[i] : floor;
    return NC_OK;
}

/* Copeland counts of the pairwise majority: -inf compares below every
 * finite value and equal to itself, so the raw scores are compared as they
 * are. d[j] accumulates, for the current i, the members preferring i over j
 * minus those preferring j. */
static nc_status vote(nc_ctx *ctx, const double *const *s, int k, size_t n,
                      double *out)
{
    int *d = malloc(n * sizeof *d);
    if (!d)
        return nc_fail(ctx, NC_ERR_NOMEM, "vote: out of memory");
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            d[j] = 0;
        for (int m = 0; m < k; m++) {
            const double *x = s[m], xi = x[i];
            for (size_t j = i + 1; j < n; j++)
                d[j] += (xi > x[j]) - (xi < x[j]);
        }
        double wi = 0;
        for (size_t j = i + 1; j < n; j++) {
            double w = d[j] > 0 ? 1.0 : d[j] < 0 ? 0.0 : 0.5;
            wi += w;
            out[j] += 1.0 - w;
        }
        out[i] += wi;
    }
    free(d);
    return NC_OK;
}

static nc_status mean_rank(nc_ctx *ctx, const double *const *s, int k,
                           size_t n, double *out)
{
    double *tmp = malloc(2 * n * sizeof *tmp);
    if (!tmp)
        return nc_fail(ctx, NC_ERR_NOMEM, "mean_rank: out of memory");
    double *rank = tmp + n;
    memset(out, 0, n * sizeof *out);
    nc_status st = NC_OK;
    for (int m = 0; m < k && !st; m++) {
        st = nc_proxy_floor_degenerate(ctx, s[m], n, tmp);
        if (!st)
            st = nc_rank_average(ctx, tmp, n, rank);
        for (size_t i = 0; !st && i < n; i++)
            out[i] += rank[i];
    }
    for (size_t i = 0; !st && i < n; i++)
        out[i] /= k;
    free(tmp);
    if (st)
        nc_ctx_prefix(ctx, "mean_rank");
    return st;
}

nc_status nc_proxy_ensemble(nc_ctx *ctx, const char *name,
                            const double *const *scores, int k, size_t n,
                            double *out)
{
    if (!nc_proxy_is_ensemble(name))
        return nc_fail(ctx, NC_ERR_INVAL, "unknown ensemble '%s' (known: %s)",
                       name ? name : "(null)", nc_proxy_ensemble_names());
    if (k < 1 || k > NC_PROXY_ENSEMBLE_K_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: %d members, expected 1..%d",
                       name, k, NC_PROXY_ENSEMBLE_K_MAX);
    if (n < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: no architectures", name);
    if (!strcmp(name, "vote") && n > NC_PROXY_VOTE_N_MAX)
        return nc_fail(ctx, NC_ERR_RANGE, "vote: %zu architectures, at most "
                       "%d (the vote compares every pair)", n,
                       NC_PROXY_VOTE_N_MAX);
    for (int m = 0; m < k; m++) {
        nc_status st = check_member(ctx, scores[m], n, m);
        if (st) {
            nc_ctx_prefix(ctx, "%s", name);
            return st;
        }
    }
    return !strcmp(name, "vote") ? vote(ctx, scores, k, n, out)
                                 : mean_rank(ctx, scores, k, n, out);
}
