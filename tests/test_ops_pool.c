/*
 * test_ops_pool.c — pooling: maxpool, avgpool and global average pooling.
 *
 * Gradients are checked against finite differences; forward values against
 * a per-window loop (max: padding never wins, ties go to the first
 * position, -inf and NaN stay in bounds; avg: count_pad 0 and 1); GAP
 * against a direct mean.
 *
 * Threads: forward and backward with a 2- and 3-thread pool must match
 * 1 thread bit for bit. The op harness (nc_trun) and the thread check are
 * in tests/util/testutil.c, shared with test_ops_norm.c and
 * test_ops_misc.c.
 */
#include "core/op.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct values at least 0.01 apart (a scaled random permutation), so no
 * max-pool window has a tie or a near-tie within the finite-difference eps. */
static float *perm_input(size_t n, uint64_t seed)
{
    uint32_t *p = malloc(n * sizeof *p);
    float *v = malloc(n * sizeof *v);
    ck_assert(p && v);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 8));
    nc_rng_shuffle_u32(&r, p, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        v[i] = 0.01f * ((float)p[i] - 0.5f * (float)n);
    free(p);
    return v;
}

/* ---- pooling -------------------------------------------------------------- */

typedef struct pool_cfg {
    int c, h, w, k, s, p, n;
} pool_cfg;

static const pool_cfg pool_cfgs[] = {
    /* c  h   w  k  s  p  n */
    { 2, 5, 11, 3, 1, 1, 2 },   /* 3x3 s1 p1 fast path, AVX body + tail */
    { 2, 6, 8, 2, 2, 0, 2 },    /* 2x2 s2 fast path */
    { 2, 7, 6, 2, 2, 0, 1 },    /* 2x2 s2 with odd rows dropped */
    { 2, 7, 7, 3, 2, 1, 2 },    /* DARTS reduction: generic path */
    { 1, 6, 9, 5, 1, 2, 2 },    /* 5x5 s1 p2 */
    { 1, 5, 6, 3, 1, 0, 2 },    /* no padding, stride 1 */
    { 2, 6, 6, 3, 3, 0, 1 },    /* non-overlapping 3x3 */
    { 1, 3, 3, 3, 1, 1, 1 },    /* every output touches padding */
    { 1, 4, 30, 3, 1, 1, 2 },   /* 3x3 s1 p1: several 8-wide blocks + overlap */
    { 1, 5, 20, 5, 1, 2, 1 },   /* 5x5 s1 p2 with vector blocks */
    { 2, 5, 21, 2, 2, 0, 2 },   /* 2x2 s2, wo = 10: vector block + overlap */
    { 1, 4, 32, 2, 2, 0, 1 },   /* 2x2 s2, wo = 16: two exact blocks */
    { 2, 5, 32, 3, 2, 1, 2 },   /* 3x3 s2 p1 vector path, row-end odd loads */
    { 1, 5, 20, 3, 2, 0, 1 },   /* 3x3 s2 p0 vector path + overlap */
    { 1, 3, 15, 1, 2, 0, 2 },   /* 1x1 s2 on a 15-wide row */
    { 2, 8, 8, 3, 1, 1, 2 },    /* NB201's last stage: one partial block per row */
    { 1, 9, 9, 3, 2, 1, 1 },    /* 3x3 s2 p1 on an odd plane */
};
enum { N_POOL_CFGS = sizeof pool_cfgs / sizeof pool_cfgs[0] };

static nc_attr pool_attr(const pool_cfg *c, int count_pad)
{
    return (nc_attr){ .k = c->k, .stride = c->s, .pad = c->p, .count_pad = count_pad };
}

/* Per-window reference: padded taps are skipped for the max and counted as
 * zeros for count_pad. *arg gets the first position of the max. The sum is
 * a float sum in row-major order, which every kernel path must reproduce
 * bit for bit (results must not depend on which path ran). */
static void pool_reference(const float *x, const pool_cfg *c, int max, int count_pad,
                           float *y, int *arg)
{
    int ho = (c->h + 2 * c->p - c->k) / c->s + 1, wo = (c->w + 2 * c->p - c->k) / c->s + 1;
    for (int q = 0; q < c->c * c->n; q++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                float best = -INFINITY, sum = 0;
                int cnt = 0, bi = -1;
                for (int ky = 0; ky < c->k; ky++)
                    for (int kx = 0; kx < c->k; kx++) {
                        int iy = oy * c->s - c->p + ky, ix = ox * c->s - c->p + kx;
                        if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                            continue;
                        float v = x[((size_t)q * c->h + iy) * c->w + ix];
                        if (bi < 0 || v > best) {
                            best = v;
                            bi = iy * c->w + ix;
                        }
                        sum += v;
                        cnt++;
                    }
                size_t o = ((size_t)q * ho + oy) * wo + ox;
                y[o] = max ? best : sum / (float)(count_pad ? c->k * c->k : cnt);
                if (arg)
                    arg[o] = bi;
            }
}

START_TEST(test_maxpool_gradcheck)
{
    const pool_cfg *c = &pool_cfgs[_i];
    nc_attr a = pool_attr(c, 0);
    nc_shape in = { c->c, c->h, c->w };
    float *x = perm_input((size_t)c->n * nc_shape_size(in), 100 + (uint64_t)_i);
    const float *xs[1] = { x };
    nc_test_gradcheck(NC_OP_MAXPOOL, &a, 1, &in, c->n, 1, xs, 1e-3);
    free(x);
}
END_TEST

START_TEST(test_avgpool_gradcheck)
{
    const pool_cfg *c = &pool_cfgs[_i / 2];
    nc_attr a = pool_attr(c, _i & 1);
    nc_shape in = { c->c, c->h, c->w };
    nc_test_gradcheck(NC_OP_AVGPOOL, &a, 1, &in, c->n, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_pool_reference)
{
    /* _i: config × {max, avg count_pad 0, avg count_pad 1} */
    const pool_cfg *c = &pool_cfgs[_i / 3];
    int max = _i % 3 == 0, cp = _i % 3 == 2;
    nc_attr a = pool_attr(c, cp);
    nc_shape in = { c->c, c->h, c->w };
    nc_trun r;
    nc_trun_init(&r, max ? NC_OP_MAXPOOL : NC_OP_AVGPOOL, &a, 1, &in, c->n, 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 200 + (uint64_t)_i);
    /* Some exact ties, to pin down "first max wins". */
    for (size_t i = 0; i < r.nx[0]; i += 3)
        r.x[0][i] = 0.5f;
    for (size_t i = 0; i < r.ny; i++)
        r.y[i] = NAN;   /* forward must write every output */
    r.d->forward(&r.e);
    float *yref = malloc(r.ny * sizeof(float));
    int *arg = malloc(r.ny * sizeof(int));
    ck_assert(yref && arg);
    pool_reference(r.x[0], c, max, cp, yref, arg);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert_msg(r.y[i] == yref[i], "cfg %d out %zu: %.9g vs %.9g", _i / 3, i,
                      (double)r.y[i], (double)yref[i]);
    /* Backward routes to the first max / spreads evenly, on top of dx = 1. */
    nc_test_fill_normal(r.dy, r.ny, 300 + (uint64_t)_i);
    size_t plane_in = (size_t)c->h * c->w, plane_out = r.ny / ((size_t)c->c * c->n);
    double *dref = malloc(r.nx[0] * sizeof(double));
    ck_assert_ptr_nonnull(dref);
    for (size_t i = 0; i < r.nx[0]; i++) {
        r.dx[0][i] = 1.0f;
        dref[i] = 1.0;
    }
    for (size_t o = 0; o < r.ny; o++) {
        size_t q = o / plane_out, op = o % plane_out;
        int oy = (int)(op / (size_t)r.e.out.w), ox = (int)(op % (size_t)r.e.out.w);
        if (max) {
            dref[q * plane_in + (size_t)arg[o]] += r.dy[o];
            continue;
        }
        int cnt = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int ky = 0; ky < c->k; ky++)
                for (int kx = 0; kx < c->k; kx++) {
                    int iy = oy * c->s - c->p + ky, ix = ox * c->s - c->p + kx;
                    if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                        continue;
                    if (pass == 0)
                        cnt++;
                    else
                        dref[q * plane_in + (size_t)iy * c->w + ix] +=
                            r.dy[o] / (cp ? c->k * c->k : cnt);
                }
    }
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        NC_ASSERT_CLOSE(r.dx[0][i], dref[i], 1e-5, "cfg %d dx %zu: %g vs %g", _i / 3, i,
                        (double)r.dx[0][i], dref[i]);
    free(dref);
    free(yref);
    free(arg);
    nc_trun_free(&r);
}
END_TEST

START_TEST(test_maxpool_padding_never_wins)
{
    nc_shape in = { 1, 4, 4 };
    nc_attr a = { .k = 3, .stride = 1, .pad = 1 };
    nc_trun r;
    nc_trun_init(&r, NC_OP_MAXPOOL, &a, 1, &in, 1, 1);
    for (int i = 0; i < 16; i++)
        r.x[0][i] = -1.0f - (float)i;   /* all negative: a zero pad would win */
    r.d->forward(&r.e);
    /* The top-left window holds x[0], x[1], x[4], x[5]; its max is x[0]. */
    ck_assert_float_eq(r.y[0], -1.0f);
    ck_assert_float_eq(r.y[15], -11.0f);   /* bottom-right: max of x[10,11,14,15] */
    for (int i = 0; i < 16; i++)
        ck_assert(r.y[i] < 0.0f);
    /* Same with stride 2 (generic path). */
    nc_trun r2;
    nc_attr a2 = { .k = 3, .stride = 2, .pad = 1 };
    nc_trun_init(&r2, NC_OP_MAXPOOL, &a2, 1, &in, 1, 1);
    memcpy(r2.x[0], r.x[0], 16 * sizeof(float));
    r2.d->forward(&r2.e);
    ck_assert_int_eq(r2.e.out.h, 2);
    ck_assert_float_eq(r2.y[0], -1.0f);
    ck_assert_float_eq(r2.y[3], -6.0f);   /* window rows 1..3, cols 1..3 */
    nc_trun_free(&r2);
    nc_trun_free(&r);
}
END_TEST

/* All -inf windows still pick an in-image position (the first), so the
 * gradient stays in bounds; a NaN propagates to every window holding it. */
START_TEST(test_maxpool_inf_nan)
{
    nc_shape in = { 1, 5, 9 };
    const nc_attr cfgs[] = { { .k = 3, .stride = 1, .pad = 1 },
                             { .k = 3, .stride = 2, .pad = 1 },
                             { .k = 2, .stride = 2 } };
    for (int c = 0; c < 3; c++) {
        nc_trun r;
        nc_trun_init(&r, NC_OP_MAXPOOL, &cfgs[c], 1, &in, 2, 1);
        for (size_t i = 0; i < r.nx[0]; i++)
            r.x[0][i] = -INFINITY;
        r.d->forward(&r.e);
        for (size_t i = 0; i < r.ny; i++) {
            ck_assert(isinf(r.y[i]) && r.y[i] < 0);
            r.dy[i] = 1.0f;
        }
        r.d->backward(&r.e);
        const pool_cfg pc = { 1, 5, 9, cfgs[c].k, cfgs[c].stride, cfgs[c].pad, 2 };
        float *yref = malloc(r.ny * sizeof(float));
        int *arg = malloc(r.ny * sizeof(int));
        ck_assert(yref && arg);
        pool_reference(r.x[0], &pc, 1, 0, yref, arg);
        float *want = calloc(r.nx[0], sizeof(float));
        ck_assert_ptr_nonnull(want);
        size_t plane_out = r.ny / 2;
        for (size_t o = 0; o < r.ny; o++)
            want[(o / plane_out) * 45 + (size_t)arg[o]] += 1.0f;
        for (size_t i = 0; i < r.nx[0]; i++)
            ck_assert_msg(r.dx[0][i] == want[i], "cfg %d dx[%zu] %g vs %g", c, i,
                          (double)r.dx[0][i], (double)want[i]);

        nc_test_fill_normal(r.x[0], r.nx[0], 50);
        r.x[0][2 * 9 + 4] = NAN;   /* sample 0, row 2, column 4 */
        r.d->forward(&r.e);
        int ho = r.e.out.h, wo = r.e.out.w;
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int y0 = oy * cfgs[c].stride - cfgs[c].pad;
                int x0 = ox * cfgs[c].stride - cfgs[c].pad;
                int holds = 2 >= y0 && 2 < y0 + cfgs[c].k && 4 >= x0 && 4 < x0 + cfgs[c].k;
                ck_assert_int_eq(isnan(r.y[oy * wo + ox]) != 0, holds);
                ck_assert(!isnan(r.y[plane_out + (size_t)(oy * wo + ox)]));
            }
        free(want);
        free(yref);
        free(arg);
        nc_trun_free(&r);
    }
}
END_TEST

START_TEST(test_maxpool_ties_first)
{
    /* Constant input: every window ties; the gradient goes to the first
     * in-image position of each window, row-major. */
    nc_shape in = { 1, 4, 10 };
    nc_attr a = { .k = 2, .stride = 2 };
    nc_trun r;
    nc_trun_init(&r, NC_OP_MAXPOOL, &a, 1, &in, 1, 1);
    for (int i = 0; i < 40; i++)
        r.x[0][i] = 3.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        r.dy[i] = 1.0f;
    r.d->backward(&r.e);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 10; x++)
            ck_assert_float_eq(r.dx[0][y * 10 + x], (y % 2 == 0 && x % 2 == 0) ? 1.0f : 0.0f);
    nc_trun_free(&r);

    nc_attr a3 = { .k = 3, .stride = 1, .pad = 1 };
    nc_trun_init(&r, NC_OP_MAXPOOL, &a3, 1, &in, 1, 1);
    for (int i = 0; i < 40; i++)
        r.x[0][i] = 3.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        r.dy[i] = 1.0f;
    r.d->backward(&r.e);
    /* Output (oy, ox) picks (max(oy-1,0), max(ox-1,0)). */
    float want[40] = { 0 };
    for (int oy = 0; oy < 4; oy++)
        for (int ox = 0; ox < 10; ox++)
            want[(oy > 0 ? oy - 1 : 0) * 10 + (ox > 0 ? ox - 1 : 0)] += 1.0f;
    for (int i = 0; i < 40; i++)
        ck_assert_float_eq(r.dx[0][i], want[i]);
    nc_trun_free(&r);
}
END_TEST

START_TEST(test_avgpool_corners)
{
    /* All-ones input, 3x3 s1 p1: count_pad = 0 averages real pixels only
     * (corners divide by 4, edges by 6); count_pad = 1 divides by 9. */
    nc_shape in = { 1, 4, 5 };
    for (int cp = 0; cp < 2; cp++) {
        nc_attr a = { .k = 3, .stride = 1, .pad = 1, .count_pad = cp };
        nc_trun r;
        nc_trun_init(&r, NC_OP_AVGPOOL, &a, 1, &in, 1, 1);
        for (int i = 0; i < 20; i++)
            r.x[0][i] = 1.0f;
        r.x[0][0] = 5.0f;   /* the corner window sums 5+1+1+1 = 8 */
        r.d->forward(&r.e);
        if (!cp) {
            ck_assert_float_eq(r.y[0], 2.0f);            /* 8 / 4 */
            ck_assert_float_eq(r.y[4], 1.0f);            /* corner */
            NC_ASSERT_CLOSE(r.y[1], 10.0 / 6.0, 1e-6, "edge");  /* 5+1*5 / 6 */
            ck_assert_float_eq(r.y[7], 1.0f);            /* interior */
        } else {
            NC_ASSERT_CLOSE(r.y[0], 8.0 / 9.0, 1e-6, "corner");
            NC_ASSERT_CLOSE(r.y[4], 4.0 / 9.0, 1e-6, "corner");
            NC_ASSERT_CLOSE(r.y[2], 6.0 / 9.0, 1e-6, "edge");
            ck_assert_float_eq(r.y[7], 1.0f);
        }
        nc_trun_free(&r);
    }
}
END_TEST

START_TEST(test_gap)
{
    nc_shape in = { 3, 4, 5 };
    nc_test_gradcheck(NC_OP_GAP, NULL, 1, &in, 2, 1, NULL, 1e-3);
    nc_trun r;
    nc_trun_init(&r, NC_OP_GAP, NULL, 1, &in, 2, 1);
    ck_assert(r.e.out.c == 3 && r.e.out.h == 1 && r.e.out.w == 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 23);
    r.d->forward(&r.e);
    for (int ci = 0; ci < 3; ci++)
        for (int i = 0; i < 2; i++) {
            double s = 0;
            for (int j = 0; j < 20; j++)
                s += r.x[0][(ci * 2 + i) * 20 + j];
            NC_ASSERT_CLOSE(r.y[ci * 2 + i], s / 20, 1e-6, "gap c%d n%d", ci, i);
        }
    nc_trun_free(&r);
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

START_TEST(test_threads_bit_identical)
{
    nc_attr none = { 0 };
    switch (_i) {
    case 9: nc_test_check_threads(NC_OP_GAP, &none, 1, &(nc_shape){ 9, 13, 13 }, 1,
                                  "gap"); break;
    }
}
END_TEST

START_TEST(test_pool_threads_bit_identical)
{
    /* _i: config × {max, avg count_pad 0, avg count_pad 1} */
    const pool_cfg *c = &pool_cfgs[_i / 3];
    int max = _i % 3 == 0, cp = _i % 3 == 2;
    nc_attr a = pool_attr(c, cp);
    nc_shape in = { c->c, c->h, c->w };
    char what[64];
    snprintf(what, sizeof what, "%s cfg %d", max ? "maxpool" : "avgpool", _i / 3);
    nc_test_check_threads(max ? NC_OP_MAXPOOL : NC_OP_AVGPOOL, &a, 1, &in, 1, what);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_maxpool_gradcheck, 0, N_POOL_CFGS);
    tcase_add_loop_test(tc, test_avgpool_gradcheck, 0, 2 * N_POOL_CFGS);
    tcase_add_loop_test(tc, test_pool_reference, 0, 3 * N_POOL_CFGS);
    tcase_add_test(tc, test_maxpool_padding_never_wins);
    tcase_add_test(tc, test_maxpool_ties_first);
    tcase_add_test(tc, test_maxpool_inf_nan);
    tcase_add_test(tc, test_avgpool_corners);
    tcase_add_test(tc, test_gap);
    tcase_add_loop_test(tc, test_threads_bit_identical, 9, 10);
    tcase_add_loop_test(tc, test_pool_threads_bit_identical, 0, 3 * N_POOL_CFGS);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
