/*
 * test_super_nb201.c — the nb201 weight-sharing supernet: a subnet runs
 * exactly the stand-alone net's function on shared weights, only its ops
 * get gradients, gradients (hard and DARTS-soft) match finite differences,
 * single-path and sandwich training are deterministic and learn, and BN
 * recalibration gives the subnet's own statistics.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gradcheck.h"
#include "core/optim.h"
#include "supernet/supernet.h"
#include "tests/util/testutil.h"

static nc_supernet_opts small_opts(int alpha)
{
    nc_supernet_opts o = nc_supernet_defaults();
    o.in = (nc_shape){ 1, 8, 8 };
    o.n_classes = 3;
    o.n_max = 6;
    o.nb201_c = 4;
    o.nb201_n = 1;
    o.nb201_alpha = alpha;
    return o;
}

static nc_supernet *make(nc_ctx *ctx, nc_supernet_opts o, uint64_t seed)
{
    nc_supernet *sn = NULL;
    ck_assert_msg(nc_supernet_new(ctx, nc_space_nb201(), &o, &sn) == NC_OK,
                  "%s", ctx->msg);
    nc_supernet_init(sn, seed);
    return sn;
}

/* An architecture without `none`, so that no edge is a dead end and every
 * op of the stand-alone net is on the subnet's path. */
static nc_arch no_none_arch(uint64_t seed)
{
    nc_arch a;
    memset(&a, 0, sizeof a);
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 1));
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        a.g[e] = (uint8_t)(1 + nc_rng_below(&r, 4));
    return a;
}

/* The subnet computes the stand-alone net: copy the parameters the subnet
 * trains (those with a gradient) in order into the stand-alone net and
 * compare logits and loss bit for bit. */
START_TEST(test_subnet_equals_standalone)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_supernet_opts o = small_opts(0);
    nc_supernet *sn = make(&ctx, o, 7);
    nc_dataset *ds = nc_test_toy_dataset(6, 3);
    float x[6 * 64];
    int32_t y[6];
    uint32_t idx[6] = { 0, 1, 2, 3, 4, 5 };
    nc_batch_fill(ds, idx, 6, NULL, NULL, x, y);
    for (int trial = 0; trial < 4; trial++) {
        nc_arch a = no_none_arch((uint64_t)trial);
        ck_assert(nc_supernet_set_arch(&ctx, sn, &a) == NC_OK);
        float lsup, ltrain_sup;
        nc_supernet_zero_grad(sn);
        ck_assert(nc_supernet_forward(&ctx, sn, x, y, 6, 1, &ltrain_sup) == NC_OK);
        ck_assert(nc_supernet_backward(&ctx, sn) == NC_OK);
        nc_net *sup = nc_supernet_net(sn);
        nc_net *net = nc_net_new();
        nc_nb201_arch na;
        memcpy(na.op, a.g, NC_NB201_N_EDGES);
        int in = nc_net_input(&ctx, net, o.in);
        ck_assert(nc_net_finalize(&ctx, net, nc_nb201_build(&ctx, net, in, &na,
                  o.nb201_c, o.nb201_n, o.n_classes), 6) == NC_OK);
        nc_net_init_params(net, 99);   /* BN state (0, 1) as the supernet's */
        /* Walk parameter nodes of both nets in order; a supernet node is
         * the subnet's if any of its gradients is non-zero. */
        int j = 0, nj = nc_net_n_nodes(net), copied = 0;
        for (int i = 0; i < nc_net_n_nodes(sup); i++) {
            nc_net_node_info si, ti;
            nc_net_node(sup, i, &si);
            if (!si.n_w)
                continue;
            int used = 0;
            for (size_t k = 0; k < si.n_w; k++)
                used |= nc_supernet_grads(sn)[si.w_off + k] != 0.0f;
            if (!used)
                continue;
            do
                nc_net_node(net, j++, &ti);
            while (j < nj && !ti.n_w);
            ck_assert_int_eq(ti.kind, si.kind);
            ck_assert_uint_eq(ti.n_w, si.n_w);
            ck_assert_uint_eq(ti.n_s, si.n_s);
            memcpy(nc_net_params(net) + ti.w_off,
                   nc_supernet_params(sn) + si.w_off, si.n_w * sizeof(float));
            memcpy(nc_net_state(net) + ti.s_off,
                   nc_supernet_state(sn) + si.s_off, si.n_s * sizeof(float));
            copied++;
        }
        /* Every parameter node of the stand-alone net got its weights. */
        for (; j < nj; j++) {
            nc_net_node_info ti;
            nc_net_node(net, j, &ti);
            ck_assert_uint_eq(ti.n_w, 0);
        }
        ck_assert_int_gt(copied, 5);
        /* Eval mode first (the running statistics were copied), then a
         * training forward, which uses batch statistics. */
        float lnet;
        ck_assert(nc_supernet_forward(&ctx, sn, x, y, 6, 0, &lsup) == NC_OK);
        ck_assert(nc_net_forward(&ctx, net, x, y, 6, 0, &lnet) == NC_OK);
        ck_assert(memcmp(nc_net_logits(net), nc_net_logits(sup),
                         6 * 3 * sizeof(float)) == 0);
        float ltrain;
        ck_assert(nc_net_forward(&ctx, net, x, y, 6, 1, &ltrain) == NC_OK);
        ck_assert_msg(ltrain == ltrain_sup, "arch %d: loss %g vs %g", trial,
                      (double)ltrain, (double)ltrain_sup);
        nc_net_free(net);
    }
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}
END_TEST

/* Hard gates: gradients of every parameter (the shut-out ones are exactly
 * zero, which finite differences confirm) for architectures with none and
 * dead ends too; soft gates with alpha: the DARTS gradient, alpha included. */
START_TEST(test_gradcheck)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = nc_test_toy_dataset(5, 4);
    float x[5 * 64];
    int32_t y[5];
    uint32_t idx[5] = { 0, 1, 2, 3, 4 };
    nc_batch_fill(ds, idx, 5, NULL, NULL, x, y);
    for (int alpha = 0; alpha <= 1; alpha++) {
        nc_supernet *sn = make(&ctx, small_opts(alpha), 11);
        nc_rng r = nc_rng_make(5, NC_STREAM(NC_PURPOSE_TEST, 2));
        for (int t = 0; t < 3; t++) {
            nc_arch a;
            nc_space_nb201()->sample(nc_space_nb201(), &r, &a);
            ck_assert(nc_supernet_set_arch(&ctx, sn, &a) == NC_OK);
            double err;
            ck_assert_msg(nc_gradcheck_net(&ctx, nc_supernet_net(sn), x, y, 5,
                                           300, 5e-2, &err) == NC_OK,
                          "hard: %s", ctx.msg);
        }
        if (alpha) {
            uint8_t mask[30], hard[6] = { 0 };
            memset(mask, 1, sizeof mask);
            mask[3 * 5 + 2] = 0;      /* DARTS-PT: edge 3 without conv 1x1 */
            hard[5] = 1;              /* an edge already projected */
            memset(mask + 25, 0, 5);
            mask[25 + 3] = 1;
            ck_assert(nc_supernet_nb201_gates(&ctx, sn, mask, hard) == NC_OK);
            double err;
            ck_assert_msg(nc_gradcheck_net(&ctx, nc_supernet_net(sn), x, y, 5,
                                           400, 5e-2, &err) == NC_OK,
                          "soft: %s", ctx.msg);
        }
        nc_supernet_free(sn);
    }
    nc_dataset_free(ds);
}
END_TEST

/* Trains a few steps by `rule`; returns the first and last mean loss over
 * a window and writes the parameters' checksum. */
static void train(nc_super_rule rule, int threads, double *first,
                  double *last, uint64_t *sum)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_supernet_opts so = small_opts(0);
    so.threads = threads;
    nc_supernet *sn = make(&ctx, so, 21);
    nc_dataset *ds = nc_test_toy_dataset(48, 8);
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f };
    nc_optim *opt = nc_optim_new(&oc, nc_supernet_n_params(sn));
    float x[6 * 64];
    int32_t y[6];
    double l0 = 0, l1 = 0;
    int steps = 80;
    for (int s = 0; s < steps; s++) {
        uint32_t idx[6];
        for (int i = 0; i < 6; i++)
            idx[i] = (uint32_t)((s * 6 + i) % 48);
        nc_batch_fill(ds, idx, 6, NULL, NULL, x, y);
        nc_rng r = nc_rng_make(3, NC_STREAM(NC_PURPOSE_SAMPLE, s));
        float loss;
        ck_assert_msg(nc_supernet_train_step(&ctx, sn, rule, &r, x, y, 6,
                                             &loss) == NC_OK, "%s", ctx.msg);
        nc_optim_step(opt, nc_supernet_params(sn), nc_supernet_grads(sn), 0.03f);
        if (s < 16)
            l0 += loss / 16;
        if (s >= steps - 16)
            l1 += loss / 16;
    }
    *first = l0;
    *last = l1;
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)nc_supernet_params(sn);
    for (size_t i = 0; i < nc_supernet_n_params(sn) * sizeof(float); i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    *sum = h;
    nc_optim_free(opt);
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}

START_TEST(test_train_rules)
{
    for (int rule = NC_SUPER_SPOS; rule <= NC_SUPER_SANDWICH; rule++) {
        double a0, a1, b0, b1;
        uint64_t ha, hb, hc;
        train((nc_super_rule)rule, 1, &a0, &a1, &ha);
        train((nc_super_rule)rule, 1, &b0, &b1, &hb);
        ck_assert(ha == hb);
        ck_assert_msg(a1 < 0.8 * a0, "rule %d: loss %g -> %g", rule, a0, a1);
        /* Same seed and two threads, twice: bit-identical too. */
        train((nc_super_rule)rule, 2, &b0, &b1, &hb);
        train((nc_super_rule)rule, 2, &b0, &b1, &hc);
        ck_assert(hb == hc);
    }
}
END_TEST

/* Recalibration: the running statistics become the average batch
 * statistics of the subnet, so eval mode on the calibration set equals
 * train mode on it when it is one batch. */
START_TEST(test_recalibrate)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_supernet *sn = make(&ctx, small_opts(0), 31);
    nc_dataset *ds = nc_test_toy_dataset(6, 9);
    float x[6 * 64];
    int32_t y[6];
    uint32_t idx[6] = { 0, 1, 2, 3, 4, 5 };
    nc_arch a = no_none_arch(4);
    ck_assert(nc_supernet_set_arch(&ctx, sn, &a) == NC_OK);
    ck_assert(nc_supernet_recalibrate(&ctx, sn, ds, idx, 6, 6, x, y) == NC_OK);
    nc_batch_fill(ds, idx, 6, NULL, NULL, x, y);
    float ltrain, leval;
    ck_assert(nc_supernet_forward(&ctx, sn, x, y, 6, 1, &ltrain) == NC_OK);
    ck_assert(nc_supernet_forward(&ctx, sn, x, y, 6, 0, &leval) == NC_OK);
    /* Equal up to the unbiased-variance factor n/(n-1) of running stats. */
    ck_assert_msg(fabsf(ltrain - leval) < 0.05f * fabsf(ltrain) + 1e-3f,
                  "train %g eval %g", (double)ltrain, (double)leval);
    double acc, loss;
    ck_assert(nc_supernet_evaluate(&ctx, sn, ds, 4, x, y, &acc, &loss) == NC_OK);
    ck_assert(acc >= 0 && acc <= 1 && isfinite(loss));
    /* Errors: no arch, bad batch. */
    nc_supernet *fresh = make(&ctx, small_opts(0), 1);
    ck_assert_int_eq(nc_supernet_forward(&ctx, fresh, x, y, 6, 0, &leval),
                     NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "no architecture");
    nc_supernet_free(fresh);
    ck_assert_int_eq(nc_supernet_recalibrate(&ctx, sn, ds, idx, 6, 99, x, y),
                     NC_ERR_INVAL);
    nc_arch bad = a;
    bad.g[2] = 5;
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &bad), NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "gene 2");
    ck_assert_int_eq(nc_supernet_new(&ctx, nc_space_find("mlp"),
                                     &(nc_supernet_opts){ .in = { 1, 8, 8 },
                                     .n_classes = 3, .n_max = 2 }, &fresh),
                     NC_ERR_INVAL);
    nc_supernet_free(fresh);
    nc_supernet_free(sn);
    nc_dataset_free(ds);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("super_nb201");
    TCase *tc = tcase_create("super_nb201");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_subnet_equals_standalone);
    tcase_add_test(tc, test_gradcheck);
    tcase_add_test(tc, test_train_rules);
    tcase_add_test(tc, test_recalibrate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
