/*
 * run.h — the life of every logged job: one driver, one table of job kinds.
 *
 * A job is anything nasc does as a run in the run log: a training run, a
 * DARTS run, a search campaign (with its supernet training and the
 * training runs of its trials). Each kind implements nc_job_vt: build
 * itself from its configuration JSON, restore what the log holds, do one
 * unit of work (an epoch, a trial, a decision), pack its state, and give
 * its result. The driver (run/driver.c) alone talks to the store: it
 * creates the run, owns it while it works, commits every unit together
 * with the job's state in one transaction, marks the run failed with its
 * reason when a unit fails, resumes it, and finishes it. Jobs never see the
 * store; they read what they need of their own run through an nc_run
 * handle. The typed front doors (nc_train_start, nc_campaign_start, ...)
 * are in run/jobs.h.
 *
 *     char *result = NULL;
 *     int64_t id;
 *     nc_run_opts o = { .hooks = &progress };
 *     if (nc_run_start(ctx, db, "train", config_json, &o, &id, &result))
 *         ...ctx->msg...
 *     free(result);
 *     // later, after a kill:
 *     nc_run_resume(ctx, db, id, &o, &result);
 *
 * Ownership: a run is worked on by one process at a time. The driver writes
 * "host:pid:start" into the run before the first unit and clears it at the
 * end, failed or not. A second process refuses at once (NC_ERR_STATE naming
 * the holder) while that process lives; an owner that died (SIGKILL) is
 * noticed by its pid and start time and does not block the next resume.
 *
 * Failure: a unit that fails marks the run failed with ctx's message as the
 * reason. A failure that would repeat (NC_ERR_NUMERIC: the same seed and
 * settings diverge again) is final and resume refuses it, naming the
 * reason; any other (a full disk, no memory, a missing data file) may pass,
 * and resume continues the run. NC_ERR_STOPPED (a progress hook asked to
 * stop) leaves the run running.
 */
#ifndef NC_RUN_RUN_H
#define NC_RUN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "run/record.h"

typedef struct nc_store nc_store;   /* store/store.h; opaque to jobs */
typedef struct nc_run nc_run;       /* a run held by this process */

/* What one unit of work produced, filled by a job's step. The pointers
 * stay the job's and must be valid until its next call. */
typedef struct nc_unit {
    const nc_epoch_metrics *epoch;  /* an epoch row, or NULL; with an epoch
                                     * the job's state is its checkpoint */
    const nc_trial_rec *trial;      /* a trial row, or NULL */
    const char *state_name;         /* without an epoch: the name the state
                                     * is kept under; NULL keeps no state */
} nc_unit;

/* What a step did. */
typedef enum nc_step {
    NC_STEP_UNIT,    /* one unit, described in the nc_unit */
    NC_STEP_DONE,    /* nothing left: the driver finishes the run */
    NC_STEP_PAUSE    /* a limit of the job's own: stop, the run stays running */
} nc_step;

typedef struct nc_job_vt {
    const char *kind;   /* the run's kind in the log: "train", "darts", ... */
    /* Reads and validates config_json (errors name the field) and builds the
     * job at its start: data, nets, optimizers. hooks is the kind's progress
     * structure (may be NULL). Touches no log. *job is the driver's until
     * close. */
    nc_status (*open)(nc_ctx *ctx, const char *config_json, const void *hooks,
                      void **job);
    /* Brings the job to what the log of run holds (its newest state, its
     * records); on a new run the log holds nothing and the job stays at its
     * start. */
    nc_status (*restore)(nc_ctx *ctx, void *job, nc_run *run);
    /* Does the next unit and describes it in *u. */
    nc_status (*step)(nc_ctx *ctx, void *job, nc_run *run, nc_unit *u,
                      nc_step *what);
    /* The job's state after the last unit (malloc'ed, the driver frees), for
     * units that keep one. */
    nc_status (*pack)(nc_ctx *ctx, void *job, void **blob, size_t *len);
    /* The result JSON of a finished job (malloc'ed, the driver frees), and
     * the kind's typed result into out when out is not NULL. */
    nc_status (*result)(nc_ctx *ctx, void *job, nc_run *run, void *out,
                        char **json);
    /* Called after each unit is committed (may be NULL): the place for
     * progress hooks, so that what they report is in the log. An error
     * (NC_ERR_STOPPED: a hook asked to stop) ends the drive. */
    nc_status (*after)(nc_ctx *ctx, void *job);
    /* Units done and planned (0 while unknown). */
    void (*progress)(const void *job, int64_t *done, int64_t *total);
    /* Seed and thread count, recorded with the run. */
    void (*identity)(const void *job, uint64_t *seed, int *threads);
    /* Frees the job; accepts NULL. */
    void (*close)(void *job);
} nc_job_vt;

/* The job kind named kind ("train", "darts", "search"), or NULL
 * (run/jobs.c holds the table). */
const nc_job_vt *nc_job_find(const char *kind);

typedef struct nc_run_opts {
    const void *hooks;      /* passed to the job's open (its progress type) */
    void *out;              /* the kind's typed result, filled at the end */
    int64_t max_units;      /* stop after this many units, the run left
                             * running (not an error); <= 0: no limit */
} nc_run_opts;

/* Builds a job of kind from config_json and creates its run in db, owned
 * by nobody and with no units: *id is the new run. Errors: the job's open
 * (nothing is created) or the store's. */
nc_status nc_run_create(nc_ctx *ctx, nc_store *db, const char *kind,
                        const char *config_json, int64_t *id);

/* nc_run_create, then drives the run to the end (nc_run_resume); *id is
 * set as soon as the run exists. On success *result (may be NULL) gets the
 * result JSON, malloc'ed, the caller's. Errors: the job's open (nothing
 * created), the store's, or a unit's (the run is then marked failed, see
 * above). opts may be NULL. */
nc_status nc_run_start(nc_ctx *ctx, nc_store *db, const char *kind,
                       const char *config_json, const nc_run_opts *opts,
                       int64_t *id, char **result);

/* Continues run id of any kind from its newest commit to the end (or to
 * opts->max_units more units). Refuses with NC_ERR_STATE a done run, a run
 * failed for good (the reason named), and a run another live process holds
 * (its pid and host named). kind, when not NULL, is the kind the caller
 * expects ("run 3 is a 'darts' run, not a training run" otherwise). */
nc_status nc_run_resume(nc_ctx *ctx, nc_store *db, int64_t id,
                        const char *kind, const nc_run_opts *opts,
                        char **result);

/* Opens the job of run id (of kind, when not NULL) and restores it to its
 * newest commit without driving it or taking ownership, for reading a
 * run's state (`nasc eval`). *job is the caller's: (*vt)->close(*job). */
nc_status nc_run_load(nc_ctx *ctx, nc_store *db, int64_t id,
                      const char *kind, const nc_job_vt **vt, void **job);

/* ---- for jobs: their own run --------------------------------------------- */

/* The run's id, seed and thread count as recorded. */
int64_t nc_run_id(const nc_run *run);
uint64_t nc_run_seed(const nc_run *run);
int nc_run_threads(const nc_run *run);
/* The run's row as it is now (release with nc_run_info_clear). */
nc_status nc_run_info_get(nc_ctx *ctx, nc_run *run, nc_run_info *info);
/* The newest checkpoint (the state of the last epoch unit), checksum
 * verified: *blob malloc'ed, the caller's; NC_ERR_NOTFOUND if none. epoch
 * may be NULL. */
nc_status nc_run_ckpt(nc_ctx *ctx, nc_run *run, void **blob, size_t *len,
                      int *epoch);
/* The state kept under name; as nc_run_ckpt. */
nc_status nc_run_state(nc_ctx *ctx, nc_run *run, const char *name,
                       void **blob, size_t *len);
/* Stores blob under name now, in its own transaction, for preparation a job
 * does outside its units (a latency table measured once). */
nc_status nc_run_state_put(nc_ctx *ctx, nc_run *run, const char *name,
                           const void *blob, size_t len);
/* The run's epoch rows (*out malloc'ed, the caller frees) and trials
 * (release with nc_run_trials_free). */
nc_status nc_run_epochs(nc_ctx *ctx, nc_run *run, nc_epoch_metrics **out,
                        int *n);
nc_status nc_run_trials(nc_ctx *ctx, nc_run *run, nc_trial_rec **out, int *n);
void nc_run_trials_free(nc_trial_rec *recs, int n);
/* Stores the run's campaign record (a search's space, strategy, budget and
 * status) now, in its own transaction. */
nc_status nc_run_campaign_put(nc_ctx *ctx, nc_run *run,
                              const nc_campaign_rec *rec);

/* What a child run came to. */
typedef struct nc_run_child_out {
    int64_t id;          /* the child's run id */
    int failed;          /* 1: it failed for good (now or before) */
    char *result;        /* its result JSON when done (malloc'ed, the
                          * caller frees), else NULL */
} nc_run_child_out;

/* Drives the child run of run known as tag (e.g. "trial 5"), of job kind
 * with config_json, to its end: starts it when run has no child of that
 * tag, continues it when it is running, and only reads it when it is done
 * or failed for good (out->failed, and NC_OK). A child failing for good now
 * (NC_ERR_NUMERIC) is also out->failed and NC_OK; its other errors are
 * returned. NC_ERR_STATE when the child of that tag has another
 * configuration (the parent's history no longer matches the log). */
nc_status nc_run_child(nc_ctx *ctx, nc_run *run, const char *tag,
                       const char *kind, const char *config_json,
                       nc_run_child_out *out);
/* The epoch rows of child run id of run; as nc_run_epochs. */
nc_status nc_run_child_epochs(nc_ctx *ctx, nc_run *run, int64_t id,
                              nc_epoch_metrics **out, int *n);

#endif
