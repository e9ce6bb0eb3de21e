/* Core: RNG, optimizers, schedules, net building and execution, whole-net
 * gradient checks, checkpoints and configurations. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gradcheck.h"
#include "core/net.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/rng.h"
#include "models/models.h"
#include "train/ckpt.h"
#include "train/train.h"

START_TEST(rng_is_a_pure_function_of_key_and_counter)
{
    nc_rng a = nc_rng_make(7, NC_STREAM(NC_PURPOSE_SHUFFLE, 3));
    nc_rng b = nc_rng_make(7, NC_STREAM(NC_PURPOSE_SHUFFLE, 3));
    nc_rng c = nc_rng_make(7, NC_STREAM(NC_PURPOSE_SHUFFLE, 4));
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = nc_rng_u32(&a), y = nc_rng_u32(&b), z = nc_rng_u32(&c);
        ck_assert_uint_eq(x, y);
        same_c += x == z;
    }
    ck_assert_int_lt(same_c, 3);
    /* Restoring from (seed, stream, counter) continues the same sequence. */
    nc_rng r = nc_rng_make(99, 5);
    for (int i = 0; i < 8; i++)
        nc_rng_u32(&r);
    nc_rng r2 = nc_rng_make(99, 5);
    r2.counter = r.counter;
    ck_assert_uint_eq(nc_rng_u32(&r), nc_rng_u32(&r2));
}
END_TEST

START_TEST(rng_distributions)
{
    nc_rng r = nc_rng_make(1, 1);
    double s = 0, s2 = 0;
    int hist[7] = { 0 };
    for (int i = 0; i < 70000; i++) {
        float g = nc_rng_normal(&r);
        s += g;
        s2 += g * g;
        uint32_t k = nc_rng_below(&r, 7);
        ck_assert_uint_lt(k, 7);
        hist[k]++;
        float u = nc_rng_uniform(&r);
        ck_assert(u >= 0 && u < 1);
    }
    ck_assert(fabs(s / 70000) < 0.02);
    ck_assert(fabs(s2 / 70000 - 1) < 0.03);
    for (int k = 0; k < 7; k++)
        ck_assert_int_gt(hist[k], 9500);
    uint32_t p[100];
    for (int i = 0; i < 100; i++)
        p[i] = i;
    nc_rng_shuffle_u32(&r, p, 100);
    int seen[100] = { 0 }, moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[p[i]]++;
        moved += p[i] != (uint32_t)i;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 80);
}
END_TEST

START_TEST(sgd_nesterov_matches_pytorch_formula)
{
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f, .nesterov = 1,
                        .weight_decay = 0.1f };
    nc_optim *o = nc_optim_new(&oc, 1);
    float w = 1.0f, g = 0.5f;
    /* step 1: g' = 0.5 + 0.1 = 0.6; v = 0.6; w -= 0.1*(0.6 + 0.9*0.6) */
    nc_optim_step(o, &w, &g, 0.1f);
    ck_assert_float_eq_tol(w, 1.0f - 0.1f * (0.6f + 0.54f), 1e-6f);
    /* step 2: g' = 0.5 + 0.1*w; v = 0.9*0.6 + g'; w -= 0.1*(g' + 0.9*v) */
    float w1 = w, gp = 0.5f + 0.1f * w1, v = 0.54f + gp;
    nc_optim_step(o, &w, &g, 0.1f);
    ck_assert_float_eq_tol(w, w1 - 0.1f * (gp + 0.9f * v), 1e-6f);
    ck_assert_int_eq(nc_optim_steps(o), 2);
    nc_optim_free(o);
    nc_optim_free(NULL);
}
END_TEST

START_TEST(adam_first_step_is_lr_sign)
{
    nc_optim_cfg oc = { .kind = NC_OPTIM_ADAM };
    nc_optim *o = nc_optim_new(&oc, 2);
    float w[2] = { 1, 1 }, g[2] = { 3, -0.01f };
    nc_optim_step(o, w, g, 0.01f);
    /* Bias-corrected first step moves every weight by ~lr against its sign. */
    ck_assert_float_eq_tol(w[0], 0.99f, 1e-5f);
    ck_assert_float_eq_tol(w[1], 1.01f, 1e-4f);
    ck_assert_uint_eq(nc_optim_state_len(o), 4);
    nc_optim_free(o);
}
END_TEST

START_TEST(schedules)
{
    nc_sched c = { .kind = NC_SCHED_COSINE, .base_lr = 1, .total_steps = 100 };
    ck_assert_float_eq_tol(nc_sched_lr(&c, 0), 1.0f, 1e-6f);
    ck_assert_float_eq_tol(nc_sched_lr(&c, 50), 0.5f, 1e-6f);
    ck_assert_float_eq_tol(nc_sched_lr(&c, 100), 0.0f, 1e-6f);
    c.warmup_steps = 10;
    ck_assert_float_eq_tol(nc_sched_lr(&c, 0), 0.1f, 1e-6f);
    ck_assert_float_eq_tol(nc_sched_lr(&c, 9), 1.0f, 1e-6f);
    ck_assert_float_eq_tol(nc_sched_lr(&c, 10), 1.0f, 1e-6f);
    nc_sched s = { .kind = NC_SCHED_STEP, .base_lr = 1, .step_size = 10, .gamma = 0.5f };
    ck_assert_float_eq_tol(nc_sched_lr(&s, 9), 1.0f, 1e-6f);
    ck_assert_float_eq_tol(nc_sched_lr(&s, 25), 0.25f, 1e-6f);
}
END_TEST

/* A small net that exercises every differentiable op and a DAG join, built
 * into net and finalized in arena (NULL: its own). */
static nc_status small_net_into(nc_ctx *ctx, nc_net *net, int n_max,
                                nc_arena *arena)
{
    int x = nc_net_input(ctx, net, (nc_shape){ 2, 6, 6 });
    int a = nc_net_conv(ctx, net, x, 4, 3, 1, 1, 1, 1);
    a = nc_net_bn(ctx, net, a, 1);
    int r = nc_net_relu(ctx, net, a);
    int b = nc_net_conv(ctx, net, r, 4, 3, 1, 1, 4, 0);
    int p = nc_net_avgpool(ctx, net, r, 3, 1, 1, 0);
    int ins[3] = { b, p, nc_net_identity(ctx, net, r) };
    int s = nc_net_sum(ctx, net, 3, ins);
    s = nc_net_maxpool(ctx, net, s, 2, 2, 0);
    int g = nc_net_gap(ctx, net, s);
    int f = nc_net_flatten(ctx, net, nc_net_conv(ctx, net, s, 3, 1, 1, 0, 1, 1));
    (void)g;
    int y = nc_net_linear(ctx, net, f, 5, 1);
    nc_status st = nc_net_finalize_in(ctx, net, y, n_max, arena);
    if (!st)
        nc_net_init_params(net, 3);
    return st;
}

static nc_net *small_net(nc_ctx *ctx, int n_max)
{
    nc_net *net = nc_net_new();
    ck_assert_msg(small_net_into(ctx, net, n_max, NULL) == NC_OK, "%s", ctx->msg);
    return net;
}

START_TEST(whole_net_gradient_check)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = small_net(&ctx, 4);
    float x[4 * 2 * 36];
    int32_t y[4] = { 0, 3, 4, 1 };
    nc_rng r = nc_rng_make(5, 5);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = nc_rng_normal(&r);
    double err;
    nc_status st = nc_gradcheck_net(&ctx, net, x, y, 4, 400, 2e-2, &err);
    ck_assert_msg(st == NC_OK, "%s", ctx.msg);
    nc_net_free(net);
}
END_TEST

/* Frozen ReLUs: the same forward at the freezing point, the old pattern
 * kept where the weights now say otherwise, a smooth net for the gradient
 * check, the batch size held, and plain ReLUs again after the thaw. */
START_TEST(relu_freeze_keeps_the_pattern)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = small_net(&ctx, 4);
    float x[4 * 2 * 36];
    int32_t y[4] = { 0, 3, 4, 1 };
    nc_rng r = nc_rng_make(5, 6);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = nc_rng_normal(&r);
    float l0, l1, l2, l3;
    ck_assert_int_eq(nc_net_relu_freeze(&ctx, net), NC_ERR_STATE);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, y, 4, 1, &l0), NC_OK);
    ck_assert_int_eq(nc_net_relu_freeze(&ctx, net), NC_OK);
    ck_assert_int_eq(nc_net_relu_frozen_n(net), 4);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, y, 4, 1, &l1), NC_OK);
    ck_assert(l0 == l1);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, y, 2, 1, &l1), NC_ERR_STATE);
    double err;
    ck_assert_msg(nc_gradcheck_net(&ctx, net, x, y, 4, 400, 2e-2, &err) == NC_OK,
                  "%s", ctx.msg);
    /* Move every parameter far: plain ReLUs switch some units, the frozen
     * ones keep the old pattern, so the losses differ. */
    float *w = nc_net_params(net);
    for (size_t i = 0; i < nc_net_n_params(net); i++)
        w[i] += nc_rng_normal(&r);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, y, 4, 1, &l2), NC_OK);
    nc_net_relu_thaw(net);
    ck_assert_int_eq(nc_net_relu_frozen_n(net), 0);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, y, 4, 1, &l3), NC_OK);
    ck_assert(l2 != l3);
    nc_net_relu_thaw(net);
    nc_net_relu_thaw(NULL);
    nc_net_free(net);
}
END_TEST

START_TEST(forward_backward_are_deterministic)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *a = small_net(&ctx, 4), *b = small_net(&ctx, 4);
    float x[4 * 2 * 36];
    int32_t y[4] = { 0, 1, 2, 3 };
    nc_rng r = nc_rng_make(6, 6);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = nc_rng_normal(&r);
    float la, lb;
    nc_net *nets[2] = { a, b };
    float *ls[2] = { &la, &lb };
    for (int k = 0; k < 2; k++) {
        nc_net_zero_grad(nets[k]);
        ck_assert_int_eq(nc_net_forward(&ctx, nets[k], x, y, 4, 1, ls[k]), NC_OK);
        ck_assert_int_eq(nc_net_backward(&ctx, nets[k]), NC_OK);
    }
    ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    ck_assert(memcmp(nc_net_grads(a), nc_net_grads(b),
                     nc_net_n_params(a) * sizeof(float)) == 0);
    /* A smaller batch than n_max runs too. */
    ck_assert_int_eq(nc_net_forward(&ctx, a, x, y, 2, 0, &la), NC_OK);
    ck_assert(isfinite(la));
    nc_net_free(a);
    nc_net_free(b);
}
END_TEST

/* Nets in one arena: a bigger net grows it, and a net finalized before
 * follows it there, computing exactly what a net with its own arena does. */
START_TEST(shared_arena)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arena *arena = nc_arena_new();
    ck_assert_ptr_nonnull(arena);
    nc_net *own = small_net(&ctx, 4), *small = nc_net_new(), *big = nc_net_new();
    ck_assert_msg(small_net_into(&ctx, small, 4, arena) == NC_OK, "%s", ctx.msg);
    size_t before = nc_arena_floats(arena);
    ck_assert_msg(small_net_into(&ctx, big, 64, arena) == NC_OK, "%s", ctx.msg);
    ck_assert(nc_arena_floats(arena) > before);
    float x[4 * 2 * 36], la, lb;
    int32_t y[4] = { 0, 1, 2, 3 };
    nc_rng r = nc_rng_make(7, 7);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = nc_rng_normal(&r);
    for (int rep = 0; rep < 2; rep++) {
        nc_net_zero_grad(own);
        nc_net_zero_grad(small);
        ck_assert(nc_net_forward(&ctx, big, x, y, 4, 1, &la) == NC_OK);
        ck_assert(nc_net_forward(&ctx, own, x, y, 4, 1, &la) == NC_OK);
        ck_assert(nc_net_backward(&ctx, own) == NC_OK);
        ck_assert(nc_net_forward(&ctx, small, x, y, 4, 1, &lb) == NC_OK);
        ck_assert(nc_net_backward(&ctx, small) == NC_OK);
        ck_assert(la == lb);
        ck_assert(memcmp(nc_net_grads(own), nc_net_grads(small),
                         nc_net_n_params(own) * sizeof(float)) == 0);
    }
    nc_net_free(own);
    nc_net_free(small);
    nc_net_free(big);
    nc_arena_free(arena);
    nc_arena_free(NULL);
}
END_TEST

/* Sum of r * logits for the last forward, in double. */
static double dot_logits(const nc_net *net, const float *r, int n)
{
    const float *z = nc_net_logits(net);
    double s = 0;
    for (int i = 0; i < nc_net_n_classes(net) * n; i++)
        s += (double)r[i] * z[i];
    return s;
}

/* The input gradient of R = sum(r * logits) in training mode (batch-norm
 * statistics depend on the whole batch) matches central differences. */
START_TEST(input_gradient_matches_finite_differences)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    ck_assert_int_eq(nc_net_want_input_grad(&ctx, net), NC_OK);
    ck_assert_msg(small_net_into(&ctx, net, 3, NULL) == NC_OK, "%s", ctx.msg);
    /* Too late once finalized. */
    ck_assert_int_eq(nc_net_want_input_grad(&ctx, net), NC_ERR_STATE);
    enum { N = 3, D = 2 * 36 };
    float x[N * D], r[5 * N];
    nc_rng g = nc_rng_make(11, 1);
    for (int i = 0; i < N * D; i++)
        x[i] = nc_rng_normal(&g);
    for (int i = 0; i < 5 * N; i++)
        r[i] = nc_rng_normal(&g);
    ck_assert_ptr_null(nc_net_node_grad(net, 0));
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, NULL, N, 1, NULL), NC_OK);
    ck_assert_ptr_null(nc_net_node_grad(net, 0));   /* no backward yet */
    ck_assert_int_eq(nc_net_backward_from(&ctx, net, r), NC_OK);
    const float *dx0 = nc_net_node_grad(net, 0);
    ck_assert_ptr_nonnull(dx0);
    float dx[N * D];
    memcpy(dx, dx0, sizeof dx);
    for (int i = 0; i < N * D; i += 5) {
        float keep = x[i];
        x[i] = keep + 1e-2f;
        nc_net_forward(&ctx, net, x, NULL, N, 1, NULL);
        double up = dot_logits(net, r, N);
        x[i] = keep - 1e-2f;
        nc_net_forward(&ctx, net, x, NULL, N, 1, NULL);
        double dn = dot_logits(net, r, N);
        x[i] = keep;
        double num = (up - dn) / 2e-2;
        double tol = 2e-2 * fmax(1.0, fmax(fabs(num), fabs(dx[i])));
        ck_assert_msg(fabs(num - dx[i]) <= tol, "x[%d]: analytic %g numeric %g",
                      i, (double)dx[i], num);
    }
    nc_net_free(net);
}
END_TEST

/* backward_from with the softmax-CE gradient of the logits is the loss
 * backward; node outputs and gradients are readable and NULL where the
 * node did not run. */
START_TEST(backward_from_and_node_access)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { N = 4, F = 5 };
    nc_net *a = small_net(&ctx, N), *b = small_net(&ctx, N);
    float x[N * 2 * 36];
    int32_t y[N] = { 0, 3, 4, 1 };
    nc_rng g = nc_rng_make(12, 1);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = nc_rng_normal(&g);
    /* Errors first: no forward yet, no gradient given. */
    ck_assert_int_eq(nc_net_backward_from(&ctx, a, x), NC_ERR_STATE);
    ck_assert_ptr_null(nc_net_node_output(a, 1));
    nc_net_zero_grad(a);
    nc_net_zero_grad(b);
    ck_assert_int_eq(nc_net_forward(&ctx, a, x, y, N, 1, NULL), NC_OK);
    ck_assert_int_eq(nc_net_backward_from(&ctx, a, NULL), NC_ERR_INVAL);
    ck_assert_int_eq(nc_net_backward(&ctx, a), NC_OK);
    ck_assert_int_eq(nc_net_forward(&ctx, b, x, y, N, 1, NULL), NC_OK);
    int out = nc_net_output_node(b);
    ck_assert_ptr_eq(nc_net_node_output(b, out), nc_net_logits(b));
    ck_assert_ptr_eq(nc_net_node_output(b, 0), x);
    ck_assert_ptr_null(nc_net_node_output(b, 9));   /* the unread gap */
    ck_assert_ptr_null(nc_net_node_output(b, -1));
    ck_assert_ptr_null(nc_net_node_output(b, 1000));
    /* dL/dz = (softmax(z) - onehot) / N, column i of the CNHW logits. */
    const float *z = nc_net_logits(b);
    float dz[F * N];
    for (int i = 0; i < N; i++) {
        double m = -INFINITY, s = 0;
        for (int c = 0; c < F; c++)
            m = fmax(m, z[c * N + i]);
        for (int c = 0; c < F; c++)
            s += exp(z[c * N + i] - m);
        for (int c = 0; c < F; c++)
            dz[c * N + i] = (float)((exp(z[c * N + i] - m) / s - (c == y[i])) / N);
    }
    ck_assert_int_eq(nc_net_backward_from(&ctx, b, dz), NC_OK);
    const float *ga = nc_net_grads(a), *gb = nc_net_grads(b);
    for (size_t i = 0; i < nc_net_n_params(a); i++)
        ck_assert_msg(fabsf(ga[i] - gb[i]) <= 1e-5f * fmaxf(1.0f, fabsf(ga[i])),
                      "param %zu: %g vs %g", i, (double)ga[i], (double)gb[i]);
    /* The loss backward leaves the same logit gradient readable. */
    const float *dza = nc_net_node_grad(a, out);
    ck_assert_ptr_nonnull(dza);
    for (int i = 0; i < F * N; i++)
        ck_assert_float_eq_tol(dza[i], dz[i], 1e-6f);
    ck_assert_ptr_nonnull(nc_net_node_grad(b, 1));  /* the first conv */
    ck_assert_ptr_null(nc_net_node_grad(b, 0));     /* input: not opted in */
    ck_assert_ptr_null(nc_net_node_grad(b, 9));     /* dead end */
    /* The loss backward still works after a backward_from on the same
     * forward (it re-roots the gradient), and a new forward invalidates
     * the gradients until the next backward. */
    nc_net_zero_grad(b);
    ck_assert_int_eq(nc_net_backward(&ctx, b), NC_OK);
    ck_assert(memcmp(ga, gb, nc_net_n_params(a) * sizeof(float)) == 0);
    ck_assert_int_eq(nc_net_forward(&ctx, b, x, NULL, N, 0, NULL), NC_OK);
    ck_assert_ptr_null(nc_net_node_grad(b, 1));
    nc_net_free(a);
    nc_net_free(b);
}
END_TEST

/* A signal reaches the logits unless every path passes a ZERO op. */
START_TEST(input_reaches_output)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (int connected = 0; connected < 2; connected++) {
        nc_net *net = nc_net_new();
        ck_assert_int_eq(nc_net_input_reaches_output(net), -1);
        int x = nc_net_input(&ctx, net, (nc_shape){ 2, 4, 4 });
        int c = nc_net_conv(&ctx, net, x, 3, 3, 1, 1, 1, 0);
        int z = nc_net_zero(&ctx, net, c, 1);
        int s = z;
        if (connected) {
            int ins[2] = { z, nc_net_avgpool(&ctx, net, c, 3, 1, 1, 0) };
            s = nc_net_sum(&ctx, net, 2, ins);
        }
        int y = nc_net_linear(&ctx, net, nc_net_flatten(&ctx, net,
                              nc_net_gap(&ctx, net, s)), 2, 1);
        ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 2), NC_OK);
        ck_assert_int_eq(nc_net_input_reaches_output(net), connected);
        nc_net_free(net);
    }
}
END_TEST

START_TEST(net_build_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 3, 8, 8 });
    int c = nc_net_conv(&ctx, net, x, 4, 3, 1, 1, 1, 0);
    int ins[2] = { x, c };
    ck_assert_int_eq(nc_net_sum(&ctx, net, 2, ins), -1);
    ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "shape"));
    int bad = 42;
    ck_assert_int_eq(nc_net_add(&ctx, net, NC_OP_RELU, NULL, 1, &bad), -1);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "does not exist"));
    /* -1 propagates without a new message. */
    nc_ctx_clear(&ctx);
    ck_assert_int_eq(nc_net_relu(&ctx, net, -1), -1);
    ck_assert_int_eq(ctx.status, NC_OK);
    /* The output must be a logits vector. */
    ck_assert_int_eq(nc_net_finalize(&ctx, net, c, 2), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "output"));
    nc_net_free(net);
    nc_net_free(NULL);
    /* Labels out of range are refused, not read out of bounds. */
    net = small_net(&ctx, 2);
    float xx[2 * 2 * 36] = { 0 };
    int32_t yy[2] = { 0, 5 };
    ck_assert_int_eq(nc_net_forward(&ctx, net, xx, yy, 2, 1, NULL), NC_ERR_RANGE);
    ck_assert_int_eq(nc_net_forward(&ctx, net, xx, yy, 3, 1, NULL), NC_ERR_INVAL);
    nc_net_free(net);
}
END_TEST

START_TEST(models_build_with_expected_sizes)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_model_opts mo = nc_model_defaults();
    nc_net *net;
    ck_assert_int_eq(nc_model_build(&ctx, "mlp", NULL, &mo, 8, &net), NC_OK);
    ck_assert_uint_eq(nc_net_n_params(net),
                      784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
    ck_assert(fabs(nc_net_macs(net) - (784 * 512 + 512 * 256 + 256 * 10)) < 1);
    nc_net_free(net);
    ck_assert_int_eq(nc_model_build(&ctx, "cnn", NULL, &mo, 8, &net), NC_OK);
    size_t want = (9 * 32 + 32) + 64 + (9 * 32 * 64 + 64) + 128 +
                  (3136 * 128 + 128) + (128 * 10 + 10);
    ck_assert_uint_eq(nc_net_n_params(net), want);
    nc_net_free(net);
    ck_assert_int_eq(nc_model_build(&ctx, "resnet", NULL, &mo, 8, &net), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "resnet"));
    ck_assert_int_eq(nc_model_build(&ctx, "nb201", "|bogus~0|", &mo, 8, &net),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_model_build(&ctx, "nb201", NULL, &mo, 8, &net), NC_ERR_INVAL);
}
END_TEST

START_TEST(checkpoint_round_trip_and_mismatch)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *a = small_net(&ctx, 2);
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f };
    nc_optim *oa = nc_optim_new(&oc, nc_net_n_params(a));
    for (size_t i = 0; i < nc_optim_state_len(oa); i++)
        nc_optim_state(oa)[i] = (float)i;
    nc_optim_set_steps(oa, 77);
    void *blob;
    size_t len;
    ck_assert_int_eq(nc_ckpt_pack(&ctx, a, oa, 3, 1234, &blob, &len), NC_OK);
    nc_net *b = small_net(&ctx, 2);
    nc_net_init_params(b, 999);
    nc_optim *ob = nc_optim_new(&oc, nc_net_n_params(b));
    int ep;
    int64_t step;
    ck_assert_int_eq(nc_ckpt_unpack(&ctx, blob, len, b, ob, &ep, &step), NC_OK);
    ck_assert_int_eq(ep, 3);
    ck_assert_int_eq(step, 1234);
    ck_assert_int_eq(nc_optim_steps(ob), 77);
    char ha[65], hb[65];
    nc_net_weights_sha256(a, ha);
    nc_net_weights_sha256(b, hb);
    ck_assert_str_eq(ha, hb);
    ck_assert_int_eq(nc_ckpt_unpack(&ctx, blob, len - 4, b, ob, &ep, &step),
                     NC_ERR_FORMAT);
    ((char *)blob)[0] = 'X';
    ck_assert_int_eq(nc_ckpt_unpack(&ctx, blob, len, b, ob, &ep, &step),
                     NC_ERR_FORMAT);
    free(blob);
    nc_optim_free(oa);
    nc_optim_free(ob);
    nc_net_free(a);
    nc_net_free(b);
}
END_TEST

START_TEST(config_json_round_trip_and_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_train_cfg c = nc_train_cfg_defaults(), d;
    c.seed = 18446744073709551615ull;
    strcpy(c.model, "nb201");
    strcpy(c.arch, "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    char *js = nc_train_cfg_to_json(&c);
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, js, &d), NC_OK);
    /* Compared through the serialization, not memcmp: padding bytes are not
     * part of the value. */
    char *js2 = nc_train_cfg_to_json(&d);
    ck_assert_str_eq(js, js2);
    ck_assert(d.seed == c.seed);
    ck_assert_str_eq(d.arch, c.arch);
    free(js2);
    free(js);
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, "{\"model\":\"cnn\"}", &d),
                     NC_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "'arch'"));
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, "[1,2", &d), NC_ERR_FORMAT);
    /* A repeated key is refused by name (core/cfgtab.h; test_cfgtab.c has
     * the rest). */
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, "{\"epochs\":1,\"epochs\":2}",
                                            &d), NC_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "duplicate key 'epochs'"));
    c = nc_train_cfg_defaults();
    c.epochs = 0;
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "epochs"));
    c = nc_train_cfg_defaults();
    c.lr = NAN;
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_RANGE);
    c = nc_train_cfg_defaults();
    strcpy(c.model, "vgg");
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_INVAL);
}
END_TEST

typedef struct pool_probe {
    int hits[1000];
    int thread_of[1000];
} pool_probe;

static void pool_probe_fn(void *arg, int task, int thread)
{
    pool_probe *p = arg;
    p->hits[task]++;
    p->thread_of[task] = thread;
}

START_TEST(pool_runs_every_task_once_on_its_fixed_thread)
{
    for (int threads = 1; threads <= 3; threads++) {
        nc_pool *pool = nc_pool_new(threads);
        ck_assert_int_eq(nc_pool_threads(pool), threads);
        for (int round = 0; round < 50; round++) {
            pool_probe p;
            memset(&p, 0, sizeof p);
            int n = 1 + round * 19 % 1000;
            nc_pool_run(pool, n, pool_probe_fn, &p);
            for (int t = 0; t < n; t++) {
                ck_assert_int_eq(p.hits[t], 1);
                ck_assert_int_eq(p.thread_of[t], t % threads);
            }
            ck_assert_int_eq(p.hits[n], 0);
        }
        nc_pool_free(pool);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rng_is_a_pure_function_of_key_and_counter);
    tcase_add_test(tc, rng_distributions);
    tcase_add_test(tc, pool_runs_every_task_once_on_its_fixed_thread);
    tcase_add_test(tc, sgd_nesterov_matches_pytorch_formula);
    tcase_add_test(tc, adam_first_step_is_lr_sign);
    tcase_add_test(tc, schedules);
    tcase_add_test(tc, whole_net_gradient_check);
    tcase_add_test(tc, forward_backward_are_deterministic);
    tcase_add_test(tc, net_build_errors);
    tcase_add_test(tc, input_gradient_matches_finite_differences);
    tcase_add_test(tc, backward_from_and_node_access);
    tcase_add_test(tc, relu_freeze_keeps_the_pattern);
    tcase_add_test(tc, input_reaches_output);
    tcase_add_test(tc, shared_arena);
    tcase_add_test(tc, models_build_with_expected_sizes);
    tcase_add_test(tc, checkpoint_round_trip_and_mismatch);
    tcase_add_test(tc, config_json_round_trip_and_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
