/*
 * im2col.h — convolution kernels on raw CNHW buffers.
 *
 * All tensors are channel-major over a batch ("CNHW", see core/op.h): channel
 * c of a batch of n images of h × w is the contiguous block x + c*n*h*w. Output
 * sizes are passed in (ho = (h + 2*pad - k)/stride + 1, same for wo) so that
 * the callers' shape function stays the single place that computes them.
 *
 * The column matrix of im2col has one row per (ci, ky, kx) and one column per
 * (ni, oy, ox), row-major:
 *     col[((ci*k + ky)*k + kx) * (n*ho*wo) + (ni*ho + oy)*wo + ox]
 *         = x[ci][ni][oy*stride - pad + ky][ox*stride - pad + kx]   (0 outside)
 * so a convolution over the whole batch is one GEMM W[cout × c*k*k] · col.
 *
 * Outputs come first in every argument list; nothing here allocates.
 */
#ifndef NC_IM2COL_H
#define NC_IM2COL_H

#include <stddef.h>

/* col[c*k*k × n*ho*wo] = the patches of x[c × n × h × w] (overwritten). */
void nc_im2col(float *col, const float *x, int c, int n, int h, int w, int k,
               int stride, int pad, int ho, int wo);

/* dx[c × n × h × w] += the adjoint of nc_im2col applied to
 * col[c*k*k × n*ho*wo] (overlapping patches add up). */
void nc_col2im_add(float *dx, const float *col, int c, int n, int h, int w,
                   int k, int stride, int pad, int ho, int wo);

/* Depthwise convolution, forward: output channel co = ci*mult + j reads only
 * input channel ci (PyTorch groups == cin, cout == mult*cin).
 * y[c*mult × n × ho × wo] = conv(x[c × n × h × w], wt[c*mult × k × k])
 * + bias[c*mult] (bias may be NULL). y is overwritten. */
void nc_dwconv_forward(float *y, const float *x, const float *wt,
                       const float *bias, int c, int mult, int n, int h, int w,
                       int k, int stride, int pad, int ho, int wo);

/* Depthwise convolution, backward; shapes as in nc_dwconv_forward.
 * dx[c × n × h × w] += d/dx (dx may be NULL: skipped);
 * dwt[c*mult × k × k] += d/dwt (dwt may be NULL: skipped). The bias gradient
 * is nc_rows_sum_add(dbias, dy, c*mult, n*ho*wo). */
void nc_dwconv_backward(float *dx, float *dwt, const float *dy, const float *x,
                        const float *wt, int c, int mult, int n, int h, int w,
                        int k, int stride, int pad, int ho, int wo);

/* y[rows × cols] = bias[r] in row r, or 0 if bias is NULL: the C operand a
 * bias-carrying GEMM then accumulates into with beta = 1. */
void nc_rows_fill(float *y, const float *bias, size_t rows, size_t cols);

/* out[rows] += the sums of the rows of m[rows × cols] (bias gradients). */
void nc_rows_sum_add(float *out, const float *m, size_t rows, size_t cols);

#endif
