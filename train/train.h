/*
 * train.h — supervised training runs, logged to the run log and resumable.
 *
 * A run is defined entirely by its configuration (nc_train_cfg, stored as
 * JSON in the run log when the run starts). Every source of randomness is a
 * counter-based stream keyed by the seed — initialization by node, shuffling
 * by epoch, augmentation by step — so a run resumed from its last checkpoint
 * replays exactly what the uninterrupted run would have done: same weights,
 * bit for bit, at the same seed and thread count.
 *
 *     nc_train_cfg cfg = nc_train_cfg_defaults();
 *     cfg.model = "cnn";
 *     int64_t run;
 *     nc_train_result res;
 *     // run/jobs.h:
 *     if (nc_train_start(ctx, db, &cfg, NULL, &run, &res)) ...   // new run
 *     if (nc_train_resume(ctx, db, run, NULL, &res)) ...          // after a kill
 */
#ifndef NC_TRAIN_H
#define NC_TRAIN_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"
#include "data/dataset.h"
#include "run/run.h"

enum { NC_NAME_MAX = 64, NC_PATH_MAX = 1024, NC_ARCH_MAX = 512 };

typedef struct nc_train_cfg {
    char model[NC_NAME_MAX];       /* mlp, cnn, nb201 */
    char arch[NC_ARCH_MAX];        /* nb201 architecture string, or "" */
    char dataset[NC_NAME_MAX];     /* fashion-mnist, mnist, cifar10, cifar100 */
    char data_dir[NC_PATH_MAX];    /* "" for the data set's default dir */
    char optimizer[NC_NAME_MAX];   /* sgd, adam */
    char schedule[NC_NAME_MAX];    /* cosine, step, const */
    int epochs;
    int batch;
    double lr;
    double momentum;
    int nesterov;
    double weight_decay;
    int warmup_epochs;
    int step_epochs;               /* step schedule: epochs between decays */
    double step_gamma;
    int valid;                     /* samples held out of training for
                                      validation (0: none) */
    int train_samples;             /* train on this many of the rest (a
                                      seeded random subset; 0: all). Optional
                                      in the JSON (0 when absent) */
    int augment_pad;               /* random crop padding (0: no crop) */
    int augment_flip;              /* random horizontal flips */
    int nb201_c, nb201_n;
    uint64_t seed;
    int threads;
} nc_train_cfg;

/* The defaults: cnn on fashion-mnist, 10 epochs, batch 128, SGD with
 * Nesterov momentum 0.9, lr 0.05, weight decay 5e-4, cosine schedule, no
 * augmentation, seed 1, 1 thread. */
nc_train_cfg nc_train_cfg_defaults(void);

/* Checks ranges and names; NC_ERR_INVAL/NC_ERR_RANGE naming the field. */
nc_status nc_train_cfg_validate(nc_ctx *ctx, const nc_train_cfg *cfg);

/* The configuration as a JSON object (malloc'ed; caller frees), and back.
 * Parsing names the missing or ill-typed field on failure. */
char *nc_train_cfg_to_json(const nc_train_cfg *cfg);
nc_status nc_train_cfg_from_json(nc_ctx *ctx, const char *json, nc_train_cfg *cfg);

/* The field table behind the functions above (core/cfgtab.h): every field's
 * JSON key, default, range and, for `nasc train`, option and help line. */
struct nc_cfg_table;
const struct nc_cfg_table *nc_train_cfg_table(void);

typedef struct nc_train_result {
    int64_t run;
    int epochs_done;
    double test_accuracy;     /* fraction in [0,1] */
    double test_loss;
    double train_seconds;     /* accumulated over all sessions of the run */
    char weights_sha256[65];  /* of the parameters then the BN state, as raw
                                 little-endian floats */
} nc_train_result;

/* The result as one JSON object (run, epochs, test_accuracy, test_loss,
 * train_seconds, weights_sha256): what the run log stores as the run's
 * result and what `nasc train --json` prints. malloc'ed; NULL if out of
 * memory. */
char *nc_train_result_to_json(const nc_train_result *r);

/* Progress, called after every optimizer step; may be NULL. */
typedef struct nc_train_progress {
    void (*fn)(void *ud, int epoch, int epochs, int64_t step, int64_t steps,
               double loss, double seconds);
    void *ud;
} nc_train_progress;

/* The job of kind "train" (run/run.h): one unit per epoch, its checkpoint
 * the unit's state. Runs start, resume and evaluate through run/jobs.h
 * (nc_train_start, nc_train_resume, nc_train_eval). */
extern const nc_job_vt nc_train_job;

/* Evaluates a restored training job (nc_run_load of a "train" run) on the
 * test split, or the validation split when valid is 1. NC_ERR_STATE when no
 * epoch has finished, NC_ERR_INVAL when valid is asked of a run without
 * a validation split. */
nc_status nc_train_job_evaluate(nc_ctx *ctx, void *job, int valid,
                                double *accuracy, double *loss);

/* The net of a restored training job with its configuration, the epochs
 * its weights have done and its training data (whose norm_mean and
 * norm_std say how inputs were normalized); all owned by the job. */
nc_net *nc_train_job_net(void *job, const nc_train_cfg **cfg,
                         int *epochs_done, const nc_dataset **train);

#endif
