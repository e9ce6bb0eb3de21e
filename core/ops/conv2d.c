/*
 * conv2d.c — 2-D convolution (square kernel, stride, zero padding, groups,
 * optional bias), PyTorch semantics and parameter layout.
 *
 * Three paths, chosen from the attributes alone:
 *   depthwise (groups == cin): a direct kernel, since its GEMMs would have a
 *     single row and run far below peak; e->work holds one staged plane;
 *   pointwise (k == 1, stride 1, pad 0): the CNHW input of a group already is
 *     the column matrix, so one GEMM per group reads it in place;
 *   general: im2col of a group into e->work, then one GEMM per group, over
 *     chunks of the batch sized so that the column matrix stays in cache
 *     between im2col writing it and the GEMM reading it (whole-batch columns
 *     run to 100+ MB and make both passes DRAM-bound); a chunk still has
 *     thousands of columns, which is all the GEMM needs to run at speed.
 */
#include "core/op.h"
#include "core/ops/ops.h"
#include "core/kernels/im2col.h"

#include <cblas.h>
#include <math.h>

typedef struct conv_geom {
    int cin, h, w;      /* input, per sample */
    int cout, ho, wo;   /* output, per sample */
    int k, s, p, g;     /* kernel, stride, pad, groups (normalized) */
    int cin_g, cout_g;  /* channels per group */
    int kdim;           /* cin_g*k*k: GEMM inner dimension, weights per row */
} conv_geom;

static conv_geom conv_geom_of(const nc_attr *a, nc_shape in, nc_shape out)
{
    conv_geom c;
    c.cin = in.c;
    c.h = in.h;
    c.w = in.w;
    c.cout = a->cout;
    c.ho = out.h;
    c.wo = out.w;
    c.k = a->k;
    c.s = a->stride > 0 ? a->stride : 1;
    c.p = a->pad;
    c.g = a->groups > 0 ? a->groups : 1;
    c.cin_g = c.cin / c.g;
    c.cout_g = c.cout / c.g;
    c.kdim = c.cin_g * c.k * c.k;
    return c;
}

/* Target size of one chunk's column matrix, in floats. */
#ifndef NC_CONV_COL_FLOATS
#define NC_CONV_COL_FLOATS (1u << 20)
#endif

/* Images per chunk for a batch of n: a function of the shapes alone, so the
 * summation order, and with it every result bit, depends only on n. */
static int conv_chunk(const conv_geom *c, int n)
{
    size_t per_image = (size_t)c->kdim * c->ho * c->wo;
    size_t m = NC_CONV_COL_FLOATS / per_image;
    if (m < 1)
        m = 1;
    return m < (size_t)n ? (int)m : n;
}

/* Floats of the column buffer at the start of e->work; im2col's scratch
 * follows it. */
static size_t conv_col_floats(const conv_geom *c, int n)
{
    return (size_t)c->kdim * (size_t)conv_chunk(c, n) * c->ho * c->wo;
}

static int conv_is_depthwise(const conv_geom *c)
{
    return c->cin_g == 1 && c->g == c->cin;
}

static int conv_is_pointwise(const conv_geom *c)
{
    return c->k == 1 && c->s == 1 && c->p == 0;
}

/* Output size along one axis, or 0 if the kernel does not fit. */
static int conv_out_size(int in, int k, int s, int p)
{
    long span = (long)in + 2L * p - k;
    return span < 0 ? 0 : (int)(span / s + 1);
}

static nc_status conv_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                            const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: needs exactly 1 input, got %d",
                       n_in);
    nc_shape x = in[0];
    int s = a->stride > 0 ? a->stride : 1;
    int g = a->groups > 0 ? a->groups : 1;
    if (x.c < 1 || x.h < 1 || x.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: empty input %dx%dx%d",
                       x.c, x.h, x.w);
    if (a->k < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: kernel size %d < 1", a->k);
    if (a->cout < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: output channels %d < 1",
                       a->cout);
    if (a->stride < 0 || a->pad < 0 || a->groups < 0)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: negative stride %d, pad %d or groups %d",
                       a->stride, a->pad, a->groups);
    if (x.c % g)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: input channels %d not divisible by groups %d",
                       x.c, g);
    if (a->cout % g)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: output channels %d not divisible by groups %d",
                       a->cout, g);
    int ho = conv_out_size(x.h, a->k, s, a->pad);
    int wo = conv_out_size(x.w, a->k, s, a->pad);
    if (ho < 1 || wo < 1)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: kernel %d larger than input %dx%d padded by %d",
                       a->k, x.h, x.w, a->pad);
    *out = (nc_shape){ a->cout, ho, wo };
    return NC_OK;
}

static size_t conv_n_params(const nc_attr *a, const nc_shape *in)
{
    int g = a->groups > 0 ? a->groups : 1;
    size_t nw = (size_t)a->cout * (size_t)(in[0].c / g) * (size_t)a->k * a->k;
    return nw + (a->bias ? (size_t)a->cout : 0);
}

static size_t conv_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                          int n)
{
    conv_geom c = conv_geom_of(a, in[0], out);
    if (conv_is_depthwise(&c))
        return nc_dwconv_scratch(c.k, c.s, c.ho, c.wo);
    if (conv_is_pointwise(&c))
        return 0;
    /* One group and one chunk of columns at a time, then im2col's staging. */
    return conv_col_floats(&c, n) + nc_im2col_scratch(c.k, c.s, c.ho, c.wo);
}

static void conv_init(const nc_attr *a, const nc_shape *in, float *w,
                      float *state, nc_rng *rng)
{
    (void)state;
    int g = a->groups > 0 ? a->groups : 1;
    size_t fan_in = (size_t)(in[0].c / g) * (size_t)a->k * a->k;
    size_t nw = (size_t)a->cout * fan_in;
    /* PyTorch: kaiming_uniform(a=sqrt(5)) gives this same bound. */
    float bound = (float)(1.0 / sqrt((double)fan_in));
    for (size_t i = 0; i < nw; i++)
        w[i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
    if (a->bias)
        for (int i = 0; i < a->cout; i++)
            w[nw + i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
}

static void conv_forward(const nc_exec *e)
{
    conv_geom c = conv_geom_of(e->attr, e->in[0], e->out);
    const float *bias = e->attr->bias
        ? e->w + (size_t)c.cout * c.kdim : NULL;
    if (conv_is_depthwise(&c)) {
        nc_dwconv_forward(e->y, e->work, e->x[0], e->w, bias, c.cin,
                          c.cout / c.cin, e->n, c.h, c.w, c.k, c.s, c.p, c.ho,
                          c.wo);
        return;
    }
    const int n = e->n, howo = c.ho * c.wo, ncol = n * howo;
    const size_t xg = (size_t)c.cin_g * n * c.h * c.w;
    /* Bias (or zero) first, so the GEMMs can run with beta = 1. */
    nc_rows_fill(e->y, bias, (size_t)c.cout, (size_t)ncol);
    if (conv_is_pointwise(&c)) {
        for (int g = 0; g < c.g; g++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c.cout_g,
                        ncol, c.kdim, 1.0f,
                        e->w + (size_t)g * c.cout_g * c.kdim, c.kdim,
                        e->x[0] + g * xg, ncol, 1.0f,
                        e->y + (size_t)g * c.cout_g * ncol, ncol);
        return;
    }
    const int chunk = conv_chunk(&c, n);
    const size_t plane = (size_t)c.h * c.w;
    float *scratch = e->work + conv_col_floats(&c, n);
    for (int g = 0; g < c.g; g++)
        for (int n0 = 0; n0 < n; n0 += chunk) {
            int m = n - n0 < chunk ? n - n0 : chunk;
            nc_im2col(e->work, scratch, e->x[0] + g * xg + n0 * plane, c.cin_g,
                      n, m, c.h, c.w, c.k, c.s, c.p, c.ho, c.wo);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c.cout_g,
                        m * howo, c.kdim, 1.0f,
                        e->w + (size_t)g * c.cout_g * c.kdim, c.kdim,
                        e->work, m * howo, 1.0f,
                        e->y + (size_t)g * c.cout_g * ncol + (size_t)n0 * howo,
                        ncol);
        }
}

static void conv_backward(const nc_exec *e)
{
    conv_geom c = conv_geom_of(e->attr, e->in[0], e->out);
    const int ncol = e->n * c.ho * c.wo;
    float *dw = e->dw, *dx = e->dx[0];
    if (dw && e->attr->bias)
        nc_rows_sum_add(dw + (size_t)c.cout * c.kdim, e->dy, (size_t)c.cout,
                        (size_t)ncol);
    if (!dw && !dx)
        return;
    if (conv_is_depthwise(&c)) {
        nc_dwconv_backward(dx, dw, e->work, e->dy, e->x[0], e->w, c.cin,
                           c.cout / c.cin, e->n, c.h, c.w, c.k, c.s, c.p, c.ho,
                           c.wo);
        return;
    }
    const int n = e->n, howo = c.ho * c.wo;
    const size_t xg = (size_t)c.cin_g * n * c.h * c.w;
    const size_t plane = (size_t)c.h * c.w;
    const int direct = conv_is_pointwise(&c);
    const int chunk = direct ? n : conv_chunk(&c, n);
    float *scratch = direct ? NULL : e->work + conv_col_floats(&c, n);
    for (int g = 0; g < c.g; g++) {
        const float *wg = e->w + (size_t)g * c.cout_g * c.kdim;
        for (int n0 = 0; n0 < n; n0 += chunk) {
            int m = n - n0 < chunk ? n - n0 : chunk;
            int mcol = m * howo;
            const float *dyg = e->dy + (size_t)g * c.cout_g * ncol
                               + (size_t)n0 * howo;
            const float *xgp = e->x[0] + g * xg + n0 * plane;
            if (dw) {
                const float *col = xgp;
                if (!direct) {
                    nc_im2col(e->work, scratch, xgp, c.cin_g, n, m, c.h, c.w,
                              c.k, c.s, c.p, c.ho, c.wo);
                    col = e->work;
                }
                /* dW_g[cout_g × kdim] += dY_g · colᵀ */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c.cout_g,
                            c.kdim, mcol, 1.0f, dyg, ncol, col, direct ? ncol
                            : mcol, 1.0f, dw + (size_t)g * c.cout_g * c.kdim,
                            c.kdim);
            }
            if (dx) {
                float *dxg = dx + g * xg + n0 * plane;
                /* dcol[kdim × mcol] = W_gᵀ · dY_g: pointwise adds it straight
                 * into dx, the general path folds it back with col2im. */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c.kdim,
                            mcol, c.cout_g, 1.0f, wg, c.kdim, dyg, ncol,
                            direct ? 1.0f : 0.0f, direct ? dxg : e->work,
                            direct ? ncol : mcol);
                if (!direct)
                    nc_col2im_add(dxg, scratch, e->work, c.cin_g, n, m, c.h,
                                  c.w, c.k, c.s, c.p, c.ho, c.wo);
            }
        }
    }
}

static double conv_macs(const nc_attr *a, const nc_shape *in, nc_shape out)
{
    int g = a->groups > 0 ? a->groups : 1;
    return (double)a->cout * out.h * out.w * (double)(in[0].c / g) * a->k * a->k;
}

const nc_op_def nc_op_conv2d_def = {
    .name = "conv2d",
    .min_in = 1,
    .max_in = 1,
    .shape = conv_shape,
    .n_params = conv_n_params,
    .n_work = conv_n_work,
    .init = conv_init,
    .forward = conv_forward,
    .backward = conv_backward,
    .macs = conv_macs,
};
