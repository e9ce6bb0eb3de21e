/*
 * jobs.h — the typed front doors of the job kinds: start, resume and read
 * training runs, DARTS runs and search campaigns in a run log. Each is the
 * run layer (run/run.h) with the kind's configuration and result types;
 * the kinds' own headers (train/train.h, supernet/darts.h,
 * campaign/campaign.h) describe the configurations and results.
 *
 *     nc_train_cfg cfg = nc_train_cfg_defaults();
 *     int64_t run;
 *     nc_train_result res;
 *     if (nc_train_start(ctx, db, &cfg, NULL, &run, &res)) ...   // new run
 *     if (nc_train_resume(ctx, db, run, NULL, &res)) ...          // after a kill
 *
 * Every resume refuses (NC_ERR_STATE) a run of another kind, a done run, a
 * run failed for good (naming why) and a run another live process works on
 * (naming it); see run/run.h for ownership and failure.
 */
#ifndef NC_RUN_JOBS_H
#define NC_RUN_JOBS_H

#include <stdint.h>

#include "core/ctx.h"
#include "run/run.h"
#include "train/train.h"
#include "supernet/darts.h"
#include "campaign/campaign.h"

/* ---- training runs (kind "train") ---------------------------------------- */

/* Creates a run for cfg in db and trains it to the end; on success *res
 * holds the final test metrics (also stored as the run's result JSON) and
 * *run (may be NULL) the run id, set as soon as the run exists. prog may be
 * NULL. */
nc_status nc_train_start(nc_ctx *ctx, nc_store *db, const nc_train_cfg *cfg,
                         const nc_train_progress *prog, int64_t *run,
                         nc_train_result *res);
/* Continues run `run` from its last checkpoint (or from the start if it
 * has none) to the end. */
nc_status nc_train_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                          const nc_train_progress *prog, nc_train_result *res);
/* Evaluates the newest checkpoint of a run on the test split (or the
 * validation split if valid is 1 and the run has one). NC_ERR_STATE if no
 * epoch of the run has finished yet. Takes no ownership: works on a run
 * another process is training. */
nc_status nc_train_eval(nc_ctx *ctx, nc_store *db, int64_t run, int valid,
                        double *accuracy, double *loss);
/* Writes the newest checkpoint of training run `run` as a model file at
 * path (export/mfile.h), with the lineage {"source": "train", "run",
 * "epochs_done", "config"}; sha256 (may be NULL) gets the file's SHA-256.
 * NC_ERR_STATE if no epoch has finished. Takes no ownership. */
nc_status nc_train_export(nc_ctx *ctx, nc_store *db, int64_t run,
                          const char *path, char sha256[65]);

/* ---- DARTS runs (kind "darts") ------------------------------------------- */

/* Loads the data, creates the run (*run gets its id as soon as it exists)
 * and runs it to the end, committing after every unit (an epoch, or a
 * DARTS-PT decision). A progress hook that asks to stop is NC_ERR_STOPPED,
 * the run left running after the unit it saw. */
nc_status nc_darts_start(nc_ctx *ctx, nc_store *db, const nc_darts_job *j,
                         const nc_darts_progress *prog, int64_t *run,
                         nc_darts_result *res);
/* Continues run `run` from its newest commit. */
nc_status nc_darts_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                          const nc_darts_progress *prog, nc_darts_result *res);

/* ---- search campaigns (kind "search") ------------------------------------ */

/* Validates cfg and creates its run (kind "search", status "running") and
 * campaign row, with no trials yet and no owner. *run is the new id. */
nc_status nc_campaign_create(nc_ctx *ctx, nc_store *db,
                             const nc_campaign_cfg *cfg, int64_t *run);
/* Runs campaign `run` on from its stored trials, evaluating at most
 * max_trials new trials (< 0: no limit, i.e. to the budget; the limit lets
 * tests stop a campaign part-way). When the budget is reached the run and
 * campaign are marked done with the result JSON. *res (may be NULL) is
 * filled from all stored trials when the campaign ends. */
nc_status nc_campaign_continue(nc_ctx *ctx, nc_store *db, int64_t run,
                               const nc_campaign_progress *prog,
                               int64_t max_trials, nc_campaign_result *res);
/* nc_campaign_create then nc_campaign_continue to the budget; *run (may be
 * NULL) is set as soon as the run exists. */
nc_status nc_campaign_start(nc_ctx *ctx, nc_store *db,
                            const nc_campaign_cfg *cfg,
                            const nc_campaign_progress *prog, int64_t *run,
                            nc_campaign_result *res);
/* nc_campaign_continue(ctx, db, run, prog, -1, res). */
nc_status nc_campaign_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                             const nc_campaign_progress *prog,
                             nc_campaign_result *res);
/* The configuration of campaign `run`, parsed from its stored JSON.
 * NC_ERR_STATE if the run is not a search campaign. */
nc_status nc_campaign_cfg_of_run(nc_ctx *ctx, nc_store *db, int64_t run,
                                 nc_campaign_cfg *cfg);

#endif
