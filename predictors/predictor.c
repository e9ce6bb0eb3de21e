/*
 * predictor.c — the predictor interface (predictor.h): options, input
 * checks, standardization and dispatch to the kinds' vtables.
 */
#include "predictors/predictor_int.h"
#include "predictors/rank.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const nc_pred_vt *const VTS[NC_PRED_N_KINDS] = {
    [NC_PRED_RIDGE] = &nc_pred_ridge_vt,
    [NC_PRED_GP] = &nc_pred_gp_vt,
    [NC_PRED_MLP] = &nc_pred_mlp_vt,
    [NC_PRED_ENSEMBLE] = &nc_pred_ensemble_vt,
    [NC_PRED_XGB] = &nc_pred_xgb_vt,
};

nc_predictor_opts nc_predictor_defaults(nc_predictor_kind kind)
{
    (void)kind; /* one set of defaults serves every kind today */
    nc_predictor_opts o = {
        .seed = 1,
        .rank_target = 1,
        .ridge_lambda = 1.0,
        .gp_n_max = 2000,
        .mlp_hidden = 64,
        .mlp_epochs = 200,
        .mlp_min_steps = 500,
        .mlp_batch = 32,
        .mlp_lr = 1e-3,
        .mlp_weight_decay = 1e-4,
        .xgb_rounds = 1000,
        .xgb_max_depth = 3,
        .xgb_eta = 0.03,
        .xgb_subsample = 0.5,
        .xgb_colsample = 0.8,
        .xgb_min_child_weight = 1.0,
        .xgb_lambda = 1.0,
        .n_members = 3,
        .members = { NC_PRED_RIDGE, NC_PRED_GP, NC_PRED_MLP },
    };
    return o;
}

const char *nc_predictor_name(nc_predictor_kind kind)
{
    if ((int)kind < 0 || kind >= NC_PRED_N_KINDS)
        return NULL;
    return VTS[kind]->name;
}

nc_status nc_predictor_find(nc_ctx *ctx, const char *s, nc_predictor_kind *kind)
{
    char known[128] = "";
    for (int k = 0; k < NC_PRED_N_KINDS; k++) {
        if (s && strcmp(s, VTS[k]->name) == 0) {
            *kind = (nc_predictor_kind)k;
            return NC_OK;
        }
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", VTS[k]->name);
    }
    return nc_fail(ctx, NC_ERR_NOTFOUND, "unknown predictor '%s' (known: %s)",
                   s ? s : "(null)", known);
}

nc_status nc_predictor_new(nc_ctx *ctx, nc_predictor_kind kind,
                           const nc_predictor_opts *opts, nc_predictor **out)
{
    *out = NULL;
    if ((int)kind < 0 || kind >= NC_PRED_N_KINDS)
        return nc_fail(ctx, NC_ERR_INVAL, "predictor: unknown kind %d", (int)kind);
    nc_predictor *p = calloc(1, sizeof *p);
    if (!p)
        return nc_fail(ctx, NC_ERR_NOMEM, "predictor: out of memory");
    p->vt = VTS[kind];
    p->kind = kind;
    p->o = opts ? *opts : nc_predictor_defaults(kind);
    p->min_points = p->vt->min_points;
    if (p->vt->init) {
        nc_status st = p->vt->init(ctx, p);
        if (st) {
            nc_ctx_prefix(ctx, "%s", p->vt->name);
            nc_predictor_free(p);
            return st;
        }
    }
    *out = p;
    return NC_OK;
}

void nc_predictor_free(nc_predictor *p)
{
    if (!p)
        return;
    p->vt->clear(p);
    free(p->xm);
    free(p->xs);
    free(p);
}

int nc_predictor_min_points(const nc_predictor *p)
{
    return p->min_points;
}

/* The first non-finite entry, named by row and column, so a caller can find
 * the architecture that produced it. */
static nc_status check_finite(nc_ctx *ctx, const char *fn, const char *what,
                              const double *a, size_t rows, int cols)
{
    for (size_t i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double v = a[i * (size_t)cols + (size_t)j];
            if (!isfinite(v))
                return cols > 1
                    ? nc_fail(ctx, NC_ERR_NUMERIC,
                              "%s: %s[%zu][%d] is %s (features must be finite)",
                              fn, what, i, j, isnan(v) ? "NaN" : "Inf")
                    : nc_fail(ctx, NC_ERR_NUMERIC,
                              "%s: %s[%zu] is %s (targets must be finite)",
                              fn, what, i, isnan(v) ? "NaN" : "Inf");
        }
    return NC_OK;
}

/* Phi^-1(u) for u in (0, 1), by bisection on erfc: slow-ish (60 steps) but
 * exact to double precision and free of magic constants; n is small. */
static double inv_normal(double u)
{
    double lo = -40, hi = 40;
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / M_SQRT2) < u)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ys = normal scores of the average ranks of y, rescaled to deviation 1 so
 * that the kinds see the same target scale as without the transform. ys
 * holds the plain standardized targets on entry and keeps them if the ranks
 * cannot be computed (no memory). */
static void normal_scores(nc_ctx *ctx, const double *y, size_t n, double *ys)
{
    double *r = malloc(sizeof *r * n);
    if (!r || nc_rank_average(ctx, y, n, r)) {
        free(r);
        if (ctx)
            nc_ctx_clear(ctx);
        return;
    }
    double q = 0;
    for (size_t i = 0; i < n; i++) {
        r[i] = inv_normal((r[i] - 0.5) / (double)n);
        q += r[i] * r[i];
    }
    double sd = sqrt(q / (double)n);
    for (size_t i = 0; i < n; i++)
        ys[i] = sd > 0 ? r[i] / sd : 0;
    free(r);
}

nc_status nc_predictor_fit(nc_ctx *ctx, nc_predictor *p, const double *X,
                           size_t n, int d, const double *y)
{
    const char *nm = p->vt->name;
    p->fitted = 0;
    if (!X || !y)
        return nc_fail(ctx, NC_ERR_INVAL, "%s fit: X or y is NULL", nm);
    if (d < 1 || d > NC_PRED_D_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "%s fit: d = %d features, need 1..%d",
                       nm, d, (int)NC_PRED_D_MAX);
    if (n < (size_t)p->min_points)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s fit: %zu training points, the model needs at least %d",
                       nm, n, p->min_points);
    if (n > NC_PRED_N_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "%s fit: %zu training points, at most %d",
                       nm, n, (int)NC_PRED_N_MAX);
    nc_status st;
    if ((st = check_finite(ctx, "fit", "X", X, n, d)) ||
        (st = check_finite(ctx, "fit", "y", y, n, 1))) {
        nc_ctx_prefix(ctx, "%s", nm);
        return st;
    }
    double *xm = malloc(sizeof *xm * (size_t)d), *xs = malloc(sizeof *xs * (size_t)d);
    double *Z = malloc(sizeof *Z * n * (size_t)d), *ys = malloc(sizeof *ys * n);
    if (!xm || !xs || !Z || !ys) {
        free(xm), free(xs), free(Z), free(ys);
        return nc_fail(ctx, NC_ERR_NOMEM, "%s fit: %zu x %d features", nm, n, d);
    }
    for (int j = 0; j < d; j++) {
        double s = 0, q = 0;
        for (size_t i = 0; i < n; i++)
            s += X[i * (size_t)d + (size_t)j];
        double m = s / (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = X[i * (size_t)d + (size_t)j] - m;
            q += e * e;
        }
        double sd = sqrt(q / (double)n);
        xm[j] = m;
        xs[j] = sd > 1e-12 * (1 + fabs(m)) ? sd : 1.0; /* constant: centred to 0 */
    }
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            Z[i * (size_t)d + (size_t)j] = (X[i * (size_t)d + (size_t)j] - xm[j]) / xs[j];
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += y[i];
    double ym = s / (double)n;
    for (size_t i = 0; i < n; i++)
        q += (y[i] - ym) * (y[i] - ym);
    double ysd = sqrt(q / (double)n);
    /* All targets equal: nothing to learn, and every model would only add
     * its fitting error to the constant, so the constant is the model. */
    int y_const = !(ysd > 1e-12 * (1 + fabs(ym)));
    if (y_const)
        ysd = 1.0;
    for (size_t i = 0; i < n; i++)
        ys[i] = (y[i] - ym) / ysd;
    if (p->o.rank_target && !y_const)
        normal_scores(ctx, y, n, ys);
    p->vt->clear(p);
    st = y_const ? NC_OK : p->vt->fit(ctx, p, Z, n, d, ys);
    free(Z);
    free(ys);
    if (st) {
        free(xm), free(xs);
        p->vt->clear(p);
        nc_ctx_prefix(ctx, "%s fit", nm);
        return st;
    }
    free(p->xm), free(p->xs);
    p->xm = xm;
    p->xs = xs;
    p->ym = ym;
    p->ysd = ysd;
    p->y_const = y_const;
    p->d = d;
    p->fitted = 1;
    return NC_OK;
}

/* Checks a prediction request and runs the kind's predict (sd NULL) or
 * predict_sd on standardized rows, mapping the results back. */
static nc_status predict_any(nc_ctx *ctx, const nc_predictor *p, const double *X,
                             size_t m, int d, double *y, double *sd)
{
    const char *nm = p->vt->name;
    if (!p->fitted)
        return nc_fail(ctx, NC_ERR_STATE, "%s predict: the predictor is not fitted", nm);
    if (!X || !y)
        return nc_fail(ctx, NC_ERR_INVAL, "%s predict: X or y is NULL", nm);
    if (d != p->d)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s predict: %d features, but the fit had %d", nm, d, p->d);
    if (m == 0)
        return nc_fail(ctx, NC_ERR_INVAL, "%s predict: no rows", nm);
    nc_status st = check_finite(ctx, "predict", "X", X, m, d);
    if (st) {
        nc_ctx_prefix(ctx, "%s", nm);
        return st;
    }
    if (p->y_const) {
        for (size_t i = 0; i < m; i++) {
            y[i] = p->ym;
            if (sd)
                sd[i] = 0;
        }
        return NC_OK;
    }
    double *Z = malloc(sizeof *Z * m * (size_t)d);
    if (!Z)
        return nc_fail(ctx, NC_ERR_NOMEM, "%s predict: %zu x %d features", nm, m, d);
    for (size_t i = 0; i < m; i++)
        for (int j = 0; j < d; j++)
            Z[i * (size_t)d + (size_t)j] =
                (X[i * (size_t)d + (size_t)j] - p->xm[j]) / p->xs[j];
    st = sd ? p->vt->predict_sd(ctx, p, Z, m, d, y, sd)
            : p->vt->predict(ctx, p, Z, m, d, y);
    free(Z);
    if (st) {
        nc_ctx_prefix(ctx, "%s predict", nm);
        return st;
    }
    for (size_t i = 0; i < m; i++) {
        y[i] = p->ym + p->ysd * y[i];
        if (sd)
            sd[i] *= p->ysd;
    }
    return NC_OK;
}

nc_status nc_predictor_predict(nc_ctx *ctx, const nc_predictor *p,
                               const double *X, size_t m, int d, double *y)
{
    return predict_any(ctx, p, X, m, d, y, NULL);
}

int nc_predictor_has_spread(nc_predictor_kind kind)
{
    return (int)kind >= 0 && kind < NC_PRED_N_KINDS && VTS[kind]->predict_sd;
}

nc_status nc_predictor_predict_sd(nc_ctx *ctx, const nc_predictor *p,
                                  const double *X, size_t m, int d, double *y,
                                  double *sd)
{
    if (!p->vt->predict_sd)
        return nc_fail(ctx, NC_ERR_STATE, "%s predict: this kind gives no "
                       "predictive spread (gp and ensemble do)", p->vt->name);
    if (!sd)
        return nc_fail(ctx, NC_ERR_INVAL, "%s predict: sd is NULL", p->vt->name);
    return predict_any(ctx, p, X, m, d, y, sd);
}

int nc_pred_cholesky(double *a, int n)
{
    return (int)LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, a, n);
}

void nc_pred_cholesky_solve(const double *l, int n, double *b, int nrhs)
{
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, nrhs, l, n, b, nrhs);
}
