/*
 * maxpool.c — max pooling (the op nc_op_maxpool_def): the definition
 * (pool_max_one), its AVX2 fast paths (padded planes for stride 1 and 2,
 * 2×2 s2 straight from x) and the arg-max scatter backward. pool.c
 * describes the design; pool_int.h holds what it shares with avgpool.c.
 */
#include "core/ops/pool_int.h"

#include <math.h>

static nc_status maxpool_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                               const nc_shape *in, nc_shape *out)
{
    return nc_pooling_shape(ctx, "maxpool", a, n_in, in, out);
}

#ifdef __AVX2__
/* The even and odd floats of r[0..16): lanes j get r[2j] and r[2j+1]. Only
 * the first nf floats are read (the others count as 0). */
static inline void load_pairs(const float *r, int nf, __m256 *ev, __m256 *od)
{
    __m256 a, b;
    if (nf >= 16) {
        a = _mm256_loadu_ps(r);
        b = _mm256_loadu_ps(r + 8);
    } else {
        a = _mm256_maskload_ps(r, lane_mask(nf));
        b = _mm256_maskload_ps(r + 8, lane_mask(nf - 8));
    }
    /* shuffle_ps works per 128-bit lane: reorder 64-bit pairs 0,2,1,3. */
    __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    __m256d o = _mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    *ev = _mm256_castpd_ps(_mm256_permute4x64_pd(e, 0xd8));
    *od = _mm256_castpd_ps(_mm256_permute4x64_pd(o, 0xd8));
}

/* (float)(o*s - p) for the 8 outputs o = ox..ox+7: a block's first columns. */
static inline __m256 lane_cols(pool_geom g, int ox)
{
    return _mm256_add_ps(_mm256_set1_ps((float)(ox * g.s - g.p)),
                         _mm256_mul_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7),
                                       _mm256_set1_ps((float)g.s)));
}
#endif

static size_t maxpool_n_save(const nc_attr *a, const nc_shape *in, nc_shape out,
                             int n)
{
    (void)a;
    (void)in;
    return (size_t)n * nc_shape_size(out);
}

static size_t maxpool_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                             int n)
{
    (void)n;
    pool_geom g = pool_geom_from(a, in[0], out);
    return pool_vec(g, 1) ? pool_work_size((size_t)g.h * (size_t)pool_fwd_stride(g)) : 0;
}

/* `take` is PyTorch's rule (greater, or NaN so NaN propagates); idx < 0 marks
 * a window not yet started, so an all -inf window still gets an index. */
#define MAX_TAKE(v, m, idx) (((v) > (m)) | ((v) != (v)) | ((idx) < 0))

/* The definition: max and first arg-max over the in-image taps of (oy, ox),
 * the arg-max as an index into the plane (exact in a float: plane sizes are
 * capped at 2^24 by nc_pooling_shape). */
static void pool_max_one(const float *restrict x, pool_geom g, int oy, int ox,
                         float *ym, float *ya)
{
    int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
    int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
    float m = -INFINITY;
    int idx = -1;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = x[(size_t)iy * g.w + ix];
            if (MAX_TAKE(v, m, idx)) {
                m = v;
                idx = iy * g.w + ix;
            }
        }
    *ym = m;
    *ya = (float)idx;
}

#ifdef __AVX2__
static void maxpool_plane_vec(const float *restrict x, float *restrict y,
                              float *restrict arg, float *restrict P, pool_geom g)
{
    int W = pool_fwd_stride(g);
    pool_pad_plane(x, P, g, W, 0, 0, -INFINITY);
    const __m256 zero = _mm256_setzero_ps();
    for (int oy = 0; oy < g.ho; oy++) {
        int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
        for (int ox = 0; ox < g.wo; ox += 8) {
            __m256 cols = lane_cols(g, ox);
            /* The first tap is taken whatever its value; if it is padding,
             * its index is clamped to column 0 of the row, the window's
             * first in-image pixel, as pool_max_one would record. */
            const float *r = P + (size_t)y0 * W + ox * g.s;
            __m256 m = load8s(r, 0, g.s);
            __m256 idx = _mm256_add_ps(_mm256_max_ps(cols, zero),
                                       _mm256_set1_ps((float)(y0 * g.w)));
            for (int iy = y0; iy < y1; iy++) {
                r = P + (size_t)iy * W + ox * g.s;
                __m256 rowbase = _mm256_set1_ps((float)(iy * g.w));
                for (int kx = iy == y0; kx < g.k; kx++) {
                    __m256 v = load8s(r, kx, g.s);
                    __m256 cand = _mm256_add_ps(
                        _mm256_add_ps(cols, _mm256_set1_ps((float)kx)), rowbase);
                    __m256 t = _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ),
                                            _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                    m = _mm256_blendv_ps(m, v, t);
                    idx = _mm256_blendv_ps(idx, cand, t);
                }
            }
            store_n(y + (size_t)oy * g.wo + ox, m, g.wo - ox);
            store_n(arg + (size_t)oy * g.wo + ox, idx, g.wo - ox);
        }
    }
}
#endif

#ifdef __AVX2__
/* The MAX_TAKE step of pool_max_one for 8 windows at once. */
static inline void max_take8(__m256 *m, __m256 *idx, __m256 v, __m256 cand)
{
    __m256 t = _mm256_or_ps(_mm256_cmp_ps(v, *m, _CMP_GT_OQ),
                            _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    *m = _mm256_blendv_ps(*m, v, t);
    *idx = _mm256_blendv_ps(*idx, cand, t);
}

/* 2×2 s2 p0 (the CNN's downsampling) straight from x, 8 outputs at a time:
 * the taps (2oy, 2ox), (2oy, 2ox+1), (2oy+1, 2ox), (2oy+1, 2ox+1) are the
 * even and odd lanes of two 16-float row loads, taken in pool_max_one's
 * order. A row's last partial block is redone as the block ending at wo
 * (rewriting a few outputs with the same values) so that its loads stay in
 * the row. Rows narrower than one block load masked, and store 8 lanes
 * where that stays inside the output plane: the spill into the next row is
 * overwritten when that row is stored (masked stores are slow on AMD). */
static void maxpool_plane_2x2s2_vec(const float *restrict x, float *restrict y,
                                    float *restrict arg, pool_geom g)
{
    const __m256 even = _mm256_setr_ps(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int oy = 0; oy < g.ho; oy++) {
        const float *r0 = x + (size_t)(2 * oy) * g.w, *r1 = r0 + g.w;
        float b0 = (float)(2 * oy * g.w), b1 = (float)((2 * oy + 1) * g.w);
        float *yr = y + (size_t)oy * g.wo, *ar = arg + (size_t)oy * g.wo;
        for (int ox = 0; ox < g.wo; ox += 8) {
            int o = ox, n = g.wo - ox;
            if (n < 8 && g.wo >= 8) {
                o = g.wo - 8;
                n = 8;
            }
            int nf = n >= 8 ? 16 : 2 * n;
            __m256 a, b, c, d;
            load_pairs(r0 + 2 * o, nf, &a, &b);
            load_pairs(r1 + 2 * o, nf, &c, &d);
            __m256 cols = _mm256_add_ps(_mm256_set1_ps((float)(2 * o)), even);
            __m256 i0 = _mm256_add_ps(_mm256_set1_ps(b0), cols);
            __m256 i1 = _mm256_add_ps(_mm256_set1_ps(b1), cols);
            __m256 m = a, idx = i0;
            max_take8(&m, &idx, b, _mm256_add_ps(i0, one));
            max_take8(&m, &idx, c, i1);
            max_take8(&m, &idx, d, _mm256_add_ps(i1, one));
            if (n >= 8 || (size_t)oy * g.wo + o + 8 <= (size_t)g.ho * g.wo) {
                _mm256_storeu_ps(yr + o, m);
                _mm256_storeu_ps(ar + o, idx);
            } else {
                store_n(yr + o, m, n);
                store_n(ar + o, idx, n);
            }
        }
    }
}

#endif

/* Routes each output's gradient to its saved arg-max, in output order. */
static void maxpool_bwd_plane_scatter(float *restrict dx, const float *restrict dy,
                                      const float *restrict am, size_t out_sz)
{
    for (size_t j = 0; j < out_sz; j++)
        dx[(size_t)am[j]] += dy[j];
}

#ifndef __AVX2__
static void maxpool_plane_2x2s2(const float *restrict x, float *restrict y,
                                float *restrict arg, pool_geom g)
{
    for (int oy = 0; oy < g.ho; oy++) {
        const float *r0 = x + (size_t)(2 * oy) * g.w, *r1 = r0 + g.w;
        float *restrict yr = y + (size_t)oy * g.wo;
        float *restrict ar = arg + (size_t)oy * g.wo;
        int b0 = 2 * oy * g.w, b1 = b0 + g.w;
        for (int ox = 0; ox < g.wo; ox++) {
            int ix = 2 * ox, i = b0 + ix;
            float m = r0[ix], v;
            v = r0[ix + 1];
            if (MAX_TAKE(v, m, i)) { m = v; i = b0 + ix + 1; }
            v = r1[ix];
            if (MAX_TAKE(v, m, i)) { m = v; i = b1 + ix; }
            v = r1[ix + 1];
            if (MAX_TAKE(v, m, i)) { m = v; i = b1 + ix + 1; }
            yr[ox] = m;
            ar[ox] = (float)i;
        }
    }
}
#endif

/* Planes [q0, q1); `thread` picks the thread's own scratch plane. */
static void maxpool_fwd_span(void *arg, size_t q0, size_t q1, int thread)
{
    const nc_exec *e = arg;
    pool_geom g = pool_geom_of(e);
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    float *work = pool_scratch(e, thread);
    (void)work;
    for (size_t q = q0; q < q1; q++) {
        const float *x = e->x[0] + q * in_sz;
        float *y = e->y + q * out_sz, *am = e->save + q * out_sz;
#ifdef __AVX2__
        if (pool_is_2x2s2(g)) {
            maxpool_plane_2x2s2_vec(x, y, am, g);
            continue;
        }
        if (pool_vec(g, 1)) {
            maxpool_plane_vec(x, y, am, work, g);
            continue;
        }
#else
        if (pool_is_2x2s2(g)) {
            maxpool_plane_2x2s2(x, y, am, g);
            continue;
        }
#endif
        for (int oy = 0; oy < g.ho; oy++)
            for (int ox = 0; ox < g.wo; ox++)
                pool_max_one(x, g, oy, ox, y + (size_t)oy * g.wo + ox,
                             am + (size_t)oy * g.wo + ox);
    }
}

static void maxpool_forward(const nc_exec *e)
{
    pool_geom g = pool_geom_of(e);
    pool_par_planes(e, (size_t)g.h * g.w + 2 * (size_t)g.ho * g.wo, maxpool_fwd_span);
}

static void maxpool_bwd_span(void *arg, size_t q0, size_t q1, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    pool_geom g = pool_geom_of(e);
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    for (size_t q = q0; q < q1; q++) {
        float *dx = e->dx[0] + q * in_sz;
        const float *dy = e->dy + q * out_sz, *am = e->save + q * out_sz;
        maxpool_bwd_plane_scatter(dx, dy, am, out_sz);
    }
}

static void maxpool_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    pool_geom g = pool_geom_of(e);
    pool_par_planes(e, 2 * (size_t)g.h * g.w + 2 * (size_t)g.ho * g.wo,
                    maxpool_bwd_span);
}

const nc_op_def nc_op_maxpool_def = {
    .name = "maxpool",
    .min_in = 1,
    .max_in = 1,
    .shape = maxpool_shape,
    .n_save = maxpool_n_save,
    .n_work = maxpool_n_work,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};

