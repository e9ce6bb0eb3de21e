/*
 * predictor_int.h — what the predictor kinds (ridge.c, gp.c, mlp_reg.c,
 * ensemble.c, xgb.c) share with predictor.c; not a public header.
 *
 * predictor.c checks inputs and standardizes: a kind's fit sees features Z
 * with mean 0 and deviation 1 per column (constant columns become 0) and
 * targets with mean 0 and deviation 1, and its predict returns values in
 * those standardized target units; predictor.c maps them back. So a kind
 * only implements its model, with no checks of its own beyond its options.
 */
#ifndef NC_PREDICTOR_INT_H
#define NC_PREDICTOR_INT_H

#include "predictors/predictor.h"

typedef struct nc_pred_vt {
    const char *name;
    int min_points;
    /* Validates p->o for this kind (NC_ERR_INVAL naming the option) and
     * sets up p->st if the kind needs state before a fit; may be NULL. */
    nc_status (*init)(nc_ctx *ctx, nc_predictor *p);
    /* Fits on standardized Z (n x d) and ys; replaces any previous model. */
    nc_status (*fit)(nc_ctx *ctx, nc_predictor *p, const double *Z, size_t n,
                     int d, const double *ys);
    /* Standardized predictions of m standardized rows. */
    nc_status (*predict)(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                         size_t m, int d, double *ys);
    /* The same with a predictive spread per row, in the same standardized
     * units; NULL for a kind without one. */
    nc_status (*predict_sd)(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                            size_t m, int d, double *ys, double *sd);
    /* Frees p->st (NULL allowed) and sets it to NULL. */
    void (*clear)(nc_predictor *p);
} nc_pred_vt;

struct nc_predictor {
    const nc_pred_vt *vt;
    nc_predictor_kind kind;
    nc_predictor_opts o;
    int min_points;     /* vt->min_points, or the members' largest */
    int fitted;
    int d;              /* features of the fit */
    double *xm, *xs;    /* per-feature mean and scale (1 for constant) */
    double ym, ysd;     /* target mean and scale */
    int y_const;        /* the fit's targets were all equal: predict ym */
    void *st;           /* the kind's model */
};

extern const nc_pred_vt nc_pred_ridge_vt;
extern const nc_pred_vt nc_pred_gp_vt;
extern const nc_pred_vt nc_pred_mlp_vt;
extern const nc_pred_vt nc_pred_ensemble_vt;
extern const nc_pred_vt nc_pred_xgb_vt;

/* Cholesky factor (lower, in place, row-major n x n) of a; returns the
 * LAPACK info (0: positive definite). Shared by ridge and GP. */
int nc_pred_cholesky(double *a, int n);
/* Solves L L^T x = b in place (L from nc_pred_cholesky), nrhs columns of a
 * row-major n x nrhs b. */
void nc_pred_cholesky_solve(const double *l, int n, double *b, int nrhs);

#endif
