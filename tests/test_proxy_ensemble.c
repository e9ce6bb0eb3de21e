/*
 * test_proxy_ensemble.c — the rank ensembles of predictors/proxy_ensemble.h
 * (vote, mean_rank) on hand-computed cases: a Condorcet cycle, an ordered
 * majority, ties and degenerate (-inf) scores; invariance to monotone
 * transforms; the floor for degenerate scores; errors; and a random
 * cross-check of vote against a naive pairwise count.
 */
#include "predictors/proxy_ensemble.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-12
#define NINF (-INFINITY)

static void expect(const double *got, const double *want, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) < EPS, "[%d]: got %g, want %g", i,
                      got[i], want[i]);
}

START_TEST(test_vote_cycle)
{
    /* A rock-paper-scissors majority: 0 beats 1, 1 beats 2, 2 beats 0, so
     * every architecture has one win. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[3] = { 3, 2, 1 }, b[3] = { 1, 3, 2 }, c[3] = { 2, 1, 3 }, v[3];
    const double *m[3] = { a, b, c };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, 3, 3, v), NC_OK);
    expect(v, (double[]){ 1, 1, 1 }, 3);
}
END_TEST

START_TEST(test_vote_majority_order)
{
    /* Two members agree, the third reverses: the majority order wins
     * outright, which a sum of ranks would only tie. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[4] = { 1, 2, 3, 4 }, b[4] = { 10, 20, 30, 40 };
    double c[4] = { 4, 3, 2, 1 }, v[4], r[4];
    const double *m[3] = { a, b, c };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, 3, 4, v), NC_OK);
    expect(v, (double[]){ 0, 1, 2, 3 }, 4);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m, 3, 4, r), NC_OK);
    expect(r, (double[]){ 2, 7 / 3.0, 8 / 3.0, 3 }, 4);
    /* Monotone transforms of a member change nothing. */
    double a2[4] = { -50, 0.1, 7, 1e30 }, v2[4];
    const double *m2[3] = { a2, b, c };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m2, 3, 4, v2), NC_OK);
    expect(v2, v, 4);
}
END_TEST

START_TEST(test_ties_and_degenerate)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* One member: -inf ties with -inf (half a win each) and loses to any
     * finite score. */
    double a[3] = { NINF, NINF, 2 }, v[3];
    const double *m1[1] = { a };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m1, 1, 3, v), NC_OK);
    expect(v, (double[]){ 0.5, 0.5, 2 }, 3);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m1, 1, 3, v), NC_OK);
    expect(v, (double[]){ 1.5, 1.5, 3 }, 3);
    /* Two members that split evenly on a pair draw it. */
    double b[3] = { 1, 2, 3 }, c[3] = { 2, 1, 3 };
    const double *m2[2] = { b, c };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m2, 2, 3, v), NC_OK);
    expect(v, (double[]){ 0.5, 0.5, 2 }, 3);
    /* -inf below a very negative finite score. */
    double d[3] = { -1e300, NINF, 0 };
    const double *m3[1] = { d };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m3, 1, 3, v), NC_OK);
    expect(v, (double[]){ 2, 1, 3 }, 3);
    /* Every score degenerate: all tied. */
    double e[2] = { NINF, NINF };
    const double *m4[1] = { e };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m4, 1, 2, v), NC_OK);
    expect(v, (double[]){ 0.5, 0.5 }, 2);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m4, 1, 2, v), NC_OK);
    expect(v, (double[]){ 1.5, 1.5 }, 2);
    /* A single architecture. */
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m4, 1, 1, v), NC_OK);
    ck_assert_double_eq(v[0], 0);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m4, 1, 1, v), NC_OK);
    ck_assert_double_eq(v[0], 1);
}
END_TEST

START_TEST(test_floor)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double x[4] = { NINF, 1, -3, NINF }, y[4];
    ck_assert_int_eq(nc_proxy_floor_degenerate(&ctx, x, 4, y), NC_OK);
    expect(y, (double[]){ -7, 1, -3, -7 }, 4);
    ck_assert_int_eq(nc_proxy_floor_degenerate(&ctx, x, 4, x), NC_OK);
    expect(x, y, 4);
    double z[2] = { NINF, NINF };
    ck_assert_int_eq(nc_proxy_floor_degenerate(&ctx, z, 2, z), NC_OK);
    expect(z, (double[]){ 0, 0 }, 2);
    double bad[2] = { 1, NAN };
    ck_assert_int_eq(nc_proxy_floor_degenerate(&ctx, bad, 2, y), NC_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "index 1"));
    bad[1] = INFINITY;
    ck_assert_int_eq(nc_proxy_floor_degenerate(&ctx, bad, 2, y), NC_ERR_NUMERIC);
}
END_TEST

START_TEST(test_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double a[3] = { 1, 2, 3 }, b[3] = { 1, NAN, 3 }, v[3];
    const double *m[2] = { a, b };
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "borda", m, 1, 3, v), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "vote, mean_rank"));
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, NULL, m, 1, 3, v), NC_ERR_INVAL);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, 0, 3, v), NC_ERR_INVAL);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, NC_PROXY_ENSEMBLE_K_MAX + 1,
                                       3, v), NC_ERR_INVAL);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m, 1, 0, v),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, 2, 3, v), NC_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "member 1"));
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m, 2, 3, v),
                     NC_ERR_NUMERIC);
    /* The size cap is checked before anything is read. */
    ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, 1,
                                       (size_t)NC_PROXY_VOTE_N_MAX + 1, v),
                     NC_ERR_RANGE);
    ck_assert(nc_proxy_is_ensemble("vote") && nc_proxy_is_ensemble("mean_rank"));
    ck_assert(!nc_proxy_is_ensemble("synflow") && !nc_proxy_is_ensemble(NULL));
}
END_TEST

START_TEST(test_random_crosscheck)
{
    /* vote against the definition written out pair by pair, and mean_rank
     * against ranks counted naively, on small-integer scores (many ties)
     * with some -inf. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { N = 60, K = 3 };
    nc_rng r = nc_rng_make(7, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int rep = 0; rep < 20; rep++) {
        double s[K][N], v[N], mr[N];
        const double *m[K];
        for (int k = 0; k < K; k++) {
            m[k] = s[k];
            for (int i = 0; i < N; i++)
                s[k][i] = nc_rng_below(&r, 10) == 0
                              ? NINF : (double)nc_rng_below(&r, 8);
        }
        ck_assert_int_eq(nc_proxy_ensemble(&ctx, "vote", m, K, N, v), NC_OK);
        ck_assert_int_eq(nc_proxy_ensemble(&ctx, "mean_rank", m, K, N, mr),
                         NC_OK);
        for (int i = 0; i < N; i++) {
            double want = 0, rank = 0;
            for (int j = 0; j < N; j++) {
                if (j == i)
                    continue;
                int d = 0;
                for (int k = 0; k < K; k++)
                    d += (s[k][i] > s[k][j]) - (s[k][i] < s[k][j]);
                want += d > 0 ? 1 : d == 0 ? 0.5 : 0;
            }
            for (int k = 0; k < K; k++) {
                int below = 0, tied = 0;
                for (int j = 0; j < N; j++) {
                    below += s[k][j] < s[k][i];
                    tied += s[k][j] == s[k][i];
                }
                rank += below + (tied + 1) / 2.0;
            }
            ck_assert_double_eq_tol(v[i], want, EPS);
            ck_assert_double_eq_tol(mr[i], rank / K, EPS);
        }
    }
}
END_TEST

static Suite *ensemble_suite(void)
{
    Suite *s = suite_create("proxy_ensemble");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_vote_cycle);
    tcase_add_test(tc, test_vote_majority_order);
    tcase_add_test(tc, test_ties_and_degenerate);
    tcase_add_test(tc, test_floor);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_random_crosscheck);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ensemble_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
