/*
 * sum.c — elementwise sum of 1..NC_MAX_IN inputs of equal shape (a cell's
 * node aggregating its incoming edges).
 */
#include "core/ops/ops.h"

#include <string.h>

static nc_status sum_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                           const nc_shape *in, nc_shape *out)
{
    if (n_in < 1 || n_in > NC_MAX_IN)
        return nc_fail(ctx, NC_ERR_INVAL, "sum: needs 1..%d inputs, got %d",
                       NC_MAX_IN, n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "sum: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    nc_status st = nc_op_shape_same(ctx, a, n_in, in, out);
    if (st)
        nc_ctx_prefix(ctx, "sum");
    return st;
}

/* Inputs are added in index order so the result is bit-identical run to run. */
static void sum_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    float *restrict y = e->y;
    if (y != e->x[0])
        memcpy(y, e->x[0], m * sizeof(float));
    for (int k = 1; k < e->n_in; k++) {
        const float *restrict x = e->x[k];
        for (size_t i = 0; i < m; i++)
            y[i] += x[i];
    }
}

static void sum_backward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    const float *restrict dy = e->dy;
    for (int k = 0; k < e->n_in; k++) {
        float *restrict dx = e->dx[k];
        if (!dx)
            continue;
        for (size_t i = 0; i < m; i++)
            dx[i] += dy[i];
    }
}

const nc_op_def nc_op_sum_def = {
    .name = "sum",
    .min_in = 1,
    .max_in = NC_MAX_IN,
    .shape = sum_shape,
    .forward = sum_forward,
    .backward = sum_backward,
};
