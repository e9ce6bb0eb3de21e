/*
 * strategy.h — search strategies behind one ask/tell interface.
 *
 * A strategy proposes the architecture of trial t (ask) and learns its
 * fitness (tell; larger is better). Every random draw of trial t comes from
 * nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, t)), so a proposal is a pure
 * function of (seed, t, the history told so far, in order): a campaign is
 * restored by creating the strategy with the same config and replaying its
 * told history, and trials may be asked ahead (parallel workers) without
 * perturbing one another's draws.
 *
 *     nc_strategy_cfg cfg = nc_strategy_defaults(NC_STRATEGY_EVOLUTION);
 *     cfg.seed = 7;
 *     nc_strategy *s;
 *     if (nc_strategy_new(ctx, NC_STRATEGY_EVOLUTION, sp, &cfg, &s)) ...
 *     for (int64_t t = 0; t < budget; t++) {
 *         nc_proposal p;
 *         nc_strategy_ask(ctx, s, t, &p);
 *         nc_strategy_tell(ctx, s, t, &p.arch, evaluate(&p.arch));
 *     }
 *     nc_strategy_free(s);
 */
#ifndef NC_STRATEGY_H
#define NC_STRATEGY_H

#include <stdint.h>

#include "core/ctx.h"
#include "supernet/space.h"

typedef enum nc_strategy_kind {
    NC_STRATEGY_RANDOM = 0,     /* uniform sampling from the space */
    NC_STRATEGY_EVOLUTION,      /* regularized (aging) evolution */
    NC_STRATEGY_NSGA2,          /* multi-objective NSGA-II: generation g is
                                 * trials P*g..P*g+P-1 (search/nsga2.c) */
    NC_STRATEGY_LOCAL,          /* local search, best-improvement over the
                                 * distance-1 neighbours (search/local.c) */
    NC_STRATEGY_PREDICTIVE      /* predictor-guided (BANANAS-style): mutants
                                 * of the best so far, ranked by a predictor
                                 * fitted on the history (search/predictive.c) */
} nc_strategy_kind;

enum { NC_MAX_OBJ = 4 };        /* objectives a trial may carry */

/* How a proposal was made (recorded with a trial, for analysis). */
typedef enum nc_origin {
    NC_ORIGIN_RANDOM = 0,
    NC_ORIGIN_MUTATION,
    NC_ORIGIN_CROSSOVER,
    NC_ORIGIN_PREDICTED,    /* the predictor's pick among many candidates */
    NC_ORIGIN_WARMUP        /* among the zero-cost best of a random pool */
} nc_origin;

typedef struct nc_strategy_cfg {
    uint64_t seed;
    /* Regularized evolution (Real et al. 2019): the population is the
     * `population` most recently told trials (the oldest dies); the first
     * `population` trials are random; after that, a parent is the fittest of
     * `sample` members drawn uniformly with replacement, and the child is a
     * mutation of it. */
    int population;
    int sample;
    /* Probability that a child is instead the crossover of two such parents,
     * then mutated (0 = mutation only, as in Real et al.). */
    double crossover;
    /* Objectives per trial (1..NC_MAX_OBJ; 0 is taken as 1), and which are
     * minimized (nonzero) rather than maximized. Only NSGA-II reads the
     * directions; the others optimize objective 0, larger is better. NSGA-II
     * reuses `population` (P) and `crossover` (the probability pc). */
    int n_obj;
    int minimize[NC_MAX_OBJ];
    /* Predictive search (search/predictive.c; only it reads these). The
     * first `init` trials are uniform draws; after that every ask fits a
     * predictor of kind `predictor` (an nc_predictor_kind, with its
     * defaults: it fits the normal scores of the fitnesses' ranks) on all told
     * (encoding, fitness) pairs, makes `candidates` candidates, of which
     * the share `random_frac` are uniform draws and the rest mutants (1 to
     * `mutations` mutations) of the `parents` fittest told architectures,
     * drops those already told, and proposes the one predicted best. */
    int predictor;
    int init;
    int candidates;
    int parents;
    int mutations;
    double random_frac;
    /* Zero-cost help for predictive search; the scores come from the scorer
     * attached with nc_strategy_set_zc. zc_pool > 0 (zero-cost warm-up): the
     * first `init` trials are, in order, the `init` best-scored of up to
     * zc_pool distinct uniform draws from the stream
     * NC_STREAM(NC_PURPOSE_WARMUP, 0) (ties and -inf in draw order), instead
     * of uniform draws. zc_feature 1: the predictor sees each
     * architecture's score as one more feature, sign(s) log(1 + |s|), with
     * -inf mapped one below the least finite value of the training set. */
    int zc_pool;
    int zc_feature;
    /* Acquisition: candidates are ranked by mean + ucb_beta * spread of the
     * predictor (nc_predictor_predict_sd; gp and ensemble have one), an
     * upper confidence bound; 0 ranks by the mean alone. */
    double ucb_beta;
} nc_strategy_cfg;

typedef struct nc_proposal {
    nc_arch arch;
    nc_origin origin;
    int n_parents;          /* 0, 1 or 2 */
    int64_t parents[2];     /* trial indices of the parents */
} nc_proposal;

typedef struct nc_strategy nc_strategy;

/* Zero-cost scores of the n architectures a[0..n) into score[0..n): higher
 * predicts better, -INFINITY for a degenerate net, never NaN. Must be a pure
 * function of each architecture (same architecture, same score, whatever
 * the batch), because a resumed campaign recomputes what it needs; scoring
 * a batch lets the scorer spread it over threads. campaign/zc.h has one that
 * builds each net and runs a data-free proxy; a benchmark can look scores up
 * in a table. Returns a status with the reason in ctx. */
typedef nc_status (*nc_zc_fn)(void *user, nc_ctx *ctx, const nc_arch *a,
                              size_t n, double *score);

/* The defaults of kind: seed 0, population 10, sample 3, crossover 0
 * (see results/search_nb201_tabular.md for how they were chosen); the
 * predictive settings ridge, init 20, candidates 200, parents 10, mutations 2,
 * random_frac 0.1, no zero-cost help, ucb_beta 0
 * (results/search_nb201_predictive.md). */
nc_strategy_cfg nc_strategy_defaults(nc_strategy_kind kind);

/* A strategy of kind over sp (which must outlive it). NC_ERR_INVAL for an
 * unknown kind or a config out of range (population 1..100000, sample
 * 1..population, crossover in [0, 1], n_obj 0..NC_MAX_OBJ; for the
 * predictive kind also a known predictor, init 2..100000, candidates
 * 1..100000, parents 1..10000, mutations 1..64, random_frac in [0, 1],
 * zc_pool 0 or init..1000000, zc_feature 0 or 1, ucb_beta in [0, 100] and
 * 0 unless the predictor has a spread);
 * *out is NULL on failure. */
nc_status nc_strategy_new(nc_ctx *ctx, nc_strategy_kind kind,
                          const nc_space *sp, const nc_strategy_cfg *cfg,
                          nc_strategy **out);

/* Frees s; NULL is allowed. */
void nc_strategy_free(nc_strategy *s);

/* Attaches the zero-cost scorer that the config's zc_pool and zc_feature
 * use (fn(user, ...)); user is borrowed and must outlive s. A strategy whose
 * config asks for zero-cost scores fails its first ask that needs them with
 * NC_ERR_STATE until one is attached. Attach before the first ask. */
void nc_strategy_set_zc(nc_strategy *s, nc_zc_fn fn, void *user);

/* The proposal for trial (>= 0), from the history told so far. Asking the
 * same trial twice with the same history gives the same proposal.
 * NC_ERR_RANGE for a negative trial. */
nc_status nc_strategy_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                          nc_proposal *out);

/* Records that trial evaluated arch to fitness. NC_ERR_NUMERIC for NaN
 * (report a failed trial as -INFINITY), NC_ERR_STATE if trial was already
 * told, NC_ERR_NOMEM. */
nc_status nc_strategy_tell(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                           const nc_arch *arch, double fitness);

/* Records that trial evaluated arch to the n_obj objective values obj
 * (n_obj must equal the config's); tell() is this with one objective, and
 * obj[0] is the fitness the single-objective strategies use. Errors as
 * tell(), NC_ERR_NUMERIC if any value is NaN, NC_ERR_INVAL for a wrong
 * n_obj. */
nc_status nc_strategy_tell_multi(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                                 const nc_arch *arch, const double *obj,
                                 int n_obj);

/* Number of trials told. */
int64_t nc_strategy_n_told(const nc_strategy *s);

#endif
