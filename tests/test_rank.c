/*
 * test_rank.c — rank metrics (predictors/rank.h) against hand-computed
 * cases (ties, reversed order, constant vectors, n = 2), their errors, and a
 * random cross-check against naive O(n^2) definitions written here.
 */
#include "predictors/rank.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-12

START_TEST(test_average_ranks)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double x[6] = { 10, 20, 20, 5, 20, 7 }, r[6];
    ck_assert_int_eq(nc_rank_average(&ctx, x, 6, r), NC_OK);
    /* sorted: 5(1) 7(2) 10(3) 20,20,20 (4,5,6 -> 5) */
    double want[6] = { 3, 5, 5, 1, 5, 2 };
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(r[i], want[i], EPS);
}
END_TEST

START_TEST(test_perfect_and_reversed)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 10, 30, 40, 80, 90 };
    double c[5] = { 9, 7, 5, 3, 1 }, v;
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, 1.0, EPS);
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, 1.0, EPS);
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, c, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, -1.0, EPS);
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, c, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, -1.0, EPS);
}
END_TEST

START_TEST(test_hand_no_ties)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* a ranks 1..5, b ranks 2 1 4 3 5: d^2 = 1+1+1+1+0 = 4,
     * rho = 1 - 6*4/(5*24) = 0.8. Pairs: discordant (1,2), (3,4) -> C = 8,
     * D = 2, tau = 6/10. */
    double a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 2, 1, 4, 3, 5 }, v;
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.8, EPS);
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.6, EPS);
}
END_TEST

START_TEST(test_hand_ties)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* a = 1 2 2 3, b = 1 3 2 3.
     * Pairs: (0,1) C, (0,2) C, (0,3) C, (1,2) tie a, (1,3) tie b, (2,3) C.
     * C = 4, D = 0, P = 6, Ta = 1, Tb = 1: tau_b = 4 / sqrt(5*5) = 0.8.
     * Ranks: a -> 1 2.5 2.5 4, b -> 1 3.5 2 3.5; centred (mean 2.5):
     * a' = -1.5 0 0 1.5, b' = -1.5 1 -0.5 1; sum a'b' = 2.25 + 1.5 = 3.75,
     * sum a'^2 = 4.5, sum b'^2 = 2.25+1+0.25+1 = 4.5: rho = 3.75/4.5. */
    double a[4] = { 1, 2, 2, 3 }, b[4] = { 1, 3, 2, 3 }, v;
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, 4, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.8, EPS);
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, 4, &v), NC_OK);
    ck_assert_double_eq_tol(v, 3.75 / 4.5, EPS);
    /* c = 1 1 2 2 3, d = 1 2 1 2 3: pairs (0,1) tie c, (0,2) tie d,
     * (0,3) C, (0,4) C, (1,2) D, (1,3) tie d, (1,4) C, (2,3) tie c,
     * (2,4) C, (3,4) C: C = 5, D = 1, P = 10, Tc = 2, Td = 2,
     * tau_b = 4 / sqrt(8 * 8) = 0.5 (scipy.stats.kendalltau agrees). */
    double c[5] = { 1, 1, 2, 2, 3 }, d[5] = { 1, 2, 1, 2, 3 };
    ck_assert_int_eq(nc_rank_kendall(&ctx, c, d, 5, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.5, EPS);
}
END_TEST

START_TEST(test_n2_and_constant)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[2] = { 1, 2 }, b[2] = { 5, 3 }, k[3] = { 4, 4, 4 },
           x[3] = { 1, 2, 3 }, v = 7;
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, 2, &v), NC_OK);
    ck_assert_double_eq_tol(v, -1.0, EPS);
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, 2, &v), NC_OK);
    ck_assert_double_eq_tol(v, -1.0, EPS);
    /* Constant: defined as 0, either side. */
    ck_assert_int_eq(nc_rank_kendall(&ctx, k, x, 3, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.0, EPS);
    ck_assert_int_eq(nc_rank_spearman(&ctx, x, k, 3, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.0, EPS);
    ck_assert_int_eq(nc_rank_kendall(&ctx, k, k, 3, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.0, EPS);
}
END_TEST

START_TEST(test_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[4] = { 1, 2, 3, 4 }, b[4] = { 1, NAN, 3, 4 },
           c[4] = { 1, 2, INFINITY, 4 }, v;
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, 4, &v), NC_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "b[1]"));
    ck_assert_ptr_nonnull(strstr(ctx.msg, "NaN"));
    ck_assert_int_eq(nc_rank_kendall(&ctx, c, a, 4, &v), NC_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "a[2]"));
    ck_assert_ptr_nonnull(strstr(ctx.msg, "Inf"));
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, a, b, 4, 2, &v), NC_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "pred[1]"));
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, a, 1, &v), NC_ERR_INVAL);
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, a, 0, &v), NC_ERR_INVAL);
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, a, a, 4, 0, &v), NC_ERR_RANGE);
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, a, a, 4, 5, &v), NC_ERR_RANGE);
    ck_assert_int_eq(nc_rank_average(&ctx, b, 4, a), NC_ERR_NUMERIC);
}
END_TEST

START_TEST(test_topk)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double t[6] = { 6, 5, 4, 3, 2, 1 }, p[6] = { 6, 1, 5, 4, 3, 2 }, v;
    /* true top-3 {0,1,2}, predicted {0,2,3}: 2/3. */
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, t, p, 6, 3, &v), NC_OK);
    ck_assert_double_eq_tol(v, 2.0 / 3.0, EPS);
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, t, p, 6, 1, &v), NC_OK);
    ck_assert_double_eq_tol(v, 1.0, EPS);
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, t, p, 6, 6, &v), NC_OK);
    ck_assert_double_eq_tol(v, 1.0, EPS);
    /* Ties at the boundary: pred ties entries 1 and 5 for the 2nd place;
     * the true top-2 is {0,1}: 1 + 1/2 hits, precision 0.75, whatever the
     * order of the entries. */
    double q[6] = { 9, 5, 1, 1, 1, 5 };
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, t, q, 6, 2, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.75, EPS);
    /* A constant prediction: each entry is 1/k... k/n of a member: k/n. */
    double k[6] = { 2, 2, 2, 2, 2, 2 };
    ck_assert_int_eq(nc_rank_topk_precision(&ctx, t, k, 6, 3, &v), NC_OK);
    ck_assert_double_eq_tol(v, 0.5, EPS);
}
END_TEST

/* Naive definitions for the cross-check. */
static double naive_tau_b(const double *a, const double *b, int n)
{
    double c = 0, d = 0, ta = 0, tb = 0, p = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double x = a[i] - a[j], y = b[i] - b[j];
            p++;
            if (x == 0)
                ta++;
            if (y == 0)
                tb++;
            if (x * y > 0)
                c++;
            else if (x * y < 0)
                d++;
        }
    return (c - d) / sqrt((p - ta) * (p - tb));
}

static void naive_ranks(const double *x, int n, double *r)
{
    for (int i = 0; i < n; i++) {
        double less = 0, eq = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            eq += x[j] == x[i];
        }
        r[i] = less + (eq + 1) / 2;
    }
}

static double naive_rho(const double *a, const double *b, int n)
{
    double *ra = malloc(sizeof *ra * n), *rb = malloc(sizeof *rb * n);
    naive_ranks(a, n, ra);
    naive_ranks(b, n, rb);
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += ra[i] / n;
        mb += rb[i] / n;
    }
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return sab / sqrt(saa * sbb);
}

START_TEST(test_random_crosscheck)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (int trial = 0; trial < 40; trial++) {
        nc_rng r = nc_rng_make(17, NC_STREAM(NC_PURPOSE_TEST, trial));
        int n = 2 + (int)nc_rng_below(&r, 300);
        /* Few distinct values in half the trials: many ties. */
        int levels = trial % 2 ? 5 : 1000000;
        double *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n);
        for (int i = 0; i < n; i++) {
            a[i] = (double)nc_rng_below(&r, levels);
            b[i] = a[i] * 0.5 + (double)nc_rng_below(&r, levels);
        }
        a[0] = 0;
        a[n - 1] = 1; /* never constant */
        b[0] = 0;
        b[n - 1] = levels; /* idem */
        double v;
        ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, n, &v), NC_OK);
        ck_assert_double_eq_tol(v, naive_tau_b(a, b, n), 1e-10);
        ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, n, &v), NC_OK);
        ck_assert_double_eq_tol(v, naive_rho(a, b, n), 1e-10);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_nb201_size)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = 15625;
    double *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n);
    nc_rng r = nc_rng_make(3, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int i = 0; i < n; i++) {
        a[i] = nc_rng_uniform(&r);
        b[i] = a[i] + nc_rng_normal(&r);
    }
    /* Whole-space sizes (15,625 NB201 cells) must be cheap: the O(n log n)
     * Kendall keeps this test fast; speed itself is not asserted. */
    double tau, rho;
    ck_assert_int_eq(nc_rank_kendall(&ctx, a, b, n, &tau), NC_OK);
    ck_assert_int_eq(nc_rank_spearman(&ctx, a, b, n, &rho), NC_OK);
    ck_assert(tau > 0.1 && tau < 0.5);
    free(a);
    free(b);
}
END_TEST

static Suite *rank_suite(void)
{
    Suite *s = suite_create("rank");
    TCase *tc = tcase_create("rank");
    tcase_add_test(tc, test_average_ranks);
    tcase_add_test(tc, test_perfect_and_reversed);
    tcase_add_test(tc, test_hand_no_ties);
    tcase_add_test(tc, test_hand_ties);
    tcase_add_test(tc, test_n2_and_constant);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_topk);
    tcase_add_test(tc, test_random_crosscheck);
    tcase_add_test(tc, test_nb201_size);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rank_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
