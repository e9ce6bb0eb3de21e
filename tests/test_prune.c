/*
 * test_prune.c — masks and unstructured pruning (prune/mask.h,
 * prune/magnitude.h): what may be pruned, exact counts globally and per
 * layer, magnitude order with ties to the lower index, monotone gradual
 * pruning, the seeded random control, applying a mask, the cubic schedule,
 * and refused sparsities.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "prune/magnitude.h"
#include "prune/mask.h"
#include "tests/util/testutil.h"

/* input (6,1,1) -> linear 4 (bias) -> relu -> linear 3 (no bias) */
static nc_net *two_linear(void)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 6, 1, 1 });
    int h = nc_net_relu(&ctx, net, nc_net_linear(&ctx, net, x, 4, 1));
    int y = nc_net_linear(&ctx, net, h, 3, 0);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 2), NC_OK);
    return net;
}

static size_t pruned_in(const nc_mask *m, size_t off, size_t n)
{
    size_t k = 0;
    for (size_t j = off; j < off + n; j++)
        k += !nc_mask_keep(m)[j];
    return k;
}

START_TEST(test_prunable)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_model_opts o = nc_model_defaults();
    o.in = (nc_shape){ 1, 28, 28 };
    o.n_classes = 10;
    nc_net *net;
    ck_assert_int_eq(nc_model_build(&ctx, "cnn", NULL, &o, 4, &net), NC_OK);
    nc_mask *m = nc_mask_new(net);
    ck_assert_ptr_nonnull(m);
    size_t want = 0;
    int layers = 0;
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info nd;
        nc_net_node(net, i, &nd);
        if (nd.kind == NC_OP_CONV2D || nd.kind == NC_OP_LINEAR) {
            want += nd.n_w - (nd.attr.bias ? (size_t)nd.attr.cout : 0);
            layers++;
        }
    }
    ck_assert_int_eq(nc_mask_layers(m), layers);
    ck_assert_uint_eq(nc_mask_prunable(m), want);
    ck_assert_uint_lt(want, nc_net_n_params(net));
    ck_assert_uint_eq(nc_mask_size(m), nc_net_n_params(net));
    ck_assert_uint_eq(nc_mask_pruned(m), 0);
    /* At 99% only weights go: biases and BN parameters stay. */
    nc_net_init_params(net, 1);
    float *w = nc_net_params(net);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.99, NC_PRUNE_GLOBAL, 0),
                     NC_OK);
    ck_assert_uint_eq(nc_mask_pruned(m), (size_t)llround(0.99 * want));
    nc_mask_apply(m, w);
    for (size_t j = 0; j < nc_mask_size(m); j++)
        if (!nc_mask_keep(m)[j])
            ck_assert(w[j] == 0.0f);
    nc_mask_free(m);
    nc_mask_free(NULL);
    /* Not finalized: no mask. */
    nc_net *raw = nc_net_new();
    ck_assert_ptr_null(nc_mask_new(raw));
    nc_net_free(raw);
    nc_net_free(net);
}
END_TEST

START_TEST(test_magnitude_order)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = two_linear();
    nc_mask *m = nc_mask_new(net);
    ck_assert_uint_eq(nc_mask_prunable(m), 24 + 12);
    int node;
    size_t off1, n1, off2, n2;
    nc_mask_layer(m, 0, &node, &off1, &n1);
    nc_mask_layer(m, 1, &node, &off2, &n2);
    ck_assert_uint_eq(n1, 24);
    ck_assert_uint_eq(n2, 12);
    float *w = nc_net_params(net);
    /* Layer 1's weights are 1..24 in magnitude with signs alternating,
     * layer 2's all 0.5 (ties), the bias 0. */
    for (size_t j = 0; j < n1; j++)
        w[off1 + j] = (j % 2 ? -1.0f : 1.0f) * (float)(j + 1);
    for (size_t j = 0; j < n2; j++)
        w[off2 + j] = 0.5f;
    /* Global 25%: 9 of 36, the 9 smallest: all ties at 0.5 come first
     * (9 of layer 2's 12, lowest indices). */
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.25, NC_PRUNE_GLOBAL, 0),
                     NC_OK);
    ck_assert_uint_eq(nc_mask_pruned(m), 9);
    for (size_t j = 0; j < n2; j++)
        ck_assert_int_eq(nc_mask_keep(m)[off2 + j], j < 9 ? 0 : 1);
    /* Asking for less changes nothing; for more, a superset. */
    char a[65], b[65];
    nc_mask_sha256(m, a);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.1, NC_PRUNE_GLOBAL, 0),
                     NC_OK);
    nc_mask_sha256(m, b);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.5, NC_PRUNE_GLOBAL, 0),
                     NC_OK);
    ck_assert_uint_eq(nc_mask_pruned(m), 18);
    /* 12 of layer 2, then |w| = 1..6 of layer 1. */
    ck_assert_uint_eq(pruned_in(m, off2, n2), 12);
    for (size_t j = 0; j < n1; j++)
        ck_assert_int_eq(nc_mask_keep(m)[off1 + j], j < 6 ? 0 : 1);
    nc_mask_free(m);

    /* Per layer: each layer to round(s * n) of its own weights. */
    m = nc_mask_new(net);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.5, NC_PRUNE_LAYER, 0),
                     NC_OK);
    ck_assert_uint_eq(pruned_in(m, off1, n1), 12);
    ck_assert_uint_eq(pruned_in(m, off2, n2), 6);
    for (size_t j = 0; j < n1; j++)
        ck_assert_int_eq(nc_mask_keep(m)[off1 + j], j < 12 ? 0 : 1);
    nc_mask_free(m);
    nc_net_free(net);
}
END_TEST

START_TEST(test_random_control)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = two_linear();
    nc_net_init_params(net, 3);
    float *w = nc_net_params(net);
    nc_mask *a = nc_mask_new(net), *b = nc_mask_new(net),
            *c = nc_mask_new(net);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, a, w, 0.5, NC_PRUNE_RANDOM, 7),
                     NC_OK);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, b, w, 0.5, NC_PRUNE_RANDOM, 7),
                     NC_OK);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, c, w, 0.5, NC_PRUNE_RANDOM, 8),
                     NC_OK);
    ck_assert(!memcmp(nc_mask_keep(a), nc_mask_keep(b), nc_mask_size(a)));
    ck_assert(memcmp(nc_mask_keep(a), nc_mask_keep(c), nc_mask_size(a)));
    int node;
    size_t off, n;
    for (int i = 0; i < 2; i++) {
        nc_mask_layer(a, i, &node, &off, &n);
        ck_assert_uint_eq(pruned_in(a, off, n), n / 2);
    }
    /* More sparsity keeps what was pruned. */
    uint8_t before[64];
    memcpy(before, nc_mask_keep(a), nc_mask_size(a));
    ck_assert_int_eq(nc_prune_magnitude(&ctx, a, w, 0.75, NC_PRUNE_RANDOM, 9),
                     NC_OK);
    for (size_t j = 0; j < nc_mask_size(a); j++)
        if (!before[j])
            ck_assert_int_eq(nc_mask_keep(a)[j], 0);
    ck_assert_uint_eq(nc_mask_pruned(a), 18 + 9);
    nc_mask_free(a);
    nc_mask_free(b);
    nc_mask_free(c);
    nc_net_free(net);
}
END_TEST

START_TEST(test_refused_and_cubic)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = two_linear();
    nc_mask *m = nc_mask_new(net);
    float *w = nc_net_params(net);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 1.0, NC_PRUNE_GLOBAL, 0),
                     NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "sparsity 1");
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, -0.1, NC_PRUNE_LAYER, 0),
                     NC_ERR_RANGE);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, NAN, NC_PRUNE_LAYER, 0),
                     NC_ERR_RANGE);
    ck_assert_int_eq(nc_prune_magnitude(&ctx, m, w, 0.5, (nc_prune_kind)9, 0),
                     NC_ERR_INVAL);
    ck_assert_uint_eq(nc_mask_pruned(m), 0);
    nc_mask_free(m);
    nc_net_free(net);

    ck_assert_double_eq(nc_prune_cubic(0.1, 0.9, 10, 100, 0), 0.1);
    ck_assert_double_eq(nc_prune_cubic(0.1, 0.9, 10, 100, 10), 0.1);
    ck_assert_double_eq_tol(nc_prune_cubic(0.1, 0.9, 10, 100, 60),
                            0.9 - 0.8 / 8, 1e-12);
    ck_assert_double_eq(nc_prune_cubic(0.1, 0.9, 10, 100, 110), 0.9);
    ck_assert_double_eq(nc_prune_cubic(0.1, 0.9, 10, 100, 500), 0.9);
    double prev = 0;
    for (int t = 0; t <= 120; t++) {
        double s = nc_prune_cubic(0, 0.9, 10, 100, t);
        ck_assert(s >= prev);
        prev = s;
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prune");
    TCase *tc = tcase_create("prune");
    tcase_add_test(tc, test_prunable);
    tcase_add_test(tc, test_magnitude_order);
    tcase_add_test(tc, test_random_control);
    tcase_add_test(tc, test_refused_and_cubic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
