/*
 * test_ops_misc.c — the parameter-light ops: input, relu, identity, zero,
 * flatten, sum, softmax_xent; the op table and the shape errors of every op
 * here and in test_ops_norm.c / test_ops_pool.c; nc_par_for.
 *
 * Every op with a gradient is checked against finite differences; forward
 * values are compared with direct-loop references written independently of
 * the kernels; shape errors must give NC_ERR_INVAL.
 *
 * Threads: every op splits its work so that each output element is computed
 * by one thread exactly as single-threaded, so forward and backward with a
 * 2- and 3-thread pool must match 1 thread bit for bit (tensors are made
 * large enough for the ops to actually use the pool). The op harness
 * (nc_trun) and the thread check are in tests/util/testutil.c.
 */
#include "core/op.h"
#include "core/ops/par.h"
#include "core/pool.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ------------------------------------------------------------ */

START_TEST(test_rows)
{
    static const struct { nc_op_kind k; const char *name; int lo, hi; } rows[] = {
        { NC_OP_INPUT, "input", 0, 0 },
        { NC_OP_BATCHNORM, "batchnorm", 1, 1 },
        { NC_OP_RELU, "relu", 1, 1 },
        { NC_OP_MAXPOOL, "maxpool", 1, 1 },
        { NC_OP_AVGPOOL, "avgpool", 1, 1 },
        { NC_OP_GAP, "gap", 1, 1 },
        { NC_OP_SUM, "sum", 1, NC_MAX_IN },
        { NC_OP_ZERO, "zero", 1, 1 },
        { NC_OP_IDENTITY, "identity", 1, 1 },
        { NC_OP_FLATTEN, "flatten", 1, 1 },
        { NC_OP_SOFTMAX_XENT, "softmax_xent", 1, 1 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const nc_op_def *d = nc_op_get(rows[i].k);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d->name, rows[i].name);
        ck_assert_int_eq(nc_op_find(rows[i].name), (int)rows[i].k);
        ck_assert_int_eq(d->min_in, rows[i].lo);
        ck_assert_int_eq(d->max_in, rows[i].hi);
        ck_assert_ptr_nonnull(d->shape);
        /* Only the data node and the zero edge have no gradient. */
        int has_kernels = rows[i].k != NC_OP_INPUT;
        ck_assert_int_eq(d->forward != NULL, has_kernels);
        ck_assert_int_eq(d->backward != NULL,
                         has_kernels && rows[i].k != NC_OP_ZERO);
        /* NB201 counts MACs of convolutions and linear layers only. */
        ck_assert(!d->macs);
    }
}
END_TEST

START_TEST(test_input_shape_harmless)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_op_def *d = nc_op_get(NC_OP_INPUT);
    nc_shape out = { 7, 8, 9 };
    ck_assert_int_eq(d->shape(&ctx, NULL, 0, NULL, &out), NC_ERR_INVAL);
    ck_assert(ctx.msg[0]);
    ck_assert(out.c == 7 && out.h == 8 && out.w == 9);
    ck_assert(!d->n_params && !d->n_state && !d->init);
}
END_TEST

/* ---- the elementwise and reshaping ops ------------------------------------ */

START_TEST(test_relu)
{
    nc_shape in = { 3, 4, 5 };
    int n = 2;
    size_t m = (size_t)n * 60;
    float *x = malloc(m * sizeof(float));
    ck_assert_ptr_nonnull(x);
    nc_test_fill_normal(x, m, 20);
    for (size_t i = 0; i < m; i++)   /* keep every input 0.05 away from the kink */
        x[i] = x[i] >= 0 ? x[i] + 0.05f : x[i] - 0.05f;
    const float *xs[1] = { x };
    nc_test_gradcheck(NC_OP_RELU, NULL, 1, &in, n, 1, xs, 1e-3);

    nc_trun r;
    nc_trun_init(&r, NC_OP_RELU, NULL, 1, &in, n, 1);
    memcpy(r.x[0], x, m * sizeof(float));
    r.x[0][0] = 0.0f;
    r.d->forward(&r.e);
    nc_test_fill_normal(r.dy, m, 21);
    for (size_t i = 0; i < m; i++)
        r.dx[0][i] = 1.0f;
    r.d->backward(&r.e);
    for (size_t i = 0; i < m; i++) {
        ck_assert_float_eq(r.y[i], r.x[0][i] > 0 ? r.x[0][i] : 0.0f);
        ck_assert_float_eq(r.dx[0][i], 1.0f + (r.x[0][i] > 0 ? r.dy[i] : 0.0f));
    }
    free(x);
    nc_trun_free(&r);
}
END_TEST

START_TEST(test_identity)
{
    nc_shape in = { 2, 3, 3 };
    nc_test_gradcheck(NC_OP_IDENTITY, NULL, 1, &in, 3, 1, NULL, 1e-3);
    nc_trun r;
    nc_trun_init(&r, NC_OP_IDENTITY, NULL, 1, &in, 3, 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 22);
    r.d->forward(&r.e);
    ck_assert(memcmp(r.y, r.x[0], r.ny * sizeof(float)) == 0);
    nc_trun_free(&r);
}
END_TEST

START_TEST(test_sum)
{
    nc_shape in[3] = { { 2, 3, 4 }, { 2, 3, 4 }, { 2, 3, 4 } };
    nc_test_gradcheck(NC_OP_SUM, NULL, 3, in, 2, 1, NULL, 1e-3);
    nc_test_gradcheck(NC_OP_SUM, NULL, 1, in, 2, 1, NULL, 1e-3);
    nc_trun r;
    nc_trun_init(&r, NC_OP_SUM, NULL, 3, in, 2, 1);
    for (int k = 0; k < 3; k++)
        nc_test_fill_normal(r.x[k], r.nx[k], 30 + (uint64_t)k);
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert_float_eq(r.y[i], (r.x[0][i] + r.x[1][i]) + r.x[2][i]);
    nc_test_fill_normal(r.dy, r.ny, 33);
    r.e.dx[1] = NULL;   /* a frozen input is skipped */
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.ny; i++) {
        ck_assert_float_eq(r.dx[0][i], r.dy[i]);
        ck_assert_float_eq(r.dx[1][i], 0.0f);
        ck_assert_float_eq(r.dx[2][i], r.dy[i]);
    }
    nc_trun_free(&r);
}
END_TEST

START_TEST(test_flatten)
{
    nc_shape in = { 2, 3, 4 };
    nc_test_gradcheck(NC_OP_FLATTEN, NULL, 1, &in, 3, 1, NULL, 1e-3);
    nc_shape big = { 3, 7, 9 };   /* n and h*w beyond one 32-wide tile */
    nc_test_gradcheck(NC_OP_FLATTEN, NULL, 1, &big, 37, 1, NULL, 1e-3);

    /* Order: feature f = (c*h + y)*w + x as torch.flatten(NCHW, 1). */
    int n = 3, C = 2, H = 3, W = 4;
    nc_trun r;
    nc_trun_init(&r, NC_OP_FLATTEN, NULL, 1, &in, n, 1);
    ck_assert(r.e.out.c == 24 && r.e.out.h == 1 && r.e.out.w == 1);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    r.x[0][((c * n + i) * H + y) * W + x] =
                        (float)(1000 * i + 100 * c + 10 * y + x);
    r.d->forward(&r.e);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int f = (c * H + y) * W + x;
                    ck_assert_float_eq(r.y[f * n + i],
                                       (float)(1000 * i + 100 * c + 10 * y + x));
                }
    /* Backward is the inverse permutation, added on top. */
    for (size_t i = 0; i < r.ny; i++) {
        r.dy[i] = r.y[i];
        r.dx[0][i] = 1.0f;
    }
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        ck_assert_float_eq(r.dx[0][i], r.x[0][i] + 1.0f);
    nc_trun_free(&r);

    /* (c,1,1) is already flat: a copy. */
    nc_shape flat = { 5, 1, 1 };
    nc_test_gradcheck(NC_OP_FLATTEN, NULL, 1, &flat, 4, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_zero)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_op_def *d = nc_op_get(NC_OP_ZERO);
    nc_shape in = { 3, 5, 6 }, out;
    nc_attr a = { 0 };
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == 3 && out.h == 5 && out.w == 6);
    a.stride = 2;   /* x[:, :, ::2, ::2] * 0 */
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == 3 && out.h == 3 && out.w == 3);
    a.stride = 3;
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.h == 2 && out.w == 2);

    nc_trun r;
    a.stride = 2;
    nc_trun_init(&r, NC_OP_ZERO, &a, 1, &in, 2, 1);
    nc_test_fill_normal(r.x[0], r.nx[0], 40);
    for (size_t i = 0; i < r.ny; i++)
        r.y[i] = NAN;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert(r.y[i] == 0.0f && !signbit(r.y[i]));
    nc_trun_free(&r);
}
END_TEST

/* ---- softmax cross-entropy ------------------------------------------------ */

START_TEST(test_softmax_xent_gradcheck)
{
    nc_shape in = { 5, 1, 1 };
    nc_test_gradcheck(NC_OP_SOFTMAX_XENT, NULL, 1, &in, 3, 1, NULL, 1e-3);
    nc_shape two = { 2, 1, 1 };
    nc_test_gradcheck(NC_OP_SOFTMAX_XENT, NULL, 1, &two, 9, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_softmax_xent_values)
{
    int F = 4, n = 3;
    nc_shape in = { F, 1, 1 };
    nc_trun r;
    nc_trun_init(&r, NC_OP_SOFTMAX_XENT, NULL, 1, &in, n, 1);
    ck_assert(r.e.out.c == 1 && r.e.out.h == 1 && r.e.out.w == 1);
    /* Sample 0: moderate logits; 1: equal logits (loss = log F);
     * 2: huge logits that overflow a naive exp. */
    float logits[3][4] = { { 1.0f, 2.0f, -0.5f, 0.25f },
                           { 7.0f, 7.0f, 7.0f, 7.0f },
                           { 1e4f, -1e4f, 3e4f, 2.99e4f } };
    int32_t lab[3] = { 2, 0, 3 };
    for (int i = 0; i < n; i++) {
        for (int f = 0; f < F; f++)
            r.x[0][f * n + i] = logits[i][f];
        r.labels[i] = lab[i];
    }
    r.d->forward(&r.e);
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int f = 0; f < F; f++)
            mx = fmax(mx, logits[i][f]);
        for (int f = 0; f < F; f++)
            s += exp((double)logits[i][f] - mx);
        double want = log(s) + mx - logits[i][lab[i]];
        ck_assert_msg(isfinite(r.y[i]), "loss %d not finite", i);
        NC_ASSERT_CLOSE(r.y[i], want, 1e-5, "loss %d: %g vs %g", i, (double)r.y[i], want);
        /* Backward: dy * (softmax - onehot). */
        r.dy[i] = 0.5f + (float)i;
        for (int f = 0; f < F; f++)
            r.dx[0][f * n + i] = 0.0f;
    }
    NC_ASSERT_CLOSE(r.y[1], log(4.0), 1e-6, "uniform logits");
    NC_ASSERT_CLOSE(r.y[2], 100.0, 1e-5, "huge logits");   /* 3e4 - 2.99e4 */
    r.d->backward(&r.e);
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int f = 0; f < F; f++)
            mx = fmax(mx, logits[i][f]);
        for (int f = 0; f < F; f++)
            s += exp((double)logits[i][f] - mx);
        for (int f = 0; f < F; f++) {
            double p = exp((double)logits[i][f] - mx) / s;
            double want = r.dy[i] * (p - (f == lab[i]));
            NC_ASSERT_CLOSE(r.dx[0][f * n + i], want, 1e-6, "dx f%d n%d: %g vs %g", f, i,
                            (double)r.dx[0][f * n + i], want);
            ck_assert(isfinite(r.dx[0][f * n + i]));
        }
    }
    /* A label out of range gives a NaN loss, never an out-of-bounds read. */
    r.labels[0] = F;
    r.labels[1] = -1;
    r.d->forward(&r.e);
    ck_assert(isnan(r.y[0]) && isnan(r.y[1]) && isfinite(r.y[2]));
    nc_trun_free(&r);
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

typedef struct par_probe {
    size_t n, align;
    int threads_seen[4];
    unsigned char *hit;
} par_probe;

static void par_probe_fn(void *arg, size_t lo, size_t hi, int thread)
{
    par_probe *p = arg;
    /* Spans are disjoint, so these writes never race; everything is
     * checked after nc_par_for returns (Check's asserts are not for
     * worker threads). A span that breaks a rule marks its items twice. */
    int ok = lo < hi && hi <= p->n && lo % p->align == 0 &&
             (hi % p->align == 0 || hi == p->n) && thread >= 0 && thread < 4;
    for (size_t i = lo; i < hi && i < p->n; i++)
        p->hit[i] += ok ? 1 : 2;
    if (thread >= 0 && thread < 4)
        p->threads_seen[thread]++;
}

/* Every item is visited exactly once, in spans on their own threads; a
 * small loop stays on the caller. */
START_TEST(test_par_for_spans)
{
    static const size_t ns[] = { 1, 2, 15, 16, 17, 33, 1000, 40001 };
    for (int threads = 1; threads <= 3; threads++) {
        nc_pool *pool = nc_pool_new(threads);
        nc_exec e = { .pool = pool, .threads = nc_pool_threads(pool) };
        for (size_t a = 0; a < 2; a++)
            for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
                for (int big = 0; big < 2; big++) {
                    par_probe p = { .n = ns[k], .align = a ? NC_PAR_LINE : 1 };
                    p.hit = calloc(ns[k], 1);
                    ck_assert_ptr_nonnull(p.hit);
                    nc_par_for(&e, p.n, p.align, big ? NC_PAR_MIN_FLOATS : 100,
                               par_probe_fn, &p);
                    size_t i = 0;
                    while (i < p.n && p.hit[i] == 1)
                        i++;
                    ck_assert_msg(i == p.n, "n %zu align %zu: item %zu visited %d times",
                                  p.n, p.align, i, i < p.n ? p.hit[i] : 1);
                    size_t blocks = (p.n + p.align - 1) / p.align;
                    int want = big ? (int)(blocks < (size_t)threads ? blocks
                                                                    : (size_t)threads)
                                   : 1;
                    for (int t = 0; t < 4; t++)
                        ck_assert_int_eq(p.threads_seen[t], t < want);
                    free(p.hit);
                }
        nc_pool_free(pool);
    }
}
END_TEST

START_TEST(test_threads_bit_identical)
{
    nc_attr none = { 0 }, z2 = { .stride = 2 };
    nc_shape odd = { 5, 37, 41 }, three[3] = { odd, odd, odd };
    switch (_i) {
    case 3: nc_test_check_threads(NC_OP_RELU, &none, 1, &odd, 1, "relu"); break;
    case 4: nc_test_check_threads(NC_OP_IDENTITY, &none, 1, &odd, 1, "identity"); break;
    case 5: nc_test_check_threads(NC_OP_SUM, &none, 3, three, 1, "sum of 3"); break;
    case 6: nc_test_check_threads(NC_OP_SUM, &none, 2, three, 1, "sum of 2"); break;
    case 7: nc_test_check_threads(NC_OP_SUM, &none, 1, three, 1, "sum of 1"); break;
    case 8: nc_test_check_threads(NC_OP_ZERO, &z2, 1, &(nc_shape){ 5, 74, 82 }, 1,
                                  "zero"); break;
    case 10: nc_test_check_threads(NC_OP_FLATTEN, &none, 1, &(nc_shape){ 6, 7, 9 }, 1,
                                   "flatten"); break;
    case 11: nc_test_check_threads(NC_OP_FLATTEN, &none, 1, &(nc_shape){ 700, 1, 1 }, 1,
                                   "flatten of a flat vector"); break;
    case 12: nc_test_check_threads(NC_OP_SOFTMAX_XENT, &none, 1, &(nc_shape){ 100, 1, 1 }, 1,
                                   "softmax_xent"); break;
    }
}
END_TEST

/* ---- shape errors --------------------------------------------------------- */

static void expect_inval(nc_op_kind k, const nc_attr *a, int n_in, const nc_shape *in)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_shape out = { -7, -7, -7 };
    nc_attr zero = { 0 };
    nc_status st = nc_op_get(k)->shape(&ctx, a ? a : &zero, n_in, in, &out);
    ck_assert_msg(st == NC_ERR_INVAL, "kind %d: status %d", (int)k, (int)st);
    ck_assert_msg(ctx.msg[0] != '\0', "kind %d: no message", (int)k);
    ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
}

START_TEST(test_shape_errors)
{
    nc_shape s = { 3, 8, 8 }, two[2] = { { 3, 8, 8 }, { 3, 8, 8 } };
    nc_shape mism[2] = { { 3, 8, 8 }, { 3, 4, 4 } };
    nc_shape bad = { 0, 8, 8 };

    /* softmax_xent: one class, or spatial logits */
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 1, 1, 1 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 10, 2, 1 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 10, 1, 3 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 2, two);

    /* sum: mismatched shapes, no inputs, too many */
    expect_inval(NC_OP_SUM, NULL, 2, mism);
    expect_inval(NC_OP_SUM, NULL, 0, two);
    expect_inval(NC_OP_SUM, NULL, 1, &bad);
    nc_shape many[NC_MAX_IN + 1];
    for (int i = 0; i <= NC_MAX_IN; i++)
        many[i] = s;
    expect_inval(NC_OP_SUM, NULL, NC_MAX_IN + 1, many);

    /* single-input ops with the wrong input count or an empty shape */
    const nc_op_kind single[] = { NC_OP_BATCHNORM, NC_OP_RELU, NC_OP_IDENTITY,
                                  NC_OP_GAP, NC_OP_FLATTEN, NC_OP_ZERO,
                                  NC_OP_MAXPOOL, NC_OP_AVGPOOL };
    nc_attr pa = { .k = 3, .stride = 1, .pad = 1 };
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        const nc_attr *a = single[i] == NC_OP_MAXPOOL || single[i] == NC_OP_AVGPOOL
                               ? &pa : NULL;
        expect_inval(single[i], a, 2, two);
        expect_inval(single[i], a, 0, two);
        expect_inval(single[i], a, 1, &bad);
    }

    /* pooling attributes */
    for (int mx = 0; mx < 2; mx++) {
        nc_op_kind k = mx ? NC_OP_MAXPOOL : NC_OP_AVGPOOL;
        expect_inval(k, &(nc_attr){ .k = 0 }, 1, &s);                  /* no kernel */
        expect_inval(k, &(nc_attr){ .k = 3, .pad = 2 }, 1, &s);        /* pad > k/2 */
        expect_inval(k, &(nc_attr){ .k = 3, .pad = -1 }, 1, &s);
        expect_inval(k, &(nc_attr){ .k = 3, .stride = -2 }, 1, &s);
        expect_inval(k, &(nc_attr){ .k = 9 }, 1, &s);                  /* > input */
        expect_inval(k, &(nc_attr){ .k = 1 << 30, .pad = 1 << 29 }, 1, &s);
        nc_ctx ctx;
        nc_ctx_init(&ctx);
        nc_shape out;
        ck_assert_int_eq(nc_op_get(k)->shape(&ctx, &(nc_attr){ .k = 3, .stride = 2, .pad = 1 },
                                             1, &s, &out), NC_OK);
        ck_assert(out.c == 3 && out.h == 4 && out.w == 4);   /* floor((8+2-3)/2)+1 */
    }
    expect_inval(NC_OP_AVGPOOL, &(nc_attr){ .k = 3, .pad = 1, .count_pad = 2 }, 1, &s);

    /* batchnorm attributes */
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .eps = -1e-5f }, 1, &s);
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .momentum = 1.5f }, 1, &s);
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .momentum = -0.1f }, 1, &s);

    /* zero: negative stride */
    expect_inval(NC_OP_ZERO, &(nc_attr){ .stride = -1 }, 1, &s);

    /* input: never derives a shape */
    expect_inval(NC_OP_INPUT, NULL, 0, NULL);
}
END_TEST

START_TEST(test_mix)
{
    nc_shape in[4] = { { 2, 3, 3 }, { 2, 3, 3 }, { 2, 3, 3 }, { 2, 3, 3 } };
    nc_attr soft = { .cout = 4, .bias = 1 }, plain = { .cout = 3 };
    /* Soft mode: gradients of the inputs and of alpha (the DARTS case). */
    nc_test_gradcheck(NC_OP_MIX, &soft, 4, in, 3, 1, NULL, 1e-3);
    nc_test_gradcheck(NC_OP_MIX, &plain, 3, in, 3, 1, NULL, 1e-3);
    nc_trun r;
    nc_trun_init(&r, NC_OP_MIX, &soft, 4, in, 2, 1);
    for (int k = 0; k < 4; k++)
        nc_test_fill_normal(r.x[k], r.nx[k], 40 + (uint64_t)k);
    float alpha[4] = { 0.5f, -1.0f, 2.0f, 0.0f }, s[4], z = 0;
    memcpy(r.w, alpha, sizeof alpha);
    for (int k = 0; k < 4; k++)
        z += s[k] = expf(alpha[k] - 2.0f);
    /* Mask out input 1 (DARTS-PT's "edge without this op"): the others keep
     * their softmax weights, not renormalized, and input 1 is not live. */
    r.state[1] = 0.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++) {
        float want = s[0] / z * r.x[0][i] + s[2] / z * r.x[2][i] +
                     s[3] / z * r.x[3][i];
        ck_assert_float_eq_tol(r.y[i], want, 1e-5f);
    }
    ck_assert(!r.d->input_live(&r.a, r.w, r.state, 1));
    ck_assert(r.d->input_live(&r.a, r.w, r.state, 2));
    /* Masked alpha gets the gradient of w_1 = 0 through the softmax sum. */
    nc_test_fill_normal(r.dy, r.ny, 50);
    memset(r.dw, 0, r.nw * sizeof(float));
    for (int k = 0; k < 4; k++)
        memset(r.dx[k], 0, r.nx[k] * sizeof(float));
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[1]; i++)
        ck_assert_float_eq(r.dx[1][i], 0.0f);
    /* Hard mode, one gate: exactly that input, and alpha gets nothing. */
    for (int k = 0; k < 4; k++)
        r.state[k] = k == 2;
    r.state[4] = 1.0f;
    r.d->forward(&r.e);
    ck_assert(memcmp(r.y, r.x[2], r.ny * sizeof(float)) == 0);
    memset(r.dw, 0, r.nw * sizeof(float));
    r.d->backward(&r.e);
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq(r.dw[k], 0.0f);
    /* No gate open: zeros. */
    r.state[2] = 0.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert_float_eq(r.y[i], 0.0f);
    nc_trun_free(&r);
    /* cout must count the inputs. */
    nc_attr wrong = { .cout = 2 };
    expect_inval(NC_OP_MIX, &wrong, 3, in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_misc");
    TCase *tc = tcase_create("misc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rows);
    tcase_add_test(tc, test_input_shape_harmless);
    tcase_add_test(tc, test_relu);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_sum);
    tcase_add_test(tc, test_mix);
    tcase_add_test(tc, test_flatten);
    tcase_add_test(tc, test_zero);
    tcase_add_test(tc, test_softmax_xent_gradcheck);
    tcase_add_test(tc, test_softmax_xent_values);
    tcase_add_test(tc, test_shape_errors);
    tcase_add_test(tc, test_par_for_spans);
    tcase_add_loop_test(tc, test_threads_bit_identical, 3, 9);
    tcase_add_loop_test(tc, test_threads_bit_identical, 10, 13);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
