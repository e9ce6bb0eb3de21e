/*
 * xgb.c — gradient-boosted regression trees through XGBoost's C API
 * (Debian's libxgboost-dev, 1.7). Trees need no feature scaling, but they
 * get the standardized features like every kind (a monotone map per column,
 * so the splits are the same up to float rounding) and the standardized
 * targets, so base_score 0 is the targets' mean.
 *
 * What makes it fit the predictor contract:
 *  - determinism: one thread (nthread 1, DMatrix built with 1 thread), the
 *    exact greedy tree method, and XGBoost's seed from opts.seed. XGBoost's
 *    row/column sampler is per thread and seeded when a booster is
 *    configured (its first round); our rounds then run back to back on the
 *    calling thread, so the same data and seed give the same trees whatever
 *    else the process does with XGBoost (test_pred_xgb fits another seed in
 *    between);
 *  - silence: verbosity 0 on the booster, and XGBoost's per-thread global
 *    verbosity held at 0 for the length of each call into it (warnings of
 *    DMatrix construction come before any booster exists), then restored,
 *    so a caller's own XGBoost settings survive;
 *  - errors: every XGBoost call is checked; its message (XGBGetLastError,
 *    per thread) goes into ctx, and every handle is freed on every path.
 */
#include "predictors/predictor_int.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

typedef struct xgb {
    BoosterHandle bst;
} xgb;

/* The caller's per-thread XGBoost global configuration (a small JSON
 * object), saved while we run XGBoost silenced. */
typedef struct quiet {
    char saved[256];
    int active;
} quiet;

static nc_status xgb_err(nc_ctx *ctx, nc_status code, const char *what)
{
    const char *m = XGBGetLastError();
    return nc_fail(ctx, code, "xgboost: %s: %s", what, m && *m ? m : "(no message)");
}

/* 0 when XGBoost is silenced on this thread until quiet_end. */
static int quiet_begin(quiet *q)
{
    const char *cur = NULL;
    q->active = 0;
    if (XGBGetGlobalConfig(&cur) != 0)
        return -1;
    /* Too long to keep means a newer XGBoost with more global fields: then
     * only verbosity is restored (to XGBoost's default, warnings). */
    if (cur && strlen(cur) < sizeof q->saved)
        snprintf(q->saved, sizeof q->saved, "%s", cur);
    else
        snprintf(q->saved, sizeof q->saved, "{\"verbosity\": 1}");
    if (XGBSetGlobalConfig("{\"verbosity\": 0}") != 0)
        return -1;
    q->active = 1;
    return 0;
}

/* Restores the saved configuration. Its failure cannot be reported without
 * hiding the call's own status, and would only leave the verbosity at 0. */
static void quiet_end(quiet *q)
{
    if (q->active)
        (void)XGBSetGlobalConfig(q->saved);
    q->active = 0;
}

static nc_status xgb_init(nc_ctx *ctx, nc_predictor *p)
{
    const nc_predictor_opts *o = &p->o;
    if (o->xgb_rounds < 1 || o->xgb_rounds > 100000)
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_rounds = %d, need 1..100000", o->xgb_rounds);
    if (o->xgb_max_depth < 1 || o->xgb_max_depth > 30)
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_max_depth = %d, need 1..30", o->xgb_max_depth);
    if (!(o->xgb_eta > 0 && o->xgb_eta <= 1))
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_eta = %g, need 0 < eta <= 1", o->xgb_eta);
    if (!(o->xgb_subsample > 0 && o->xgb_subsample <= 1))
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_subsample = %g, need 0 < subsample <= 1",
                       o->xgb_subsample);
    if (!(o->xgb_colsample > 0 && o->xgb_colsample <= 1))
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_colsample = %g, need 0 < colsample <= 1",
                       o->xgb_colsample);
    if (!(o->xgb_min_child_weight >= 0) || !isfinite(o->xgb_min_child_weight))
        return nc_fail(ctx, NC_ERR_INVAL,
                       "xgb_min_child_weight = %g, need a finite value >= 0",
                       o->xgb_min_child_weight);
    if (!(o->xgb_lambda >= 0) || !isfinite(o->xgb_lambda))
        return nc_fail(ctx, NC_ERR_INVAL, "xgb_lambda = %g, need a finite value >= 0",
                       o->xgb_lambda);
    return NC_OK;
}

static void xgb_clear(nc_predictor *p)
{
    xgb *x = p->st;
    if (x && x->bst) {
        /* A booster prints its timing monitors when freed at debug
         * verbosity, so freeing is silenced too (best effort: clear cannot
         * fail). XGBoosterFree fails only for a NULL handle. */
        quiet q;
        (void)quiet_begin(&q);
        (void)XGBoosterFree(x->bst);
        quiet_end(&q);
    }
    free(x);
    p->st = NULL;
}

/* A DMatrix of the m x d rows of Z in float. Values beyond float's range
 * (a query far outside the training data, divided by a small training
 * deviation) are clamped, which keeps their side of every split; XGBoost
 * would refuse an Inf. */
static nc_status make_dmatrix(nc_ctx *ctx, const double *Z, size_t m, int d,
                              const double *y, DMatrixHandle *out)
{
    *out = NULL;
    size_t nz = m * (size_t)d;
    float *f = malloc(sizeof *f * nz), *lab = y ? malloc(sizeof *lab * m) : NULL;
    if (!f || (y && !lab)) {
        free(f), free(lab);
        return nc_fail(ctx, NC_ERR_NOMEM, "%zu x %d float features", m, d);
    }
    for (size_t i = 0; i < nz; i++)
        f[i] = Z[i] > FLT_MAX ? FLT_MAX : Z[i] < -FLT_MAX ? -FLT_MAX : (float)Z[i];
    nc_status st = NC_OK;
    DMatrixHandle dm = NULL;
    /* missing = NaN: the inputs are finite, so no entry is missing. */
    if (XGDMatrixCreateFromMat_omp(f, (bst_ulong)m, (bst_ulong)d, NAN, &dm, 1) != 0) {
        st = xgb_err(ctx, NC_ERR_NOMEM, "building the data matrix");
        dm = NULL;
    } else if (y) {
        for (size_t i = 0; i < m; i++)
            lab[i] = (float)y[i];
        if (XGDMatrixSetFloatInfo(dm, "label", lab, (bst_ulong)m) != 0)
            st = xgb_err(ctx, NC_ERR_NOMEM, "setting the labels");
    }
    free(f);
    free(lab);
    if (st) {
        if (dm)
            (void)XGDMatrixFree(dm);
        return st;
    }
    *out = dm;
    return NC_OK;
}

/* XGBoost's seed is a 32-bit generator seed in effect: fold all 64 bits of
 * ours into 31 so that seeds differing only in their high bits still
 * differ (splitmix64's finalizer, then the top bits). */
static long fold_seed(uint64_t s)
{
    s ^= s >> 30;
    s *= 0xbf58476d1ce4e5b9ULL;
    s ^= s >> 27;
    s *= 0x94d049bb133111ebULL;
    s ^= s >> 31;
    return (long)(s >> 33);
}

static nc_status set_params(nc_ctx *ctx, BoosterHandle bst, const nc_predictor_opts *o)
{
    char v[8][40];
    snprintf(v[0], sizeof v[0], "%d", o->xgb_max_depth);
    snprintf(v[1], sizeof v[1], "%.17g", o->xgb_eta);
    snprintf(v[2], sizeof v[2], "%.17g", o->xgb_subsample);
    snprintf(v[3], sizeof v[3], "%.17g", o->xgb_colsample);
    snprintf(v[4], sizeof v[4], "%.17g", o->xgb_min_child_weight);
    snprintf(v[5], sizeof v[5], "%.17g", o->xgb_lambda);
    snprintf(v[6], sizeof v[6], "%ld", fold_seed(o->seed));
    const char *kv[][2] = {
        { "verbosity", "0" },
        { "nthread", "1" },
        { "booster", "gbtree" },
        { "tree_method", "exact" },
        { "objective", "reg:squarederror" },
        { "base_score", "0" },
        { "seed", v[6] },
        { "max_depth", v[0] },
        { "eta", v[1] },
        { "subsample", v[2] },
        { "colsample_bytree", v[3] },
        { "min_child_weight", v[4] },
        { "lambda", v[5] },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (XGBoosterSetParam(bst, kv[i][0], kv[i][1]) != 0) {
            char what[96];
            snprintf(what, sizeof what, "parameter %s = %s", kv[i][0], kv[i][1]);
            return xgb_err(ctx, NC_ERR_INVAL, what);
        }
    return NC_OK;
}

static nc_status xgb_fit(nc_ctx *ctx, nc_predictor *p, const double *Z,
                         size_t n, int d, const double *ys)
{
    xgb *x = calloc(1, sizeof *x);
    if (!x)
        return nc_fail(ctx, NC_ERR_NOMEM, "xgb model");
    quiet q;
    DMatrixHandle dm = NULL;
    BoosterHandle bst = NULL;
    nc_status st = quiet_begin(&q) ? xgb_err(ctx, NC_ERR_STATE, "silencing") : NC_OK;
    if (!st)
        st = make_dmatrix(ctx, Z, n, d, ys, &dm);
    if (!st && XGBoosterCreate(&dm, 1, &bst) != 0) {
        st = xgb_err(ctx, NC_ERR_NOMEM, "creating the booster");
        bst = NULL;
    }
    if (!st)
        st = set_params(ctx, bst, &p->o);
    for (int r = 0; !st && r < p->o.xgb_rounds; r++)
        if (XGBoosterUpdateOneIter(bst, r, dm) != 0) {
            char what[48];
            snprintf(what, sizeof what, "boosting round %d", r);
            st = xgb_err(ctx, NC_ERR_NUMERIC, what);
        }
    /* The booster keeps what it needs of the training matrix (its
     * prediction cache holds a weak reference), so the matrix goes now. */
    if (dm)
        (void)XGDMatrixFree(dm);
    if (st && bst)
        (void)XGBoosterFree(bst);
    quiet_end(&q);
    if (st) {
        free(x);
        return st;
    }
    x->bst = bst;
    p->st = x;
    return NC_OK;
}

static nc_status xgb_predict(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                             size_t m, int d, double *ys)
{
    const xgb *x = p->st;
    quiet q;
    DMatrixHandle dm = NULL;
    nc_status st = quiet_begin(&q) ? xgb_err(ctx, NC_ERR_STATE, "silencing") : NC_OK;
    if (!st)
        st = make_dmatrix(ctx, Z, m, d, NULL, &dm);
    if (!st) {
        bst_ulong len = 0;
        const float *out = NULL;
        /* option 0: the plain sum of the trees; ntree_limit 0: all trees;
         * training 0: inference. out belongs to the booster (valid until
         * its next call), so it is copied at once. */
        if (XGBoosterPredict(x->bst, dm, 0, 0, 0, &len, &out) != 0)
            st = xgb_err(ctx, NC_ERR_NUMERIC, "predicting");
        else if (len != (bst_ulong)m || !out)
            st = nc_fail(ctx, NC_ERR_STATE, "xgboost: %" PRIu64 " predictions for %zu rows",
                         (uint64_t)len, m);
        else
            for (size_t i = 0; i < m; i++)
                ys[i] = (double)out[i];
    }
    if (dm)
        (void)XGDMatrixFree(dm);
    quiet_end(&q);
    return st;
}

const nc_pred_vt nc_pred_xgb_vt = {
    .name = "xgb",
    .min_points = 2,
    .init = xgb_init,
    .fit = xgb_fit,
    .predict = xgb_predict,
    .clear = xgb_clear,
};
