/*
 * gap.c — global average pooling, (c, h, w) -> (c, 1, 1). In CNHW every
 * (channel, sample) plane is contiguous, so the output y[c*n + i] is the mean
 * of the plane at (c*n + i)*hw: the output is already in flat F × n layout.
 */
#include "core/ops/ops.h"

static nc_status gap_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                           const nc_shape *in, nc_shape *out)
{
    (void)a;
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "gap: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "gap: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    *out = (nc_shape){ in[0].c, 1, 1 };
    return NC_OK;
}

static void gap_forward(const nc_exec *e)
{
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    const float *x = e->x[0];
    /* Sums in double: a plane can be thousands of pixels, and the fixed
     * order keeps the result deterministic. */
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * hw;
        double s = 0;
        for (size_t j = 0; j < hw; j++)
            s += xp[j];
        e->y[p] = (float)(s / (double)hw);
    }
}

static void gap_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    float inv = (float)(1.0 / (double)hw);
    for (size_t p = 0; p < planes; p++) {
        float g = e->dy[p] * inv;
        float *restrict dx = e->dx[0] + p * hw;
        for (size_t j = 0; j < hw; j++)
            dx[j] += g;
    }
}

const nc_op_def nc_op_gap_def = {
    .name = "gap",
    .min_in = 1,
    .max_in = 1,
    .shape = gap_shape,
    .forward = gap_forward,
    .backward = gap_backward,
};
