/*
 * batchnorm.c — 2-D batch normalization, PyTorch semantics.
 *
 * In CNHW a channel is one contiguous row of M = n*h*w floats, so every
 * reduction here is a plain row sum. Training normalizes with the batch mean
 * and biased variance and moves the running statistics toward the batch
 * mean and the UNBIASED variance (as torch.nn.BatchNorm2d does); evaluation
 * normalizes with the running statistics.
 *
 * Parameters (attr.affine): gamma[c], beta[c]. State: mean[c], var[c].
 * Save: the mean (as a float pair hi + lo) and 1/sqrt(var + eps) each channel
 * was normalized with, so backward can rebuild xhat from x without storing
 * it. The pair keeps x - mean accurate when the mean is large relative to the
 * spread (x - hi is exact there), which rounding the mean to one float would
 * not.
 *
 * Threads: channels are split over the pool. A channel's sums, its running
 * statistics, its parameter gradients and its outputs are all computed by
 * one thread in the same order as single-threaded, so results are
 * bit-identical for any thread count. The sums use the fixed lane split of
 * core/ops/reduce.h, vectorized by hand (the compiler left the original
 * lane arrays scalar, and they dominated the op).
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"
#include "core/ops/reduce.h"

#include <math.h>

static float bn_eps(const nc_attr *a)
{
    return a->eps != 0.0f ? a->eps : 1e-5f;
}

static float bn_momentum(const nc_attr *a)
{
    return a->momentum != 0.0f ? a->momentum : 0.1f;
}

/* Sum of squared deviations from mu; two-pass (not E[x²] - E[x]²) so large
 * activation offsets do not cancel the variance away. */
static double bn_sqdev(const float *restrict x, size_t m, double mu)
{
    double acc[NC_RED_LANES] = { 0 };
    size_t i = 0;
#ifdef __AVX2__
    const __m256d vmu = _mm256_set1_pd(mu);
    __m256d a[4] = { _mm256_setzero_pd(), _mm256_setzero_pd(),
                     _mm256_setzero_pd(), _mm256_setzero_pd() };
    for (; i + NC_RED_LANES <= m; i += NC_RED_LANES) {
        __m256d v[4];
        nc_red_load8(x + i, &v[0], &v[1]);
        nc_red_load8(x + i + 8, &v[2], &v[3]);
        for (int k = 0; k < 4; k++) {
            __m256d d = _mm256_sub_pd(v[k], vmu);
            a[k] = _mm256_add_pd(a[k], _mm256_mul_pd(d, d));
        }
    }
    for (int k = 0; k < 4; k++)
        _mm256_storeu_pd(acc + 4 * k, a[k]);
#endif
    for (; i < m; i++) {
        double d = (double)x[i] - mu;
        acc[i % NC_RED_LANES] += d * d;
    }
    return nc_red_combine(acc);
}

/* *sdy = Σ dy, *sdx = Σ dy·(x - mu). */
static void bn_grad_sums(const float *restrict x, const float *restrict dy,
                         size_t m, double mu, double *sdy, double *sdx)
{
    double a[NC_RED_LANES] = { 0 }, b[NC_RED_LANES] = { 0 };
    size_t i = 0;
#ifdef __AVX2__
    const __m256d vmu = _mm256_set1_pd(mu);
    __m256d va[4], vb[4];
    for (int k = 0; k < 4; k++)
        va[k] = vb[k] = _mm256_setzero_pd();
    for (; i + NC_RED_LANES <= m; i += NC_RED_LANES) {
        __m256d g[4], v[4];
        nc_red_load8(dy + i, &g[0], &g[1]);
        nc_red_load8(dy + i + 8, &g[2], &g[3]);
        nc_red_load8(x + i, &v[0], &v[1]);
        nc_red_load8(x + i + 8, &v[2], &v[3]);
        for (int k = 0; k < 4; k++) {
            va[k] = _mm256_add_pd(va[k], g[k]);
            vb[k] = _mm256_add_pd(vb[k], _mm256_mul_pd(g[k], _mm256_sub_pd(v[k], vmu)));
        }
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_pd(a + 4 * k, va[k]);
        _mm256_storeu_pd(b + 4 * k, vb[k]);
    }
#endif
    for (; i < m; i++) {
        double g = (double)dy[i];
        a[i % NC_RED_LANES] += g;
        b[i % NC_RED_LANES] += g * ((double)x[i] - mu);
    }
    *sdy = nc_red_combine(a);
    *sdx = nc_red_combine(b);
}

static nc_status bn_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                          const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "batchnorm: needs 1 input, got %d", n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "batchnorm: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    float eps = bn_eps(a), mom = bn_momentum(a);
    if (!(eps > 0.0f) || !isfinite(eps))
        return nc_fail(ctx, NC_ERR_INVAL, "batchnorm: eps %g must be > 0",
                       (double)eps);
    if (!(mom > 0.0f && mom <= 1.0f))
        return nc_fail(ctx, NC_ERR_INVAL,
                       "batchnorm: momentum %g must be in (0, 1]", (double)mom);
    *out = in[0];
    return NC_OK;
}

static size_t bn_n_params(const nc_attr *a, const nc_shape *in)
{
    return a->affine ? 2 * (size_t)in[0].c : 0;
}

static size_t bn_n_state(const nc_attr *a, const nc_shape *in)
{
    (void)a;
    return 2 * (size_t)in[0].c;
}

static size_t bn_n_save(const nc_attr *a, const nc_shape *in, nc_shape out, int n)
{
    (void)a;
    (void)out;
    (void)n;
    return 3 * (size_t)in[0].c;
}

static void bn_init(const nc_attr *a, const nc_shape *in, float *w,
                    float *state, nc_rng *rng)
{
    (void)rng;
    int c = in[0].c;
    for (int i = 0; i < c; i++) {
        if (a->affine) {
            w[i] = 1.0f;
            w[c + i] = 0.0f;
        }
        state[i] = 0.0f;
        state[c + i] = 1.0f;
    }
}

typedef struct bn_job {
    const nc_exec *e;
    size_t m;            /* floats per channel: n*h*w */
} bn_job;

static void bn_fwd_span(void *arg, size_t c0, size_t c1, int thread)
{
    (void)thread;
    const bn_job *j = arg;
    const nc_exec *e = j->e;
    const nc_attr *a = e->attr;
    size_t m = j->m;
    int c = e->in[0].c;
    double eps = bn_eps(a), mom = bn_momentum(a);
    float *save_hi = e->save, *save_lo = e->save + c, *save_istd = e->save + 2 * c;
    for (size_t ci = c0; ci < c1; ci++) {
        const float *restrict x = e->x[0] + ci * m;
        float *restrict y = e->y + ci * m;
        double mu, var;
        if (e->train) {
            mu = nc_red_sum(x, m) / (double)m;
            var = bn_sqdev(x, m, mu) / (double)m;
            if (e->state) {
                /* PyTorch's update; with M = 1 the unbiased variance is
                 * undefined (PyTorch refuses), so the biased one is used. */
                double unb = m > 1 ? var * (double)m / (double)(m - 1) : var;
                float *rm = e->state + ci, *rv = e->state + c + ci;
                *rm = (float)((1.0 - mom) * *rm + mom * mu);
                *rv = (float)((1.0 - mom) * *rv + mom * unb);
            }
        } else {
            mu = e->state[ci];
            var = e->state[c + ci];
        }
        double istd = 1.0 / sqrt(var + eps);
        double g = a->affine ? e->w[ci] : 1.0;
        double b = a->affine ? e->w[c + ci] : 0.0;
        /* Centre first: folding mu into a shift (y = x*scale + shift) would
         * cancel badly for large activation offsets. */
        float hi = (float)mu, lo = (float)(mu - hi);
        float scale = (float)(g * istd), bf = (float)b;
        for (size_t i = 0; i < m; i++)
            y[i] = ((x[i] - hi) - lo) * scale + bf;
        save_hi[ci] = hi;
        save_lo[ci] = lo;
        save_istd[ci] = (float)istd;
    }
}

static void bn_forward(const nc_exec *e)
{
    bn_job j = { e, (size_t)e->n * (size_t)e->in[0].h * (size_t)e->in[0].w };
    size_t c = (size_t)e->in[0].c;
    nc_par_for(e, c, 1, 2 * c * j.m, bn_fwd_span, &j);
}

/* With xhat = (x - mu)·istd and y = gamma·xhat + beta:
 *   dbeta = Σ dy,  dgamma = Σ dy·xhat,
 *   train: dx = gamma·istd·(dy - Σdy/M - xhat·Σ(dy·xhat)/M)
 *   eval:  dx = gamma·istd·dy   (mu and istd are constants)
 * Both are dx += A·dy + B·(x - mu) + C, one vectorizable loop. */
static void bn_bwd_span(void *arg, size_t c0, size_t c1, int thread)
{
    (void)thread;
    const bn_job *j = arg;
    const nc_exec *e = j->e;
    const nc_attr *a = e->attr;
    size_t m = j->m;
    int c = e->in[0].c;
    const float *save_hi = e->save, *save_lo = e->save + c;
    const float *save_istd = e->save + 2 * c;
    float *dw = a->affine ? e->dw : NULL;
    for (size_t ci = c0; ci < c1; ci++) {
        const float *restrict x = e->x[0] + ci * m;
        const float *restrict dy = e->dy + ci * m;
        float hi = save_hi[ci], lo = save_lo[ci];
        double mu = (double)hi + (double)lo, istd = save_istd[ci];
        double g = a->affine ? e->w[ci] : 1.0;
        double sdy = 0, sdx = 0;
        if (dw || e->train)
            bn_grad_sums(x, dy, m, mu, &sdy, &sdx);
        if (dw) {
            dw[ci] += (float)(sdx * istd);
            dw[c + ci] += (float)sdy;
        }
        float *restrict dx = e->dx[0] ? e->dx[0] + ci * m : NULL;
        if (!dx)
            continue;
        float A = (float)(g * istd), B = 0.0f, C = 0.0f;
        if (e->train) {
            B = (float)(-g * istd * istd * istd * sdx / (double)m);
            C = (float)(-g * istd * sdy / (double)m);
        }
        for (size_t i = 0; i < m; i++)
            dx[i] += A * dy[i] + B * ((x[i] - hi) - lo) + C;
    }
}

static void bn_backward(const nc_exec *e)
{
    if (!e->dx[0] && !(e->attr->affine && e->dw))
        return;
    bn_job j = { e, (size_t)e->n * (size_t)e->in[0].h * (size_t)e->in[0].w };
    size_t c = (size_t)e->in[0].c;
    nc_par_for(e, c, 1, 4 * c * j.m, bn_bwd_span, &j);
}

const nc_op_def nc_op_batchnorm_def = {
    .name = "batchnorm",
    .min_in = 1,
    .max_in = 1,
    .shape = bn_shape,
    .n_params = bn_n_params,
    .n_state = bn_n_state,
    .n_save = bn_n_save,
    .init = bn_init,
    .forward = bn_forward,
    .backward = bn_backward,
};
