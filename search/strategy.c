/*
 * strategy.c — the ask/tell front: config checks, the told history, and the
 * per-trial generator every implementation draws from.
 */
#include <math.h>
#include <stdlib.h>

#include "predictors/predictor.h"
#include "search/strategy_int.h"

nc_strategy_cfg nc_strategy_defaults(nc_strategy_kind kind)
{
    nc_strategy_cfg c = { .seed = 0, .population = 10, .sample = 3,
                          .crossover = 0.0, .n_obj = 1,
                          .predictor = NC_PRED_RIDGE, .init = 20,
                          .candidates = 200, .parents = 10, .mutations = 2,
                          .random_frac = 0.1 };
    /* Deb et al. 2002 use pc = 0.9; P = 20 suits budgets of a few hundred. */
    if (kind == NC_STRATEGY_NSGA2) {
        c.population = 20;
        c.crossover = 0.9;
    }
    return c;
}

nc_status nc_strategy_new(nc_ctx *ctx, nc_strategy_kind kind,
                          const nc_space *sp, const nc_strategy_cfg *cfg,
                          nc_strategy **out)
{
    *out = NULL;
    if (kind != NC_STRATEGY_RANDOM && kind != NC_STRATEGY_EVOLUTION &&
        kind != NC_STRATEGY_NSGA2 && kind != NC_STRATEGY_LOCAL &&
        kind != NC_STRATEGY_PREDICTIVE)
        return nc_fail(ctx, NC_ERR_INVAL, "unknown strategy kind %d", (int)kind);
    if (!sp || !cfg)
        return nc_fail(ctx, NC_ERR_INVAL, "strategy: space and config needed");
    if (cfg->population < 1 || cfg->population > 100000)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "population %d out of range 1..100000", cfg->population);
    if (cfg->sample < 1 || cfg->sample > cfg->population)
        return nc_fail(ctx, NC_ERR_INVAL, "sample %d out of range 1..%d",
                       cfg->sample, cfg->population);
    if (!(cfg->crossover >= 0.0 && cfg->crossover <= 1.0))
        return nc_fail(ctx, NC_ERR_INVAL, "crossover %g out of range [0, 1]",
                       cfg->crossover);
    if (cfg->n_obj < 0 || cfg->n_obj > NC_MAX_OBJ)
        return nc_fail(ctx, NC_ERR_INVAL, "n_obj %d out of range 1..%d",
                       cfg->n_obj, NC_MAX_OBJ);
    if (kind == NC_STRATEGY_PREDICTIVE) {
        nc_status st = nc_predictive_check(ctx, cfg);
        if (st)
            return st;
    }
    nc_strategy *s = calloc(1, sizeof *s);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    s->kind = kind;
    s->sp = sp;
    s->cfg = *cfg;
    if (s->cfg.n_obj == 0)
        s->cfg.n_obj = 1;
    *out = s;
    return NC_OK;
}

void nc_strategy_set_zc(nc_strategy *s, nc_zc_fn fn, void *user)
{
    s->zc = fn;
    s->zc_user = user;
}

void nc_strategy_free(nc_strategy *s)
{
    if (!s)
        return;
    nc_predictive_cache_free(s->cache);
    free(s->told);
    free(s);
}

nc_status nc_strategy_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                          nc_proposal *out)
{
    if (trial < 0)
        return nc_fail(ctx, NC_ERR_RANGE, "trial %lld is negative",
                       (long long)trial);
    nc_rng r = nc_rng_make(s->cfg.seed, NC_STREAM(NC_PURPOSE_SAMPLE, trial));
    if (s->kind == NC_STRATEGY_NSGA2)
        return nc_nsga2_ask(ctx, s, trial, &r, out);
    if (s->kind == NC_STRATEGY_LOCAL)
        return nc_local_ask(ctx, s, trial, &r, out);
    if (s->kind == NC_STRATEGY_PREDICTIVE)
        return nc_predictive_ask(ctx, s, trial, &r, out);
    if (s->kind == NC_STRATEGY_EVOLUTION)
        nc_evolution_ask(s, &r, out);
    else
        nc_random_ask(s, &r, out);
    return NC_OK;
}

nc_status nc_strategy_tell(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                           const nc_arch *arch, double fitness)
{
    return nc_strategy_tell_multi(ctx, s, trial, arch, &fitness, 1);
}

nc_status nc_strategy_tell_multi(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                                 const nc_arch *arch, const double *obj,
                                 int n_obj)
{
    if (n_obj != s->cfg.n_obj)
        return nc_fail(ctx, NC_ERR_INVAL, "trial %lld: %d objectives told, "
                       "the strategy has %d", (long long)trial, n_obj,
                       s->cfg.n_obj);
    for (int k = 0; k < n_obj; k++)
        if (isnan(obj[k]))
            return nc_fail(ctx, NC_ERR_NUMERIC, "trial %lld: fitness is NaN",
                           (long long)trial);
    /* Linear scan: histories are thousands of trials at most, and a
     * duplicate tell would silently skew the population. */
    for (int64_t i = 0; i < s->n_told; i++)
        if (s->told[i].trial == trial)
            return nc_fail(ctx, NC_ERR_STATE, "trial %lld was already told",
                           (long long)trial);
    if (s->n_told == s->cap) {
        int64_t c = s->cap ? 2 * s->cap : 64;
        nc_told *p = realloc(s->told, (size_t)c * sizeof *p);
        if (!p)
            return nc_fail(ctx, NC_ERR_NOMEM, "out of memory for %lld trials",
                           (long long)c);
        s->told = p;
        s->cap = c;
    }
    nc_told *e = &s->told[s->n_told++];
    *e = (nc_told){ .trial = trial, .arch = *arch, .fitness = obj[0],
                    .n_obj = n_obj };
    for (int k = 0; k < n_obj; k++)
        e->obj[k] = obj[k];
    return NC_OK;
}

int64_t nc_strategy_n_told(const nc_strategy *s)
{
    return s->n_told;
}
