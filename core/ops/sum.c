/*
 * sum.c — elementwise sum of 1..NC_MAX_IN inputs of equal shape (a cell's
 * node aggregating its incoming edges).
 *
 * Both directions walk the tensor in L1-sized blocks, so an output block is
 * read from memory once however many inputs it gathers (and a dy block once
 * however many gradients it feeds); the flat range is split over the pool.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

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

/* Floats per block: 8 KiB, so a block of the output and of the input being
 * added both stay in L1. */
enum { SUM_BLOCK = 2048 };

/* Inputs are added in index order, y = ((x0 + x1) + x2) + ..., so each
 * element is bit-identical run to run and for any split. */
static void sum_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    /* y may be x[0] itself (in place): then it already holds x0. */
    int inplace = e->y == e->x[0];
    for (size_t b = lo; b < hi; b += SUM_BLOCK) {
        size_t len = hi - b < SUM_BLOCK ? hi - b : SUM_BLOCK;
        float *restrict y = e->y + b;
        int k = 1;
        if (!inplace && e->n_in >= 2) {
            const float *restrict x0 = e->x[0] + b, *restrict x1 = e->x[1] + b;
            for (size_t i = 0; i < len; i++)
                y[i] = x0[i] + x1[i];
            k = 2;
        } else if (!inplace) {
            memcpy(y, e->x[0] + b, len * sizeof(float));
        }
        for (; k < e->n_in; k++) {
            const float *restrict x = e->x[k] + b;
            for (size_t i = 0; i < len; i++)
                y[i] += x[i];
        }
    }
}

static void sum_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, (size_t)(e->n_in + 1) * m, sum_fwd_span,
               (void *)e);
}

static void sum_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    for (size_t b = lo; b < hi; b += SUM_BLOCK) {
        size_t len = hi - b < SUM_BLOCK ? hi - b : SUM_BLOCK;
        const float *restrict dy = e->dy + b;
        for (int k = 0; k < e->n_in; k++) {
            if (!e->dx[k])
                continue;
            float *restrict dx = e->dx[k] + b;
            for (size_t i = 0; i < len; i++)
                dx[i] += dy[i];
        }
    }
}

static void sum_backward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, (size_t)(2 * e->n_in + 1) * m, sum_bwd_span,
               (void *)e);
}

const nc_op_def nc_op_sum_def = {
    .name = "sum",
    .min_in = 1,
    .max_in = NC_MAX_IN,
    .shape = sum_shape,
    .forward = sum_forward,
    .backward = sum_backward,
};
