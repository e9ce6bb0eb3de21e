/*
 * pool.c — max and average pooling over square windows (k, stride, pad),
 * output size floor((h + 2p - k)/s) + 1 as in PyTorch (ceil_mode=False).
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
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

typedef struct pool_geom {
    int h, w, ho, wo, k, s, p;
} pool_geom;

static pool_geom pool_geom_from(const nc_attr *a, nc_shape in, nc_shape out)
{
    return (pool_geom){ in.h, in.w, out.h, out.w, a->k, a->stride ? a->stride : 1,
                        a->pad };
}

static pool_geom pool_geom_of(const nc_exec *e)
{
    return pool_geom_from(e->attr, e->in[0], e->out);
}

/* One thread's scratch for `need` floats: whole 64-byte lines plus one of
 * slack, so that pool_scratch can start it on a line and neighbouring
 * threads never write the same line (the net packs the per-thread areas
 * n_work floats apart; sharing one line per plane cost more than pooling a
 * small plane). */
static size_t pool_work_size(size_t need)
{
    return need ? (need + 15) / 16 * 16 + 16 : 0;
}

static float *pool_scratch(const nc_exec *e, int thread)
{
    uintptr_t p = (uintptr_t)(e->work + (size_t)thread * e->n_work);
    return (float *)((p + 63) & ~(uintptr_t)63);
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

static int pool_is_2x2s2(pool_geom g)
{
    return g.k == 2 && g.s == 2 && g.p == 0;
}

/* The padded-plane vector path: stride-1/2 pools except 2×2 s2, whose max
 * has its own copy-free vector kernel and whose average's plain loop the
 * compiler vectorizes. */
static int pool_vec(pool_geom g, int is_max)
{
#ifdef __AVX2__
    (void)is_max;
    return g.s <= 2 && !pool_is_2x2s2(g);
#else
    (void)g;
    (void)is_max;
    return 0;
#endif
}

/* Row stride of the padded forward plane: every 8-lane block of every output
 * row, each tap, and a stride-2 load's 16 floats stay inside a row. */
static int pool_fwd_stride(pool_geom g)
{
    return 8 * g.s * ((g.wo + 7) / 8) + g.k + 8;
}

/* Row stride of the padded dy/count plane of the stride-1 backward, whose
 * row holds output ox at L + ox, L = k - 1 - p: room for k taps from every
 * 8-lane input block, and for every 8-lane output block (wo <= w + 1). */
static int pool_bwd_stride(pool_geom g)
{
    return 8 * ((g.w + 7) / 8) + g.k + 8;
}

static nc_status pool_shape(nc_ctx *ctx, const char *name, const nc_attr *a,
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

static nc_status maxpool_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                               const nc_shape *in, nc_shape *out)
{
    return pool_shape(ctx, "maxpool", a, n_in, in, out);
}

static nc_status avgpool_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                               const nc_shape *in, nc_shape *out)
{
    if (a->count_pad != 0 && a->count_pad != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "avgpool: count_pad must be 0 or 1, got %d",
                       a->count_pad);
    return pool_shape(ctx, "avgpool", a, n_in, in, out);
}

/* Output rows the vector average kernels compute together: a block's k*k
 * adds are one dependent chain (their order is the definition), and with
 * rows interleaved a narrow plane's (8×8) chains overlap instead of each
 * row paying its own loop overhead. */
enum { AVG_ILP = 4 };

#ifdef __AVX2__
/* Copies plane x into P (row stride W) below `top` rows of `fill`: row
 * top + iy is `fill` on [0, p), the image row on [p, p + w), `fill` up to W;
 * `bottom` rows of `fill` follow. Vector moves throughout: a memcpy call
 * per short row cost as much as pooling the row. */
static void pool_pad_plane(const float *restrict x, float *restrict P, pool_geom g,
                           int W, int top, int bottom, float fill)
{
    const __m256 f = _mm256_set1_ps(fill);
    for (int ry = 0; ry < top + g.h + bottom; ry++) {
        float *r = P + (size_t)ry * W;
        int i = 0;
        for (; i + 8 <= W; i += 8)
            _mm256_storeu_ps(r + i, f);
        for (; i < W; i++)
            r[i] = fill;
        int iy = ry - top;
        if (iy < 0 || iy >= g.h)
            continue;
        const float *xr = x + (size_t)iy * g.w;
        float *d = r + g.p;
        for (i = 0; i + 8 <= g.w; i += 8)
            _mm256_storeu_ps(d + i, _mm256_loadu_ps(xr + i));
        for (; i < g.w; i++)
            d[i] = xr[i];
    }
}

/* Lanes j < n all ones (n may be <= 0 or > 8). */
static inline __m256i lane_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

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

/* Eight floats row[base + s*j], j = 0..7, s = 1 or 2 (the row has room for
 * 16 floats from base). */
static inline __m256 load8s(const float *row, int base, int s)
{
    if (s == 1)
        return _mm256_loadu_ps(row + base);
    __m256 a = _mm256_loadu_ps(row + base), b = _mm256_loadu_ps(row + base + 8);
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    /* shuffle_ps works per 128-bit lane: reorder 64-bit pairs 0,2,1,3. */
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
}

/* Stores the first n (1..8) lanes of v at dst. */
static inline void store_n(float *dst, __m256 v, int n)
{
    if (n >= 8) {
        _mm256_storeu_ps(dst, v);
        return;
    }
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(dst, t, (size_t)n * sizeof(float));
}

/* (float)(o*s - p) for the 8 outputs o = ox..ox+7: a block's first columns. */
static inline __m256 lane_cols(pool_geom g, int ox)
{
    return _mm256_add_ps(_mm256_set1_ps((float)(ox * g.s - g.p)),
                         _mm256_mul_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7),
                                       _mm256_set1_ps((float)g.s)));
}
#endif

/* ---- max pooling ---------------------------------------------------------- */

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
 * capped at 2^24 by pool_shape). */
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

/* Work is split by (channel, sample) planes: each plane is computed by one
 * thread exactly as single-threaded, so any split gives the same bits. */
static void pool_par_planes(const nc_exec *e, size_t floats_per_plane,
                            nc_par_fn fn)
{
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    nc_par_for(e, planes, 1, planes * floats_per_plane, fn, (void *)e);
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

/* ---- average pooling ------------------------------------------------------ */

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

const nc_op_def nc_op_avgpool_def = {
    .name = "avgpool",
    .min_in = 1,
    .max_in = 1,
    .shape = avgpool_shape,
    .n_work = avgpool_n_work,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
