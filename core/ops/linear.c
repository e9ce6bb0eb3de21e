/*
 * linear.c — fully connected layer on flat features: Y[cout × n] =
 * W[cout × F] · X[F × n] + b, with the (F,1,1) CNHW input read as the F × n
 * matrix it already is. Parameters W[cout][F] then b[cout] (PyTorch).
 */
#include "core/op.h"
#include "core/ops/ops.h"
#include "core/kernels/im2col.h"

#include <cblas.h>
#include <math.h>

static nc_status linear_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                              const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: needs exactly 1 input, got %d",
                       n_in);
    if (in[0].c < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: empty input");
    if (in[0].h != 1 || in[0].w != 1)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "linear: input must be flat (F,1,1), got %dx%dx%d "
                       "(add a flatten or global pooling first)",
                       in[0].c, in[0].h, in[0].w);
    if (a->cout < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: output features %d < 1",
                       a->cout);
    *out = (nc_shape){ a->cout, 1, 1 };
    return NC_OK;
}

static size_t linear_n_params(const nc_attr *a, const nc_shape *in)
{
    return (size_t)a->cout * (size_t)in[0].c + (a->bias ? (size_t)a->cout : 0);
}

static void linear_init(const nc_attr *a, const nc_shape *in, float *w,
                        float *state, nc_rng *rng)
{
    (void)state;
    size_t nw = (size_t)a->cout * (size_t)in[0].c;
    float bound = (float)(1.0 / sqrt((double)in[0].c));
    for (size_t i = 0; i < nw; i++)
        w[i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
    if (a->bias)
        for (int i = 0; i < a->cout; i++)
            w[nw + i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
}

static void linear_forward(const nc_exec *e)
{
    const int f = e->in[0].c, m = e->attr->cout, n = e->n;
    const float *bias = e->attr->bias ? e->w + (size_t)m * f : NULL;
    nc_rows_fill(e->y, bias, (size_t)m, (size_t)n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, f, 1.0f,
                e->w, f, e->x[0], n, 1.0f, e->y, n);
}

static void linear_backward(const nc_exec *e)
{
    const int f = e->in[0].c, m = e->attr->cout, n = e->n;
    if (e->dw) {
        /* dW[m × f] += dY · Xᵀ */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, f, n, 1.0f,
                    e->dy, n, e->x[0], n, 1.0f, e->dw, f);
        if (e->attr->bias)
            nc_rows_sum_add(e->dw + (size_t)m * f, e->dy, (size_t)m, (size_t)n);
    }
    if (e->dx[0])
        /* dX[f × n] += Wᵀ · dY */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, n, m, 1.0f,
                    e->w, f, e->dy, n, 1.0f, e->dx[0], n);
}

static double linear_macs(const nc_attr *a, const nc_shape *in, nc_shape out)
{
    (void)out;
    return (double)a->cout * in[0].c;
}

const nc_op_def nc_op_linear_def = {
    .name = "linear",
    .min_in = 1,
    .max_in = 1,
    .shape = linear_shape,
    .n_params = linear_n_params,
    .init = linear_init,
    .forward = linear_forward,
    .backward = linear_backward,
    .macs = linear_macs,
};
