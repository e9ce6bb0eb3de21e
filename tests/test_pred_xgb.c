/*
 * test_pred_xgb.c — the XGBoost predictor kind (predictors/xgb.c behind
 * predictors/predictor.h): it ranks held-out points of a known nonlinear
 * function well, is bit-for-bit deterministic for a seed, refuses bad
 * options by name, gets predictor.c's input checks, forgets a previous fit,
 * prints nothing and leaves the caller's XGBoost verbosity as it was.
 */
#include "predictors/predictor.h"
#include "predictors/rank.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

enum { D = 4 };

/* n points uniform in [-2, 2]^d from stream idx. */
static double *points(int n, int d, uint64_t idx)
{
    nc_rng r = nc_rng_make(5, NC_STREAM(NC_PURPOSE_DATA, idx));
    double *x = malloc(sizeof *x * (size_t)n * (size_t)d);
    for (int i = 0; i < n * d; i++)
        x[i] = 4.0 * nc_rng_uniform(&r) - 2.0;
    return x;
}

/* Nonlinear in x0 and x1 (not monotone in either), with an interaction;
 * x3 is noise the trees must learn to ignore. */
static double f(const double *x)
{
    return sin(1.5 * x[0]) + 0.5 * x[1] * x[1] + 0.5 * x[0] * x[2];
}

static double *targets(const double *x, int n, double (*fn)(const double *))
{
    double *y = malloc(sizeof *y * (size_t)n);
    for (int i = 0; i < n; i++)
        y[i] = fn(x + (size_t)i * D);
    return y;
}

static nc_predictor *fit_xgb(const nc_predictor_opts *o, const double *x, int n,
                             const double *y)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor *p;
    ck_assert_msg(nc_predictor_new(&ctx, NC_PRED_XGB, o, &p) == NC_OK, "%s", ctx.msg);
    ck_assert_msg(nc_predictor_fit(&ctx, p, x, (size_t)n, D, y) == NC_OK, "%s", ctx.msg);
    return p;
}

/* Kendall tau of p's predictions against f on m fresh points. */
static double tau_on_fresh(const nc_predictor *p, int m)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double *x = points(m, D, 99), *t = targets(x, m, f), *y = malloc(sizeof *y * m);
    ck_assert_msg(nc_predictor_predict(&ctx, p, x, (size_t)m, D, y) == NC_OK, "%s", ctx.msg);
    double tau;
    ck_assert_int_eq(nc_rank_kendall(&ctx, t, y, (size_t)m, &tau), NC_OK);
    free(x), free(t), free(y);
    return tau;
}

START_TEST(test_ranks_nonlinear)
{
    int n = 300;
    double *x = points(n, D, 1), *y = targets(x, n, f);
    /* Both targets: raw (squared loss on f) and the default rank target. */
    for (int rt = 0; rt <= 1; rt++) {
        nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
        o.rank_target = rt;
        nc_predictor *p = fit_xgb(&o, x, n, y);
        double tau = tau_on_fresh(p, 500);
        /* It reaches about 0.89; ridge (a linear fit) about 0.39 and one
         * stump about 0.49 (below), so 0.8 needs the nonlinearity learned. */
        ck_assert_msg(tau > 0.8, "xgb (rank_target %d) tau %g on held-out points", rt, tau);
        nc_predictor_free(p);
    }
    /* The bar is one that a model without trees would fail: ridge. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor *r;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_RIDGE, NULL, &r), NC_OK);
    ck_assert_int_eq(nc_predictor_fit(&ctx, r, x, (size_t)n, D, y), NC_OK);
    double tr = tau_on_fresh(r, 500);
    ck_assert_msg(tr < 0.6, "ridge tau %g: the test function is too easy", tr);
    nc_predictor_free(r);
    /* One round of a depth-1 tree cannot rank it either. */
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
    o.xgb_rounds = 1;
    o.xgb_max_depth = 1;
    nc_predictor *p = fit_xgb(&o, x, n, y);
    double t1 = tau_on_fresh(p, 500);
    ck_assert_msg(t1 < 0.6, "a one-split model reaches tau %g", t1);
    nc_predictor_free(p);
    free(x), free(y);
}
END_TEST

START_TEST(test_determinism)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = 120, m = 200;
    double *x = points(n, D, 2), *y = targets(x, n, f), *q = points(m, D, 3);
    double *ya = malloc(sizeof *ya * m), *yb = malloc(sizeof *yb * m), *yc = malloc(sizeof *yc * m);
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
    o.seed = 11;
    o.xgb_subsample = 0.5;
    o.xgb_colsample = 0.5;
    nc_predictor *a = fit_xgb(&o, x, n, y);
    /* A fit with another seed in between must not disturb the next one. */
    o.seed = 12;
    nc_predictor *c = fit_xgb(&o, x, n, y);
    o.seed = 11;
    nc_predictor *b = fit_xgb(&o, x, n, y);
    ck_assert_int_eq(nc_predictor_predict(&ctx, a, q, (size_t)m, D, ya), NC_OK);
    ck_assert_int_eq(nc_predictor_predict(&ctx, b, q, (size_t)m, D, yb), NC_OK);
    ck_assert_int_eq(nc_predictor_predict(&ctx, c, q, (size_t)m, D, yc), NC_OK);
    ck_assert_int_eq(memcmp(ya, yb, sizeof *ya * m), 0);
    /* With sampling the seed matters (1000 rounds of half the rows). */
    ck_assert_int_ne(memcmp(ya, yc, sizeof *ya * m), 0);
    /* A row's prediction does not depend on the other rows. */
    double one;
    ck_assert_int_eq(nc_predictor_predict(&ctx, a, q + 17 * D, 1, D, &one), NC_OK);
    ck_assert(one == ya[17]);
    /* Predicting twice gives the same bits. */
    ck_assert_int_eq(nc_predictor_predict(&ctx, a, q, (size_t)m, D, yb), NC_OK);
    ck_assert_int_eq(memcmp(ya, yb, sizeof *ya * m), 0);
    nc_predictor_free(a);
    nc_predictor_free(b);
    nc_predictor_free(c);
    /* Without sampling there is nothing random: seeds give the same model. */
    o = nc_predictor_defaults(NC_PRED_XGB);
    o.xgb_subsample = 1;
    o.xgb_colsample = 1;
    o.seed = 1;
    a = fit_xgb(&o, x, n, y);
    o.seed = 2;
    b = fit_xgb(&o, x, n, y);
    ck_assert_int_eq(nc_predictor_predict(&ctx, a, q, (size_t)m, D, ya), NC_OK);
    ck_assert_int_eq(nc_predictor_predict(&ctx, b, q, (size_t)m, D, yb), NC_OK);
    ck_assert_int_eq(memcmp(ya, yb, sizeof *ya * m), 0);
    nc_predictor_free(a);
    nc_predictor_free(b);
    free(x), free(y), free(q), free(ya), free(yb), free(yc);
}
END_TEST

START_TEST(test_bad_options)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor_opts base = nc_predictor_defaults(NC_PRED_XGB), o;
    nc_predictor *p;
    /* Each bad value is refused at creation, naming its option. */
#define EXPECT_BAD(field, val)                                                \
    do {                                                                      \
        o = base;                                                             \
        o.field = (val);                                                      \
        p = (nc_predictor *)(void *)&o; /* must come back NULL */            \
        ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_XGB, &o, &p), NC_ERR_INVAL); \
        ck_assert_ptr_null(p);                                                \
        ck_assert_msg(strstr(ctx.msg, #field) != NULL, "%s: %s", #field, ctx.msg); \
        ck_assert_msg(strstr(ctx.msg, "xgb") == ctx.msg, "%s", ctx.msg);      \
    } while (0)
    EXPECT_BAD(xgb_rounds, 0);
    EXPECT_BAD(xgb_rounds, 100001);
    EXPECT_BAD(xgb_max_depth, 0);
    EXPECT_BAD(xgb_max_depth, 31);
    EXPECT_BAD(xgb_eta, 0);
    EXPECT_BAD(xgb_eta, 1.5);
    EXPECT_BAD(xgb_eta, NAN);
    EXPECT_BAD(xgb_subsample, 0);
    EXPECT_BAD(xgb_subsample, 1.01);
    EXPECT_BAD(xgb_colsample, -0.5);
    EXPECT_BAD(xgb_colsample, NAN);
    EXPECT_BAD(xgb_min_child_weight, -1);
    EXPECT_BAD(xgb_min_child_weight, INFINITY);
    EXPECT_BAD(xgb_lambda, -0.1);
    EXPECT_BAD(xgb_lambda, NAN);
#undef EXPECT_BAD
    /* The edges of the ranges are accepted. */
    o = base;
    o.xgb_rounds = 1, o.xgb_max_depth = 30, o.xgb_eta = 1, o.xgb_subsample = 1;
    o.xgb_colsample = 1, o.xgb_min_child_weight = 0, o.xgb_lambda = 0;
    ck_assert_msg(nc_predictor_new(&ctx, NC_PRED_XGB, &o, &p) == NC_OK, "%s", ctx.msg);
    nc_predictor_free(p);
    /* As an ensemble member its options are checked when the ensemble is made. */
    o = nc_predictor_defaults(NC_PRED_ENSEMBLE);
    o.n_members = 2;
    o.members[0] = NC_PRED_GP;
    o.members[1] = NC_PRED_XGB;
    o.xgb_eta = -1;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_ENSEMBLE, &o, &p), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "xgb_eta"));
    /* The name is known to the lookup. */
    nc_predictor_kind k;
    ck_assert_int_eq(nc_predictor_find(&ctx, "xgb", &k), NC_OK);
    ck_assert_int_eq(k, NC_PRED_XGB);
    ck_assert_str_eq(nc_predictor_name(NC_PRED_XGB), "xgb");
    ck_assert_int_eq(nc_predictor_find(&ctx, "boost", &k), NC_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "xgb"));
    nc_predictor_free(NULL);
}
END_TEST

START_TEST(test_input_errors)
{
    /* The checks every kind shares (too few points, non-finite entries
     * named, predict before fit, d mismatch) are in test_predictors.c's
     * loop over the kinds; here what is particular to trees. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_predictor *p;
    double x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, y[6] = { 1, 3, 2, 6, 5, 4 };
    double out[6];
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_XGB, NULL, &p), NC_OK);
    ck_assert_int_eq(nc_predictor_min_points(p), 2);
    /* The smallest allowed fit. */
    ck_assert_msg(nc_predictor_fit(&ctx, p, x, 2, 2, y) == NC_OK, "%s", ctx.msg);
    ck_assert_msg(nc_predictor_fit(&ctx, p, x, 6, 2, y) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 0, 2, out), NC_ERR_INVAL);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_OK);
    for (int i = 0; i < 6; i++)
        ck_assert(isfinite(out[i]));
    /* A query far outside the training range (beyond float once
     * standardized) still predicts: it falls on the outer side of every
     * split. */
    double far[2] = { 1e300, -1e300 };
    ck_assert_msg(nc_predictor_predict(&ctx, p, far, 1, 2, out) == NC_OK, "%s", ctx.msg);
    ck_assert(isfinite(out[0]));
    /* A failed fit leaves the predictor unfitted. */
    double xb[12];
    memcpy(xb, x, sizeof xb);
    xb[7] = NAN;
    ck_assert_int_eq(nc_predictor_fit(&ctx, p, xb, 6, 2, y), NC_ERR_NUMERIC);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_ERR_STATE);
    nc_predictor_free(p);
}
END_TEST

static double g(const double *x) { return -f(x) + x[3]; }

START_TEST(test_refit_forgets)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = 100, m = 50;
    double *x1 = points(n, D, 4), *y1 = targets(x1, n, f);
    double *x2 = points(n, D, 5), *y2 = targets(x2, n, g), *q = points(m, D, 6);
    double a[50], b[50];
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
    nc_predictor *p = fit_xgb(&o, x1, n, y1), *fresh = fit_xgb(&o, x2, n, y2);
    ck_assert_msg(nc_predictor_fit(&ctx, p, x2, (size_t)n, D, y2) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, q, (size_t)m, D, a), NC_OK);
    ck_assert_int_eq(nc_predictor_predict(&ctx, fresh, q, (size_t)m, D, b), NC_OK);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    /* A refit with another d works too, and sets the d of predict. */
    double *y3 = malloc(sizeof *y3 * (size_t)n * 2);
    for (int i = 0; i < 2 * n; i++)
        y3[i] = x2[2 * i] * x2[2 * i + 1];
    ck_assert_msg(nc_predictor_fit(&ctx, p, x2, (size_t)n * 2, 2, y3) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, q, 1, D, a), NC_ERR_INVAL);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, q, 2, 2, a), NC_OK);
    nc_predictor_free(p);
    nc_predictor_free(fresh);
    free(x1), free(y1), free(x2), free(y2), free(q), free(y3);
}
END_TEST

START_TEST(test_constant_target)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, y[6] = { 5, 5, 5, 5, 5, 5 };
    double out[6];
    for (int rt = 0; rt <= 1; rt++) {
        nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
        o.rank_target = rt;
        nc_predictor *p;
        ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_XGB, &o, &p), NC_OK);
        ck_assert_msg(nc_predictor_fit(&ctx, p, x, 6, 2, y) == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_OK);
        for (int i = 0; i < 6; i++)
            ck_assert(out[i] == 5.0);
        nc_predictor_free(p);
    }
    /* Constant features with varying targets: no split exists, so without
     * row sampling the rounds converge on the mean (each moves the leaf
     * eta n / (n + lambda) = 2.6% of the way; 1000 rounds leave ~1e-11). */
    double xc[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, yv[6] = { 1, 2, 3, 4, 5, 6 };
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_XGB);
    o.rank_target = 0;
    o.xgb_subsample = 1;
    nc_predictor *p;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_XGB, &o, &p), NC_OK);
    ck_assert_msg(nc_predictor_fit(&ctx, p, xc, 6, 2, yv) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_predictor_predict(&ctx, p, x, 6, 2, out), NC_OK);
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(out[i], 3.5, 1e-4);
    nc_predictor_free(p);
}
END_TEST

START_TEST(test_ensemble_member)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = 200;
    double *x = points(n, D, 7), *y = targets(x, n, f);
    nc_predictor_opts o = nc_predictor_defaults(NC_PRED_ENSEMBLE);
    o.n_members = 2;
    o.members[0] = NC_PRED_GP;
    o.members[1] = NC_PRED_XGB;
    nc_predictor *p;
    ck_assert_int_eq(nc_predictor_new(&ctx, NC_PRED_ENSEMBLE, &o, &p), NC_OK);
    ck_assert_msg(nc_predictor_fit(&ctx, p, x, (size_t)n, D, y) == NC_OK, "%s", ctx.msg);
    double tau = tau_on_fresh(p, 300);
    ck_assert_msg(tau > 0.8, "gp+xgb ensemble tau %g", tau);
    nc_predictor_free(p);
    free(x), free(y);
}
END_TEST

/* The verbosity field of XGBoost's global configuration (this thread's). */
static int global_verbosity(void)
{
    const char *cfg = NULL;
    ck_assert_int_eq(XGBGetGlobalConfig(&cfg), 0);
    const char *v = strstr(cfg, "\"verbosity\"");
    ck_assert_ptr_nonnull(v);
    v = strchr(v, ':');
    ck_assert_ptr_nonnull(v);
    return atoi(v + 1);
}

START_TEST(test_silent)
{
    /* The caller asks XGBoost for debug output; our calls print nothing
     * anyway, and the caller's setting is back afterwards. */
    ck_assert_int_eq(XGBSetGlobalConfig("{\"verbosity\": 3}"), 0);
    ck_assert_int_eq(global_verbosity(), 3);
    fflush(stdout);
    fflush(stderr);
    FILE *cap = tmpfile();
    ck_assert_ptr_nonnull(cap);
    int out1 = dup(1), out2 = dup(2);
    ck_assert(out1 >= 0 && out2 >= 0);
    ck_assert(dup2(fileno(cap), 1) >= 0 && dup2(fileno(cap), 2) >= 0);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = 80;
    double *x = points(n, D, 8), *y = targets(x, n, f), pr[10];
    nc_predictor *p;
    nc_status st = nc_predictor_new(&ctx, NC_PRED_XGB, NULL, &p);
    if (!st)
        st = nc_predictor_fit(&ctx, p, x, (size_t)n, D, y);
    if (!st)
        st = nc_predictor_predict(&ctx, p, x, 10, D, pr);
    nc_predictor_free(p);
    fflush(stdout);
    fflush(stderr);
    dup2(out1, 1);
    dup2(out2, 2);
    close(out1);
    close(out2);
    ck_assert_msg(st == NC_OK, "%s", ctx.msg);
    fseek(cap, 0, SEEK_END);
    long len = ftell(cap);
    char head[200] = "";
    rewind(cap);
    size_t got = fread(head, 1, sizeof head - 1, cap);
    head[got] = 0;
    fclose(cap);
    ck_assert_msg(len == 0, "xgb printed %ld bytes: %s", len, head);
    ck_assert_int_eq(global_verbosity(), 3);
    ck_assert_int_eq(XGBSetGlobalConfig("{\"verbosity\": 1}"), 0);
    free(x), free(y);
}
END_TEST

static Suite *xgb_suite(void)
{
    Suite *s = suite_create("pred_xgb");
    TCase *tc = tcase_create("xgb");
    tcase_add_test(tc, test_ranks_nonlinear);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_input_errors);
    tcase_add_test(tc, test_refit_forgets);
    tcase_add_test(tc, test_constant_target);
    tcase_add_test(tc, test_ensemble_member);
    tcase_add_test(tc, test_silent);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xgb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
