/*
 * test_predictors.c — the learned predictors (predictors/predictor.h): each
 * kind recovers a known function from synthetic data to a stated tolerance,
 * bad input fails with the documented status and a message that names the
 * problem, and fits are deterministic for a seed.
 */
#include "predictors/predictor.h"
#include "tests/util/testutil.h"
#include "predictors/rank.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* n points uniform in [-2, 2]^d from stream idx. */
static double *points(int n, int d, uint64_t idx)
{
    nc_rng r = nc_rng_make(5, NC_STREAM(NC_PURPOSE_DATA, idx));
    double *x = malloc(sizeof *x * (size_t)n * (size_t)d);
    for (int i = 0; i < n * d; i++)
        x[i] = 4.0 * nc_rng_uniform(&r) - 2.0;
    return x;
}

static double linear_f(const double *x) { return 3 * x[0] - 2 * x[1] + 0.5 * x[2] + 7; }
static double smooth_f(const double *x) { return sin(1.5 * x[0]) + 0.5 * cos(x[1]); }

/* Root mean squared error of predictor p against f on m fresh points. */
static double rmse(nc_predictor *p, int d, double (*f)(const double *), int m)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double *x = points(m, d, 99), *y = malloc(sizeof *y * m);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, (size_t)m, d, y), NC_OK);
    double s = 0;
    for (int i = 0; i < m; i++) {
        double e = y[i] - f(x + (size_t)i * d);
        s += e * e;
    }
    free(x);
    free(y);
    return sqrt(s / m);
}

static nc_predictor *fit_on(nc_predictor_kind k, const nc_predictor_opts *o, int n,
                            int d, double (*f)(const double *))
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor *p;
    /* Recovery is about the raw targets: no rank transform unless asked. */
    nc_predictor_opts raw = nc_predictor_defaults(k);
    raw.rank_target = 0;
    ck_assert_int_eq(nc_predictor_new(&ctx, k, o ? o : &raw, &p), NC_OK);
    double *x = points(n, d, 1), *y = malloc(sizeof *y * n);
    for (int i = 0; i < n; i++)
        y[i] = f(x + (size_t)i * d);
    ck_assert_msg(nc_predictor_fit(&ctx, p, x, (size_t)n, d, y) == NC_OK, "%s", ctx.msg);
    free(x);
    free(y);
    return p;
}

START_TEST(test_ridge_linear)
{
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_RIDGE);
    o.ridge_lambda = 1e-8;
    o.rank_target = 0;
    nc_predictor *p = fit_on(NC_PRED_RIDGE, &o, 50, 3, linear_f);
    double e = rmse(p, 3, linear_f, 100);
    ck_assert_msg(e < 1e-4, "ridge RMSE %g on a linear function", e);
    nc_predictor_free(p);
    /* A large lambda shrinks towards the mean: worse but finite. */
    o.ridge_lambda = 1e3;
    p = fit_on(NC_PRED_RIDGE, &o, 50, 3, linear_f);
    e = rmse(p, 3, linear_f, 100);
    ck_assert(e > 0.5 && isfinite(e));
    nc_predictor_free(p);
}
END_TEST

START_TEST(test_gp_smooth)
{
    nc_predictor *p = fit_on(NC_PRED_GP, NULL, 150, 2, smooth_f);
    double e = rmse(p, 2, smooth_f, 200);
    ck_assert_msg(e < 0.05, "GP RMSE %g on sin/cos (range about 3)", e);
    nc_predictor_free(p);
}
END_TEST

/* The spread: small on the training inputs, near the prior's deviation
 * far from them (GP); the ensemble's members disagree more off the data;
 * the predictions equal nc_predictor_predict's; kinds without one say so. */
START_TEST(test_spread)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double *x = points(60, 2, 1), y[60], m[62], sd[62], m2[62];
    double q[62 * 2];
    for (int i = 0; i < 60; i++)
        y[i] = smooth_f(x + 2 * i);
    memcpy(q, x, sizeof *q * 120);
    q[120] = 40, q[121] = -40;          /* far outside [-2, 2]^2 */
    q[122] = 0.1, q[123] = 0.2;
    for (int k = 0; k < NC_PRED_N_KINDS; k++) {
        nc_predictor_opts o = nc_predictor_defaults((nc_predictor_kind)k);
        o.rank_target = 0;
        if (k == NC_PRED_ENSEMBLE) {
            o.n_members = 2;
            o.members[0] = NC_PRED_GP;
            o.members[1] = NC_PRED_RIDGE;
        }
        nc_predictor *p;
        ck_assert_int_eq(nc_predictor_new(&ctx, (nc_predictor_kind)k, &o, &p), NC_OK);
        ck_assert_int_eq(nc_predictor_fit(&ctx, p, x, 60, 2, y), NC_OK);
        if (!nc_predictor_has_spread((nc_predictor_kind)k)) {
            ck_assert_int_eq(nc_predictor_predict_sd(&ctx, p, q, 62, 2, m, sd),
                             NC_ERR_STATE);
            nc_test_expect_msg(&ctx, "no predictive spread");
            nc_predictor_free(p);
            continue;
        }
        ck_assert_int_eq(nc_predictor_predict_sd(&ctx, p, q, 62, 2, m, sd), NC_OK);
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, q, 62, 2, m2), NC_OK);
        ck_assert(memcmp(m, m2, sizeof m) == 0);
        double in = 0;
        for (int i = 0; i < 60; i++) {
            ck_assert(sd[i] >= 0 && isfinite(sd[i]));
            in += sd[i] / 60;
        }
        ck_assert_msg(sd[60] > 3 * in, "%s: far sd %g, mean sd on the data %g",
                      nc_predictor_name((nc_predictor_kind)k), sd[60], in);
        if (k == NC_PRED_GP) {
            /* Far away the posterior is the prior: sd = the targets' sd. */
            double mu = 0, v = 0;
            for (int i = 0; i < 60; i++)
                mu += y[i] / 60;
            for (int i = 0; i < 60; i++)
                v += (y[i] - mu) * (y[i] - mu) / 60;   /* as predictor.c */
            ck_assert(fabs(sd[60] - sqrt(v)) < 1e-6 * sqrt(v));
            ck_assert(in < 0.1 * sqrt(v));
        }
        nc_predictor_free(p);
    }
    ck_assert_int_eq(nc_predictor_has_spread(NC_PRED_N_KINDS), 0);
    free(x);
}
END_TEST

START_TEST(test_mlp_smooth)
{
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_MLP);
    o.mlp_epochs = 400;
    o.rank_target = 0;
    o.mlp_lr = 3e-3;
    nc_predictor *p = fit_on(NC_PRED_MLP, &o, 200, 2, smooth_f);
    double e = rmse(p, 2, smooth_f, 200);
    ck_assert_msg(e < 0.15, "MLP RMSE %g on sin/cos (range about 3)", e);
    nc_predictor_free(p);
}
END_TEST

START_TEST(test_ensemble_ranks)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* With the default rank transform: only the order is checked. */
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_ENSEMBLE);
    ck_assert_int_eq(o.rank_target, 1);
    nc_predictor *p = fit_on(NC_PRED_ENSEMBLE, &o, 150, 2, smooth_f);
    int m = 300;
    double *x = points(m, 2, 7), *y = malloc(sizeof *y * m), *t = malloc(sizeof *t * m);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, (size_t)m, 2, y), NC_OK);
    for (int i = 0; i < m; i++)
        t[i] = smooth_f(x + 2 * i);
    double tau;
    ck_assert_int_eq(nc_rank_kendall(&ctx, t, y, (size_t)m, &tau), NC_OK);
    /* Ridge is a weak member on a nonlinear target, so the bar is lower
     * than GP alone would reach. */
    ck_assert_msg(tau > 0.7, "ensemble tau %g", tau);
    free(x), free(y), free(t);
    nc_predictor_free(p);
}
END_TEST

START_TEST(test_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor *p;
    double x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, y[6] = { 1, 2, 3, 4, 5, 6 };
    double out[6];
    for (int k = 0; k < NC_PRED_N_KINDS; k++) {
        ck_assert_int_eq(nc_predictor_new(&ctx, k, NULL, &p), NC_OK);
        /* Predicting before any fit. */
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 1, 2, out), NC_ERR_STATE);
        /* Fewer points than the model needs. */
        ck_assert_int_eq(nc_predictor_fit(&ctx, p, x, 1, 2, y), NC_ERR_INVAL);
        ck_assert_ptr_nonnull(strstr(ctx.msg, "at least"));
        ck_assert_int_eq(nc_predictor_fit(&ctx, p, x, 6, 0, y), NC_ERR_INVAL);
        /* Non-finite inputs name the entry. */
        double xb[12];
        memcpy(xb, x, sizeof xb);
        xb[7] = NAN;
        ck_assert_int_eq(nc_predictor_fit(&ctx, p, xb, 6, 2, y), NC_ERR_NUMERIC);
        ck_assert_ptr_nonnull(strstr(ctx.msg, "X[3][1]"));
        double yb[6] = { 1, 2, INFINITY, 4, 5, 6 };
        ck_assert_int_eq(nc_predictor_fit(&ctx, p, x, 6, 2, yb), NC_ERR_NUMERIC);
        ck_assert_ptr_nonnull(strstr(ctx.msg, "y[2]"));
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 1, 2, out), NC_ERR_STATE);
        /* A good fit, then a d mismatch and a NaN query. */
        ck_assert_msg(nc_predictor_fit(&ctx, p, x, 6, 2, y) == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 2, 3, out), NC_ERR_INVAL);
        ck_assert_ptr_nonnull(strstr(ctx.msg, "fit had 2"));
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, xb, 6, 2, out), NC_ERR_NUMERIC);
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_OK);
        for (int i = 0; i < 6; i++)
            ck_assert(isfinite(out[i]));
        nc_predictor_free(p);
    }
    /* MLP needs 4 points. */
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_MLP, NULL, &p), NC_OK);
    ck_assert_int_eq(nc_predictor_min_points(p), 4);
    ck_assert_int_eq(nc_predictor_fit(&ctx, p, x, 3, 2, y), NC_ERR_INVAL);
    nc_predictor_free(p);
    /* Bad options fail at creation. */
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_RIDGE);
    o.ridge_lambda = -1;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_RIDGE, &o, &p), NC_ERR_INVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "ridge_lambda"));
    o = nc_predictor_defaults(NC_PRED_MLP);
    o.mlp_hidden = 0;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_MLP, &o, &p), NC_ERR_INVAL);
    o = nc_predictor_defaults(NC_PRED_ENSEMBLE);
    o.members[1] = NC_PRED_ENSEMBLE;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_ENSEMBLE, &o, &p), NC_ERR_INVAL);
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_N_KINDS, NULL, &p), NC_ERR_INVAL);
    nc_predictor_kind k;
    ck_assert_int_eq(nc_predictor_find(&ctx, "gp", &k), NC_OK);
    ck_assert_int_eq(k, NC_PRED_GP);
    ck_assert_int_eq(nc_predictor_find(&ctx, "xgboost", &k), NC_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "xgboost"));
    nc_predictor_free(NULL);
}
END_TEST

START_TEST(test_constant_target)
{
    /* Constant y: every kind predicts that constant, no division by zero. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, y[6] = { 5, 5, 5, 5, 5, 5 };
    double out[6];
    for (int k = 0; k < NC_PRED_N_KINDS; k++) {
        nc_predictor *p;
        ck_assert_int_eq(nc_predictor_new(&ctx, k, NULL, &p), NC_OK);
        ck_assert_msg(nc_predictor_fit(&ctx, p, x, 6, 2, y) == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_OK);
        for (int i = 0; i < 6; i++)
            ck_assert_double_eq_tol(out[i], 5.0, 1e-9);
        nc_predictor_free(p);
    }
}
END_TEST

START_TEST(test_determinism)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int m = 50;
    double *x = points(m, 2, 3);
    for (int k = 0; k < NC_PRED_N_KINDS; k++) {
        nc_predictor_opts o = nc_predictor_defaults(k);
        o.seed = 11;
        nc_predictor *a = fit_on(k, &o, 80, 2, smooth_f);
        nc_predictor *b = fit_on(k, &o, 80, 2, smooth_f);
        o.seed = 12;
        nc_predictor *c = fit_on(k, &o, 80, 2, smooth_f);
        double ya[50], yb[50], yc[50];
        ck_assert_int_eq(nc_predictor_predict(&ctx, a, x, (size_t)m, 2, ya), NC_OK);
        ck_assert_int_eq(nc_predictor_predict(&ctx, b, x, (size_t)m, 2, yb), NC_OK);
        ck_assert_int_eq(nc_predictor_predict(&ctx, c, x, (size_t)m, 2, yc), NC_OK);
        ck_assert_int_eq(memcmp(ya, yb, sizeof ya), 0);
        /* Only the MLP (and the ensemble holding one) uses the seed. */
        if (k == NC_PRED_MLP || k == NC_PRED_ENSEMBLE)
            ck_assert_int_ne(memcmp(ya, yc, sizeof ya), 0);
        /* A row's prediction does not depend on the other rows. */
        double one;
        ck_assert_int_eq(nc_predictor_predict(&ctx, a, x + 2 * 17, 1, 2, &one), NC_OK);
        ck_assert(one == ya[17]);
        /* A refit on other data forgets the first fit. */
        nc_predictor_free(a);
        nc_predictor_free(b);
        nc_predictor_free(c);
    }
    free(x);
}
END_TEST

static Suite *predictors_suite(void)
{
    Suite *s = suite_create("predictors");
    TCase *tc = tcase_create("predictors");
    tcase_add_test(tc, test_ridge_linear);
    tcase_add_test(tc, test_gp_smooth);
    tcase_add_test(tc, test_mlp_smooth);
    tcase_add_test(tc, test_spread);
    tcase_add_test(tc, test_ensemble_ranks);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_constant_target);
    tcase_add_test(tc, test_determinism);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(predictors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
