/*
 * avgpool.c — average pooling (the op nc_op_avgpool_def): the definition
 * (pool_avg_one), its AVX2 fast path over zero-padded planes, the plain
 * 2×2 s2 loop, and the backward: a vector gather for stride 1, a scatter
 * otherwise. pool.c describes the design; pool_int.h holds what it shares
 * with maxpool.c.
 */
#include "core/ops/pool_int.h"

static nc_status avgpool_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                               const nc_shape *in, nc_shape *out)
{
    if (a->count_pad != 0 && a->count_pad != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "avgpool: count_pad must be 0 or 1, got %d",
                       a->count_pad);
    return nc_pooling_shape(ctx, "avgpool", a, n_in, in, out);
}

/* Output rows the vector average kernels compute together: a block's k*k
 * adds are one dependent chain (their order is the definition), and with
 * rows interleaved a narrow plane's (8×8) chains overlap instead of each
 * row paying its own loop overhead. */
enum { AVG_ILP = 4 };

static size_t avgpool_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                             int n)
{
    (void)n;
    pool_geom g = pool_geom_from(a, in[0], out);
    if (!pool_vec(g, 0))
        return 0;
    size_t fwd = ((size_t)g.h + 2 * (size_t)g.p) * (size_t)pool_fwd_stride(g);
    size_t bwd = g.s == 1 ? ((size_t)g.h + (size_t)g.k - 1) * (size_t)pool_bwd_stride(g)
                          : 0;
    return pool_work_size(fwd > bwd ? fwd : bwd);
}

/* The divisor of output (oy, ox). */
static float avg_count(pool_geom g, int cp, int oy, int ox)
{
    if (cp)
        return (float)(g.k * g.k);
    int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
    int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
    return (float)((y1 - y0) * (x1 - x0));
}

/* The definition: the row-major float sum of the in-image taps, from +0,
 * over the count. */
static float pool_avg_one(const float *restrict x, pool_geom g, int cp, int oy, int ox)
{
    int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
    int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
    float s = 0.0f;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
            s += x[(size_t)iy * g.w + ix];
    return s / avg_count(g, cp, oy, ox);
}

#ifdef __AVX2__
/* avg_count(oy, ox) = avg_rows(oy) * (in-image columns of ox), or k * k;
 * both factors are small integers, so their float product is exact. */
static inline float avg_rows(pool_geom g, int cp, int oy)
{
    if (cp)
        return (float)g.k;
    return (float)(imin(oy * g.s - g.p + g.k, g.h) - imax(oy * g.s - g.p, 0));
}

/* The column factors of outputs ox..ox+7 (lanes past wo are meaningless). */
static inline __m256 avg_cols8(pool_geom g, int cp, int ox)
{
    if (cp)
        return _mm256_set1_ps((float)g.k);
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32(ox * g.s - g.p),
                                  _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                     _mm256_set1_epi32(g.s)));
    __m256i cols = _mm256_sub_epi32(
        _mm256_min_epi32(_mm256_add_epi32(c0, _mm256_set1_epi32(g.k)),
                         _mm256_set1_epi32(g.w)),
        _mm256_max_epi32(c0, _mm256_setzero_si256()));
    return _mm256_cvtepi32_ps(cols);
}

/* The plane is padded with zero ROWS as well as columns, so every window
 * has exactly k×k taps: the extra zero taps change no bit (the sum starts
 * at +0, so it is never -0). With one loop shape for every window, AVG_ILP
 * output rows run interleaved, 8 columns at a time left to right (the last
 * group repeats the last row, rewriting the same values). */
static void avgpool_plane_vec(const float *restrict x, float *restrict y,
                              float *restrict P, pool_geom g, int cp)
{
    int W = pool_fwd_stride(g);
    pool_pad_plane(x, P, g, W, g.p, g.p, 0.0f);
    /* Hoisted for narrow planes, whose rows are one block. */
    const __m256 cols0 = avg_cols8(g, cp, 0);
    for (int oy0 = 0; oy0 < g.ho; oy0 += AVG_ILP) {
        int oy[AVG_ILP];
        for (int k = 0; k < AVG_ILP; k++)
            oy[k] = imin(oy0 + k, g.ho - 1);
        for (int ox = 0; ox < g.wo; ox += 8) {
            const float *r[AVG_ILP];
            __m256 s[AVG_ILP];
            for (int k = 0; k < AVG_ILP; k++) {
                r[k] = P + (size_t)(oy[k] * g.s) * W + (size_t)ox * g.s;
                s[k] = _mm256_setzero_ps();
            }
            for (int ky = 0; ky < g.k; ky++) {
                for (int kx = 0; kx < g.k; kx++)
                    for (int k = 0; k < AVG_ILP; k++)
                        s[k] = _mm256_add_ps(s[k], load8s(r[k], kx, g.s));
                for (int k = 0; k < AVG_ILP; k++)
                    r[k] += W;
            }
            __m256 cols = ox ? avg_cols8(g, cp, ox) : cols0;
            for (int k = 0; k < AVG_ILP; k++)
                store_n(y + (size_t)oy[k] * g.wo + ox,
                        _mm256_div_ps(s[k], _mm256_mul_ps(cols, _mm256_set1_ps(
                                                           avg_rows(g, cp, oy[k])))),
                        g.wo - ox);
        }
    }
}
#endif

static void avgpool_plane_2x2s2(const float *restrict x, float *restrict y,
                                pool_geom g)
{
    for (int oy = 0; oy < g.ho; oy++) {
        const float *r0 = x + (size_t)(2 * oy) * g.w, *r1 = r0 + g.w;
        float *restrict yr = y + (size_t)oy * g.wo;
        for (int ox = 0; ox < g.wo; ox++)
            yr[ox] = (((r0[2 * ox] + r0[2 * ox + 1]) + r1[2 * ox]) +
                      r1[2 * ox + 1]) / 4.0f;
    }
}

static void avgpool_fwd_span(void *arg, size_t q0, size_t q1, int thread)
{
    const nc_exec *e = arg;
    pool_geom g = pool_geom_of(e);
    int cp = e->attr->count_pad;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    float *work = pool_scratch(e, thread);
    (void)work;
    for (size_t q = q0; q < q1; q++) {
        const float *x = e->x[0] + q * in_sz;
        float *y = e->y + q * out_sz;
#ifdef __AVX2__
        if (pool_vec(g, 0)) {
            avgpool_plane_vec(x, y, work, g, cp);
            continue;
        }
#endif
        if (pool_is_2x2s2(g)) {
            avgpool_plane_2x2s2(x, y, g);
            continue;
        }
        for (int oy = 0; oy < g.ho; oy++)
            for (int ox = 0; ox < g.wo; ox++)
                y[(size_t)oy * g.wo + ox] = pool_avg_one(x, g, cp, oy, ox);
    }
}

static void avgpool_forward(const nc_exec *e)
{
    pool_geom g = pool_geom_of(e);
    pool_par_planes(e, (size_t)g.h * g.w + (size_t)g.ho * g.wo, avgpool_fwd_span);
}

#ifndef __AVX2__
/* The stride-1 backward's definition: dx(iy, ix) gets Σ dy/count over the
 * outputs whose windows hold it, summed from +0 in (oy, ox) order. */
static float avg_gather_one(const float *restrict dy, pool_geom g, int cp, int iy,
                            int ix)
{
    int oy0 = imax(iy + g.p - g.k + 1, 0), oy1 = imin(iy + g.p + 1, g.ho);
    int ox0 = imax(ix + g.p - g.k + 1, 0), ox1 = imin(ix + g.p + 1, g.wo);
    float s = 0.0f;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = ox0; ox < ox1; ox++)
            s += dy[(size_t)oy * g.wo + ox] / avg_count(g, cp, oy, ox);
    return s;
}
#else
/* Stages dy/count in a padded plane G (row L + oy holds output ox at column
 * L + ox, L = k - 1 - p, zeros around, zero rows above and below), so input
 * row iy sums exactly the k rows G[iy .. iy+k) over k taps each, 8 columns
 * at once. As in the forward, the zero taps change no bit, and AVG_ILP
 * input rows run interleaved (a repeated last row is computed, not added). */
static void avgpool_bwd_plane_vec(float *restrict dx, const float *restrict dy,
                                  float *restrict G, pool_geom g, int cp)
{
    int W = pool_bwd_stride(g), L = g.k - 1 - g.p;
    memset(G, 0, (size_t)(g.h + g.k - 1) * W * sizeof(float));
    for (int oy = 0; oy < g.ho; oy++) {
        __m256 rows = _mm256_set1_ps(avg_rows(g, cp, oy));
        for (int ox = 0; ox < g.wo; ox += 8) {
            int n = g.wo - ox;
            const float *d = dy + (size_t)oy * g.wo + ox;
            __m256 v = n >= 8 ? _mm256_loadu_ps(d) : _mm256_maskload_ps(d, lane_mask(n));
            __m256 q = _mm256_div_ps(v, _mm256_mul_ps(avg_cols8(g, cp, ox), rows));
            /* Lanes past wo stay 0 (their count may be 0 or negative). */
            _mm256_storeu_ps(G + (size_t)(L + oy) * W + L + ox,
                             _mm256_and_ps(q, _mm256_castsi256_ps(lane_mask(n))));
        }
    }
    for (int iy0 = 0; iy0 < g.h; iy0 += AVG_ILP) {
        int iy[AVG_ILP];
        for (int k = 0; k < AVG_ILP; k++)
            iy[k] = imin(iy0 + k, g.h - 1);
        for (int ix = 0; ix < g.w; ix += 8) {
            int n = g.w - ix;
            const float *r[AVG_ILP];
            __m256 s[AVG_ILP];
            for (int k = 0; k < AVG_ILP; k++) {
                /* Output ox = ix + p - k + 1 + j sits at G[L + ox] = G[ix + j]. */
                r[k] = G + (size_t)iy[k] * W + ix;
                s[k] = _mm256_setzero_ps();
            }
            for (int ky = 0; ky < g.k; ky++) {
                for (int j = 0; j < g.k; j++)
                    for (int k = 0; k < AVG_ILP; k++)
                        s[k] = _mm256_add_ps(s[k], _mm256_loadu_ps(r[k] + j));
                for (int k = 0; k < AVG_ILP; k++)
                    r[k] += W;
            }
            for (int k = 0; k < AVG_ILP; k++) {
                if (iy0 + k >= g.h)
                    break;
                float *d = dx + (size_t)iy[k] * g.w + ix;
                if (n >= 8) {
                    _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), s[k]));
                } else {
                    float t[8];
                    _mm256_storeu_ps(t, s[k]);
                    for (int i = 0; i < n; i++)
                        d[i] += t[i];
                }
            }
        }
    }
}
#endif

static void avgpool_bwd_plane_2x2s2(float *restrict dx, const float *restrict dy,
                                    pool_geom g)
{
    for (int oy = 0; oy < g.ho; oy++) {
        float *r0 = dx + (size_t)(2 * oy) * g.w, *r1 = r0 + g.w;
        const float *dyr = dy + (size_t)oy * g.wo;
        for (int ox = 0; ox < g.wo; ox++) {
            float v = dyr[ox] / 4.0f;
            r0[2 * ox] += v;
            r0[2 * ox + 1] += v;
            r1[2 * ox] += v;
            r1[2 * ox + 1] += v;
        }
    }
}

static void avgpool_bwd_plane_scatter(float *restrict dx, const float *restrict dy,
                                      pool_geom g, int cp)
{
    for (int oy = 0; oy < g.ho; oy++) {
        int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
        for (int ox = 0; ox < g.wo; ox++) {
            int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
            float v = dy[(size_t)oy * g.wo + ox] / avg_count(g, cp, oy, ox);
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                    dx[(size_t)iy * g.w + ix] += v;
        }
    }
}

static void avgpool_bwd_span(void *arg, size_t q0, size_t q1, int thread)
{
    const nc_exec *e = arg;
    pool_geom g = pool_geom_of(e);
    int cp = e->attr->count_pad;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    float *work = pool_scratch(e, thread);
    (void)work;
    for (size_t q = q0; q < q1; q++) {
        float *dx = e->dx[0] + q * in_sz;
        const float *dy = e->dy + q * out_sz;
        if (pool_is_2x2s2(g)) {
            avgpool_bwd_plane_2x2s2(dx, dy, g);
        } else if (g.s == 1) {
#ifdef __AVX2__
            avgpool_bwd_plane_vec(dx, dy, work, g, cp);
#else
            for (int iy = 0; iy < g.h; iy++)
                for (int ix = 0; ix < g.w; ix++)
                    dx[(size_t)iy * g.w + ix] += avg_gather_one(dy, g, cp, iy, ix);
#endif
        } else {
            avgpool_bwd_plane_scatter(dx, dy, g, cp);
        }
    }
}

static void avgpool_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    pool_geom g = pool_geom_of(e);
    pool_par_planes(e, 2 * (size_t)g.h * g.w + (size_t)g.ho * g.wo, avgpool_bwd_span);
}

const nc_op_def nc_op_avgpool_def = {
    .name = "avgpool",
    .min_in = 1,
    .max_in = 1,
    .shape = avgpool_shape,
    .n_work = avgpool_n_work,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
