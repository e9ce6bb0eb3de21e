/*
 * test_lowrank.c — truncated SVD factors (prune/lowrank.h): an exact
 * factorization at full rank, the Eckart–Young error below it, wide and
 * tall matrices, the rank rules (energy, parameter budget), determinism,
 * and refused ranks.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "prune/lowrank.h"
#include "tests/util/testutil.h"

/* An m × n matrix of rank (at most) r: a product of random factors. */
static float *low_rank(int m, int n, int r, uint64_t seed)
{
    nc_rng g = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 0));
    float *x = malloc((size_t)m * r * sizeof *x);
    float *y = malloc((size_t)r * n * sizeof *y);
    float *w = calloc((size_t)m * n, sizeof *w);
    for (int i = 0; i < m * r; i++)
        x[i] = nc_rng_normal(&g);
    for (int i = 0; i < r * n; i++)
        y[i] = nc_rng_normal(&g);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            for (int t = 0; t < r; t++)
                w[i * n + j] += x[i * r + t] * y[t * n + j];
    free(x);
    free(y);
    return w;
}

/* || w - a·b ||_F^2 */
static double err2(const float *w, const float *a, const float *b, int m,
                   int n, int r)
{
    double e = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double v = 0;
            for (int t = 0; t < r; t++)
                v += (double)a[i * r + t] * b[t * n + j];
            e += (w[i * n + j] - v) * (w[i * n + j] - v);
        }
    return e;
}

static void check_shape(int m, int n)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int k = m < n ? m : n;
    float *w = low_rank(m, n, k, (uint64_t)(m * 100 + n));
    float *a = malloc((size_t)m * k * sizeof *a);
    float *b = malloc((size_t)k * n * sizeof *b);
    float *s = malloc((size_t)k * sizeof *s);
    double norm2 = 0;
    for (int i = 0; i < m * n; i++)
        norm2 += (double)w[i] * w[i];
    /* Full rank: exact up to rounding. */
    ck_assert_msg(nc_lowrank_factor(&ctx, w, m, n, k, a, b, s) == NC_OK, "%s",
                  ctx.msg);
    ck_assert(err2(w, a, b, m, n, k) < 1e-8 * norm2);
    for (int i = 1; i < k; i++)
        ck_assert(s[i] <= s[i - 1] && s[i] >= 0);
    /* Rank r: the error is the discarded singular values (Eckart–Young). */
    for (int r = 1; r < k; r++) {
        ck_assert_int_eq(nc_lowrank_factor(&ctx, w, m, n, r, a, b, NULL),
                         NC_OK);
        double tail = 0;
        for (int i = r; i < k; i++)
            tail += (double)s[i] * s[i];
        ck_assert_msg(fabs(err2(w, a, b, m, n, r) - tail) < 1e-4 * norm2,
                      "%dx%d rank %d", m, n, r);
    }
    free(w);
    free(a);
    free(b);
    free(s);
}

START_TEST(test_factor)
{
    check_shape(20, 12);
    check_shape(7, 30);
    check_shape(9, 9);
    /* A matrix of rank 3 is exact at rank 3, and its other singular
     * values vanish. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    float *w = low_rank(16, 10, 3, 5);
    float a[16 * 3], b[3 * 10], s[10], a2[16 * 3], b2[3 * 10];
    ck_assert_int_eq(nc_lowrank_factor(&ctx, w, 16, 10, 3, a, b, s), NC_OK);
    ck_assert(s[3] < 1e-4f * s[0]);
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 10, 0.999999), 3);
    /* Deterministic: the same bits again. */
    ck_assert_int_eq(nc_lowrank_factor(&ctx, w, 16, 10, 3, a2, b2, NULL),
                     NC_OK);
    ck_assert(!memcmp(a, a2, sizeof a) && !memcmp(b, b2, sizeof b));
    free(w);
}
END_TEST

START_TEST(test_rank_rules)
{
    float s[4] = { 4, 2, 1, 1 };          /* squares 16, 4, 1, 1: 22 */
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 4, 0.5), 1);
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 4, 16.0 / 22), 1);
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 4, 0.8), 2);
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 4, 0.95), 3);
    ck_assert_int_eq(nc_lowrank_rank_energy(s, 4, 1.0), 4);
    /* 128 x 3136 at half the parameters: r (128 + 3136) <= 0.5 * 128 *
     * 3136, r = 61. */
    ck_assert_int_eq(nc_lowrank_rank_params(128, 3136, 0.5), 61);
    ck_assert_int_eq(nc_lowrank_rank_params(10, 10, 0.01), 1);
    ck_assert_int_eq(nc_lowrank_rank_params(10, 12, 5.0), 10);
}
END_TEST

START_TEST(test_refused)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    float w[6] = { 1, 2, 3, 4, 5, 6 }, a[6], b[6];
    ck_assert_int_eq(nc_lowrank_factor(&ctx, w, 2, 3, 0, a, b, NULL),
                     NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "rank 0");
    ck_assert_int_eq(nc_lowrank_factor(&ctx, w, 2, 3, 3, a, b, NULL),
                     NC_ERR_RANGE);
    ck_assert_int_eq(nc_lowrank_factor(&ctx, w, 0, 3, 1, a, b, NULL),
                     NC_ERR_RANGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lowrank");
    TCase *tc = tcase_create("lowrank");
    tcase_add_test(tc, test_factor);
    tcase_add_test(tc, test_rank_rules);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
