/*
 * relu.c — y = max(x, 0).
 */
#include "core/ops/ops.h"

static nc_status relu_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                            const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "relu: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "relu: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    return nc_op_shape_same(ctx, a, n_in, in, out);
}

static void relu_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    const float *restrict x = e->x[0];
    float *restrict y = e->y;
    for (size_t i = 0; i < m; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* The gradient is gated on the input rather than the output so that the
 * kernel does not depend on y still being alive; at x == 0 it is 0, as in
 * PyTorch. */
static void relu_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    const float *restrict x = e->x[0];
    const float *restrict dy = e->dy;
    float *restrict dx = e->dx[0];
    for (size_t i = 0; i < m; i++)
        dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

const nc_op_def nc_op_relu_def = {
    .name = "relu",
    .min_in = 1,
    .max_in = 1,
    .shape = relu_shape,
    .forward = relu_forward,
    .backward = relu_backward,
};
