/*
 * campaign.h — the campaign file: everything a search campaign needs (space,
 * data, supernet training, strategy, evaluator, objectives, budget, seed) as
 * one JSON document, so a campaign is reproducible from its file alone.
 *
 *     nc_campaign_cfg cfg;
 *     if (nc_campaign_cfg_load(ctx, "examples/campaigns/nb201_table_evolution.json",
 *                              &cfg) ||
 *         nc_campaign_cfg_validate(ctx, &cfg))
 *         ...ctx->msg names the field, e.g. "campaign: field
 *            'strategy.population' must be an integer"...
 *     char *json = nc_campaign_cfg_to_json(&cfg);   // stored with the results
 *
 * The file (every key optional unless marked required; unknown keys are an
 * error so that typos do not silently fall back to defaults):
 *
 *     { "space": "nb201",                                        (required)
 *       "dataset": "cifar10", "data_dir": "",
 *       "supernet": { "kind": "none|spos|sandwich", "epochs": 50,
 *                     "batch": 128, "lr": 0.05, "momentum": 0.9,
 *                     "weight_decay": 5e-4, "nb201_c": 16, "nb201_n": 5,
 *                     "train_samples": 0, "valid": 10000,
 *                     "recal_samples": 2000, "eval_samples": 0 },
 *       "strategy": { "kind": "random|evolution|nsga2|local|predictive",
 *                     "population": 10, "sample": 3, "crossover": 0,
 *                     (predictive only, see search/strategy.h:)
 *                     "predictor": "ridge|gp|mlp|xgb|ensemble" (ridge),
 *                     "init": 20, "candidates": 200, "parents": 10,
 *                     "mutations": 2, "random_frac": 0.1,
 *                     "zc_pool": 0, "zc_feature": false,
 *                     "zc_proxy": "synflow", "ucb_beta": 0 }, (kind required)
 *       "evaluator": { "kind": "table|inherited|scratch",        (kind required)
 *                      "file": "...csv", "select": "cifar10_valid",
 *                      "report": "cifar10_test",          (table: file required)
 *                      "epochs": 10, "batch": 128, "lr": 0.05, ... (scratch)
 *                      "valid": 5000 (scratch: held-out training samples) },
 *       "objectives": ["accuracy", "params"],                    (required)
 *       "latency_table": "lat.csv",   (latency objective, mbv only; "" or
 *                                      absent: measured at campaign start)
 *       "budget": 150,                                           (required)
 *       "seed": "1",       (a string: a JSON number cannot carry every u64)
 *       "threads": 1 }
 *
 * select/report name the metrics in each trial's metrics; for the table
 * evaluator they are columns of its file, for the others they default to
 * "valid_accuracy" and "test_accuracy" (what those evaluators measure).
 *
 * Relative paths (evaluator.file, data_dir, latency_table) are taken from the working
 * directory, not the campaign file's: the examples are run from the
 * repository root, like the tests.
 *
 * Zero-cost help (predictive only; campaign/zc.h): zc_pool > 0 starts the
 * search from the init best of zc_pool random architectures by zc_proxy
 * (a data-free proxy: params, flops, synflow) on nets for the data set's
 * input shape; zc_feature adds the score to the predictor's features. The
 * scores are recomputed, identically, when a campaign resumes.
 *
 * Objective directions are fixed by the metric (accuracy is maximized;
 * params, flops and latency are minimized), so a file cannot get them wrong.
 */
#ifndef NC_CAMPAIGN_H
#define NC_CAMPAIGN_H

#include <stdint.h>

#include "core/ctx.h"
#include "search/strategy.h"
#include "run/run.h"

enum { NC_CAMPAIGN_NAME_MAX = 64, NC_CAMPAIGN_PATH_MAX = 1024 };

/* Largest campaign file nc_campaign_cfg_load reads (checked before it
 * allocates, so a wrong path to a huge file fails fast). */
enum { NC_CAMPAIGN_FILE_MAX = 1 << 20 };

typedef enum nc_supernet_kind {
    NC_SUPERNET_NONE = 0,   /* no weight-sharing supernet */
    NC_SUPERNET_SPOS,       /* single-path one-shot, uniform path sampling */
    NC_SUPERNET_SANDWICH    /* sandwich rule: largest, smallest, random paths */
} nc_supernet_kind;

typedef enum nc_evaluator_kind {
    NC_EVAL_TABLE = 0,      /* look the architecture up in a results CSV */
    NC_EVAL_INHERITED,      /* accuracy with weights inherited from the supernet */
    NC_EVAL_SCRATCH         /* train the architecture from scratch */
} nc_evaluator_kind;

typedef enum nc_objective {
    NC_OBJ_ACCURACY = 0,    /* maximized */
    NC_OBJ_PARAMS,          /* minimized */
    NC_OBJ_FLOPS,           /* minimized */
    NC_OBJ_LATENCY          /* minimized */
} nc_objective;

/* Training settings shared by the supernet and the scratch evaluator. Not
 * nc_train_cfg: its model/arch/dataset are fixed by the campaign (the space
 * and the architecture under evaluation), so only these stay free. */
typedef struct nc_campaign_train {
    int epochs;
    int batch;
    double lr;
    double momentum;
    double weight_decay;
} nc_campaign_train;

/* The weight-sharing supernet's data and shape (inherited evaluator). */
typedef struct nc_campaign_super {
    int nb201_c, nb201_n;   /* nb201 skeleton: first width, cells per stage */
    int train_samples;      /* supernet training samples (0: all that the
                               validation split leaves) */
    int valid;              /* training samples held out for the select
                               metric */
    int recal_samples;      /* BN recalibration samples per trial */
    int eval_samples;       /* held-out samples scored per trial (0: all) */
} nc_campaign_super;

/* The settings of the predictive strategy (nc_strategy_cfg's fields of the
 * same names; predictor is an nc_predictor_kind). */
typedef struct nc_campaign_predictive {
    int predictor;
    int init;
    int candidates;
    int parents;
    int mutations;
    double random_frac;
    int zc_pool;                        /* zero-cost warm-up pool, 0: none */
    int zc_feature;                     /* 1: proxy score as a feature */
    char zc_proxy[NC_CAMPAIGN_NAME_MAX]; /* data-free proxy (campaign/zc.h) */
    double ucb_beta;                    /* acquisition: mean + beta * spread */
} nc_campaign_predictive;

typedef struct nc_campaign_cfg {
    char space[NC_CAMPAIGN_NAME_MAX];
    char dataset[NC_CAMPAIGN_NAME_MAX];
    char data_dir[NC_CAMPAIGN_PATH_MAX];   /* "" for the data set's default */
    nc_supernet_kind supernet;
    nc_campaign_train supernet_train;
    nc_campaign_super super;
    nc_strategy_kind strategy;
    int population;
    int sample;
    double crossover;
    nc_campaign_predictive pred;           /* predictive strategy only */
    nc_evaluator_kind evaluator;
    char table_file[NC_CAMPAIGN_PATH_MAX]; /* table evaluator only */
    char select_metric[NC_CAMPAIGN_NAME_MAX];
    char report_metric[NC_CAMPAIGN_NAME_MAX];
    nc_campaign_train scratch_train;       /* scratch evaluator only */
    int scratch_valid;                     /* scratch: training samples held
                                            * out for the select metric */
    char latency_table[NC_CAMPAIGN_PATH_MAX]; /* latency objective: a table
                                            * from `nasc latency-table`, or ""
                                            * to build one at campaign start */
    int n_obj;                             /* 1..NC_MAX_OBJ */
    nc_objective obj[NC_MAX_OBJ];
    int64_t budget;                        /* trials */
    uint64_t seed;
    int threads;
} nc_campaign_cfg;

/* nb201 on cifar10, no supernet, evolution P=10 S=3, table evaluator on
 * cifar10_valid/cifar10_test, objective accuracy, budget 100, seed 1, 1
 * thread; scratch settings 10 epochs, 5000 validation samples; no latency
 * table file. Valid once table_file is set: there is no sensible default file. */
nc_campaign_cfg nc_campaign_cfg_defaults(void);

/* Checks names and ranges. NC_ERR_INVAL for an unknown space or data set
 * (listing the known ones) or inconsistent choices (inherited evaluator
 * without a supernet, a table evaluator without a file, a repeated
 * objective, the latency objective on a space other than mbv); NC_ERR_RANGE naming the field for a value out of range
 * (strategy.sample is checked against the population only for evolution,
 * the one strategy that reads it). */
nc_status nc_campaign_cfg_validate(nc_ctx *ctx, const nc_campaign_cfg *cfg);

/* The config as a pretty-printed JSON object (malloc'ed; caller frees; NULL
 * if out of memory). from_json(to_json(c)) gives back c exactly. */
char *nc_campaign_cfg_to_json(const nc_campaign_cfg *cfg);

/* Parses a campaign document over the defaults. NC_ERR_FORMAT for invalid
 * JSON (with line:column), a missing required field, an ill-typed field or
 * an unknown field (each naming the field path); NC_ERR_INVAL for an
 * unknown strategy, evaluator, supernet or objective name (listing the known
 * ones). Does not validate ranges: call nc_campaign_cfg_validate. */
nc_status nc_campaign_cfg_from_json(nc_ctx *ctx, const char *json,
                                    nc_campaign_cfg *cfg);

/* Reads and parses the campaign file at path, as from_json; NC_ERR_IO naming
 * the path if it cannot be read, NC_ERR_RANGE if it exceeds
 * NC_CAMPAIGN_FILE_MAX. Messages start with the path. */
nc_status nc_campaign_cfg_load(nc_ctx *ctx, const char *path,
                               nc_campaign_cfg *cfg);

/* The field table behind defaults, validate, to_json and from_json
 * (core/cfgtab.h): every key of the file with its default and range. */
struct nc_cfg_table;
const struct nc_cfg_table *nc_campaign_cfg_table(void);

/* The strategy settings of c (seed, population, sample, crossover,
 * objectives and their directions) for nc_strategy_new(ctx, c->strategy, ...). */
nc_strategy_cfg nc_campaign_strategy_cfg(const nc_campaign_cfg *c);

/* Names, for messages and the CLI ("evolution", "table", "latency", ...);
 * "?" for a value out of range. */
const char *nc_campaign_strategy_name(nc_strategy_kind k);
const char *nc_campaign_evaluator_name(nc_evaluator_kind k);
const char *nc_campaign_supernet_name(nc_supernet_kind k);
const char *nc_campaign_objective_name(nc_objective o);
/* 1 if objective o is minimized. */
int nc_campaign_objective_minimized(nc_objective o);

/* ---- running a campaign (campaign/campaign_job.c) --------------------------
 *
 * A campaign is a run of kind "search" whose config JSON is the whole
 * campaign file (nc_campaign_cfg_to_json), so resuming needs only the run
 * id. It runs as a job of the run layer (run/run.h); run/jobs.h has its
 * front doors:
 *
 *     int64_t run;
 *     nc_campaign_result r;
 *     if (nc_campaign_start(ctx, db, &cfg, NULL, &run, &r)) ...  // new
 *     if (nc_campaign_resume(ctx, db, run, NULL, &r)) ...        // after a kill
 *
 * Its units are the evaluator's preparation (the inherited evaluator's
 * supernet epochs), then one trial each. Resuming replays the stored trials
 * into a fresh strategy (its state is a pure function of the told
 * history), so a killed and resumed campaign yields exactly the trials of
 * an uninterrupted one. An architecture proposed again is answered from
 * the first trial that evaluated it (the trial is stored with
 * "cached_from") without spending budget: the budget counts distinct
 * architectures, and a campaign also ends after NC_CAMPAIGN_PROPOSALS_MAX
 * times the budget proposals. Evaluators sit behind campaign/evaluator.h
 * ("table", "scratch", "inherited"). The latency objective is the
 * prediction of a latency table (campaign/eval_latency.c) measured or
 * loaded once when the campaign first runs and stored with it, so every
 * trial's latency is reproducible; only the mbv space has such a table. */
enum { NC_CAMPAIGN_PROPOSALS_MAX = 20 };

/* The job of kind "search" (run/run.h). */
extern const nc_job_vt nc_campaign_job;

/* Progress, called after every stored trial; may be NULL. best is the best
 * first-objective value so far. */
typedef struct nc_campaign_progress {
    void (*fn)(void *ud, int64_t done, int64_t budget, double best,
               double seconds);
    void *ud;
} nc_campaign_progress;

typedef struct nc_campaign_result {
    int64_t run;
    int64_t trials;            /* trials stored */
    int64_t budget;
    int64_t best_trial;        /* by the first objective; -1 if no trial */
    char best_arch[512];       /* NC_ARCH_STR_MAX */
    double best_obj[NC_MAX_OBJ];
    double best_select;        /* select/report metrics of the best trial */
    double best_report;        /* (NaN when the evaluator has none) */
    int pareto_size;           /* non-dominated trials over all objectives */
    int64_t unique;            /* distinct architectures among the trials */
    double seconds;            /* evaluation seconds, summed over trials */
} nc_campaign_result;

/* The result as a JSON object (malloc'ed; NULL if out of memory); objective
 * and metric names come from cfg. Stored as the run's result when done. */
char *nc_campaign_result_to_json(const nc_campaign_cfg *cfg,
                                 const nc_campaign_result *r);

/* The campaign job's hooks (nc_run_opts.hooks): progress after every
 * stored trial (may be NULL), and a limit of new trials per session
 * (< 0: none; the run stays running when it is reached). */
typedef struct nc_campaign_hooks {
    const nc_campaign_progress *prog;
    int64_t max_trials;
} nc_campaign_hooks;

/* Summarizes n stored trials (from nc_run_trials) under cfg into *res
 * (run, budget and the rest; only trials with status "done" compete, and
 * a repeated architecture counts once). NC_ERR_NOMEM. */
nc_status nc_campaign_summarize(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                                const nc_trial_rec *recs, int n,
                                nc_campaign_result *res);

/* The value of metric `name` in a trial's metrics_json, or NaN. */
double nc_campaign_trial_metric(const nc_trial_rec *t, const char *name);

#endif
