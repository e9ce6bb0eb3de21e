/*
 * gradcheck.h — finite-difference gradient checks for ops and whole nets.
 *
 * The loss is L = sum_i y_i * r_i with fixed random r (so every output element
 * matters); the analytic gradient (backward with dy = r) is compared with the
 * central difference (L(v+eps) - L(v-eps)) / 2eps for up to max_elems randomly
 * chosen elements of every input and every parameter tensor. An element
 * passes if |analytic - numeric| <= tol * max(1, |analytic|, |numeric|).
 *
 *     double err;
 *     nc_attr a = { .cout = 4, .k = 3, .stride = 1, .pad = 1, .bias = 1 };
 *     nc_shape in = { 3, 5, 5 };
 *     if (nc_gradcheck_op(&ctx, NC_OP_CONV2D, &a, 1, &in, 2, 1, NULL,
 *                         42, 1e-2, &err) != NC_OK)
 *         puts(ctx.msg);   // names the tensor, element and both values
 */
#ifndef NC_GRADCHECK_H
#define NC_GRADCHECK_H

#include "core/op.h"
#include "core/net.h"

/* Checks op k for a batch of n with per-sample input shapes in[0..n_in).
 * xs: optional explicit inputs (xs[i] has n*size(in[i]) floats, CNHW); NULL
 * draws standard normals. train: BN mode. Labels for SOFTMAX_XENT are drawn
 * at random. *max_err (may be NULL) gets the largest scaled error seen.
 * Returns NC_OK, or NC_ERR_NUMERIC naming the first failing element. */
nc_status nc_gradcheck_op(nc_ctx *ctx, nc_op_kind k, const nc_attr *a, int n_in,
                          const nc_shape *in, int n, int train,
                          const float *const *xs, uint64_t seed, double tol,
                          double *max_err);

/* Checks d(mean loss)/d(params) of a finalized, initialized net on (x,
 * labels) in training mode, for up to max_elems random parameters. */
nc_status nc_gradcheck_net(nc_ctx *ctx, nc_net *net, const float *x,
                           const int32_t *labels, int n, int max_elems,
                           double tol, double *max_err);

#endif
