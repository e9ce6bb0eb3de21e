/*
 * record.h — the records of a run log, as plain structs: a run, an epoch, a
 * trial of a campaign, a campaign. They are the vocabulary shared by the run
 * layer (run/run.h), which jobs talk to, and the store (store/store.h), which
 * persists them; jobs see these types without seeing the store.
 *
 *     nc_epoch_metrics m = { .epoch = 3, .step = 1407, .lr = 0.05,
 *                            .train_loss = 0.31, .train_accuracy = 0.89,
 *                            .valid_loss = NAN, .valid_accuracy = NAN,
 *                            .seconds = 12.5 };
 *
 * Records fetched from a log own their strings through owned_ and are
 * released by the fetching module's _clear / _free function.
 */
#ifndef NC_RUN_RECORD_H
#define NC_RUN_RECORD_H

#include <stdint.h>

typedef struct nc_run_info {
    int64_t id;
    const char *kind;          /* a job kind: "train", "darts", "search", ... */
    const char *status;        /* "running", "done", "failed" */
    const char *config_json;   /* full configuration, JSON object */
    const char *code_version;
    uint64_t seed;
    int threads;
    double created;            /* unix seconds */
    double updated;
    double train_seconds;      /* accumulated training time */
    int epochs_done;
    int64_t units_done;        /* units of work committed (epochs, trials, ...) */
    int64_t units_total;       /* units the job plans; 0 while unknown */
    const char *owner;         /* "host:pid:start" of the process working on
                                * the run, or "" when none holds it */
    const char *reason;        /* why a failed run failed, else "" */
    const char *reason_status; /* its kind (nc_status_name), else "" */
    int64_t parent;            /* the run this one works for (a campaign's
                                * training run), 0 for none */
    const char *tag;           /* its name there ("trial 5"), else "" */
    char *owned_;              /* internal: strings of a fetched info */
} nc_run_info;

/* Releases the strings of a fetched info (nc_store_run_get, nc_run_get,
 * ...); accepts a zeroed or already cleared one. */
void nc_run_info_clear(nc_run_info *info);

/* Any of the reals except seconds may be NaN; it reads back as NaN. */
typedef struct nc_epoch_metrics {
    int epoch;                 /* 1-based */
    int64_t step;              /* optimizer steps done after this epoch */
    double lr;
    double train_loss, train_accuracy;
    double valid_loss, valid_accuracy;   /* NaN if not measured */
    double seconds;            /* wall time of this epoch's training */
} nc_epoch_metrics;

/* Objective columns in the trials table; equals NC_MAX_OBJ of
 * search/strategy.h. */
enum { NC_STORE_MAX_OBJ = 4 };

typedef struct nc_campaign_rec {
    const char *space;         /* search space name, e.g. "nb201" */
    const char *strategy;      /* strategy name, e.g. "re", "nsga2" */
    int64_t budget;            /* trials planned, >= 0 */
    const char *status;        /* "running", "done", "failed" */
    char *owned_;              /* internal: strings of a fetched record */
} nc_campaign_rec;

typedef struct nc_trial_rec {
    int trial;                 /* >= 0; the key within the run */
    const char *arch;          /* architecture string */
    const char *origin;        /* "random", "mutation", "crossover", ... */
    int64_t parent1, parent2;  /* trial numbers; < 0 = none (stored NULL) */
    const char *status;        /* "proposed", "done", "failed" */
    int n_obj;                 /* 0..NC_STORE_MAX_OBJ objectives in obj */
    double obj[NC_STORE_MAX_OBJ];
    const char *metrics_json;  /* free-form metrics, a JSON value */
    double seconds;            /* evaluation time, finite, >= 0 */
    double created;            /* set by the store on put (unix seconds) */
    char *owned_;              /* internal: strings of a fetched record */
} nc_trial_rec;

#endif
