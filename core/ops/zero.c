/*
 * zero.c — NB201's "none" and DARTS' "zero": an edge that outputs zeros.
 * With stride s it matches x[:, :, ::s, ::s] * 0, i.e. (c, ceil(h/s),
 * ceil(w/s)). No gradient flows, so the row has no backward.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <string.h>

static nc_status zero_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                            const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "zero: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "zero: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    int s = a && a->stride ? a->stride : 1;
    if (s < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "zero: stride %d must be >= 1", s);
    *out = (nc_shape){ in[0].c, (in[0].h - 1) / s + 1, (in[0].w - 1) / s + 1 };
    return NC_OK;
}

static void zero_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    float *y = arg;
    memset(y + lo, 0, (hi - lo) * sizeof(float));
}

/* A store-only stream: split over the pool like the elementwise ops. */
static void zero_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, m, zero_span, e->y);
}

const nc_op_def nc_op_zero_def = {
    .name = "zero",
    .min_in = 1,
    .max_in = 1,
    .shape = zero_shape,
    .forward = zero_forward,
};
