/* Zero-cost proxies (predictors/proxy.h): hand-checkable values on tiny
 * nets, the degenerate-net rule, determinism, synflow's range on the full
 * NB201 network, and errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "predictors/proxy.h"
#include "predictors/proxy_int.h"
#include "supernet/nb201.h"

#define REL_EQ(a, b, tol) \
    ck_assert_msg(fabs((a) - (b)) <= (tol) * fmax(1e-30, fabs(b)), \
                  "%s = %.9g, expected %.9g", #a, (double)(a), (double)(b))

/* Softmax regression: input (D,1,1) -> linear(D -> K, bias). With input
 * gradient on, for jacob_cov. */
enum { D = 4, K = 3, N = 5 };

static nc_net *softmax_net(nc_ctx *ctx)
{
    nc_net *net = nc_net_new();
    ck_assert_int_eq(nc_net_want_input_grad(ctx, net), NC_OK);
    int x = nc_net_input(ctx, net, (nc_shape){ D, 1, 1 });
    int y = nc_net_linear(ctx, net, x, K, 1);
    ck_assert_msg(nc_net_finalize(ctx, net, y, 8) == NC_OK, "%s", ctx->msg);
    return net;
}

/* The batch (CNHW of shape (D,1,1) is D x N) and, for the weights of
 * nc_net_init_params(seed), per-sample probabilities p[i][k]. */
static void softmax_data(nc_net *net, uint64_t seed, float *x, int32_t *y,
                         double p[N][K], double w[K][D])
{
    nc_rng r = nc_rng_make(3, 3);
    for (int i = 0; i < D * N; i++)
        x[i] = nc_rng_normal(&r);
    for (int i = 0; i < N; i++)
        y[i] = i % K;
    nc_net_init_params(net, seed);
    const float *pw = nc_net_params(net);
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++)
            w[k][d] = pw[k * D + d];
    for (int i = 0; i < N; i++) {
        double z[K], m = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) {
            z[k] = pw[K * D + k];
            for (int d = 0; d < D; d++)
                z[k] += w[k][d] * x[d * N + i];
            m = fmax(m, z[k]);
        }
        for (int k = 0; k < K; k++)
            s += exp(z[k] - m);
        for (int k = 0; k < K; k++)
            p[i][k] = exp(z[k] - m) / s;
    }
}

static double score_of(nc_ctx *ctx, const char *name, nc_net *net,
                       const nc_proxy_batch *b, uint64_t seed,
                       nc_proxy_result *r)
{
    nc_proxy_result tmp;
    if (!r)
        r = &tmp;
    nc_status st = nc_proxy_score(ctx, name, net, b, seed, r);
    ck_assert_msg(st == NC_OK, "%s: %s", name, ctx->msg);
    return r->raw;
}

/* snip, grad_norm, fisher, gradsign, grasp and jacob_cov of softmax
 * regression against their closed forms. */
START_TEST(gradient_proxies_match_closed_forms)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = softmax_net(&ctx);
    float x[D * N];
    int32_t y[N];
    double p[N][K], w[K][D];
    softmax_data(net, 9, x, y, p, w);
    /* Put other weights in: the proxy must init from the seed and restore. */
    float *pw = nc_net_params(net);
    for (size_t i = 0; i < nc_net_n_params(net); i++)
        pw[i] = 0.25f * (float)i;
    float keep[K * D + K];
    memcpy(keep, pw, sizeof keep);
    nc_proxy_batch b = { x, y, N, { D, 1, 1 } };
    /* dL/dz_ik = (p_ik - [k = y_i]) / N; G = sum_i dz_i x_i^T. */
    double g[K][D] = { { 0 } }, dz[N][K];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++) {
            dz[i][k] = (p[i][k] - (k == y[i])) / N;
            for (int d = 0; d < D; d++)
                g[k][d] += dz[i][k] * x[d * N + i];
        }
    double snip = 0, gn = 0, fisher = 0, sign = 0;
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++) {
            snip += fabs(w[k][d] * g[k][d]);
            gn += g[k][d] * g[k][d];
            int c = 0;
            for (int i = 0; i < N; i++) {
                double gi = (p[i][k] - (k == y[i])) * x[d * N + i];
                c += (gi > 0) - (gi < 0);
            }
            sign += abs(c);
        }
    /* fisher: act z_ik times dL/dz_ik, squared, half mean over samples. */
    nc_net_init_params(net, 9);
    for (int k = 0; k < K; k++) {
        double sq = 0;
        for (int i = 0; i < N; i++) {
            double z = pw[K * D + k];
            for (int d = 0; d < D; d++)
                z += w[k][d] * x[d * N + i];
            sq += (z * dz[i][k]) * (z * dz[i][k]);
        }
        fisher += 0.5 * sq / N;
    }
    memcpy(pw, keep, sizeof keep);
    /* grasp: H g for softmax regression, H_W = (1/N) sum_i
     * (diag p_i - p_i p_i^T) (.) x_i x_i^T, applied to g. */
    double grasp = 0;
    for (int i = 0; i < N; i++) {
        double v[K], hv[K];
        for (int k = 0; k < K; k++) {
            v[k] = 0;
            for (int d = 0; d < D; d++)
                v[k] += g[k][d] * x[d * N + i];
        }
        double pv = 0;
        for (int k = 0; k < K; k++)
            pv += p[i][k] * v[k];
        for (int k = 0; k < K; k++)
            hv[k] = p[i][k] * (v[k] - pv) / N;
        for (int k = 0; k < K; k++)
            for (int d = 0; d < D; d++)
                grasp -= w[k][d] * hv[k] * x[d * N + i];
    }
    /* jacob_cov: every row of J is sum_k W[k,:], so the correlation matrix
     * is all ones, eigenvalues N and 0 (N-1 times). */
    const double e = 1e-5;
    double jc = -(log(N + e) + 1 / (N + e) + (N - 1) * (log(e) + 1 / e));

    REL_EQ(score_of(&ctx, "snip", net, &b, 9, NULL), snip, 1e-5);
    REL_EQ(score_of(&ctx, "grad_norm", net, &b, 9, NULL), sqrt(gn), 1e-5);
    REL_EQ(score_of(&ctx, "fisher", net, &b, 9, NULL), fisher, 1e-4);
    REL_EQ(score_of(&ctx, "gradsign", net, &b, 9, NULL), sign, 0);
    REL_EQ(score_of(&ctx, "grasp", net, &b, 9, NULL), grasp, 1e-3);
    /* jacob_cov's constant rows are the 1e5 / eigenvalue-0 terms: to float
     * rounding of the tiny eigenvalues, a weak check on the big value. */
    REL_EQ(score_of(&ctx, "jacob_cov", net, &b, 9, NULL), jc, 1e-2);
    ck_assert(memcmp(pw, keep, sizeof keep) == 0);
    nc_net_free(net);
}
END_TEST

/* synflow of a 2-layer linear net: R = 1^T |W2| |W1| 1 + sum |b2|, so
 * sum |w dR/dw| over both weight matrices is 2 * 1^T |W2| |W1| 1. */
START_TEST(synflow_two_layer_by_hand)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 2, 1, 1 });
    int h = nc_net_linear(&ctx, net, x, 3, 0);
    int y = nc_net_linear(&ctx, net, h, 2, 1);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 1), NC_OK);
    nc_net_init_params(net, 5);
    const float *w = nc_net_params(net);   /* W1[3][2], W2[2][3], b2[2] */
    double expect = 0;
    for (int o = 0; o < 2; o++)
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 2; i++)
                expect += 2 * fabs(w[6 + o * 3 + j]) * fabs(w[j * 2 + i]);
    nc_proxy_result r;
    REL_EQ(score_of(&ctx, "synflow", net, NULL, 5, &r), expect, 1e-6);
    ck_assert_uint_eq(r.flags, 0);
    ck_assert(r.score == r.raw);
    nc_net_free(net);
}
END_TEST

/* NASWOT: three samples with ReLU codes 101, 110, 001 agree on
 * K = [[3,1,2],[1,3,0],[2,0,3]], det 12. */
START_TEST(naswot_known_codes)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 3, 1, 1 });
    int y = nc_net_linear(&ctx, net, nc_net_relu(&ctx, net, x), 2, 1);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 4), NC_OK);
    /* CNHW: unit u of sample i at u * 3 + i. */
    const float codes[3][3] = { { 1, 0, 1 }, { 1, 1, 0 }, { 0, 0, 1 } };
    float xs[9];
    for (int i = 0; i < 3; i++)
        for (int u = 0; u < 3; u++)
            xs[u * 3 + i] = codes[i][u] ? 0.5f + u : -1.0f - i;
    nc_proxy_batch b = { xs, NULL, 3, { 3, 1, 1 } };
    REL_EQ(score_of(&ctx, "naswot", net, &b, 1, NULL), log(12.0), 1e-12);
    /* Two equal samples make K singular: -inf, reported as degenerate. */
    for (int u = 0; u < 3; u++)
        xs[u * 3 + 2] = xs[u * 3 + 1];
    nc_proxy_result r;
    score_of(&ctx, "naswot", net, &b, 1, &r);
    ck_assert(isinf(r.raw) && r.raw < 0);
    nc_net_free(net);
}
END_TEST

/* conv -> ZERO -> head: no signal reaches the logits. */
START_TEST(degenerate_nets_score_minus_infinity)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    nc_net_want_input_grad(&ctx, net);
    int x = nc_net_input(&ctx, net, (nc_shape){ 2, 4, 4 });
    int c = nc_net_conv(&ctx, net, x, 3, 3, 1, 1, 1, 0);
    c = nc_net_relu(&ctx, net, nc_net_bn(&ctx, net, c, 1));
    int z = nc_net_zero(&ctx, net, c, 1);
    int y = nc_net_linear(&ctx, net, nc_net_flatten(&ctx, net,
                          nc_net_gap(&ctx, net, z)), 3, 1);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 4), NC_OK);
    float xs[4 * 32];
    int32_t ys[4] = { 0, 1, 2, 0 };
    nc_rng g = nc_rng_make(1, 2);
    for (int i = 0; i < 4 * 32; i++)
        xs[i] = nc_rng_normal(&g);
    nc_proxy_batch b = { xs, ys, 4, { 2, 4, 4 } };
    for (int i = 0; i < nc_proxy_count(); i++) {
        const char *nm = nc_proxy_at(i)->name;
        nc_proxy_result r;
        score_of(&ctx, nm, net, &b, 3, &r);
        int structural = !strcmp(nm, "params") || !strcmp(nm, "flops");
        if (structural) {
            ck_assert_uint_eq(r.flags, 0);
            ck_assert(r.score > 0 && r.score == r.raw);
        } else {
            ck_assert_msg(r.flags == NC_PROXY_DEGENERATE, "%s", nm);
            ck_assert_msg(isinf(r.score) && r.score < 0, "%s", nm);
        }
        if (!strcmp(nm, "synflow") || !strcmp(nm, "snip"))
            ck_assert(r.raw == 0);
        if (!strcmp(nm, "jacob_cov"))
            ck_assert(isnan(r.raw));
    }
    nc_net_free(net);
}
END_TEST

static nc_net *nb201_net(nc_ctx *ctx, const char *arch, int C, int N_cells,
                         int hw, int n_max)
{
    nc_nb201_arch a;
    ck_assert_msg(nc_nb201_parse(ctx, arch, &a) == NC_OK, "%s", ctx->msg);
    nc_net *net = nc_net_new();
    nc_net_want_input_grad(ctx, net);
    int x = nc_net_input(ctx, net, (nc_shape){ 3, hw, hw });
    int y = nc_nb201_build(ctx, net, x, &a, C, N_cells, 10);
    ck_assert_msg(nc_net_finalize(ctx, net, y, n_max) == NC_OK, "%s", ctx->msg);
    return net;
}

static const char *ALL_CONV3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
    "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/* Every proxy on a small NB201 net: finite, repeatable bit for bit, and
 * a function of the seed. */
START_TEST(every_proxy_is_deterministic_on_nb201)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nb201_net(&ctx,
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+"
        "|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|", 4, 1, 8, 8);
    enum { B = 8 };
    float xs[B * 3 * 64];
    int32_t ys[B];
    nc_rng g = nc_rng_make(4, 4);
    for (int i = 0; i < B * 3 * 64; i++)
        xs[i] = nc_rng_normal(&g);
    for (int i = 0; i < B; i++)
        ys[i] = i % 10;
    nc_proxy_batch b = { xs, ys, B, { 3, 8, 8 } };
    for (int i = 0; i < nc_proxy_count(); i++) {
        const char *nm = nc_proxy_at(i)->name;
        nc_proxy_result r1, r2, r3;
        score_of(&ctx, nm, net, &b, 7, &r1);
        score_of(&ctx, nm, net, &b, 7, &r2);
        score_of(&ctx, nm, net, &b, 8, &r3);
        ck_assert_msg(isfinite(r1.score) && r1.flags == 0, "%s: %g", nm, r1.score);
        ck_assert_msg(memcmp(&r1.raw, &r2.raw, sizeof r1.raw) == 0, "%s", nm);
        if (strcmp(nm, "params") && strcmp(nm, "flops"))
            ck_assert_msg(r1.raw != r3.raw, "%s ignores the seed", nm);
    }
    nc_net_free(net);
}
END_TEST

/* grasp's H g is a difference of gradients with the ReLU pattern frozen:
 * it settles as the step shrinks (two steps agree), and the net is thawed
 * afterwards. */
START_TEST(grasp_converges_with_frozen_relus)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { B = 16, HW = 16 };
    nc_net *net = nb201_net(&ctx, ALL_CONV3, 8, 1, HW, B);
    nc_net_init_params(net, 7);
    static float xs[B * 3 * HW * HW];
    int32_t ys[B];
    nc_rng g = nc_rng_make(6, 6);
    for (int i = 0; i < B * 3 * HW * HW; i++)
        xs[i] = nc_rng_normal(&g);
    for (int i = 0; i < B; i++)
        ys[i] = (i * 7) % 10;
    nc_proxy_batch b = { xs, ys, B, { 3, HW, HW } };
    double v1, v2;
    ck_assert_int_eq(nc_proxy_grasp_step(&ctx, net, &b, 1e-5, &v1), NC_OK);
    ck_assert_int_eq(nc_proxy_grasp_step(&ctx, net, &b, 3e-6, &v2), NC_OK);
    ck_assert_int_eq(nc_net_relu_frozen_n(net), 0);
    ck_assert_msg(fabs(v1 - v2) <= 0.02 * fabs(v2) && v2 != 0,
                  "grasp %g at 1e-5 vs %g at 3e-6", v1, v2);
    nc_net_free(net);
}
END_TEST

/* The benchmark network with every edge a 3x3 conv: R overflows float
 * (the reason for the scaling), synflow still comes out finite, and it
 * exceeds that of the same net with 1x1 convs. */
START_TEST(synflow_survives_the_full_nb201_gain)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *a = nb201_net(&ctx, ALL_CONV3, 16, 5, 32, 1);
    nc_net *b = nb201_net(&ctx,
        "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+"
        "|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|", 16, 5, 32, 1);
    double sa = score_of(&ctx, "synflow", a, NULL, 1, NULL);
    double sb = score_of(&ctx, "synflow", b, NULL, 1, NULL);
    ck_assert_msg(isfinite(sa) && sa > 1e38, "synflow %g", sa);
    ck_assert_msg(isfinite(sb) && sb < sa, "synflow %g vs %g", sb, sa);
    nc_net_free(a);
    nc_net_free(b);
}
END_TEST

START_TEST(errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = softmax_net(&ctx);
    float xs[D * N] = { 0 };
    int32_t ys[N] = { 0 };
    nc_proxy_batch b = { xs, ys, N, { D, 1, 1 } };
    nc_proxy_result r = { 42, 42, 42 };
    ck_assert_int_eq(nc_proxy_score(&ctx, "synflaw", net, &b, 1, &r), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "synflaw"));
    ck_assert_ptr_nonnull(strstr(ctx.msg, "naswot, gradsign"));
    ck_assert(r.raw == 42);
    ck_assert_int_eq(nc_proxy_score(&ctx, NULL, net, &b, 1, &r), NC_ERR_INVAL);
    ck_assert_ptr_null(nc_proxy_find("nope"));
    ck_assert_ptr_null(nc_proxy_at(-1));
    ck_assert_ptr_null(nc_proxy_at(nc_proxy_count()));
    ck_assert_str_eq(nc_proxy_find("naswot")->name, "naswot");
    /* Shape that does not fit the net. */
    nc_proxy_batch bad = { xs, ys, N, { 1, 2, 2 } };
    ck_assert_int_eq(nc_proxy_score(&ctx, "snip", net, &bad, 1, &r), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "1x2x2"));
    ck_assert_ptr_nonnull(strstr(ctx.msg, "4x1x1"));
    /* Too many samples, none, no labels, no batch. */
    bad = b;
    bad.n = 9;
    ck_assert_int_eq(nc_proxy_score(&ctx, "snip", net, &bad, 1, &r), NC_ERR_INVAL);
    bad.n = 0;
    ck_assert_int_eq(nc_proxy_score(&ctx, "naswot", net, &bad, 1, &r), NC_ERR_INVAL);
    bad = b;
    bad.labels = NULL;
    ck_assert_int_eq(nc_proxy_score(&ctx, "grasp", net, &bad, 1, &r), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "labels"));
    ck_assert_int_eq(nc_proxy_score(&ctx, "naswot", net, &bad, 1, &r), NC_OK);
    ck_assert_int_eq(nc_proxy_score(&ctx, "fisher", net, NULL, 1, &r), NC_ERR_INVAL);
    /* A label outside the classes. */
    ys[1] = 7;
    ck_assert_int_eq(nc_proxy_score(&ctx, "snip", net, &b, 1, &r), NC_ERR_RANGE);
    nc_net_free(net);
    /* jacob_cov without the input gradient; an unfinished net. */
    net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ D, 1, 1 });
    int y = nc_net_linear(&ctx, net, x, K, 1);
    ys[1] = 0;
    ck_assert_int_eq(nc_proxy_score(&ctx, "params", net, &b, 1, &r), NC_ERR_STATE);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 8), NC_OK);
    ck_assert_int_eq(nc_proxy_score(&ctx, "jacob_cov", net, &b, 1, &r), NC_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "nc_net_want_input_grad"));
    nc_net_free(net);
}
END_TEST

START_TEST(linear_algebra_helpers)
{
    double a[9] = { 4, 1, 0, 1, 3, 1, 0, 1, 2 }, v[3];
    double b[9];
    memcpy(b, a, sizeof a);
    /* det = 4(6-1) - 1(2-0) = 18; eigenvalues sum 9, product 18. */
    REL_EQ(nc_proxy_logdet(b, 3), log(18.0), 1e-12);
    nc_proxy_sym_eig(a, 3, v);
    REL_EQ(v[0] + v[1] + v[2], 9.0, 1e-12);
    REL_EQ(v[0] * v[1] * v[2], 18.0, 1e-10);
    double s[4] = { 1, 2, 2, 4 };
    ck_assert(isinf(nc_proxy_logdet(s, 2)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proxies");
    TCase *tc = tcase_create("proxies");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, linear_algebra_helpers);
    tcase_add_test(tc, gradient_proxies_match_closed_forms);
    tcase_add_test(tc, synflow_two_layer_by_hand);
    tcase_add_test(tc, naswot_known_codes);
    tcase_add_test(tc, degenerate_nets_score_minus_infinity);
    tcase_add_test(tc, every_proxy_is_deterministic_on_nb201);
    tcase_add_test(tc, synflow_survives_the_full_nb201_gain);
    tcase_add_test(tc, grasp_converges_with_frozen_relus);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
