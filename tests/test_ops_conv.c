/*
 * test_ops_conv.c — conv2d and linear: finite-difference gradient checks,
 * forward and backward against direct-loop references, the "backward adds"
 * and NULL-gradient contracts, shape errors, init and sizes. Thread counts
 * and the GEMM kernels are in test_ops_conv_threads.c.
 */
#include "core/gradcheck.h"
#include "core/op.h"
#include "tests/util/test_ops_conv_int.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- gradient checks -------------------------------------------------- */

static const conv_cfg gc_cfgs[] = {
    /* cin h  w cout k  s  p  g bias n */
    { 3, 5, 5, 4, 3, 1, 1, 1, 1, 2 },   /* 3x3 same */
    { 3, 5, 5, 4, 3, 1, 1, 1, 0, 2 },
    { 3, 6, 5, 4, 3, 2, 1, 1, 1, 2 },   /* stride 2, non-square */
    { 3, 7, 7, 2, 3, 2, 0, 1, 0, 1 },   /* stride 2, no pad */
    { 4, 4, 5, 3, 1, 1, 0, 1, 1, 2 },   /* 1x1: no im2col */
    { 4, 4, 5, 3, 1, 1, 0, 1, 0, 2 },
    { 4, 5, 5, 3, 1, 2, 0, 1, 1, 2 },   /* 1x1 stride 2: im2col */
    { 4, 5, 4, 6, 3, 1, 1, 2, 1, 2 },   /* groups 2 */
    { 4, 4, 4, 6, 1, 1, 0, 2, 1, 2 },   /* grouped pointwise */
    { 3, 5, 5, 3, 3, 1, 1, 3, 1, 2 },   /* depthwise 3x3 s1 */
    { 3, 5, 5, 3, 3, 1, 1, 3, 0, 2 },
    { 3, 6, 5, 3, 3, 2, 1, 3, 1, 2 },   /* depthwise 3x3 s2 */
    { 2, 6, 6, 2, 5, 1, 2, 2, 1, 2 },   /* depthwise 5x5 s1 */
    { 2, 7, 6, 2, 5, 2, 2, 2, 0, 2 },   /* depthwise 5x5 s2 */
    { 2, 5, 5, 4, 3, 1, 1, 2, 1, 2 },   /* depthwise, multiplier 2 */
    { 2, 4, 3, 3, 3, 3, 2, 1, 1, 2 },   /* taps that see only padding */
    { 2, 4, 4, 2, 3, 1, 3, 2, 1, 1 },   /* depthwise, pad > k-1 */
    { 3, 4, 4, 2, 2, 0, 0, 0, 1, 2 },   /* even k; stride/groups 0 = 1 */
    { 1, 5, 5, 8, 3, 1, 1, 1, 1, 2 },   /* 1 channel in, 8 out: GEMM */
};
enum { N_GC_CFGS = sizeof gc_cfgs / sizeof gc_cfgs[0] };

START_TEST(test_conv_gradcheck)
{
    const conv_cfg *c = &gc_cfgs[_i];
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_attr a = cfg_attr(c);
    nc_shape in = { c->cin, c->h, c->w };
    double err = 0;
    nc_status st = nc_gradcheck_op(&ctx, NC_OP_CONV2D, &a, 1, &in, c->n, 1,
                                   NULL, 100 + (uint64_t)_i, 1e-2, &err);
    ck_assert_msg(st == NC_OK, "config %d: %s", _i, ctx.msg);
}
END_TEST

START_TEST(test_linear_gradcheck)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_attr a = { .cout = 5, .bias = _i };
    nc_shape in = { 7, 1, 1 };
    double err = 0;
    nc_status st = nc_gradcheck_op(&ctx, NC_OP_LINEAR, &a, 1, &in, 3, 1, NULL,
                                   7 + (uint64_t)_i, 1e-2, &err);
    ck_assert_msg(st == NC_OK, "bias %d: %s", _i, ctx.msg);
}
END_TEST

/* ---- direct-loop references ------------------------------------------- */

static const conv_cfg ref_cfgs[] = {
    /* cin h  w cout k  s  p  g bias n */
    { 3, 7, 5, 4, 3, 1, 1, 1, 1, 3 },
    { 4, 9, 6, 6, 3, 2, 1, 2, 0, 2 },
    { 5, 6, 7, 3, 1, 1, 0, 1, 1, 2 },   /* pointwise */
    { 4, 6, 7, 6, 1, 1, 0, 2, 1, 3 },   /* grouped pointwise */
    { 3, 7, 6, 5, 1, 2, 0, 1, 0, 2 },   /* 1x1 stride 2 */
    { 4, 8, 5, 4, 3, 1, 1, 4, 1, 3 },   /* depthwise */
    { 3, 9, 7, 6, 5, 2, 2, 3, 1, 2 },   /* depthwise x2, 5x5 s2 */
    { 3, 6, 11, 3, 5, 1, 2, 3, 0, 4 },  /* depthwise 5x5, wide rows */
    { 2, 5, 5, 3, 5, 1, 0, 1, 1, 2 },   /* kernel = input: 1x1 out */
    { 2, 4, 3, 3, 3, 3, 2, 1, 1, 2 },   /* all-padding taps */
    { 2, 4, 4, 2, 3, 1, 3, 2, 1, 2 },   /* depthwise, all-padding taps */
    { 3, 4, 4, 2, 2, 1, 0, 1, 0, 1 },   /* even kernel */
    { 6, 10, 9, 9, 3, 2, 1, 3, 1, 5 },  /* groups 3 */
    { 2, 5, 6, 2, 1, 2, 1, 2, 1, 2 },   /* depthwise 1x1 with pad */
    { 3, 13, 17, 4, 7, 3, 3, 1, 1, 2 }, /* big kernel, stride 3 */
    { 3, 10, 12, 6, 3, 1, 1, 3, 1, 2 }, /* depthwise x2, long rows */
    { 3, 9, 21, 4, 3, 2, 1, 1, 1, 2 },  /* stride 2, wide rows */
    { 1, 9, 8, 8, 3, 1, 1, 1, 1, 3 },   /* 1 channel in, 8 out: GEMM */
    { 2, 7, 22, 2, 3, 2, 1, 2, 1, 2 },  /* depthwise s2, wide rows */
    { 2, 7, 23, 4, 5, 2, 2, 2, 0, 2 },  /* depthwise x2 5x5 s2, even pad */
    { 4, 171, 172, 4, 3, 1, 1, 2, 1, 3 }, /* large images: batch chunks */
};
enum { N_REF_CFGS = sizeof ref_cfgs / sizeof ref_cfgs[0] };

static size_t at(int c, int n, int h, int w, int ci, int ni, int y, int x)
{
    (void)c;
    return (((size_t)ci * n + ni) * h + y) * w + x;
}

/* y = conv(x) by the definition, in double; mag gets sum |terms| per output
 * for a tolerance that scales with the sum's conditioning. */
static void ref_forward(const conv_case *t, const conv_cfg *c, const float *x,
                        const float *w, double *y, double *mag)
{
    int ho = t->out.h, wo = t->out.w, kk = c->k * c->k;
    for (int co = 0; co < c->cout; co++) {
        int g = co / t->cout_g;
        for (int ni = 0; ni < c->n; ni++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double acc = 0, m = 0;
                    if (c->bias) {
                        acc = w[t->nw - c->cout + co];
                        m = fabs(acc);
                    }
                    for (int q = 0; q < t->cin_g; q++) {
                        int ci = g * t->cin_g + q;
                        for (int ky = 0; ky < c->k; ky++)
                            for (int kx = 0; kx < c->k; kx++) {
                                int iy = oy * t->s - c->p + ky;
                                int ix = ox * t->s - c->p + kx;
                                if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                                    continue;
                                double v = (double)w[((size_t)co * t->cin_g + q) * kk
                                                     + ky * c->k + kx]
                                           * x[at(c->cin, c->n, c->h, c->w, ci, ni, iy, ix)];
                                acc += v;
                                m += fabs(v);
                            }
                    }
                    size_t o = at(c->cout, c->n, ho, wo, co, ni, oy, ox);
                    y[o] = acc;
                    mag[o] = m;
                }
    }
}

/* dx += d/dx, dw += d/dw of sum(y * dy), by the definition, in double;
 * dxm, dwm get the sums of |terms|. */
static void ref_backward(const conv_case *t, const conv_cfg *c, const float *x,
                         const float *w, const float *dy, double *dx, double *dw,
                         double *dxm, double *dwm)
{
    int ho = t->out.h, wo = t->out.w, kk = c->k * c->k;
    for (int co = 0; co < c->cout; co++) {
        int g = co / t->cout_g;
        for (int ni = 0; ni < c->n; ni++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double d = dy[at(c->cout, c->n, ho, wo, co, ni, oy, ox)];
                    if (c->bias) {
                        dw[t->nw - c->cout + co] += d;
                        dwm[t->nw - c->cout + co] += fabs(d);
                    }
                    for (int q = 0; q < t->cin_g; q++) {
                        int ci = g * t->cin_g + q;
                        for (int ky = 0; ky < c->k; ky++)
                            for (int kx = 0; kx < c->k; kx++) {
                                int iy = oy * t->s - c->p + ky;
                                int ix = ox * t->s - c->p + kx;
                                if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                                    continue;
                                size_t wi = ((size_t)co * t->cin_g + q) * kk
                                            + ky * c->k + kx;
                                size_t xi = at(c->cin, c->n, c->h, c->w, ci, ni, iy, ix);
                                dw[wi] += d * x[xi];
                                dx[xi] += d * w[wi];
                                dwm[wi] += fabs(d * x[xi]);
                                dxm[xi] += fabs(d * w[wi]);
                            }
                    }
                }
    }
}

/* Index of the first v[i] farther than tol * (1 + mag[i]) from off + ref[i],
 * or n if none: one assertion per array, since Check reports every passing
 * assertion through a pipe. */
static size_t first_bad(const float *v, const double *ref, double off,
                        const double *mag, double tol, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(v[i] - (off + ref[i])) <= tol * (1 + mag[i])))
            return i;
    return n;
}


/* Runs one config's forward and backward on random data, with scratch full of
 * NaN (its contents are undefined on entry) and gradients pre-set to 0.5 (the
 * kernels must add, not overwrite). */
START_TEST(test_conv_reference)
{
    const conv_cfg *c = &ref_cfgs[_i];
    conv_case t;
    case_make(&t, c);
    nc_rng r = nc_rng_make(1234, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(t.nx), *w = alloc_floats(t.nw);
    float *y = alloc_floats(t.ny), *dy = alloc_floats(t.ny);
    float *dx = alloc_floats(t.nx), *dw = alloc_floats(t.nw);
    float *work = alloc_floats(t.nwork);
    double *yr = calloc(t.ny, sizeof(double)), *mag = calloc(t.ny, sizeof(double));
    double *dxr = calloc(t.nx, sizeof(double)), *dwr = calloc(t.nw, sizeof(double));
    double *dxm = calloc(t.nx, sizeof(double)), *dwm = calloc(t.nw, sizeof(double));
    ck_assert(yr && mag && dxr && dwr && dxm && dwm);
    fill_normal(x, t.nx, &r);
    fill_normal(w, t.nw, &r);
    fill_normal(dy, t.ny, &r);
    fill_value(work, t.nwork, NAN);
    fill_value(y, t.ny, NAN);
    fill_value(dx, t.nx, 0.5f);
    fill_value(dw, t.nw, 0.5f);

    nc_exec e = { .attr = &t.a, .n = c->n, .train = 1, .threads = 1, .n_in = 1,
                  .in = { t.in }, .out = t.out, .x = { x }, .dx = { dx },
                  .y = y, .dy = dy, .w = w, .dw = dw, .work = work };
    t.d->forward(&e);
    ref_forward(&t, c, x, w, yr, mag);
    size_t i = first_bad(y, yr, 0, mag, 1e-5, t.ny);
    ck_assert_msg(i == t.ny, "config %d: y[%zu] = %g, reference %g", _i, i,
                  y[i < t.ny ? i : 0], yr[i < t.ny ? i : 0]);

    fill_value(work, t.nwork, NAN);
    t.d->backward(&e);
    ref_backward(&t, c, x, w, dy, dxr, dwr, dxm, dwm);
    i = first_bad(dx, dxr, 0.5, dxm, 1e-5, t.nx);
    ck_assert_msg(i == t.nx, "config %d: dx[%zu] = %g, reference %g", _i, i,
                  dx[i < t.nx ? i : 0], 0.5 + dxr[i < t.nx ? i : 0]);
    i = first_bad(dw, dwr, 0.5, dwm, 1e-5, t.nw);
    ck_assert_msg(i == t.nw, "config %d: dw[%zu] = %g, reference %g", _i, i,
                  dw[i < t.nw ? i : 0], 0.5 + dwr[i < t.nw ? i : 0]);
    free(x); free(w); free(y); free(dy); free(dx); free(dw); free(work);
    free(yr); free(mag); free(dxr); free(dwr); free(dxm); free(dwm);
}
END_TEST

/* dx == NULL must leave the weight gradient unchanged, and dw == NULL the
 * input gradient: the two are computed independently. */
START_TEST(test_conv_null_grads)
{
    const conv_cfg *c = &ref_cfgs[_i];
    conv_case t;
    case_make(&t, c);
    nc_rng r = nc_rng_make(99, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(t.nx), *w = alloc_floats(t.nw);
    float *y = alloc_floats(t.ny), *dy = alloc_floats(t.ny);
    float *dx1 = alloc_floats(t.nx), *dw1 = alloc_floats(t.nw);
    float *dx2 = alloc_floats(t.nx), *dw2 = alloc_floats(t.nw);
    float *work = alloc_floats(t.nwork);
    fill_normal(x, t.nx, &r);
    fill_normal(w, t.nw, &r);
    fill_normal(dy, t.ny, &r);
    fill_value(work, t.nwork, NAN);
    fill_value(dx1, t.nx, 0);
    fill_value(dw1, t.nw, 0);
    fill_value(dx2, t.nx, 0);
    fill_value(dw2, t.nw, 0);

    nc_exec e = { .attr = &t.a, .n = c->n, .train = 1, .threads = 1, .n_in = 1,
                  .in = { t.in }, .out = t.out, .x = { x }, .dx = { dx1 },
                  .y = y, .dy = dy, .w = w, .dw = dw1, .work = work };
    t.d->forward(&e);
    t.d->backward(&e);

    e.dx[0] = NULL;
    e.dw = dw2;
    fill_value(work, t.nwork, NAN);
    t.d->backward(&e);
    ck_assert_msg(first_diff(dw2, dw1, t.nw) == t.nw,
                  "config %d: dw differs without dx", _i);

    e.dx[0] = dx2;
    e.dw = NULL;
    fill_value(work, t.nwork, NAN);
    t.d->backward(&e);
    ck_assert_msg(first_diff(dx2, dx1, t.nx) == t.nx,
                  "config %d: dx differs without dw", _i);

    e.dx[0] = NULL;
    e.dw = NULL;
    t.d->backward(&e);   /* nothing to do; must not crash */
    free(x); free(w); free(y); free(dy); free(dx1); free(dw1); free(dx2);
    free(dw2); free(work);
}
END_TEST

START_TEST(test_linear_reference)
{
    const nc_op_def *d = nc_op_get(NC_OP_LINEAR);
    ck_assert_ptr_nonnull(d);
    const int f = 9, m = 4, n = 5;
    nc_attr a = { .cout = m, .bias = 1 };
    nc_shape in = { f, 1, 1 }, out;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == m && out.h == 1 && out.w == 1);
    ck_assert_uint_eq(d->n_params(&a, &in), (size_t)m * f + m);
    ck_assert(d->macs(&a, &in, out) == (double)m * f);
    nc_rng r = nc_rng_make(5, NC_STREAM(NC_PURPOSE_TEST, 0));
    float x[9 * 5], w[4 * 9 + 4], y[4 * 5], dy[4 * 5], dx[9 * 5], dw[4 * 9 + 4];
    fill_normal(x, sizeof x / sizeof *x, &r);
    fill_normal(w, sizeof w / sizeof *w, &r);
    fill_normal(dy, sizeof dy / sizeof *dy, &r);
    fill_value(dx, sizeof dx / sizeof *dx, 0.5f);
    fill_value(dw, sizeof dw / sizeof *dw, 0.5f);
    size_t nwork = d->n_work(&a, &in, out, n);
    float *work = alloc_floats(nwork);
    fill_value(work, nwork, NAN);
    nc_exec e = { .attr = &a, .n = n, .threads = 1, .n_in = 1, .in = { in },
                  .out = out, .x = { x }, .dx = { dx }, .y = y, .dy = dy,
                  .w = w, .dw = dw, .work = work, .n_work = nwork };
    d->forward(&e);
    d->backward(&e);
    for (int o = 0; o < m; o++)
        for (int s = 0; s < n; s++) {
            double acc = w[m * f + o];
            for (int i = 0; i < f; i++)
                acc += (double)w[o * f + i] * x[i * n + s];
            ck_assert_msg(fabs(y[o * n + s] - acc) < 1e-4, "y[%d,%d]", o, s);
        }
    for (int o = 0; o < m; o++) {
        double db = 0.5;
        for (int s = 0; s < n; s++)
            db += dy[o * n + s];
        ck_assert(fabs(dw[m * f + o] - db) < 1e-4);
        for (int i = 0; i < f; i++) {
            double g = 0.5;
            for (int s = 0; s < n; s++)
                g += (double)dy[o * n + s] * x[i * n + s];
            ck_assert_msg(fabs(dw[o * f + i] - g) < 1e-4, "dw[%d,%d]", o, i);
        }
    }
    for (int i = 0; i < f; i++)
        for (int s = 0; s < n; s++) {
            double g = 0.5;
            for (int o = 0; o < m; o++)
                g += (double)w[o * f + i] * dy[o * n + s];
            ck_assert_msg(fabs(dx[i * n + s] - g) < 1e-4, "dx[%d,%d]", i, s);
        }
    /* Frozen parameters and no input gradient: nothing is touched. */
    float dx_before = dx[0];
    e.dw = NULL;
    e.dx[0] = NULL;
    d->backward(&e);
    ck_assert(dx[0] == dx_before);
    free(work);
}
END_TEST

/* ---- shapes, sizes, init ---------------------------------------------- */

static nc_status conv_shape_of(nc_ctx *ctx, nc_attr a, nc_shape in, nc_shape *out)
{
    return nc_op_get(NC_OP_CONV2D)->shape(ctx, &a, 1, &in, out);
}

START_TEST(test_conv_shape_errors)
{
    nc_ctx ctx;
    nc_shape out;
    struct {
        nc_attr a;
        nc_shape in;
        const char *needle;
    } bad[] = {
        { { .cout = 4, .k = 3, .pad = 1, .groups = 2 }, { 3, 8, 8 }, "divisible" },
        { { .cout = 3, .k = 3, .pad = 1, .groups = 2 }, { 4, 8, 8 }, "divisible" },
        { { .cout = 4, .k = 5 }, { 3, 4, 8 }, "larger" },
        { { .cout = 4, .k = 7, .pad = 1 }, { 3, 4, 4 }, "larger" },
        { { .cout = 4, .k = 0 }, { 3, 4, 4 }, "kernel" },
        { { .cout = 0, .k = 1 }, { 3, 4, 4 }, "channels" },
        { { .cout = 4, .k = 3, .pad = -1 }, { 3, 8, 8 }, "negative" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nc_ctx_init(&ctx);
        ck_assert_int_eq(conv_shape_of(&ctx, bad[i].a, bad[i].in, &out),
                         NC_ERR_INVAL);
        ck_assert_msg(strstr(ctx.msg, bad[i].needle) != NULL,
                      "case %zu: message '%s' lacks '%s'", i, ctx.msg,
                      bad[i].needle);
        ck_assert_msg(strstr(ctx.msg, "conv2d") != NULL, "%s", ctx.msg);
    }
    /* A kernel exactly the size of the padded input fits. */
    nc_ctx_init(&ctx);
    ck_assert_int_eq(conv_shape_of(&ctx, (nc_attr){ .cout = 2, .k = 6, .pad = 1 },
                                   (nc_shape){ 3, 4, 5 }, &out), NC_OK);
    ck_assert(out.c == 2 && out.h == 1 && out.w == 2);
}
END_TEST

START_TEST(test_linear_shape_errors)
{
    const nc_op_def *d = nc_op_get(NC_OP_LINEAR);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_attr a = { .cout = 3 };
    nc_shape in = { 4, 2, 2 }, out;
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_ERR_INVAL);
    ck_assert_msg(strstr(ctx.msg, "flat") != NULL, "%s", ctx.msg);
    nc_ctx_init(&ctx);
    a.cout = 0;
    in = (nc_shape){ 4, 1, 1 };
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_ERR_INVAL);
}
END_TEST

START_TEST(test_conv_sizes_and_init)
{
    const nc_op_def *d = nc_op_get(NC_OP_CONV2D);
    ck_assert_str_eq(d->name, "conv2d");
    ck_assert_int_eq(nc_op_find("conv2d"), NC_OP_CONV2D);
    ck_assert_int_eq(nc_op_find("linear"), NC_OP_LINEAR);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_attr a = { .cout = 8, .k = 3, .stride = 2, .pad = 1, .groups = 2, .bias = 1 };
    nc_shape in = { 4, 9, 7 }, out;
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == 8 && out.h == 5 && out.w == 4);
    size_t nw = 8 * 2 * 3 * 3;
    ck_assert_uint_eq(d->n_params(&a, &in), nw + 8);
    ck_assert(d->macs(&a, &in, out) == 8.0 * 5 * 4 * 2 * 3 * 3);
    /* Columns of one group for the (small) batch, plus a staged plane. */
    size_t cols = (size_t)2 * 9 * 3 * 5 * 4;
    ck_assert_uint_ge(d->n_work(&a, &in, out, 3), cols);
    ck_assert_uint_le(d->n_work(&a, &in, out, 3), cols + 4 * 16 * 16);

    /* Pointwise reads its input in place (its scratch is a partial weight
     * gradient and the GEMM's packed weights); depthwise stages one plane at
     * a time: neither grows with the batch. */
    nc_attr pw = { .cout = 8, .k = 1 }, dwa = { .cout = 8, .k = 3, .pad = 1, .groups = 4 };
    nc_shape o2;
    ck_assert_int_eq(d->shape(&ctx, &pw, 1, &in, &o2), NC_OK);
    ck_assert_uint_eq(d->n_work(&pw, &in, o2, 16), d->n_work(&pw, &in, o2, 1));
    ck_assert_uint_le(d->n_work(&pw, &in, o2, 16), 1024);
    ck_assert_int_eq(d->shape(&ctx, &dwa, 1, &in, &o2), NC_OK);
    ck_assert_uint_eq(d->n_work(&dwa, &in, o2, 16), d->n_work(&dwa, &in, o2, 1));

    /* PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), weights then
     * bias, reproducible from the generator. */
    float w1[8 * 2 * 9 + 8], w2[8 * 2 * 9 + 8];
    nc_rng r1 = nc_rng_make(3, NC_STREAM(NC_PURPOSE_INIT, 1));
    nc_rng r2 = r1;
    d->init(&a, &in, w1, NULL, &r1);
    d->init(&a, &in, w2, NULL, &r2);
    ck_assert(memcmp(w1, w2, sizeof w1) == 0);
    float bound = (float)(1.0 / sqrt(18.0)), lo = 1, hi = -1;
    for (size_t i = 0; i < nw + 8; i++) {
        ck_assert(fabsf(w1[i]) <= bound);
        lo = fminf(lo, w1[i]);
        hi = fmaxf(hi, w1[i]);
    }
    ck_assert(lo < -0.5f * bound && hi > 0.5f * bound);
    /* The bias comes after the weights in the same stream. */
    nc_rng r3 = nc_rng_make(3, NC_STREAM(NC_PURPOSE_INIT, 1));
    for (size_t i = 0; i < nw; i++)
        nc_rng_uniform(&r3);
    ck_assert(w1[nw] == bound * (2.0f * nc_rng_uniform(&r3) - 1.0f));

    const nc_op_def *l = nc_op_get(NC_OP_LINEAR);
    nc_attr la = { .cout = 3, .bias = 1 };
    nc_shape li = { 16, 1, 1 };
    float lw[3 * 16 + 3];
    nc_rng r4 = nc_rng_make(4, NC_STREAM(NC_PURPOSE_INIT, 2));
    l->init(&la, &li, lw, NULL, &r4);
    for (size_t i = 0; i < sizeof lw / sizeof *lw; i++)
        ck_assert(fabsf(lw[i]) <= 0.25f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_conv");
    TCase *tc = tcase_create("conv");
    tcase_add_loop_test(tc, test_conv_gradcheck, 0, N_GC_CFGS);
    tcase_add_loop_test(tc, test_linear_gradcheck, 0, 2);
    tcase_add_loop_test(tc, test_conv_reference, 0, N_REF_CFGS);
    tcase_add_loop_test(tc, test_conv_null_grads, 0, N_REF_CFGS);
    tcase_add_test(tc, test_linear_reference);
    tcase_add_test(tc, test_conv_shape_errors);
    tcase_add_test(tc, test_linear_shape_errors);
    tcase_add_test(tc, test_conv_sizes_and_init);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
