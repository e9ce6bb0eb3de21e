/*
 * relu.c — y = max(x, 0).
 *
 * Both kernels are memory-bound streams, split over the pool in flat spans
 * (core/ops/par.h). Each element's result does not depend on the split.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

static nc_status relu_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                            const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "relu: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "relu: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    return nc_op_shape_same(ctx, a, n_in, in, out);
}

/* NaN and -0 map to +0 (as this op always has): max_ps returns its second
 * operand when the first is NaN or both are zeros. */
static void relu_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    const float *restrict x = e->x[0];
    float *restrict y = e->y;
    size_t i = lo;
#ifdef __AVX2__
    const __m256 zero = _mm256_setzero_ps();
    for (; i + 8 <= hi; i += 8)
        _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_loadu_ps(x + i), zero));
#endif
    for (; i < hi; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* The gradient is gated on the input rather than the output so that the
 * kernel does not depend on y still being alive; at x == 0 it is 0, as in
 * PyTorch. A select (compare mask AND dy), never a branch: x's sign is
 * random, and the `x > 0 ? dy : 0` loop was a mispredicting scalar loop
 * whenever the compiler did not if-convert it. */
static void relu_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    const float *restrict x = e->x[0];
    const float *restrict dy = e->dy;
    float *restrict dx = e->dx[0];
    size_t i = lo;
#ifdef __AVX2__
    const __m256 zero = _mm256_setzero_ps();
    for (; i + 8 <= hi; i += 8) {
        __m256 pos = _mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_GT_OQ);
        __m256 g = _mm256_and_ps(pos, _mm256_loadu_ps(dy + i));
        _mm256_storeu_ps(dx + i, _mm256_add_ps(_mm256_loadu_ps(dx + i), g));
    }
#endif
    for (; i < hi; i++) {
        float g = dy[i];
        dx[i] += x[i] > 0.0f ? g : 0.0f;
    }
}

/* Frozen gates (nc_net_relu_freeze): y = x where gate > 0, else 0, and the
 * same mask in backward. A second-order proxy differentiates the net with
 * the on/off pattern held fixed, as autograd's double backward does; rare,
 * so plain loops. */
static void relu_gated_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    for (size_t i = lo; i < hi; i++)
        e->y[i] = e->gate[i] > 0.0f ? e->x[0][i] : 0.0f;
}

static void relu_gated_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    for (size_t i = lo; i < hi; i++)
        e->dx[0][i] += e->gate[i] > 0.0f ? e->dy[i] : 0.0f;
}

static void relu_forward(const nc_exec *e)
{
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, 2 * m,
               e->gate ? relu_gated_fwd_span : relu_fwd_span, (void *)e);
}

static void relu_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, 4 * m,
               e->gate ? relu_gated_bwd_span : relu_bwd_span, (void *)e);
}

const nc_op_def nc_op_relu_def = {
    .name = "relu",
    .min_in = 1,
    .max_in = 1,
    .shape = relu_shape,
    .forward = relu_forward,
    .backward = relu_backward,
};
