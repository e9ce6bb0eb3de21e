/*
 * evaluator.h — how a campaign scores an architecture, behind one interface
 * so that campaign.c does not care whether a trial is a table lookup
 * (campaign/eval_table.c), a training run (campaign/eval_scratch.c) or an
 * evaluation with weights inherited from a supernet
 * (campaign/eval_inherited.c).
 *
 *     const nc_evaluator_vt *vt;
 *     void *ev;
 *     if (nc_evaluator_find(ctx, cfg->evaluator, &vt) ||
 *         vt->check(ctx, cfg, sp) ||                    // before the run exists
 *         vt->open(ctx, run, cfg, sp, &ev)) ...         // per (re)start
 *     nc_eval_result r;
 *     vt->evaluate(ctx, ev, run, trial, &arch, &r);     // per trial
 *     vt->close(ev);
 *
 * The contract every evaluator keeps, because a killed and resumed campaign
 * must end with exactly the trials of an uninterrupted one:
 *
 *  - evaluate's result is a pure function of (campaign config, trial number,
 *    architecture): any randomness is drawn from streams keyed by the
 *    campaign seed and the trial number (nc_eval_trial_seed), never from the
 *    order of calls, the time or earlier trials.
 *  - long preparation is done in units the run layer commits (prepare: the
 *    inherited evaluator's supernet epochs, each with its checkpoint), or
 *    kept through the campaign's run handle (run/run.h: state blobs, child
 *    runs), so that an open after a kill picks up that progress and
 *    reaches the same state as an uninterrupted one.
 *  - evaluate may be called again for a trial whose earlier evaluation was
 *    killed before the trial was stored; it must reuse what that attempt
 *    left in the store (e.g. continue its training run) and give the same
 *    result.
 *  - No printing, no exit: errors are nc_fail(ctx, ...). A trial that fails
 *    for good (training diverged) is not an error: it sets result.failed,
 *    and the campaign stores it as a failed trial and goes on.
 */
#ifndef NC_EVALUATOR_H
#define NC_EVALUATOR_H

#include <stdint.h>

#include "core/ctx.h"
#include "campaign/campaign.h"
#include "run/run.h"
#include "supernet/space.h"

enum { NC_EVAL_EXTRA_MAX = 512 };

typedef struct nc_eval_result {
    double select;      /* the metric searched on (cfg->select_metric) */
    double report;      /* reported beside it (cfg->report_metric); NaN if
                         * the evaluator has none */
    int failed;         /* 1: the trial failed for good (select and report
                         * are then ignored) */
    /* Further metrics for the trial's metrics JSON: members of a JSON
     * object without the braces, e.g. "\"valid_loss\": 0.41"; "" for none.
     * Only deterministic values belong here (see the contract above). */
    char extra[NC_EVAL_EXTRA_MAX];
} nc_eval_result;

typedef struct nc_evaluator_vt {
    const char *name;   /* as in the campaign file: "table", "scratch" */
    /* Refuses, cheaply and before any run exists, a config this evaluator
     * cannot serve (missing file, space without a builder, ...), so a
     * campaign that could never finish is not created. */
    nc_status (*check)(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                       const nc_space *sp);
    /* Sets up the evaluation of campaign run under cfg, restored to what the
     * run's log holds; *state is the evaluator's own (NULL on failure). cfg
     * and sp stay valid until close; run only during the call. */
    nc_status (*open)(nc_ctx *ctx, nc_run *run, const nc_campaign_cfg *cfg,
                      const nc_space *sp, void **state);
    /* Preparation before the first trial, one unit at a time (NULL: none):
     * describes the unit in *u as a job's step does (run/run.h), or says
     * NC_STEP_DONE when prepared. A unit's state is pack's. */
    nc_status (*prepare)(nc_ctx *ctx, void *state, nc_unit *u, nc_step *what);
    nc_status (*pack)(nc_ctx *ctx, void *state, void **blob, size_t *len);
    /* Preparation units done and planned (with prepare). */
    void (*units)(const void *state, int64_t *done, int64_t *total);
    /* Scores architecture *a as trial `trial`; *out is filled on NC_OK. */
    nc_status (*evaluate)(nc_ctx *ctx, void *state, nc_run *run,
                          int64_t trial, const nc_arch *a,
                          nc_eval_result *out);
    /* Releases state; accepts NULL. */
    void (*close)(void *state);
} nc_evaluator_vt;

/* Evaluates a with the evaluator of a campaign job loaded with nc_run_load
 * (a "search" run), outside its trials: for scoring architectures the
 * campaign never proposed with its table or trained supernet. NC_ERR_STATE
 * for the scratch evaluator (its trials are training runs) and, with the
 * inherited one, a supernet not fully trained yet. */
nc_status nc_campaign_job_evaluate(nc_ctx *ctx, void *job, const nc_arch *a,
                                   nc_eval_result *out);

/* The evaluators (each file's one table of functions). */
const nc_evaluator_vt *nc_evaluator_table(void);
const nc_evaluator_vt *nc_evaluator_scratch(void);
const nc_evaluator_vt *nc_evaluator_inherited(void);

/* The evaluator of kind k into *out. NC_ERR_INVAL "evaluator 'inherited' is
 * not implemented yet" for a kind without one. */
nc_status nc_evaluator_find(nc_ctx *ctx, nc_evaluator_kind k,
                            const nc_evaluator_vt **out);

/* A seed for trial `trial` of a campaign with seed `seed`, for evaluators
 * that need their own randomness (a training run's seed): distinct per
 * trial, and disjoint from the streams the strategies draw proposals from. */
uint64_t nc_eval_trial_seed(uint64_t seed, int64_t trial);

/* ---- the latency objective (campaign/eval_latency.c) ----------------------- */

struct nc_latency_table;

/* Refuses before a run exists what cannot give latencies: a space other
 * than mbv (NC_ERR_INVAL), or a cfg->latency_table file that does not load
 * (its errors). */
nc_status nc_eval_latency_check(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                                const nc_space *sp);

/* The latency table of campaign `run`: the one stored with it (state blob
 * "latency_table") if there is one; otherwise loaded from
 * cfg->latency_table, or measured on this machine when that is "", and then
 * stored, so that every later session predicts the same latencies. *out
 * (free with nc_latency_table_free) is NULL on failure. */
nc_status nc_eval_latency_open(nc_ctx *ctx, nc_run *run,
                               const nc_campaign_cfg *cfg, const nc_space *sp,
                               struct nc_latency_table **out);

#endif
