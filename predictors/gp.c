/*
 * gp.c — Gaussian-process regression, the predictor that does best with few
 * points: an RBF kernel on the standardized features,
 *     k(x, x') = sf2 * exp(-|x - x'|^2 / (2 l^2)) + sn2 [x == x'],
 * with the length scale l and the noise variance sn2 chosen by a small fixed
 * grid search on the log marginal likelihood (no gradient optimizer: the
 * grid is deterministic, cannot diverge, and its 36 Cholesky factorizations
 * cost under a second at n = 500). sf2 is 1 because the targets are
 * standardized. The Cholesky runs through LAPACKE in double precision.
 * Prediction is the posterior mean; the spread is the posterior standard
 * deviation of the latent function, sqrt(1 - k*' K^-1 k*), from the kept
 * Cholesky factor.
 */
#include "predictors/predictor_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length scales in units of sqrt(d) (the typical distance between two
 * standardized points is about sqrt(2d)), and noise variances relative to
 * the unit target variance. */
static const double LS[] = { 0.125, 0.25, 0.5, 1.0, 2.0, 4.0 };
static const double NOISE[] = { 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.3 };
enum { N_LS = sizeof LS / sizeof LS[0], N_NOISE = sizeof NOISE / sizeof NOISE[0] };

typedef struct gp {
    size_t n;
    int d;
    double *z;      /* training features, n x d (standardized) */
    double *alpha;  /* K^-1 y */
    double *l;      /* Cholesky factor of K (lower, row-major n x n) */
    double ell2;    /* chosen l^2 */
    double sn2;     /* chosen noise variance */
    double lml;     /* its log marginal likelihood */
} gp;

static nc_status gp_init(nc_ctx *ctx, nc_predictor *p)
{
    if (p->o.gp_n_max < 2 || p->o.gp_n_max > 50000)
        return nc_fail(ctx, NC_ERR_INVAL, "gp_n_max = %d, need 2..50000",
                       p->o.gp_n_max);
    return NC_OK;
}

static void gp_clear(nc_predictor *p)
{
    gp *g = p->st;
    if (g) {
        free(g->z);
        free(g->alpha);
        free(g->l);
    }
    free(g);
    p->st = NULL;
}

static double sqdist(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double e = a[j] - b[j];
        s += e * e;
    }
    return s;
}

static nc_status gp_fit(nc_ctx *ctx, nc_predictor *p, const double *Z,
                        size_t n, int d, const double *ys)
{
    if (n > (size_t)p->o.gp_n_max)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%zu training points, gp_n_max is %d (the fit is O(n^3))",
                       n, p->o.gp_n_max);
    gp *g = calloc(1, sizeof *g);
    double *d2 = malloc(sizeof *d2 * n * n), *k = malloc(sizeof *k * n * n);
    double *a = malloc(sizeof *a * n), *z = malloc(sizeof *z * n * (size_t)d);
    if (!g || !d2 || !k || !a || !z) {
        free(g), free(d2), free(k), free(a), free(z);
        return nc_fail(ctx, NC_ERR_NOMEM, "kernel matrix of %zu points", n);
    }
    memcpy(z, Z, sizeof *z * n * (size_t)d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            d2[i * n + j] = d2[j * n + i] = sqdist(Z + i * (size_t)d, Z + j * (size_t)d, d);
    double best = -INFINITY, best_ell2 = 0, best_sn2 = 0;
    for (int li = 0; li < N_LS; li++)
        for (int ni = 0; ni < N_NOISE; ni++) {
            double ell = LS[li] * sqrt((double)d), ell2 = ell * ell;
            for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < n; j++)
                    k[i * n + j] = exp(-d2[i * n + j] / (2 * ell2));
                k[i * n + i] += NOISE[ni];
            }
            if (nc_pred_cholesky(k, (int)n) != 0)
                continue; /* not numerically positive definite: skip */
            memcpy(a, ys, sizeof *a * n);
            nc_pred_cholesky_solve(k, (int)n, a, 1);
            double fit = 0, logdet = 0;
            for (size_t i = 0; i < n; i++) {
                fit += ys[i] * a[i];
                logdet += log(k[i * n + i]);
            }
            double lml = -0.5 * fit - logdet - 0.5 * (double)n * log(2 * M_PI);
            if (lml > best) { /* strict: the first of equals wins */
                best = lml;
                best_ell2 = ell2;
                best_sn2 = NOISE[ni];
            }
        }
    if (!(best > -INFINITY)) {
        free(g), free(d2), free(k), free(a), free(z);
        return nc_fail(ctx, NC_ERR_NUMERIC,
                       "no kernel matrix of the grid was positive definite "
                       "(%zu points)", n);
    }
    /* Refactor at the chosen point for alpha. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            k[i * n + j] = exp(-d2[i * n + j] / (2 * best_ell2));
        k[i * n + i] += best_sn2;
    }
    nc_pred_cholesky(k, (int)n);
    memcpy(a, ys, sizeof *a * n);
    nc_pred_cholesky_solve(k, (int)n, a, 1);
    free(d2);
    *g = (gp){ .n = n, .d = d, .z = z, .alpha = a, .l = k, .ell2 = best_ell2,
               .sn2 = best_sn2, .lml = best };
    p->st = g;
    return NC_OK;
}

static nc_status gp_predict(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                            size_t m, int d, double *ys)
{
    const gp *g = p->st;
    for (size_t i = 0; i < m; i++) {
        double s = 0;
        for (size_t t = 0; t < g->n; t++)
            s += g->alpha[t] *
                 exp(-sqdist(Z + i * (size_t)d, g->z + t * (size_t)d, d) / (2 * g->ell2));
        ys[i] = s;
    }
    return NC_OK;
}

static nc_status gp_predict_sd(nc_ctx *ctx, const nc_predictor *p,
                               const double *Z, size_t m, int d, double *ys,
                               double *sd)
{
    const gp *g = p->st;
    size_t n = g->n;
    double *v = malloc(sizeof *v * n);
    if (!v)
        return nc_fail(ctx, NC_ERR_NOMEM, "gp spread of %zu points", n);
    for (size_t i = 0; i < m; i++) {
        double s = 0;
        for (size_t t = 0; t < n; t++) {
            v[t] = exp(-sqdist(Z + i * (size_t)d, g->z + t * (size_t)d, d) /
                       (2 * g->ell2));
            s += g->alpha[t] * v[t];
        }
        ys[i] = s;
        /* v <- L^-1 k*, forward substitution; var = 1 - |v|^2. */
        double q = 0;
        for (size_t t = 0; t < n; t++) {
            double r = v[t];
            const double *lt = g->l + t * n;
            for (size_t u = 0; u < t; u++)
                r -= lt[u] * v[u];
            v[t] = r / lt[t];
            q += v[t] * v[t];
        }
        sd[i] = q < 1 ? sqrt(1 - q) : 0;
    }
    free(v);
    return NC_OK;
}

const nc_pred_vt nc_pred_gp_vt = {
    .name = "gp",
    .min_points = 2,
    .init = gp_init,
    .fit = gp_fit,
    .predict = gp_predict,
    .predict_sd = gp_predict_sd,
    .clear = gp_clear,
};
