/*
 * predictor.h — learned performance predictors behind one interface: fit a
 * regressor on the (encoding, accuracy) pairs of the trials seen so far and
 * predict the accuracy of architectures not yet trained, so a search can
 * spend its evaluations on the most promising ones.
 *
 * Five kinds: ridge regression (closed form), a Gaussian process (RBF
 * kernel, hyper-parameters by a deterministic grid search on the log
 * marginal likelihood), a small MLP (Adam, fixed epochs, seeded), an
 * ensemble of those (mean of the members' standardized predictions) and
 * gradient-boosted trees through XGBoost's C API (libxgboost, xgb.c).
 * Features are standardized inside each model with the training set's mean
 * and deviation, so callers pass raw encodings. Everything is deterministic
 * for a given options.seed. The figures that matter are rank agreements
 * (predictors/rank.h), not the squared error.
 *
 *     nc_predictor_opts o = nc_predictor_defaults(NC_PRED_GP);
 *     nc_predictor *p;
 *     if (nc_predictor_new(ctx, NC_PRED_GP, &o, &p) ||
 *         nc_predictor_fit(ctx, p, X, n, d, y) ||
 *         nc_predictor_predict(ctx, p, Xq, m, d, yq))
 *         ...ctx->msg...
 *     nc_predictor_free(p);
 */
#ifndef NC_PREDICTOR_H
#define NC_PREDICTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef enum nc_predictor_kind {
    NC_PRED_RIDGE = 0,
    NC_PRED_GP,
    NC_PRED_MLP,
    NC_PRED_ENSEMBLE,
    NC_PRED_XGB,
    NC_PRED_N_KINDS
} nc_predictor_kind;

enum {
    NC_PRED_D_MAX = 100000,        /* most features accepted */
    NC_PRED_N_MAX = 1000000,       /* most training points (GP: see gp_n_max) */
    NC_PRED_ENSEMBLE_MAX = 8       /* most ensemble members */
};

/* Options of every kind in one struct (a kind reads only its own fields), so
 * an ensemble can pass them on to its members. Start from
 * nc_predictor_defaults and change what you need. */
typedef struct nc_predictor_opts {
    uint64_t seed;          /* all randomness (MLP init and batch order, xgb sampling) */
    int rank_target;        /* 1: fit the normal scores of the targets' ranks */
    double ridge_lambda;    /* ridge: L2 penalty on standardized weights, >= 0 */
    int gp_n_max;           /* GP: most training points (O(n^3) fit) */
    int mlp_hidden;         /* MLP: width of each of the 2 hidden layers */
    int mlp_epochs;         /* MLP: passes over the training set */
    int mlp_min_steps;      /* MLP: at least this many Adam steps (small n) */
    int mlp_batch;          /* MLP: minibatch size */
    double mlp_lr;          /* MLP: Adam learning rate */
    double mlp_weight_decay; /* MLP: L2 penalty added to the gradient */
    int xgb_rounds;         /* xgb: boosting rounds (trees), 1..100000 */
    int xgb_max_depth;      /* xgb: depth of each tree, 1..30 */
    double xgb_eta;         /* xgb: learning rate (shrinkage), (0, 1] */
    double xgb_subsample;   /* xgb: rows drawn per tree, (0, 1]; < 1 uses seed */
    double xgb_colsample;   /* xgb: features drawn per tree, (0, 1]; < 1 uses seed */
    double xgb_min_child_weight; /* xgb: least points in a leaf (squared loss), >= 0 */
    double xgb_lambda;      /* xgb: L2 penalty on leaf values, >= 0 */
    int n_members;          /* ensemble: members used from `members` */
    nc_predictor_kind members[NC_PRED_ENSEMBLE_MAX]; /* not NC_PRED_ENSEMBLE */
} nc_predictor_opts;

/* xgb (predictors/xgb.c, XGBoost's C API): boosted regression trees with
 * squared loss on the standardized targets. Deterministic: one thread, the
 * exact greedy tree method, XGBoost's seed from opts.seed (the sampling of
 * rows and features is the only randomness: with xgb_subsample and
 * xgb_colsample both 1 the seed does not matter). It prints nothing:
 * XGBoost's verbosity is 0 for the length of each call into it and the
 * caller's per-thread XGBoost setting is restored afterwards. Features are
 * passed to XGBoost as float (a query beyond float's range once
 * standardized is clamped, which keeps its side of every split). A failure
 * inside XGBoost comes back with XGBoost's own message ("xgboost: ..."):
 * NC_ERR_INVAL for a parameter it refuses, NC_ERR_NOMEM when it cannot
 * build a data matrix or booster, NC_ERR_NUMERIC for a failed boosting
 * round or prediction, NC_ERR_STATE when its global configuration cannot be
 * read or set. It can be an ensemble member.
 *
 * rank_target: NB201 accuracies are heavily skewed (the 341 cells whose
 * output is cut off sit at 10%, most others within 80..92%), so a squared
 * loss on raw accuracies spends the model on the outliers. With rank_target
 * the targets are replaced by the normal scores Phi^-1((rank - 0.5) / n) of
 * their average ranks before fitting; predictions are then those scores
 * mapped back with the raw targets' mean and deviation: monotone in the
 * model's belief, in accuracy-like units, but only their order is
 * meaningful. On NB201 it lifts the GP's Kendall tau at 100 points from 0.44
 * to 0.62 (results/predictors_nb201.md). */
typedef struct nc_predictor nc_predictor;

/* The defaults for kind: rank_target 1 (see below), lambda 1, GP up to 2000 points, MLP 2 x 64 ReLU,
 * 200 epochs, at least 500 steps, batch 32, lr 1e-3, decay 1e-4, the
 * ensemble {ridge, GP, MLP}, xgb 1000 rounds of depth-3 trees at eta 0.03
 * with half the rows and 80% of the features per tree, min_child_weight 1,
 * lambda 1; seed 1. The xgb values were picked on NB201 (20..500 training
 * cells, splits other than the reported ones; results/predictors_nb201.md):
 * shallow trees, small steps and row subsampling rank best at n <= 100,
 * and 1000 rounds keep n = 500 from underfitting. */
nc_predictor_opts nc_predictor_defaults(nc_predictor_kind kind);

/* "ridge", "gp", "mlp", "ensemble", "xgb"; NULL for an unknown kind. Static. */
const char *nc_predictor_name(nc_predictor_kind kind);

/* The kind named s, so a CLI can take names. NC_ERR_NOTFOUND listing the
 * names when there is none. */
nc_status nc_predictor_find(nc_ctx *ctx, const char *s, nc_predictor_kind *kind);

/* An unfitted predictor of that kind. opts NULL means the defaults. Checks
 * the options now (NC_ERR_INVAL naming the bad one) so that a bad
 * configuration fails before any trial data is gathered. The caller owns
 * *out (nc_predictor_free); NULL on failure. */
nc_status nc_predictor_new(nc_ctx *ctx, nc_predictor_kind kind,
                           const nc_predictor_opts *opts, nc_predictor **out);

/* Frees p; NULL is allowed. */
void nc_predictor_free(nc_predictor *p);

/* Fewest training points kind can fit (ridge, GP and xgb 2, MLP 4, ensemble
 * the largest of its members): below it a standardization or a fit is
 * meaningless. */
int nc_predictor_min_points(const nc_predictor *p);

/* Fits p on X (n rows of d features, row-major) and targets y[0..n), from
 * scratch: a refit forgets the previous one, and the same data and seed give
 * the same model. X and y are only read during the call. Errors:
 * NC_ERR_INVAL for n below nc_predictor_min_points or above the kind's
 * limit, d outside 1..NC_PRED_D_MAX, NULL arrays; NC_ERR_NUMERIC naming
 * the row and column of the first non-finite X or y entry (callers decide
 * what a NaN accuracy means before they get here), or when the model's own
 * arithmetic fails (a kernel matrix that is not positive definite); NC_ERR_NOMEM.
 * On failure p is left unfitted. If all y are equal the model is that
 * constant (every kind would only add fitting noise to it). */
nc_status nc_predictor_fit(nc_ctx *ctx, nc_predictor *p, const double *X,
                           size_t n, int d, const double *y);

/* Predicted targets y[0..m) of the m rows of X, in the units of the y that
 * fit saw. Rows are predicted independently: the result for a row does not
 * depend on the others in the call. Errors: NC_ERR_STATE before a
 * successful fit, NC_ERR_INVAL if d differs from the fit's (naming both) or
 * m is 0, NC_ERR_NUMERIC naming the first non-finite entry of X. */
nc_status nc_predictor_predict(nc_ctx *ctx, const nc_predictor *p,
                               const double *X, size_t m, int d, double *y);

/* 1 if kind gives a predictive spread (nc_predictor_predict_sd): the GP
 * (posterior standard deviation of the latent function) and the ensemble
 * (standard deviation of its members' standardized predictions, as
 * BANANAS uses its ensemble); 0 for the others. */
int nc_predictor_has_spread(nc_predictor_kind kind);

/* nc_predictor_predict plus a spread sd[0..m) per row, in the units of y:
 * how uncertain the model is about the row, larger away from the training
 * data, for acquisitions such as UCB (mean + beta * sd). Errors as
 * nc_predictor_predict, and NC_ERR_STATE for a kind without a spread.
 * A model fitted on constant targets has sd 0. */
nc_status nc_predictor_predict_sd(nc_ctx *ctx, const nc_predictor *p,
                                  const double *X, size_t m, int d, double *y,
                                  double *sd);

#endif
