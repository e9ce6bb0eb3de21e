/*
 * parzc.h — a parametric zero-cost proxy in the spirit of ParZC (Dong et
 * al. 2024): per-layer statistics of a proxy, here synflow per slot
 * (nc_proxy_synflow_tags in proxy.h), combined with one learned weight per
 * slot, the weights fitted on the architectures already evaluated by
 * maximizing a differentiable Kendall tau against their accuracies.
 *
 *     nc_parzc *m;
 *     if (nc_parzc_new(ctx, NC_NB201_SLOTS, NULL, &m) ||
 *         nc_parzc_fit(ctx, m, s_train, n, NC_NB201_SLOTS, acc) ||
 *         nc_parzc_score(ctx, m, s_new, k, NC_NB201_SLOTS, score))
 *         ...ctx->msg...
 *     nc_parzc_free(m);
 *
 * Statistics. A row holds d values s_l >= 0 (finite) of one architecture;
 * their sum is the plain proxy (synflow). Rows are n x d, row-major,
 * owned by the caller and only read.
 *
 * Score of a row, three forms (all equal log(sum_l s_l), the log of the
 * plain proxy, at w = 0, where fitting starts, so the learned proxy starts
 * as the plain one and the L2 pull keeps it near). With S = sum_l s_l and
 * sigma the standard deviation of log S over the fitted rows (so that w is
 * in units of the spread of the plain scores):
 *   NC_PARZC_LSE       f = log(sum_l exp(w_l) s_l): slot l counted exp(w_l)
 *                      times; the form.
 *   NC_PARZC_SHARE     f = log S + sigma * sum_l w_l s_l / S: the plain
 *                      proxy plus a linear term in each slot's share of it.
 *   NC_PARZC_LOGSHARE  f = log S + sigma * sum_l w_l z_l, z_l = log(s_l / S
 *                      + 1e-4) standardized (mean 0, sd 1; sd 0 -> 1) with
 *                      the fitted rows' per-slot mean and sd, which the
 *                      model keeps for scoring: zero slots (none, skip,
 *                      pool edges) become a finite level that the weight
 *                      can reward or punish.
 * Degenerate rows (every s_l = 0: synflow 0, no input-to-logits path; see
 * proxy.h) score -INFINITY under every w: they rank last, tied, like the
 * plain proxy's -inf. The fit skips them (their pairs are constant in w).
 *
 * Objective, over the m fitted (non-degenerate) rows with P = m(m-1)/2:
 *     tau_soft(w) = (1/P) sum_{i<j} tanh((f_i - f_j) / T) sign(y_i - y_j)
 *     J(w) = tau_soft(w) - (l2 / 2) |w|^2
 * tau_soft tends to Kendall's tau-a as T -> 0. T = temp * (standard
 * deviation of f over the fitted rows at w = 0), fixed for the fit, so the
 * objective does not depend on the unit of the statistics (and is 1 x temp
 * if the scores are constant). Maximized by Adam (beta 0.9, 0.999, eps
 * 1e-8) from w = 0 for a fixed number of steps; no randomness, so a fit is
 * a pure function of (rows, y, opts), bit for bit. Cost O(steps m^2).
 */
#ifndef NC_PARZC_H
#define NC_PARZC_H

#include <stddef.h>

#include "core/ctx.h"

typedef enum nc_parzc_form {
    NC_PARZC_LSE = 0, NC_PARZC_SHARE = 1, NC_PARZC_LOGSHARE = 2
} nc_parzc_form;

typedef struct nc_parzc_opts {
    nc_parzc_form form;
    int steps;        /* Adam steps, >= 0 (0: keep w = 0) */
    double lr;        /* Adam step size, > 0 */
    double temp;      /* T in units of the spread of the initial scores, > 0 */
    double l2;        /* pull towards w = 0, >= 0 */
} nc_parzc_opts;

/* The defaults (the first table of results/parzc_nb201.md): LSE, 300
 * steps, lr 0.05, temp 0.1, l2 1e-3. LSE is the default because it never
 * did worse than the plain proxy there; LOGSHARE gains most from n = 100
 * on but loses at n = 20. */
nc_parzc_opts nc_parzc_defaults(void);

typedef struct nc_parzc nc_parzc;

/* A model over d statistics per row (1 <= d <= 4096), with w = 0, into
 * *out (the caller frees it with nc_parzc_free). opts NULL means the
 * defaults; they are copied. Errors: NC_ERR_INVAL (d or an option out of
 * range; *out untouched), NC_ERR_NOMEM. */
nc_status nc_parzc_new(nc_ctx *ctx, int d, const nc_parzc_opts *opts,
                       nc_parzc **out);
/* Frees the model; accepts NULL. */
void nc_parzc_free(nc_parzc *m);

/* Fits w on rows s (n x d) with targets y (n; larger is better), starting
 * from w = 0 whatever an earlier fit left. Errors, with the model left as
 * it was: NC_ERR_INVAL (d not the model's; a negative statistic, naming
 * row and slot; fewer than 2 non-degenerate rows), NC_ERR_NUMERIC (a NaN
 * or infinite statistic or target, naming it; a fit that produced a
 * non-finite weight), NC_ERR_NOMEM. */
nc_status nc_parzc_fit(nc_ctx *ctx, nc_parzc *m, const double *s, size_t n,
                       int d, const double *y);

/* Scores rows s (n x d) into out[0..n) (caller's), with the current w (an
 * unfitted model scores the plain log-proxy); -INFINITY for degenerate
 * rows. Errors: NC_ERR_INVAL (d mismatch, negative statistic),
 * NC_ERR_NUMERIC (NaN or infinite statistic); out is then untouched. */
nc_status nc_parzc_score(nc_ctx *ctx, const nc_parzc *m, const double *s,
                         size_t n, int d, double *out);

/* The d weights (owned by the model, valid until the next fit or free). */
const double *nc_parzc_weights(const nc_parzc *m);

/* The fit's objective J at weights w (d values) on rows s, y, with the
 * model's form, temp and l2 (T, sigma and LOGSHARE's standardization
 * computed from s as the fit does),
 * into *obj, and its gradient dJ/dw into grad (d values, caller's; NULL
 * to skip). For tests and diagnostics. Errors as nc_parzc_fit. */
nc_status nc_parzc_objective(nc_ctx *ctx, const nc_parzc *m, const double *s,
                             size_t n, int d, const double *y, const double *w,
                             double *obj, double *grad);

#endif
