/*
 * strategy_int.h — what the strategy implementations (random.c,
 * evolution.c) share with the dispatcher (strategy.c). Not public.
 */
#ifndef NC_STRATEGY_INT_H
#define NC_STRATEGY_INT_H

#include "search/strategy.h"

typedef struct nc_told {
    int64_t trial;
    nc_arch arch;
    double fitness;         /* obj[0] */
    double obj[NC_MAX_OBJ];
    int n_obj;
} nc_told;

struct nc_strategy {
    nc_strategy_kind kind;
    const nc_space *sp;
    nc_strategy_cfg cfg;
    nc_told *told;          /* in the order told */
    int64_t n_told, cap;
    void *cache;            /* a kind's memo of work derived from the
                             * history (predictive.c); never state of its
                             * own: dropping it changes no proposal */
    nc_zc_fn zc;            /* zero-cost scorer, or NULL */
    void *zc_user;
};

void nc_random_ask(nc_strategy *s, nc_rng *r, nc_proposal *out);
void nc_evolution_ask(nc_strategy *s, nc_rng *r, nc_proposal *out);
/* These allocate scratch: NC_ERR_NOMEM with the message in ctx. */
nc_status nc_nsga2_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial, nc_rng *r,
                       nc_proposal *out);
nc_status nc_local_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial, nc_rng *r,
                       nc_proposal *out);
nc_status nc_predictive_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                            nc_rng *r, nc_proposal *out);
/* Checks the predictive settings of cfg (NC_ERR_INVAL naming the field). */
nc_status nc_predictive_check(nc_ctx *ctx, const nc_strategy_cfg *cfg);
/* Frees s->cache of a predictive strategy (NULL allowed). */
void nc_predictive_cache_free(void *cache);

#endif
