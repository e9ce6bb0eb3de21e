/*
 * pool.c — max and average pooling over square windows (k, stride, pad),
 * output size floor((h + 2p - k)/s) + 1 as in PyTorch (ceil_mode=False):
 * how both compute, and the shape checks they share. The ops themselves
 * are in maxpool.c and avgpool.c; pool_int.h holds their common helpers.
 *
 * Both ops work plane by plane: in CNHW each (channel, sample) plane of h*w
 * floats is contiguous, and so is its output plane. Planes are split over
 * the pool (core/ops/par.h), each thread padding planes in its own scratch;
 * a plane's result does not depend on the thread that computed it, so any
 * thread count gives the same bits. Every output is defined by a per-window
 * loop (pool_max_one, pool_avg_one) over the in-image taps in row-major
 * order. The fast paths reproduce it bit for bit, so results never depend
 * on which path or build ran:
 *   - stride 1 or 2 with AVX2 (3×3 p1 in NB201/DARTS cells, 3×3 s2 in DARTS
 *     reduction cells): the plane is copied into work with its rows padded
 *     (zeros for the average, -inf for the max), and outputs are computed 8
 *     at a time with the window in registers, borders and narrow (8×8)
 *     planes included. Adding a zero tap to a sum that starts at +0 changes
 *     no bit, and a -inf tap can never be taken after the first tap, whose
 *     index is clamped to the first in-image column, so the padding is
 *     invisible. The average pads whole zero rows too, so all its windows
 *     have one loop shape and several output rows run interleaved;
 *   - 2×2 stride 2 pad 0 max (the CNN's downsampling) with AVX2: 8 outputs
 *     at a time straight from x, the four taps being the even and odd lanes
 *     of two row loads;
 *   - 2×2 stride 2 pad 0 average (ResNet-style downsampling): four taps
 *     written out in a loop the compiler vectorizes.
 * The average's stride-1 backward is a gather, dx(iy, ix) += Σ dy/count over
 * the windows holding (iy, ix) in (oy, ox) order, vectorized the same way;
 * the other backward passes scatter in output order (the max's scatter is
 * bound by memory traffic, which a vector gather did not reduce).
 *
 * Padding never takes part in a max; ties go to the first maximum in
 * row-major order and NaN propagates, as in PyTorch. For the average,
 * count_pad = 1 divides by k*k (PyTorch's count_include_pad=True) and
 * count_pad = 0 by the number of in-image pixels (NB201's avg_pool_3x3).
 * MACs are 0 by the NB201 convention, which counts only convolutions and
 * linear layers.
 */
#include "core/ops/pool_int.h"

nc_status nc_pooling_shape(nc_ctx *ctx, const char *name, const nc_attr *a,
                           int n_in, const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: needs 1 input, got %d", name, n_in);
    nc_shape s = in[0];
    if (s.c < 1 || s.h < 1 || s.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: bad input shape %dx%dx%d",
                       name, s.c, s.h, s.w);
    int k = a->k, st = a->stride ? a->stride : 1, p = a->pad;
    /* The kernel bound keeps all index arithmetic far from int overflow. */
    if (k < 1 || k > 4096 || st < 1 || p < 0)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s: kernel %d, stride %d, pad %d out of range",
                       name, k, st, p);
    /* PyTorch's rule; it also guarantees every window holds an in-image
     * pixel, so a max always exists and an average never divides by 0. */
    if (p > k / 2)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s: pad %d is more than half the kernel size %d",
                       name, p, k);
    if (s.h + 2 * p < k || s.w + 2 * p < k)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s: kernel %d larger than the padded input %dx%d",
                       name, k, s.h + 2 * p, s.w + 2 * p);
    /* Max pooling keeps arg-max positions as floats in the save buffer;
     * integers above 2^24 would not survive that. */
    if ((size_t)s.h * (size_t)s.w > ((size_t)1 << 24))
        return nc_fail(ctx, NC_ERR_INVAL, "%s: input plane %dx%d too large",
                       name, s.h, s.w);
    *out = (nc_shape){ s.c, (s.h + 2 * p - k) / st + 1, (s.w + 2 * p - k) / st + 1 };
    return NC_OK;
}
