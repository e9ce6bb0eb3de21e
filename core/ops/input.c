/*
 * input.c — the data node. It has no inputs and no kernels: nc_net_input()
 * gives it its shape, and the forward pass (core/net_run.c) makes the
 * caller's batch its output, which nothing writes.
 */
#include "core/ops/ops.h"

/* A shape cannot be derived from zero inputs, so the net must never ask; if a
 * caller does, fail cleanly without touching `in` (NULL here) or `out`. */
static nc_status input_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                             const nc_shape *in, nc_shape *out)
{
    (void)a;
    (void)in;
    (void)out;
    if (n_in != 0)
        return nc_fail(ctx, NC_ERR_INVAL, "input: takes no inputs, got %d", n_in);
    return nc_fail(ctx, NC_ERR_INVAL,
                   "input: the shape of an input node is set by nc_net_input");
}

const nc_op_def nc_op_input_def = {
    .name = "input",
    .min_in = 0,
    .max_in = 0,
    .shape = input_shape,
};
