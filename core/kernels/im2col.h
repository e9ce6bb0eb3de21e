/*
 * im2col.h — convolution kernels on raw CNHW buffers.
 *
 * All tensors are channel-major over a batch ("CNHW", see core/op.h): channel
 * c of a batch of n images of h × w is the contiguous block x + c*n*h*w. Output
 * sizes are passed in (ho = (h + 2*pad - k)/stride + 1, same for wo) so that
 * the callers' shape function stays the single place that computes them.
 *
 * The column matrix of im2col covers m images (a chunk of the batch) and has
 * one row per (ci, ky, kx) and one column per (ni, oy, ox), row-major:
 *     col[((ci*k + ky)*k + kx) * (m*ho*wo) + (ni*ho + oy)*wo + ox]
 *         = x[ci][ni][oy*stride - pad + ky][ox*stride - pad + kx]   (0 outside)
 * so a convolution of the chunk is one GEMM W[cout × c*k*k] · col. x may
 * point at image i0 of a batch of n: channels stay n*h*w floats apart.
 *
 * Every kernel stages one image plane at a time into `scratch` (of the size
 * the matching *_scratch function gives; contents undefined on entry), zero
 * padded and split into its stride phases, so that each kernel tap reads a
 * contiguous, branch-free run whatever the padding and stride.
 *
 * Outputs come first in every argument list; nothing here allocates; results
 * are deterministic (fixed summation order).
 */
#ifndef NC_IM2COL_H
#define NC_IM2COL_H

#include <stddef.h>

/* Floats of scratch nc_im2col and nc_col2im_add need. */
size_t nc_im2col_scratch(int k, int stride, int ho, int wo);

/* col[c*k*k × m*ho*wo] = the patches of images 0..m-1 of x[c × n × h × w]
 * (overwritten); m <= n. */
void nc_im2col(float *col, float *scratch, const float *x, int c, int n, int m,
               int h, int w, int k, int stride, int pad, int ho, int wo);

/* dx[c × n × h × w] (its images 0..m-1) += the adjoint of nc_im2col applied
 * to col[c*k*k × m*ho*wo] (overlapping patches add up). */
void nc_col2im_add(float *dx, float *scratch, const float *col, int c, int n,
                   int m, int h, int w, int k, int stride, int pad, int ho,
                   int wo);

/* Floats of scratch nc_dwconv_forward and nc_dwconv_backward need. */
size_t nc_dwconv_scratch(int k, int stride, int ho, int wo);

/* Depthwise convolution, forward: output channel co = ci*mult + j reads only
 * input channel ci (PyTorch groups == cin, cout == mult*cin).
 * y[c*mult × n × ho × wo] = conv(x[c × n × h × w], wt[c*mult × k × k])
 * + bias[c*mult] (bias may be NULL), for images 0..m-1 (m <= n; x and y may
 * point at image i0 of the batch, as in nc_im2col). y is overwritten. */
void nc_dwconv_forward(float *y, float *scratch, const float *x,
                       const float *wt, const float *bias, int c, int mult,
                       int n, int m, int h, int w, int k, int stride, int pad,
                       int ho, int wo);

/* Depthwise convolution, backward; shapes and the image range 0..m-1 as in
 * nc_dwconv_forward. dx[c × n × h × w] += d/dx (dx may be NULL: skipped);
 * dwt[c*mult × k × k] += d/dwt over those images (dwt may be NULL:
 * skipped). The bias gradient is nc_rows_sum_add(dbias, dy, c*mult,
 * n*ho*wo). */
void nc_dwconv_backward(float *dx, float *dwt, float *scratch, const float *dy,
                        const float *x, const float *wt, int c, int mult, int n,
                        int m, int h, int w, int k, int stride, int pad, int ho,
                        int wo);

/* y[rows × cols] = bias[r] in row r, or 0 if bias is NULL: the C operand a
 * bias-carrying GEMM then accumulates into with beta = 1. */
void nc_rows_fill(float *y, const float *bias, size_t rows, size_t cols);

/* out[rows] += the sums of the rows of m[rows × cols] (bias gradients). */
void nc_rows_sum_add(float *out, const float *m, size_t rows, size_t cols);

#endif
