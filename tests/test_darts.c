/*
 * test_darts.c — DARTS's architecture gradient (first order, and the
 * second-order unrolled approximation) against finite differences of the
 * objective it approximates, and whole DARTS / DARTS-PT runs on a toy data
 * set: deterministic, alpha learned, a valid cell selected.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/darts.h"
#include "tests/util/testutil.h"

static nc_supernet *darts_net(nc_ctx *ctx)
{
    nc_supernet_opts o = nc_supernet_defaults();
    o.in = (nc_shape){ 1, 8, 8 };
    o.n_classes = 3;
    o.n_max = 32;
    o.nb201_c = 4;
    o.nb201_n = 1;
    o.nb201_affine = 0;
    o.nb201_alpha = 1;
    nc_supernet *sn;
    ck_assert_msg(nc_supernet_new(ctx, nc_space_nb201(), &o, &sn) == NC_OK,
                  "%s", ctx->msg);
    nc_supernet_init(sn, 5);
    uint8_t mask[NC_DARTS_ALPHA], hard[NC_NB201_N_EDGES] = { 0 };
    memset(mask, 1, sizeof mask);
    ck_assert(nc_supernet_nb201_gates(ctx, sn, mask, hard) == NC_OK);
    /* Spread alpha so that the softmax weights differ clearly. */
    float a[NC_DARTS_ALPHA];
    nc_rng r = nc_rng_make(8, NC_STREAM(NC_PURPOSE_TEST, 3));
    for (int i = 0; i < NC_DARTS_ALPHA; i++)
        a[i] = 0.5f * nc_rng_normal(&r);
    nc_supernet_nb201_set_alpha(ctx, sn, a);
    return sn;
}

/* The unrolled objective F(alpha) = L_val(w - xi (dL_train/dw + wd w), alpha)
 * at the supernet's weights (which it restores). */
static double unrolled(nc_ctx *ctx, nc_supernet *sn, const float *alpha,
                       double xi, double wd, const float *xt, const int32_t *yt,
                       const float *xv, const int32_t *yv, int n, int order)
{
    size_t np = nc_supernet_n_params(sn);
    float *w = nc_supernet_params(sn), *g = nc_supernet_grads(sn);
    float *w0 = malloc(np * sizeof(float));
    memcpy(w0, w, np * sizeof(float));
    nc_supernet_nb201_set_alpha(ctx, sn, alpha);
    if (order == 2) {
        nc_supernet_zero_grad(sn);
        ck_assert(nc_supernet_forward(ctx, sn, xt, yt, n, 1, NULL) == NC_OK);
        ck_assert(nc_supernet_backward(ctx, sn) == NC_OK);
        for (size_t i = 0; i < np; i++)
            w[i] = w0[i] - (float)xi * (g[i] + (float)wd * w0[i]);
        nc_supernet_nb201_set_alpha(ctx, sn, alpha);
    }
    float l;
    ck_assert(nc_supernet_forward(ctx, sn, xv, yv, n, 1, &l) == NC_OK);
    memcpy(w, w0, np * sizeof(float));
    free(w0);
    return l;
}

START_TEST(test_alpha_grad)
{
    int order = _i;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_supernet *sn = darts_net(&ctx);
    enum { NB = 32 };
    nc_dataset *ds = nc_test_toy_dataset(2 * NB, 2);
    float xt[NB * 64], xv[NB * 64];
    int32_t yt[NB], yv[NB];
    uint32_t it[NB], iv[NB];
    for (int i = 0; i < NB; i++) {
        it[i] = (uint32_t)i;
        iv[i] = (uint32_t)(NB + i);
    }
    nc_batch_fill(ds, it, NB, NULL, NULL, xt, yt);
    nc_batch_fill(ds, iv, NB, NULL, NULL, xv, yv);
    double xi = 0.01, wd = 1e-3;
    float *scratch = malloc(2 * nc_supernet_n_params(sn) * sizeof(float));
    float grad[NC_DARTS_ALPHA], first[NC_DARTS_ALPHA], alpha[NC_DARTS_ALPHA];
    ck_assert(nc_supernet_nb201_alpha(&ctx, sn, alpha, NULL) == NC_OK);
    ck_assert_msg(nc_darts_alpha_grad(&ctx, sn, order, xi, wd, xt, yt, NB, xv,
                                      yv, NB, scratch, grad) == NC_OK, "%s",
                  ctx.msg);
    ck_assert(nc_darts_alpha_grad(&ctx, sn, 1, xi, wd, xt, yt, NB, xv, yv, NB,
                                  scratch, first) == NC_OK);
    if (order == 1) {
        for (int i = 0; i < NC_DARTS_ALPHA; i++) {
            float ap[NC_DARTS_ALPHA], am[NC_DARTS_ALPHA];
            memcpy(ap, alpha, sizeof ap);
            memcpy(am, alpha, sizeof am);
            float h = 1e-3f;
            ap[i] += h;
            am[i] -= h;
            double num = (unrolled(&ctx, sn, ap, xi, wd, xt, yt, xv, yv, NB, 1) -
                          unrolled(&ctx, sn, am, xi, wd, xt, yt, xv, yv, NB, 1)) /
                         (2.0 * h);
            double err = fabs(num - grad[i]) / fmax(1e-2, fabs(num));
            ck_assert_msg(err < 0.1, "alpha[%d]: analytic %g numeric %g", i,
                          (double)grad[i], num);
        }
    } else {
        /* The unrolled objective contains a gradient, which jumps wherever
         * a ReLU mask flips, so it is not smooth in alpha (measured: its
         * finite differences swing by 0.1 between h = 1e-4 and 1e-2) and
         * cannot serve as a reference (nor can the linearity of the
         * correction in xi: it is as rough). Check what is well defined:
         * xi = 0 gives the first-order gradient exactly, and xi > 0 adds a
         * correction. */
        float g0[NC_DARTS_ALPHA];
        ck_assert(nc_darts_alpha_grad(&ctx, sn, 2, 0.0, wd, xt, yt, NB, xv,
                                      yv, NB, scratch, g0) == NC_OK);
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            ck_assert_float_eq_tol(g0[i], first[i], 1e-6f);
        double diff = 0;
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            diff = fmax(diff, fabs((double)grad[i] - first[i]));
        ck_assert_msg(diff > 1e-4, "second order equals first order (%g)", diff);
    }
    /* The weights are back where they were: alpha too. */
    float after[NC_DARTS_ALPHA];
    nc_supernet_nb201_alpha(&ctx, sn, after, NULL);
    ck_assert(memcmp(after, alpha, sizeof after) == 0);
    free(scratch);
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}
END_TEST

static nc_darts_cfg tiny_cfg(int order)
{
    nc_darts_cfg c = nc_darts_defaults();
    c.epochs = 4;
    c.batch = 8;
    c.order = order;
    c.nb201_c = 4;
    c.nb201_n = 1;
    c.pt_epochs = 1;
    c.w_lr = 0.05;
    c.a_lr = 3e-2;
    c.seed = 3;
    return c;
}

START_TEST(test_run)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr = nc_test_toy_dataset(48, 4), *va = nc_test_toy_dataset(32, 5);
    for (int order = 1; order <= 2; order++) {
        nc_darts_cfg c = tiny_cfg(order);
        nc_darts_result a, b;
        ck_assert_msg(nc_darts_run(&ctx, &c, tr, va, NULL, &a) == NC_OK, "%s",
                      ctx.msg);
        ck_assert(nc_darts_run(&ctx, &c, tr, va, NULL, &b) == NC_OK);
        ck_assert(memcmp(a.alpha, b.alpha, sizeof a.alpha) == 0);
        ck_assert(memcmp(&a.pt, &b.pt, sizeof a.pt) == 0);
        ck_assert(nc_nb201_valid(&a.darts) && nc_nb201_valid(&a.pt));
        /* alpha moved well beyond its 1e-3 initialization. */
        float mx = 0;
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            mx = fmaxf(mx, fabsf(a.alpha[i]));
        ck_assert_msg(mx > 0.01f, "alpha barely moved (%g)", (double)mx);
        /* DARTS-PT visited every edge once and tried every op there. */
        int seen[NC_NB201_N_EDGES] = { 0 };
        for (int i = 0; i < NC_NB201_N_EDGES; i++)
            seen[a.pt_order[i]]++;
        for (int e = 0; e < NC_NB201_N_EDGES; e++) {
            ck_assert_int_eq(seen[e], 1);
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                ck_assert(isfinite(a.pt_drop[e * NC_NB201_N_OPS + k]));
            /* The kept op is the one whose removal hurt most. */
            int kept = a.pt.op[e];
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                ck_assert(a.pt_drop[e * NC_NB201_N_OPS + kept] >=
                          a.pt_drop[e * NC_NB201_N_OPS + k]);
        }
        ck_assert(a.supernet_accuracy > 0.5);
    }
    nc_darts_cfg bad = tiny_cfg(3);
    nc_darts_result r;
    ck_assert_int_eq(nc_darts_run(&ctx, &bad, tr, va, NULL, &r), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "order");
    nc_dataset_free(tr);
    nc_dataset_free(va);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("darts");
    TCase *tc = tcase_create("darts");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_alpha_grad, 1, 3);
    tcase_add_test(tc, test_run);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
