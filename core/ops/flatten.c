/*
 * flatten.c — (c, h, w) -> (c*h*w, 1, 1) in PyTorch's order.
 *
 * PyTorch flattens NCHW so that feature f = (c*h + y)*w + x. In CNHW a channel
 * is an n × (h*w) block and a flat vector is stored F × n, so for every
 * channel the op is the transpose of an n × hw matrix into hw × n. When
 * h = w = 1 the layouts coincide and it is a copy. Channels (or, for the
 * copy, flat spans) are split over the pool: every element is moved by one
 * thread, so any split gives the same bits.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <limits.h>
#include <string.h>

/* Tile edge of the blocked transpose: 32×32 floats = 4 KiB per side, so
 * source and destination tiles stay in L1 for any n and hw. */
enum { FL_TILE = 32 };

static nc_status flatten_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                               const nc_shape *in, nc_shape *out)
{
    (void)a;
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "flatten: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "flatten: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    size_t f = nc_shape_size(in[0]);
    if (f > INT_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "flatten: %dx%dx%d has too many features",
                       in[0].c, in[0].h, in[0].w);
    *out = (nc_shape){ (int)f, 1, 1 };
    return NC_OK;
}

/* dst[j*rows + i] (+)= src[i*cols + j] for an rows × cols matrix. */
static void transpose(float *restrict dst, const float *restrict src,
                      size_t rows, size_t cols, int add)
{
    for (size_t i0 = 0; i0 < rows; i0 += FL_TILE) {
        size_t i1 = i0 + FL_TILE < rows ? i0 + FL_TILE : rows;
        for (size_t j0 = 0; j0 < cols; j0 += FL_TILE) {
            size_t j1 = j0 + FL_TILE < cols ? j0 + FL_TILE : cols;
            for (size_t j = j0; j < j1; j++) {
                float *restrict d = dst + j * rows;
                if (add)
                    for (size_t i = i0; i < i1; i++)
                        d[i] += src[i * cols + j];
                else
                    for (size_t i = i0; i < i1; i++)
                        d[i] = src[i * cols + j];
            }
        }
    }
}

static void flatten_fwd_span(void *arg, size_t c0, size_t c1, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t n = (size_t)e->n, hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    for (size_t ci = c0; ci < c1; ci++)
        transpose(e->y + ci * hw * n, e->x[0] + ci * n * hw, n, hw, 0);
}

static void flatten_copy_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    memcpy(e->y + lo, e->x[0] + lo, (hi - lo) * sizeof(float));
}

static void flatten_forward(const nc_exec *e)
{
    size_t n = (size_t)e->n, c = (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    if (hw == 1)
        nc_par_for(e, c * n, NC_PAR_LINE, 2 * c * n, flatten_copy_span, (void *)e);
    else
        nc_par_for(e, c, 1, 2 * c * n * hw, flatten_fwd_span, (void *)e);
}

static void flatten_bwd_span(void *arg, size_t c0, size_t c1, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t n = (size_t)e->n, hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    for (size_t ci = c0; ci < c1; ci++)
        transpose(e->dx[0] + ci * n * hw, e->dy + ci * hw * n, hw, n, 1);
}

static void flatten_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t n = (size_t)e->n, c = (size_t)e->in[0].c;
    size_t hw = (size_t)e->in[0].h * (size_t)e->in[0].w;
    nc_par_for(e, c, 1, 3 * c * n * hw, flatten_bwd_span, (void *)e);
}

const nc_op_def nc_op_flatten_def = {
    .name = "flatten",
    .min_in = 1,
    .max_in = 1,
    .shape = flatten_shape,
    .forward = flatten_forward,
    .backward = flatten_backward,
};
