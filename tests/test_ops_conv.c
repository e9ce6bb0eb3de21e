/*
 * test_ops_conv.c — conv2d and linear: finite-difference gradient checks,
 * forward and backward against direct-loop references, the "backward adds"
 * and NULL-gradient contracts, results on 2 and 3 pool threads against 1,
 * the GEMM kernels against cblas, shape errors, init and sizes.
 */
#include "core/gradcheck.h"
#include "core/kernels/gemm.h"
#include "core/op.h"
#include "core/pool.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct conv_cfg {
    int cin, h, w, cout, k, s, p, g, bias, n;
} conv_cfg;

static nc_attr cfg_attr(const conv_cfg *c)
{
    return (nc_attr){ .cout = c->cout, .k = c->k, .stride = c->s, .pad = c->p,
                      .groups = c->g, .bias = c->bias };
}

static float *alloc_floats(size_t n)
{
    float *p = malloc((n + 1) * sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

static void fill_normal(float *v, size_t n, nc_rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = nc_rng_normal(r);
}

static void fill_value(float *v, size_t n, float x)
{
    for (size_t i = 0; i < n; i++)
        v[i] = x;
}

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

/* Shapes of one config, read from the op itself. */
typedef struct conv_case {
    const nc_op_def *d;
    nc_attr a;
    nc_shape in, out;
    size_t nx, ny, nw, nwork;
    int cin_g, cout_g, s;
} conv_case;

static void case_make(conv_case *t, const conv_cfg *c)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    t->d = nc_op_get(NC_OP_CONV2D);
    ck_assert_ptr_nonnull(t->d);
    t->a = cfg_attr(c);
    t->in = (nc_shape){ c->cin, c->h, c->w };
    ck_assert_msg(t->d->shape(&ctx, &t->a, 1, &t->in, &t->out) == NC_OK, "%s",
                  ctx.msg);
    int g = c->g > 0 ? c->g : 1;
    t->s = c->s > 0 ? c->s : 1;
    ck_assert_int_eq(t->out.h, (c->h + 2 * c->p - c->k) / t->s + 1);
    ck_assert_int_eq(t->out.w, (c->w + 2 * c->p - c->k) / t->s + 1);
    t->nx = (size_t)c->n * nc_shape_size(t->in);
    t->ny = (size_t)c->n * nc_shape_size(t->out);
    t->nw = t->d->n_params(&t->a, &t->in);
    t->nwork = t->d->n_work ? t->d->n_work(&t->a, &t->in, t->out, c->n) : 0;
    t->cin_g = c->cin / g;
    t->cout_g = c->cout / g;
    if (c->h > 100)
        ck_assert_msg(t->nwork < (size_t)t->cin_g * c->k * c->k * t->ny / c->cout,
                      "the large config no longer splits the batch into "
                      "chunks; make it larger");
}

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

static size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
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

/* ---- threads ---------------------------------------------------------- */

/* Configs for the thread tests: every path, with more chunks than threads
 * where the path chunks. */
static const conv_cfg thr_cfgs[] = {
    /* cin h  w cout k  s  p  g bias n */
    { 3, 9, 8, 5, 3, 1, 1, 1, 1, 7 },     /* general, dX as a conv */
    { 4, 9, 7, 6, 3, 2, 1, 2, 1, 5 },     /* general, stride 2: col2im */
    { 2, 5, 5, 3, 3, 1, 3, 1, 1, 4 },     /* pad > k-1: col2im */
    { 4, 171, 172, 4, 3, 1, 1, 2, 1, 3 }, /* one image per chunk, groups */
    { 6, 7, 9, 5, 1, 1, 0, 1, 1, 6 },     /* pointwise */
    { 4, 6, 7, 6, 1, 1, 0, 2, 0, 5 },     /* grouped pointwise */
    { 5, 8, 6, 5, 3, 1, 1, 5, 1, 4 },     /* depthwise over channels */
    { 1, 9, 9, 6, 3, 1, 1, 1, 1, 7 },     /* one input channel: over images */
    { 1, 12, 11, 8, 3, 1, 1, 1, 1, 7 },   /* ... but GEMM from 8 outputs */
    { 2, 9, 8, 4, 5, 2, 2, 2, 0, 5 },     /* depthwise x2, 5x5 s2 */
};
enum { N_THR_CFGS = sizeof thr_cfgs / sizeof thr_cfgs[0] };

typedef struct op_out {
    float *y, *dx, *dw;
} op_out;

/* Forward then backward of op d on pool threads T (work of T × nwork, full
 * of NaN; gradients pre-set to 0.5, since backward adds). */
static op_out run_threads(const nc_op_def *d, const nc_attr *a, nc_shape in,
                          nc_shape out, int n, int T, const float *x,
                          const float *w, const float *dy)
{
    size_t nx = (size_t)n * nc_shape_size(in), ny = (size_t)n * nc_shape_size(out);
    size_t nw = d->n_params(a, &in);
    size_t nwork = d->n_work ? d->n_work(a, &in, out, n) : 0;
    op_out o = { alloc_floats(ny), alloc_floats(nx), alloc_floats(nw) };
    float *work = alloc_floats((size_t)T * nwork);
    fill_value(work, (size_t)T * nwork, NAN);
    fill_value(o.y, ny, NAN);
    fill_value(o.dx, nx, 0.5f);
    fill_value(o.dw, nw, 0.5f);
    nc_pool *pool = nc_pool_new(T);
    ck_assert(T == 1 || pool);
    nc_exec e = { .attr = a, .n = n, .train = 1, .threads = T, .pool = pool,
                  .n_in = 1, .in = { in }, .out = out, .x = { x },
                  .dx = { o.dx }, .y = o.y, .dy = dy, .w = (float *)w,
                  .dw = o.dw, .work = work, .n_work = nwork };
    d->forward(&e);
    fill_value(work, (size_t)T * nwork, NAN);
    d->backward(&e);
    nc_pool_free(pool);
    free(work);
    return o;
}

static void out_free(op_out *o)
{
    free(o->y);
    free(o->dx);
    free(o->dw);
}

/* Index of the first |a - b| > tol * (1 + |b|), or n. */
static size_t first_far(const float *a, const float *b, double tol, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= tol * (1 + fabs((double)b[i]))))
            return i;
    return n;
}

/* 2 and 3 threads against 1: the forward output and the input gradient are
 * computed element by element the same way whatever the split (bit-equal
 * with nc_gemm's own kernels; cblas_sgemm, the fallback, promises no such
 * thing), the weight gradient sums per-thread partials so only agrees to
 * rounding. Each thread count must reproduce its own bits. */
START_TEST(test_conv_threads)
{
    const conv_cfg *c = &thr_cfgs[_i];
    conv_case t;
    case_make(&t, c);
    nc_rng r = nc_rng_make(77, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(t.nx), *w = alloc_floats(t.nw), *dy = alloc_floats(t.ny);
    fill_normal(x, t.nx, &r);
    fill_normal(w, t.nw, &r);
    fill_normal(dy, t.ny, &r);
    op_out one = run_threads(t.d, &t.a, t.in, t.out, c->n, 1, x, w, dy);
    const int exact = nc_gemm_simd();
    for (int T = 2; T <= 3; T++) {
        op_out a = run_threads(t.d, &t.a, t.in, t.out, c->n, T, x, w, dy);
        op_out b = run_threads(t.d, &t.a, t.in, t.out, c->n, T, x, w, dy);
        size_t i;
        i = exact ? first_diff(a.y, one.y, t.ny) : first_far(a.y, one.y, 1e-5, t.ny);
        ck_assert_msg(i == t.ny, "config %d, %d threads: y[%zu] %.9g vs %.9g",
                      _i, T, i, a.y[i % t.ny], one.y[i % t.ny]);
        i = exact ? first_diff(a.dx, one.dx, t.nx) : first_far(a.dx, one.dx, 1e-5, t.nx);
        ck_assert_msg(i == t.nx, "config %d, %d threads: dx[%zu] %.9g vs %.9g",
                      _i, T, i, a.dx[i % t.nx], one.dx[i % t.nx]);
        i = first_far(a.dw, one.dw, 1e-4, t.nw);
        ck_assert_msg(i == t.nw, "config %d, %d threads: dw[%zu] %.9g vs %.9g",
                      _i, T, i, a.dw[i % t.nw], one.dw[i % t.nw]);
        ck_assert_msg(first_diff(a.y, b.y, t.ny) == t.ny &&
                      first_diff(a.dx, b.dx, t.nx) == t.nx &&
                      first_diff(a.dw, b.dw, t.nw) == t.nw,
                      "config %d, %d threads: not reproducible", _i, T);
        out_free(&a);
        out_free(&b);
    }
    out_free(&one);
    free(x);
    free(w);
    free(dy);
}
END_TEST

/* Linear splits rows of W for the forward pass and features for the
 * backward one: no element is summed across threads, so with nc_gemm's own
 * kernels every thread count gives the 1-thread bits. Sizes cover a split
 * (the first two) and a product too small to split. */
START_TEST(test_linear_threads)
{
    static const struct { int f, m, n; } cfg[] = {
        { 300, 70, 33 }, { 784, 64, 128 }, { 20, 10, 5 },
    };
    const int f = cfg[_i].f, m = cfg[_i].m, n = cfg[_i].n;
    const nc_op_def *d = nc_op_get(NC_OP_LINEAR);
    nc_attr a = { .cout = m, .bias = 1 };
    nc_shape in = { f, 1, 1 }, out = { m, 1, 1 };
    size_t nx = (size_t)f * n, ny = (size_t)m * n, nw = (size_t)m * f + m;
    nc_rng r = nc_rng_make(78, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(nx), *w = alloc_floats(nw), *dy = alloc_floats(ny);
    fill_normal(x, nx, &r);
    fill_normal(w, nw, &r);
    fill_normal(dy, ny, &r);
    op_out one = run_threads(d, &a, in, out, n, 1, x, w, dy);
    /* The 1-thread result against the definition, in double. */
    for (int o = 0; o < m; o++)
        for (int s = 0; s < n; s++) {
            double acc = w[(size_t)m * f + o], mag = fabs(acc);
            for (int i = 0; i < f; i++) {
                acc += (double)w[(size_t)o * f + i] * x[(size_t)i * n + s];
                mag += fabs((double)w[(size_t)o * f + i] * x[(size_t)i * n + s]);
            }
            ck_assert_msg(fabs(one.y[(size_t)o * n + s] - acc) <= 1e-5 * (1 + mag),
                          "y[%d,%d]", o, s);
        }
    for (int o = 0; o < m; o += 7)
        for (int i = 0; i < f; i += 5) {
            double g = 0.5, mag = 0.5;
            for (int s = 0; s < n; s++) {
                g += (double)dy[(size_t)o * n + s] * x[(size_t)i * n + s];
                mag += fabs((double)dy[(size_t)o * n + s] * x[(size_t)i * n + s]);
            }
            ck_assert_msg(fabs(one.dw[(size_t)o * f + i] - g) <= 1e-5 * (1 + mag),
                          "dw[%d,%d]", o, i);
        }
    for (int i = 0; i < f; i += 3)
        for (int s = 0; s < n; s++) {
            double g = 0.5, mag = 0.5;
            for (int o = 0; o < m; o++) {
                g += (double)w[(size_t)o * f + i] * dy[(size_t)o * n + s];
                mag += fabs((double)w[(size_t)o * f + i] * dy[(size_t)o * n + s]);
            }
            ck_assert_msg(fabs(one.dx[(size_t)i * n + s] - g) <= 1e-5 * (1 + mag),
                          "dx[%d,%d]", i, s);
        }
    const int exact = nc_gemm_simd();
    for (int T = 2; T <= 3; T++) {
        op_out t = run_threads(d, &a, in, out, n, T, x, w, dy);
        op_out t2 = run_threads(d, &a, in, out, n, T, x, w, dy);
        if (exact) {
            ck_assert_msg(first_diff(t.y, one.y, ny) == ny, "%d threads: y", T);
            ck_assert_msg(first_diff(t.dx, one.dx, nx) == nx, "%d threads: dx", T);
            ck_assert_msg(first_diff(t.dw, one.dw, nw) == nw, "%d threads: dw", T);
        } else {
            ck_assert_msg(first_far(t.y, one.y, 1e-5, ny) == ny, "%d threads: y", T);
            ck_assert_msg(first_far(t.dx, one.dx, 1e-5, nx) == nx, "%d threads: dx", T);
            ck_assert_msg(first_far(t.dw, one.dw, 1e-4, nw) == nw, "%d threads: dw", T);
        }
        ck_assert_msg(first_diff(t.y, t2.y, ny) == ny &&
                      first_diff(t.dx, t2.dx, nx) == nx &&
                      first_diff(t.dw, t2.dw, nw) == nw,
                      "%d threads: not reproducible", T);
        out_free(&t);
        out_free(&t2);
    }
    out_free(&one);
    free(x);
    free(w);
    free(dy);
}
END_TEST

/* ---- the GEMM under both ---------------------------------------------- */

/* nc_gemm and nc_gemm_nt against cblas_sgemm (their fallback) on shapes
 * that hit every tile height and width, masked column tails, several k
 * blocks, both strides of A, and each way C starts (zero, bias, C). */
START_TEST(test_gemm_shapes)
{
    static const int ms[] = { 1, 3, 8, 13, 16, 25, 64 };
    static const int ns[] = { 1, 7, 16, 17, 33, 49, 100 };
    static const int ks[] = { 0, 1, 5, 144, 257, 600 };
    nc_rng r = nc_rng_make(79, NC_STREAM(NC_PURPOSE_TEST, 0));
    int worst = -1;
    double wmax = 0;
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
            for (size_t q = 0; q < sizeof ks / sizeof *ks; q++) {
                int m = ms[a], n = ns[b], k = ks[q], trans = (a + b + q) % 2;
                int acc = (a + q) % 3 == 0, bias = b % 2;
                size_t lda = trans ? m + 3 : k + 2, ldb = n + 5, ldc = n + 1;
                size_t na = lda * (trans ? k : m), nb = ldb * k, nc = ldc * m;
                float *A = alloc_floats(na), *B = alloc_floats(nb);
                float *C = alloc_floats(nc), *C2 = alloc_floats(nc);
                float *bv = alloc_floats(m), *pack = alloc_floats(nc_gemm_pack_floats(m, k));
                fill_normal(A, na, &r);
                fill_normal(B, nb, &r);
                fill_normal(C, nc, &r);
                fill_normal(bv, m, &r);
                memcpy(C2, C, nc * sizeof(float));
                ptrdiff_t rsa = trans ? 1 : (ptrdiff_t)lda, csa = trans ? (ptrdiff_t)lda : 1;
                nc_gemm(m, n, k, A, rsa, csa, B, ldb, C, ldc, acc, bias ? bv : NULL, pack);
                nc_gemm_blas(m, n, k, A, rsa, csa, B, ldb, C2, ldc, acc, bias ? bv : NULL);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double d = fabs(C[i * ldc + j] - C2[i * ldc + j]) / sqrt(k + 1.0);
                        if (d > wmax) {
                            wmax = d;
                            worst = (int)(a * 100 + b * 10 + q);
                        }
                    }
                /* Columns past n are never written. */
                for (int i = 0; i < m; i++)
                    ck_assert(C[i * ldc + n] == C2[i * ldc + n]);
                free(A); free(B); free(C); free(C2); free(bv); free(pack);
            }
    ck_assert_msg(wmax < 1e-5, "nc_gemm off by %g (case %d)", wmax, worst);

    for (int m = 1; m < 20; m += 3)
        for (int n = 1; n < 30; n += 4)
            for (int k = 1; k < 3000; k = k * 3 + 1) {
                size_t lda = k + 3, ldb = k + 1, ldc = n + 2;
                float *A = alloc_floats(lda * m), *B = alloc_floats(ldb * n);
                float *C = alloc_floats(ldc * m), *C2 = alloc_floats(ldc * m);
                fill_normal(A, lda * m, &r);
                fill_normal(B, ldb * n, &r);
                fill_normal(C, ldc * m, &r);
                memcpy(C2, C, ldc * m * sizeof(float));
                nc_gemm_nt(m, n, k, A, lda, B, ldb, C, ldc);
                nc_gemm_nt_blas(m, n, k, A, lda, B, ldb, C2, ldc);
                size_t bad = first_far(C, C2, 1e-5 * sqrt(k + 1.0), ldc * m);
                ck_assert_msg(bad == ldc * m, "nc_gemm_nt m%d n%d k%d: %g vs %g",
                              m, n, k, C[bad % (ldc * m)], C2[bad % (ldc * m)]);
                free(A); free(B); free(C); free(C2);
            }
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
    tcase_add_loop_test(tc, test_conv_threads, 0, N_THR_CFGS);
    tcase_add_loop_test(tc, test_linear_threads, 0, 3);
    tcase_add_test(tc, test_gemm_shapes);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
