/*
 * gap.c — global average pooling, (c, h, w) -> (c, 1, 1). In CNHW every
 * (channel, sample) plane is contiguous, so the output y[c*n + i] is the mean
 * of the plane at (c*n + i)*hw: the output is already in flat F × n layout.
 * Planes are split over the pool; each is summed by one thread.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"
#include "core/ops/reduce.h"

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

/* Sums in double with the fixed lanes of reduce.h: a plane can be thousands
 * of pixels, the order is fixed (deterministic for any thread count), and
 * the lanes keep the adder busy where one scalar chain would wait on it. */
static void gap_fwd_span(void *arg, size_t p0, size_t p1, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    for (size_t p = p0; p < p1; p++)
        e->y[p] = (float)(nc_red_sum(e->x[0] + p * hw, hw) / (double)hw);
}

static void gap_forward(const nc_exec *e)
{
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    nc_par_for(e, planes, 1, planes * hw, gap_fwd_span, (void *)e);
}

static void gap_bwd_span(void *arg, size_t p0, size_t p1, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    float inv = (float)(1.0 / (double)hw);
    for (size_t p = p0; p < p1; p++) {
        float g = e->dy[p] * inv;
        float *restrict dx = e->dx[0] + p * hw;
        for (size_t j = 0; j < hw; j++)
            dx[j] += g;
    }
}

static void gap_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    nc_par_for(e, planes, 1, 2 * planes * hw, gap_bwd_span, (void *)e);
}

const nc_op_def nc_op_gap_def = {
    .name = "gap",
    .min_in = 1,
    .max_in = 1,
    .shape = gap_shape,
    .forward = gap_forward,
    .backward = gap_backward,
};
