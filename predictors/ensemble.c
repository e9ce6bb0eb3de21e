/*
 * ensemble.c — an ensemble of predictors: each member is fitted on the same
 * data, its predictions are standardized with the mean and deviation of its
 * own predictions on the training set, and the ensemble predicts the mean of
 * those z-scores. Standardizing first keeps a member with compressed outputs
 * (a strongly shrunk ridge) from having less say in the ranking than one with
 * wide outputs. Member i gets the ensemble's options with seed + i, so two
 * MLP (or subsampling xgb) members differ; members are created at each fit.
 */
#include "predictors/predictor_int.h"

#include <math.h>
#include <stdlib.h>

typedef struct ens {
    int k;
    nc_predictor *m[NC_PRED_ENSEMBLE_MAX];
    double mu[NC_PRED_ENSEMBLE_MAX], sd[NC_PRED_ENSEMBLE_MAX];
} ens;

static const nc_pred_vt *member_vt(nc_predictor_kind k)
{
    switch (k) {
    case NC_PRED_RIDGE: return &nc_pred_ridge_vt;
    case NC_PRED_GP: return &nc_pred_gp_vt;
    case NC_PRED_MLP: return &nc_pred_mlp_vt;
    case NC_PRED_XGB: return &nc_pred_xgb_vt;
    default: return NULL;
    }
}

static nc_status ens_init(nc_ctx *ctx, nc_predictor *p)
{
    const nc_predictor_opts *o = &p->o;
    if (o->n_members < 1 || o->n_members > NC_PRED_ENSEMBLE_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "n_members = %d, need 1..%d",
                       o->n_members, (int)NC_PRED_ENSEMBLE_MAX);
    int mp = 2;
    for (int i = 0; i < o->n_members; i++) {
        const nc_pred_vt *vt = member_vt(o->members[i]);
        if (!vt)
            return nc_fail(ctx, NC_ERR_INVAL,
                           "members[%d] = %d is not ridge, gp, mlp or xgb", i,
                           (int)o->members[i]);
        /* Check each member's options now, not at the first fit. */
        nc_predictor *m;
        nc_status st = nc_predictor_new(ctx, o->members[i], o, &m);
        if (st)
            return st;
        nc_predictor_free(m);
        if (vt->min_points > mp)
            mp = vt->min_points;
    }
    p->min_points = mp;
    return NC_OK;
}

static void ens_clear(nc_predictor *p)
{
    ens *e = p->st;
    if (e)
        for (int i = 0; i < e->k; i++)
            nc_predictor_free(e->m[i]);
    free(e);
    p->st = NULL;
}

static nc_status ens_fit(nc_ctx *ctx, nc_predictor *p, const double *Z,
                         size_t n, int d, const double *ys)
{
    ens *e = calloc(1, sizeof *e);
    double *pr = malloc(sizeof *pr * n);
    if (!e || !pr) {
        free(e), free(pr);
        return nc_fail(ctx, NC_ERR_NOMEM, "ensemble");
    }
    p->st = e;
    nc_status st = NC_OK;
    for (int i = 0; i < p->o.n_members && !st; i++) {
        nc_predictor_opts o = p->o;
        o.seed = p->o.seed + (uint64_t)i;
        if ((st = nc_predictor_new(ctx, p->o.members[i], &o, &e->m[i])))
            break;
        e->k = i + 1;
        if ((st = nc_predictor_fit(ctx, e->m[i], Z, n, d, ys)) ||
            (st = nc_predictor_predict(ctx, e->m[i], Z, n, d, pr)))
            break;
        double s = 0, q = 0;
        for (size_t t = 0; t < n; t++)
            s += pr[t];
        double mu = s / (double)n;
        for (size_t t = 0; t < n; t++)
            q += (pr[t] - mu) * (pr[t] - mu);
        double sd = sqrt(q / (double)n);
        e->mu[i] = mu;
        e->sd[i] = sd > 1e-12 ? sd : 1.0; /* a constant member adds only 0 */
    }
    free(pr);
    if (st)
        nc_ctx_prefix(ctx, "member %d", e->k - 1);
    return st; /* on failure predictor.c clears e */
}

/* The mean of the members' z-scores and, if sd is not NULL, their standard
 * deviation: where the members disagree the ensemble is unsure (BANANAS's
 * reading of an ensemble's uncertainty). */
static nc_status ens_predict_sd(nc_ctx *ctx, const nc_predictor *p,
                                const double *Z, size_t m, int d, double *ys,
                                double *sd)
{
    const ens *e = p->st;
    double *pr = malloc(sizeof *pr * m), *sq = calloc(m, sizeof *sq);
    if (!pr || !sq) {
        free(pr), free(sq);
        return nc_fail(ctx, NC_ERR_NOMEM, "ensemble predictions of %zu rows", m);
    }
    for (size_t t = 0; t < m; t++)
        ys[t] = 0;
    for (int i = 0; i < e->k; i++) {
        nc_status st = nc_predictor_predict(ctx, e->m[i], Z, m, d, pr);
        if (st) {
            free(pr), free(sq);
            return st;
        }
        for (size_t t = 0; t < m; t++) {
            double zt = (pr[t] - e->mu[i]) / e->sd[i];
            ys[t] += zt / e->k;
            sq[t] += zt * zt / e->k;
        }
    }
    for (size_t t = 0; sd && t < m; t++) {
        double var = sq[t] - ys[t] * ys[t];
        sd[t] = var > 0 ? sqrt(var) : 0;
    }
    free(pr), free(sq);
    return NC_OK;
}

static nc_status ens_predict(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                             size_t m, int d, double *ys)
{
    return ens_predict_sd(ctx, p, Z, m, d, ys, NULL);
}

const nc_pred_vt nc_pred_ensemble_vt = {
    .name = "ensemble",
    .min_points = 2,
    .init = ens_init,
    .fit = ens_fit,
    .predict = ens_predict,
    .predict_sd = ens_predict_sd,
    .clear = ens_clear,
};
