/*
 * trials.h — search campaigns in the run log: the trials of a search and
 * the state (strategy, supernet weights) it needs to resume.
 *
 * A campaign is a run of kind "search" (nc_store_run_create); its
 * configuration, seed and status are the run's. On top of that the store
 * keeps one campaign row (space, strategy, budget), one row per trial, and
 * named state blobs checked by SHA-256 like checkpoints. Every write is one
 * transaction, so a killed search leaves each trial either absent or
 * complete, never half-written. Schema: docs/SCHEMA.md (version 2).
 *
 *     int64_t run;
 *     nc_run_info info = { .kind = "search", .config_json = cfg, ... };
 *     nc_store_run_create(ctx, db, &info, &run);
 *     nc_campaign_rec c = { .space = "nb201", .strategy = "re",
 *                           .budget = 100, .status = "running" };
 *     nc_store_campaign_put(ctx, db, run, &c);
 *     nc_trial_rec t = { .trial = 0, .arch = a, .origin = "random",
 *                        .parent1 = -1, .parent2 = -1, .status = "done",
 *                        .n_obj = 1, .obj = { 0.93 },
 *                        .metrics_json = "{}", .seconds = 1.5 };
 *     nc_store_trial_put(ctx, db, run, &t);
 *     nc_store_state_put(ctx, db, run, "strategy", blob, len);
 */
#ifndef NC_STORE_CAMPAIGN_H
#define NC_STORE_CAMPAIGN_H

#include "store/store.h"



/* Inserts or replaces the campaign row of run (one transaction). All
 * strings required (NC_ERR_INVAL), budget >= 0 (NC_ERR_RANGE), status one of
 * the three (NC_ERR_INVAL); NC_ERR_NOTFOUND for an unknown run. The run's
 * kind is not checked. Strings are only read during the call. */
nc_status nc_store_campaign_put(nc_ctx *ctx, nc_store *st, int64_t run,
                                const nc_campaign_rec *c);
/* Fetches the campaign row of run; NC_ERR_NOTFOUND if there is none. *out is
 * zeroed first; release with nc_campaign_rec_clear. */
nc_status nc_store_campaign_get(nc_ctx *ctx, nc_store *st, int64_t run,
                                nc_campaign_rec *out);
/* Frees a fetched record's strings and zeroes it; accepts NULL. */
void nc_campaign_rec_clear(nc_campaign_rec *c);


/* Records one trial in one transaction: afterwards the trial is either
 * absent (on any error) or complete. Validation before any write:
 * NC_ERR_INVAL for trial < 0, a NULL string, an unknown status, metrics_json
 * that is not JSON, n_obj outside 0..NC_STORE_MAX_OBJ; NC_ERR_NUMERIC for a
 * NaN or infinite obj[i] (i < n_obj) or a bad seconds. NC_ERR_NOTFOUND for an
 * unknown run. If the trial exists, the put replaces it only when the stored
 * status is "proposed" and the new one is "done" or "failed" (an evaluation
 * finishing); anything else is NC_ERR_STATE "trial 7 of run 3 is already
 * done" and changes nothing. obj[i] for i >= n_obj are ignored. */
nc_status nc_store_trial_put(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_trial_rec *t);
/* All trials of run in trial order. *out is an array of *n records (NULL when
 * *n is 0) owned by the caller: nc_trial_recs_free. Unused obj[] slots read
 * as NaN, missing parents as -1. NC_ERR_NOTFOUND for an unknown run. */
nc_status nc_store_trials(nc_ctx *ctx, nc_store *st, int64_t run,
                          nc_trial_rec **out, int *n);
/* Frees an array from nc_store_trials; accepts NULL. */
void nc_trial_recs_free(nc_trial_rec *recs, int n);
/* *n = number of trials of run (any status). NC_ERR_NOTFOUND for an unknown
 * run. */
nc_status nc_store_trial_count(nc_ctx *ctx, nc_store *st, int64_t run,
                               int *n);

/* Stores blob under (run, name) with its SHA-256, replacing an older blob of
 * that name, in one transaction. name non-empty (NC_ERR_INVAL), blob may be
 * NULL only with len 0; NC_ERR_NOTFOUND for an unknown run, NC_ERR_RANGE for
 * a blob over SQLite's limit. blob is only read during the call. */
nc_status nc_store_state_put(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *name, const void *blob, size_t len);
/* Reads the blob stored under (run, name), checksum verified:
 * NC_ERR_CHECKSUM naming run and name on a SHA-256 or length mismatch,
 * NC_ERR_NOTFOUND if there is none. *blob is malloc'ed (non-NULL even when
 * empty), caller frees; NULL on failure. */
nc_status nc_store_state_get(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *name, void **blob, size_t *len);

#endif
