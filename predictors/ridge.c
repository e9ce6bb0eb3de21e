/*
 * ridge.c — ridge regression, the cheapest predictor: a linear model on the
 * standardized features, solved in closed form, (Z'Z + lambda I) w = Z'y,
 * by a Cholesky factorization. With standardized features one lambda means
 * the same shrinkage for every feature, whatever its units; no intercept is
 * needed because the targets are centred.
 */
#include "predictors/predictor_int.h"

#include <math.h>
#include <stdlib.h>

typedef struct ridge {
    int d;
    double *w;
} ridge;

static nc_status ridge_init(nc_ctx *ctx, nc_predictor *p)
{
    if (!(p->o.ridge_lambda >= 0) || !isfinite(p->o.ridge_lambda))
        return nc_fail(ctx, NC_ERR_INVAL, "ridge_lambda = %g, need a finite value >= 0",
                       p->o.ridge_lambda);
    return NC_OK;
}

static void ridge_clear(nc_predictor *p)
{
    ridge *r = p->st;
    if (r)
        free(r->w);
    free(r);
    p->st = NULL;
}

static nc_status ridge_fit(nc_ctx *ctx, nc_predictor *p, const double *Z,
                           size_t n, int d, const double *ys)
{
    size_t dd = (size_t)d;
    ridge *r = calloc(1, sizeof *r);
    double *a = malloc(sizeof *a * dd * dd), *w = malloc(sizeof *w * dd);
    if (!r || !a || !w) {
        free(r), free(a), free(w);
        return nc_fail(ctx, NC_ERR_NOMEM, "%d x %d normal equations", d, d);
    }
    for (size_t j = 0; j < dd; j++) {
        for (size_t k = 0; k <= j; k++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += Z[i * dd + j] * Z[i * dd + k];
            a[j * dd + k] = a[k * dd + j] = s;
        }
        a[j * dd + j] += p->o.ridge_lambda;
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += Z[i * dd + j] * ys[i];
        w[j] = s;
    }
    int info = nc_pred_cholesky(a, d);
    if (info != 0) {
        free(r), free(a), free(w);
        return nc_fail(ctx, NC_ERR_NUMERIC,
                       "the normal equations are singular (Cholesky info %d); "
                       "use ridge_lambda > 0", info);
    }
    nc_pred_cholesky_solve(a, d, w, 1);
    free(a);
    r->d = d;
    r->w = w;
    p->st = r;
    return NC_OK;
}

static nc_status ridge_predict(nc_ctx *ctx, const nc_predictor *p,
                               const double *Z, size_t m, int d, double *ys)
{
    const ridge *r = p->st;
    for (size_t i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += Z[i * (size_t)d + (size_t)j] * r->w[j];
        ys[i] = s;
    }
    return NC_OK;
}

const nc_pred_vt nc_pred_ridge_vt = {
    .name = "ridge",
    .min_points = 2,
    .init = ridge_init,
    .fit = ridge_fit,
    .predict = ridge_predict,
    .clear = ridge_clear,
};
