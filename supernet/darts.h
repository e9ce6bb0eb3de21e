/*
 * darts.h — differentiable architecture search on the nb201 cell: DARTS
 * (first and second order) and the perturbation-based selection of DARTS-PT
 * ("Rethinking Architecture Selection in Differentiable NAS", Wang et al.,
 * ICLR 2021).
 *
 * The supernet is the nb201 one (supernet/supernet.h) with architecture
 * weights alpha (6 edges x 5 ops, shared by all cells) and affine-free BN on
 * the edge ops, as in DARTS. Each step first updates alpha with Adam on a
 * validation batch, then the weights with SGD on a training batch. After
 * training, DARTS's cell is the arg-max of alpha per edge; DARTS-PT instead
 * visits the edges in a seeded random order, and on each removes every op
 * in turn, keeps the op whose removal costs the most validation accuracy
 * (ties to the larger alpha),
 * fixes the edge to it and tunes the supernet's weights before the next
 * edge.
 *
 *     nc_darts_cfg c = nc_darts_defaults();
 *     nc_darts_result r;
 *     if (nc_darts_run(ctx, &c, 2, train, valid, NULL, &r)) ...ctx->msg...
 *     char s[NC_NB201_STR_MAX];
 *     nc_nb201_format(&r.pt, s, sizeof s);
 */
#ifndef NC_DARTS_H
#define NC_DARTS_H

#include <stdint.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "run/run.h"
#include "supernet/supernet.h"

enum { NC_DARTS_ALPHA = NC_NB201_N_EDGES * NC_NB201_N_OPS };

typedef struct nc_darts_cfg {
    int epochs;            /* supernet training epochs */
    int batch;
    double w_lr, w_lr_min; /* SGD on the weights, cosine from w_lr to w_lr_min */
    double w_momentum, w_wd;
    double w_clip;         /* gradient-norm clip of the weights (0: none) */
    double a_lr, a_wd;     /* Adam (betas 0.5, 0.999) on alpha */
    int order;             /* 1: first order; 2: second order (unrolled) */
    int pt_epochs;         /* DARTS-PT: tuning epochs after each edge (-1:
                              skip DARTS-PT) */
    int eval_samples;      /* validation samples for accuracies (0: all) */
    int nb201_c, nb201_n;  /* skeleton */
    uint64_t seed;
} nc_darts_cfg;

/* DARTS's settings (NB201's reimplementation): batch 64, SGD 0.025 -> 0.001
 * momentum 0.9 wd 3e-4 clip 5, Adam 3e-4 wd 1e-3, first order, 10 epochs,
 * DARTS-PT with 1 tuning epoch per edge, C=16 N=5, seed 1. */
nc_darts_cfg nc_darts_defaults(void);

typedef struct nc_darts_epoch {
    int epoch;                        /* 1-based; DARTS-PT tuning epochs go on
                                         counting after the search epochs */
    int phase;                        /* 0: DARTS search; 1: DARTS-PT tuning */
    double train_loss, train_accuracy;
    double valid_accuracy;            /* of the supernet as it stands */
    float alpha[NC_DARTS_ALPHA];
    double seconds;
} nc_darts_epoch;

/* Called after every epoch; may be NULL. A non-zero return stops the run
 * with NC_ERR_STATE ("stopped"). */
typedef struct nc_darts_progress {
    int (*epoch)(void *ud, const nc_darts_epoch *e);
    void (*step)(void *ud, int epoch, int64_t step, int64_t steps, double loss);
    void *ud;
    /* Called after every DARTS-PT decision (i-th, 0-based: edge kept op);
     * may be NULL. A non-zero return stops the run as epoch's does. */
    int (*decision)(void *ud, int i, int edge, int op);
} nc_darts_progress;

typedef struct nc_darts_result {
    float alpha[NC_DARTS_ALPHA];      /* final architecture weights */
    nc_nb201_arch darts;              /* arg-max of alpha per edge */
    nc_nb201_arch pt;                 /* DARTS-PT's selection (if run) */
    int pt_order[NC_NB201_N_EDGES];   /* edges in DARTS-PT's decision order */
    double pt_base[NC_NB201_N_EDGES]; /* accuracy before deciding each edge */
    double pt_drop[NC_DARTS_ALPHA];   /* accuracy lost removing op k of edge e
                                         (NaN for ops not tried) */
    double supernet_accuracy;         /* validation accuracy after search */
    double seconds;                   /* of the work, summed over sessions */
    int epochs;                       /* search + tuning epochs run */
    char weights_sha256[65];          /* final supernet parameters and BN
                                         state, hex */
} nc_darts_result;

/* Checks ranges; NC_ERR_RANGE naming the field. */
nc_status nc_darts_cfg_validate(nc_ctx *ctx, const nc_darts_cfg *c);

/* Runs DARTS (and DARTS-PT unless pt_epochs < 0) with weights trained on
 * `train` and alpha on `valid` (both normalized, same shape; the nets run on
 * `threads` threads). Deterministic for a given seed and thread count.
 * Errors: cfg ranges, supernet construction, NC_ERR_NUMERIC if the loss
 * diverges, NC_ERR_STATE if progress asked to stop. */
nc_status nc_darts_run(nc_ctx *ctx, const nc_darts_cfg *cfg, int threads,
                       const nc_dataset *train, const nc_dataset *valid,
                       const nc_darts_progress *prog, nc_darts_result *res);

/* ---- The same run in units, for logging and resuming --------------------
 * A run is a fixed sequence of units: the search epochs, then per DARTS-PT
 * edge one decision followed by pt_epochs tuning epochs. nc_darts_run is
 * nc_darts_new, nc_darts_next until it reports NC_DARTS_DONE, then
 * nc_darts_result_of. Between units the whole state packs into one blob
 * (nc_darts_pack); unpacked into a fresh nc_darts of the same configuration,
 * data and thread count, the run goes on to exactly the bits an
 * uninterrupted one ends with. */
typedef struct nc_darts nc_darts;

typedef enum nc_darts_unit {
    NC_DARTS_EPOCH = 1,      /* a search or tuning epoch ran */
    NC_DARTS_DECISION,       /* a DARTS-PT edge was decided */
    NC_DARTS_DONE            /* nothing left: the result is ready */
} nc_darts_unit;

typedef struct nc_darts_event {
    nc_darts_unit unit;
    nc_darts_epoch epoch;    /* NC_DARTS_EPOCH */
    double lr;               /* NC_DARTS_EPOCH: weight rate of its last step */
    int64_t w_steps;         /* weight-optimizer steps after the unit */
    int decision, edge, op;  /* NC_DARTS_DECISION: i-th decision, kept op */
} nc_darts_event;

/* A run at its start (supernet built and initialized from cfg->seed). The
 * data sets are borrowed and must outlive it. Errors as nc_darts_run's
 * before training. *out is the caller's: nc_darts_free. */
nc_status nc_darts_new(nc_ctx *ctx, const nc_darts_cfg *cfg, int threads,
                       const nc_dataset *train, const nc_dataset *valid,
                       nc_darts **out);
/* Frees a run; accepts NULL. */
void nc_darts_free(nc_darts *d);
/* Runs the next unit and says which it was in *ev (prog's step hook is
 * called; its epoch and decision hooks are the caller's business). Once
 * everything ran, returns NC_OK with NC_DARTS_DONE and changes nothing. */
nc_status nc_darts_next(nc_ctx *ctx, nc_darts *d, const nc_darts_progress *prog,
                        nc_darts_event *ev);
/* Epochs run so far, and in all (search + 6 * pt_epochs). */
int nc_darts_epochs_done(const nc_darts *d);
int nc_darts_epochs_total(const nc_darts_cfg *cfg);
/* alpha after each epoch run so far: *n rows of NC_DARTS_ALPHA floats,
 * owned by the run. */
const float *nc_darts_alpha_history(const nc_darts *d, int *n);
/* The result; complete once nc_darts_next reported NC_DARTS_DONE. */
void nc_darts_result_of(nc_darts *d, nc_darts_result *res);

/* The whole state (supernet parameters, BN state and alpha, both
 * optimizers with their step counts, the step and epoch counters, the
 * DARTS-PT order, decisions, drops and bases, the alpha history) as one
 * little-endian blob with magic and version; *blob is malloc'ed, the
 * caller frees. `units` in the blob counts the units run, so that the newer
 * of two blobs can be told. */
nc_status nc_darts_pack(nc_ctx *ctx, nc_darts *d, void **blob, size_t *len);
/* Restores a blob into a run built from the same configuration and data:
 * NC_ERR_FORMAT for a foreign or truncated blob or one of another
 * configuration or size (naming what differs), NC_ERR_VERSION for another
 * version. On error the run is unchanged. */
nc_status nc_darts_unpack(nc_ctx *ctx, nc_darts *d, const void *blob,
                          size_t len);
/* The units count recorded in a blob (0 if it is not a DARTS blob). */
uint64_t nc_darts_blob_units(const void *blob, size_t len);

/* ---- Logged runs (supernet/darts_log.c) -------------------------------------
 * A DARTS run in the run log is a run of kind "darts" whose configuration is
 * an nc_darts_job as JSON. Every epoch is an epoch row whose checkpoint is
 * the packed state; every DARTS-PT decision stores the packed state as the
 * run's "darts" state blob (one transaction each). Resuming takes the newer
 * of the two. */
typedef struct nc_darts_job {
    nc_darts_cfg darts;
    char dataset[64];
    char data_dir[1024];     /* "" for the data set's default */
    int valid;               /* training samples held out for alpha, >= 1 */
    int train_samples;       /* weight-training samples (0: all the rest) */
    int threads;
} nc_darts_job;

/* nc_darts_defaults, fashion-mnist, 10000 held out, all samples, 1 thread. */
nc_darts_job nc_darts_job_defaults(void);
/* Ranges and names; errors name the JSON field ("valid: ..."). */
nc_status nc_darts_job_validate(nc_ctx *ctx, const nc_darts_job *j);
/* Every field as one JSON object (seed as a decimal string); NULL when out
 * of memory. The caller frees. */
char *nc_darts_job_to_json(const nc_darts_job *j);
/* The inverse; NC_ERR_FORMAT naming a missing, mistyped or unknown field. */
nc_status nc_darts_job_from_json(nc_ctx *ctx, const char *json,
                                 nc_darts_job *j);
/* The field table behind the four above (core/cfgtab.h): every field's
 * JSON key, default, range and, for `nasc darts`, option and help line. */
struct nc_cfg_table;
const struct nc_cfg_table *nc_darts_job_table(void);

/* The job of kind "darts" (run/run.h); runs start and resume through
 * run/jobs.h (nc_darts_start, nc_darts_resume). Its progress hooks run after
 * the unit they report is committed. */
extern const nc_job_vt nc_darts_job_vt;
/* The result as stored: run, darts and pt cells, alpha, softmax (per
 * edge), supernet_accuracy, pt_order, pt_base, pt_drop (null for ops not
 * tried), epochs, seconds, weights_sha256, and alpha_history (one row per
 * epoch). NULL when out of memory. */
char *nc_darts_result_to_json(int64_t run, const nc_darts_cfg *cfg,
                              const nc_darts_result *r, const float *history,
                              int n_history);

/* The gradient of the architecture objective with respect to alpha, into
 * grad[NC_DARTS_ALPHA], at the supernet's current weights: first order,
 * d L_val(w, alpha) / d alpha; second order, the DARTS approximation of
 * d L_val(w - xi (d L_train/dw + wd w), alpha) / d alpha with the
 * Hessian-vector product by central differences. The weights are restored
 * afterwards (BN running statistics are not); gradients are overwritten.
 * scratch holds 2 * nc_supernet_n_params floats (second order only). */
nc_status nc_darts_alpha_grad(nc_ctx *ctx, nc_supernet *sn, int order,
                              double xi, double wd, const float *xt,
                              const int32_t *yt, int nt, const float *xv,
                              const int32_t *yv, int nv, float *scratch,
                              float grad[NC_DARTS_ALPHA]);

/* The arg-max op of each edge; ties go to the lower op index. */
void nc_darts_argmax(const float alpha[NC_DARTS_ALPHA], nc_nb201_arch *a);

#endif
