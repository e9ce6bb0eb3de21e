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
 *     if (nc_darts_run(ctx, &c, train, valid, NULL, &r)) ...ctx->msg...
 *     char s[NC_NB201_STR_MAX];
 *     nc_nb201_format(&r.pt, s, sizeof s);
 */
#ifndef NC_DARTS_H
#define NC_DARTS_H

#include <stdint.h>

#include "core/ctx.h"
#include "data/dataset.h"
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
    double seconds;
} nc_darts_result;

/* Checks ranges; NC_ERR_RANGE naming the field. */
nc_status nc_darts_cfg_validate(nc_ctx *ctx, const nc_darts_cfg *c);

/* Runs DARTS (and DARTS-PT unless pt_epochs < 0) with weights trained on
 * `train` and alpha on `valid` (both normalized, same shape; the nets run on
 * ctx->threads threads). Deterministic for a given seed and thread count.
 * Errors: cfg ranges, supernet construction, NC_ERR_NUMERIC if the loss
 * diverges, NC_ERR_STATE if progress asked to stop. */
nc_status nc_darts_run(nc_ctx *ctx, const nc_darts_cfg *cfg,
                       const nc_dataset *train, const nc_dataset *valid,
                       const nc_darts_progress *prog, nc_darts_result *res);

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
