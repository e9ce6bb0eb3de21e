/*
 * proxy_int.h — what the proxy files share inside predictors/: each proxy's
 * entry point and the walks over conv/linear weights they all use. Not a
 * public header.
 */
#ifndef NC_PROXY_INT_H
#define NC_PROXY_INT_H

#include <stddef.h>

#include "predictors/proxy.h"

/* One proxy: computes the definition's value into *raw on a net already
 * initialized for the purpose (the caller restores parameters and state).
 * The batch has been checked against the proxy's needs. */
typedef nc_status (*nc_proxy_fn)(nc_ctx *ctx, nc_net *net,
                                 const nc_proxy_batch *b, double *raw);

nc_status nc_proxy_synflow(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                           double *raw);
nc_status nc_proxy_snip(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                        double *raw);
nc_status nc_proxy_grad_norm(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                             double *raw);
nc_status nc_proxy_grasp(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                         double *raw);
/* grasp at the one central-difference step rel * |W| / |g| (grasp itself
 * descends over steps); for tests of convergence. */
nc_status nc_proxy_grasp_step(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                              double rel, double *raw);
nc_status nc_proxy_fisher(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                          double *raw);
nc_status nc_proxy_gradsign(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                            double *raw);
nc_status nc_proxy_jacob_cov(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                             double *raw);
nc_status nc_proxy_naswot(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                          double *raw);

/* The weight tensor (bias excluded) of node i if it is a conv2d or linear
 * node: returns 1 and sets *off and *len (floats into nc_net_params); else 0.
 * These are the tensors the reference's per-layer metrics walk. */
int nc_proxy_weights(const nc_net *net, int i, size_t *off, size_t *len);

/* Zeroes the gradients and runs one training-mode forward and loss
 * backward on the batch, so nc_net_grads holds dL/dparams. */
nc_status nc_proxy_loss_grad(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b);

/* Eigenvalues of the symmetric n x n matrix a (row-major, destroyed) into
 * v[0..n), by cyclic Jacobi rotations in double. */
void nc_proxy_sym_eig(double *a, int n, double *v);

/* log|det a| of the n x n matrix a (row-major, destroyed) by LU with
 * partial pivoting; -INFINITY if a pivot is exactly zero. */
double nc_proxy_logdet(double *a, int n);

#endif
