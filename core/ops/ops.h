/*
 * ops.h — internal: the rows of the op table, one per file in core/ops/.
 * Only core/op.c should include this; everyone else goes through nc_op_get().
 */
#ifndef NC_OPS_H
#define NC_OPS_H

#include "core/op.h"

extern const nc_op_def nc_op_input_def;
extern const nc_op_def nc_op_conv2d_def;
extern const nc_op_def nc_op_linear_def;
extern const nc_op_def nc_op_batchnorm_def;
extern const nc_op_def nc_op_relu_def;
extern const nc_op_def nc_op_maxpool_def;
extern const nc_op_def nc_op_avgpool_def;
extern const nc_op_def nc_op_gap_def;
extern const nc_op_def nc_op_sum_def;
extern const nc_op_def nc_op_zero_def;
extern const nc_op_def nc_op_identity_def;
extern const nc_op_def nc_op_flatten_def;
extern const nc_op_def nc_op_softmax_xent_def;
extern const nc_op_def nc_op_mix_def;

/* Shared shape checks for single-input ops; they fill ctx on failure. */
nc_status nc_op_shape_same(nc_ctx *ctx, const nc_attr *a, int n_in,
                           const nc_shape *in, nc_shape *out);

#endif
