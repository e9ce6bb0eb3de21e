/*
 * identity.c — y = x (NB201's skip_connect at stride 1). Both directions are
 * streams split over the pool in flat spans.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <string.h>

static nc_status identity_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                                const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "identity: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "identity: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    return nc_op_shape_same(ctx, a, n_in, in, out);
}

static void identity_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    memcpy(e->y + lo, e->x[0] + lo, (hi - lo) * sizeof(float));
}

static void identity_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    if (e->y != e->x[0])
        nc_par_for(e, m, NC_PAR_LINE, 2 * m, identity_fwd_span, (void *)e);
}

static void identity_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    const float *restrict dy = e->dy;
    float *restrict dx = e->dx[0];
    for (size_t i = lo; i < hi; i++)
        dx[i] += dy[i];
}

static void identity_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, 3 * m, identity_bwd_span, (void *)e);
}

const nc_op_def nc_op_identity_def = {
    .name = "identity",
    .min_in = 1,
    .max_in = 1,
    .shape = identity_shape,
    .forward = identity_forward,
    .backward = identity_backward,
};
