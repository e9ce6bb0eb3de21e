#include "core/op.h"
#include "core/ops/ops.h"

#include <string.h>

static const nc_op_def *const nc_op_table[NC_OP_COUNT] = {
    [NC_OP_INPUT] = &nc_op_input_def,
    [NC_OP_CONV2D] = &nc_op_conv2d_def,
    [NC_OP_LINEAR] = &nc_op_linear_def,
    [NC_OP_BATCHNORM] = &nc_op_batchnorm_def,
    [NC_OP_RELU] = &nc_op_relu_def,
    [NC_OP_MAXPOOL] = &nc_op_maxpool_def,
    [NC_OP_AVGPOOL] = &nc_op_avgpool_def,
    [NC_OP_GAP] = &nc_op_gap_def,
    [NC_OP_SUM] = &nc_op_sum_def,
    [NC_OP_ZERO] = &nc_op_zero_def,
    [NC_OP_IDENTITY] = &nc_op_identity_def,
    [NC_OP_FLATTEN] = &nc_op_flatten_def,
    [NC_OP_SOFTMAX_XENT] = &nc_op_softmax_xent_def,
    [NC_OP_MIX] = &nc_op_mix_def,
};

const nc_op_def *nc_op_get(nc_op_kind k)
{
    if ((unsigned)k >= NC_OP_COUNT)
        return NULL;
    return nc_op_table[k];
}

int nc_op_find(const char *name)
{
    for (int k = 0; k < NC_OP_COUNT; k++)
        if (nc_op_table[k] && strcmp(nc_op_table[k]->name, name) == 0)
            return k;
    return -1;
}

nc_status nc_op_shape_same(nc_ctx *ctx, const nc_attr *a, int n_in,
                           const nc_shape *in, nc_shape *out)
{
    (void)a;
    if (n_in < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "op needs an input");
    for (int i = 1; i < n_in; i++)
        if (in[i].c != in[0].c || in[i].h != in[0].h || in[i].w != in[0].w)
            return nc_fail(ctx, NC_ERR_INVAL,
                           "input %d has shape %dx%dx%d, input 0 has %dx%dx%d",
                           i, in[i].c, in[i].h, in[i].w, in[0].c, in[0].h, in[0].w);
    *out = in[0];
    return NC_OK;
}
