/*
 * test_ops_norm.c — batch norm (NC_OP_BATCHNORM).
 *
 * The gradient is checked against finite differences; the forward pass and
 * the running statistics against a direct double-precision reference of
 * PyTorch's formula; a large common offset must not cancel the variance;
 * backward must add into dx and dw.
 *
 * Threads: forward and backward with a 2- and 3-thread pool must match
 * 1 thread bit for bit. The op harness (nc_trun) and the thread check are
 * in tests/util/testutil.c, shared with test_ops_pool.c and
 * test_ops_misc.c.
 */
#include "core/op.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- batch norm ----------------------------------------------------------- */

static const nc_shape bn_shapes[] = { { 3, 4, 5 }, { 2, 3, 3 } };

START_TEST(test_bn_gradcheck)
{
    /* _i: bit 0 affine, bit 1 train, bit 2 shape (m = 80 and m = 18, the
     * latter exercising the non-multiple-of-8 tail of the sums). */
    nc_attr a = { .affine = _i & 1 };
    int train = (_i >> 1) & 1;
    nc_test_gradcheck(NC_OP_BATCHNORM, &a, 1, &bn_shapes[(_i >> 2) & 1],
                      4 - 2 * ((_i >> 2) & 1), train, NULL, 1e-2);
}
END_TEST

/* Direct double-precision BN, PyTorch's definition. */
static void bn_reference(const float *x, int c, size_t m, const float *gamma,
                         const float *beta, double eps, double *y,
                         double *mean, double *var_b)
{
    for (int ci = 0; ci < c; ci++) {
        const float *xc = x + (size_t)ci * m;
        double s = 0, q = 0;
        for (size_t i = 0; i < m; i++)
            s += xc[i];
        double mu = s / (double)m;
        for (size_t i = 0; i < m; i++)
            q += (xc[i] - mu) * (xc[i] - mu);
        double var = q / (double)m;
        for (size_t i = 0; i < m; i++)
            y[(size_t)ci * m + i] = (xc[i] - mu) / sqrt(var + eps) *
                                        (gamma ? gamma[ci] : 1.0) +
                                    (beta ? beta[ci] : 0.0);
        mean[ci] = mu;
        var_b[ci] = var;
    }
}

START_TEST(test_bn_train_forward_and_running_stats)
{
    nc_shape in = { 3, 5, 6 };
    int n = 3, c = in.c;
    size_t m = (size_t)n * in.h * in.w;
    for (int mode = 0; mode < 2; mode++) {
        /* mode 0: defaults (momentum 0.1, eps 1e-5) from a fresh init;
         * mode 1: explicit momentum/eps and non-trivial running stats. */
        nc_attr a = { .affine = 1 };
        if (mode) {
            a.momentum = 0.25f;
            a.eps = 1e-3f;
        }
        nc_trun r;
        nc_trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, n, 1);
        nc_test_fill_normal(r.x[0], r.nx[0], 5);
        for (size_t i = 0; i < r.nx[0]; i++)   /* per-channel offsets and scales */
            r.x[0][i] = r.x[0][i] * (1.0f + (float)(i / m)) + 3.0f * (float)(i / m);
        ck_assert_int_eq((int)r.nw, 2 * c);
        ck_assert_int_eq((int)r.ns, 2 * c);
        for (int ci = 0; ci < c; ci++) {
            ck_assert(r.w[ci] == 1.0f && r.w[c + ci] == 0.0f);
            ck_assert(r.state[ci] == 0.0f && r.state[c + ci] == 1.0f);
            r.w[ci] = 0.5f + 0.25f * (float)ci;
            r.w[c + ci] = -0.3f * (float)ci;
            if (mode) {
                r.state[ci] = 0.7f - (float)ci;
                r.state[c + ci] = 2.0f + (float)ci;
            }
        }
        float rm0[3], rv0[3];
        memcpy(rm0, r.state, sizeof rm0);
        memcpy(rv0, r.state + c, sizeof rv0);
        r.d->forward(&r.e);

        double *yref = malloc(m * c * sizeof(double)), mean[3], varb[3];
        ck_assert_ptr_nonnull(yref);
        double eps = mode ? 1e-3 : 1e-5, mom = mode ? 0.25 : 0.1;
        bn_reference(r.x[0], c, m, r.w, r.w + c, eps, yref, mean, varb);
        for (size_t i = 0; i < m * c; i++)
            NC_ASSERT_CLOSE(r.y[i], yref[i], 1e-5, "y[%zu] %g vs %g", i,
                            (double)r.y[i], yref[i]);
        for (int ci = 0; ci < c; ci++) {
            /* torch: running = (1 - momentum) * running + momentum * stat,
             * with the unbiased variance. */
            double want_m = (1 - mom) * rm0[ci] + mom * mean[ci];
            double want_v = (1 - mom) * rv0[ci] + mom * varb[ci] * (double)m / (double)(m - 1);
            NC_ASSERT_CLOSE(r.state[ci], want_m, 1e-6, "running mean %d: %g vs %g",
                            ci, (double)r.state[ci], want_m);
            NC_ASSERT_CLOSE(r.state[c + ci], want_v, 1e-6, "running var %d: %g vs %g",
                            ci, (double)r.state[c + ci], want_v);
        }
        free(yref);
        nc_trun_free(&r);
    }
}
END_TEST

START_TEST(test_bn_eval_forward)
{
    nc_shape in = { 2, 3, 3 };
    int n = 2;
    size_t m = (size_t)n * 9;
    for (int affine = 0; affine < 2; affine++) {
        nc_attr a = { .affine = affine };
        nc_trun r;
        nc_trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, n, 0);
        nc_test_fill_normal(r.x[0], r.nx[0], 6);
        float st[4] = { 0.5f, -1.0f, 4.0f, 0.25f };
        memcpy(r.state, st, sizeof st);
        if (affine) {
            float w[4] = { 2.0f, -0.5f, 0.1f, 0.3f };
            memcpy(r.w, w, sizeof w);
        }
        r.d->forward(&r.e);
        for (int ci = 0; ci < 2; ci++)
            for (size_t i = 0; i < m; i++) {
                double xv = r.x[0][ci * m + i];
                double want = (xv - st[ci]) / sqrt(st[2 + ci] + 1e-5);
                if (affine)
                    want = want * r.w[ci] + r.w[2 + ci];
                NC_ASSERT_CLOSE(r.y[ci * m + i], want, 1e-5, "eval y");
            }
        /* Evaluation never moves the running statistics. */
        ck_assert(memcmp(r.state, st, sizeof st) == 0);
        nc_trun_free(&r);
    }
}
END_TEST

/* A large common offset must not cancel the variance (a one-pass E[x²]-E[x]²
 * in float would return garbage here). */
START_TEST(test_bn_large_offset)
{
    nc_shape in = { 1, 8, 8 };
    int n = 4;
    nc_trun r;
    nc_trun_init(&r, NC_OP_BATCHNORM, NULL, 1, &in, n, 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 9);
    for (size_t i = 0; i < r.nx[0]; i++)
        r.x[0][i] = 1000.0f + 0.01f * r.x[0][i];
    r.d->forward(&r.e);
    double s = 0, q = 0;
    for (size_t i = 0; i < r.ny; i++) {
        s += r.y[i];
        q += (double)r.y[i] * r.y[i];
    }
    double mu = s / (double)r.ny, var = q / (double)r.ny - mu * mu;
    ck_assert_msg(fabs(mu) < 1e-3, "mean %g", mu);
    /* eps = 1e-5 against a variance of 1e-4 shrinks the output by ~5%. */
    double want = 1e-4 / (1e-4 + 1e-5);
    ck_assert_msg(fabs(var - want) < 0.05 * want, "var %g, want about %g", var, want);
    nc_trun_free(&r);
}
END_TEST

/* Backward ADDS into dx and dw, and skips a NULL dx. */
START_TEST(test_bn_backward_adds)
{
    nc_shape in = { 2, 3, 4 };
    nc_attr a = { .affine = 1 };
    nc_trun r;
    nc_trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, 2, 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 10);
    nc_test_fill_normal(r.dy, r.ny, 11);
    r.d->forward(&r.e);
    r.d->backward(&r.e);
    float *g1 = malloc(r.nx[0] * sizeof(float)), dw1[4];
    ck_assert_ptr_nonnull(g1);
    memcpy(g1, r.dx[0], r.nx[0] * sizeof(float));
    memcpy(dw1, r.dw, sizeof dw1);
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        NC_ASSERT_CLOSE(r.dx[0][i], 2.0 * g1[i], 1e-6, "dx accumulates");
    for (int i = 0; i < 4; i++)
        NC_ASSERT_CLOSE(r.dw[i], 2.0 * dw1[i], 1e-6, "dw accumulates");
    /* Σ dx = 0 in training (the mean is subtracted). */
    for (int ci = 0; ci < 2; ci++) {
        double s = 0;
        for (size_t i = 0; i < 24; i++)
            s += g1[ci * 24 + i];
        ck_assert_msg(fabs(s) < 1e-4, "sum of dx %g", s);
    }
    r.e.dx[0] = NULL;
    r.e.dw = NULL;
    r.d->backward(&r.e);   /* must not crash */
    free(g1);
    nc_trun_free(&r);
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

START_TEST(test_threads_bit_identical)
{
    nc_attr none = { 0 }, aff = { .affine = 1 };
    nc_shape bn = { 7, 19, 23 };
    switch (_i) {
    case 0: nc_test_check_threads(NC_OP_BATCHNORM, &aff, 1, &bn, 1, "bn affine train"); break;
    case 1: nc_test_check_threads(NC_OP_BATCHNORM, &none, 1, &bn, 1, "bn train"); break;
    case 2: nc_test_check_threads(NC_OP_BATCHNORM, &aff, 1, &bn, 0, "bn affine eval"); break;
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_norm");
    TCase *tc = tcase_create("norm");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_bn_gradcheck, 0, 8);
    tcase_add_test(tc, test_bn_train_forward_and_running_stats);
    tcase_add_test(tc, test_bn_eval_forward);
    tcase_add_test(tc, test_bn_large_offset);
    tcase_add_test(tc, test_bn_backward_adds);
    tcase_add_loop_test(tc, test_threads_bit_identical, 0, 3);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
