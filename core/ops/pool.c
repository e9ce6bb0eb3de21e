/*
 * pool.c — max and average pooling over square windows (k, stride, pad),
 * output size floor((h + 2p - k)/s) + 1 as in PyTorch (ceil_mode=False).
 *
 * Both ops work plane by plane: in CNHW each (channel, sample) plane of h*w
 * floats is contiguous, and so is its output plane. Every output is defined
 * by one per-window loop (pool_max_one, pool_avg_one) that visits the
 * in-image taps in row-major order; faster paths must give bit-identical
 * results, so they keep that order:
 *   - stride 1 (3×3 p1 in NB201/DARTS cells): the outputs whose windows need
 *     no column clipping are computed 8 at a time with AVX2, the window held
 *     in registers; only the p border columns take the per-window loop;
 *   - 2×2 stride 2 pad 0 (downsampling): four taps written out (AVX2 for the
 *     max, plain loops the compiler vectorizes for the average).
 * Anything else (e.g. DARTS' 3×3 stride 2 reduction) uses the per-window loop.
 *
 * Padding never takes part in a max; ties go to the first maximum in
 * row-major order and NaN propagates, as in PyTorch. For the average,
 * count_pad = 1 divides by k*k (PyTorch's count_include_pad=True) and
 * count_pad = 0 by the number of in-image pixels (NB201's avg_pool_3x3).
 * MACs are 0 by the NB201 convention, which counts only convolutions and
 * linear layers.
 */
#include "core/ops/ops.h"

#include <math.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

typedef struct pool_geom {
    int h, w, ho, wo, k, s, p;
} pool_geom;

static pool_geom pool_geom_of(const nc_exec *e)
{
    const nc_attr *a = e->attr;
    return (pool_geom){ e->in[0].h, e->in[0].w, e->out.h, e->out.w,
                        a->k, a->stride ? a->stride : 1, a->pad };
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

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
    if (k < 1 || st < 1 || p < 0)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "%s: kernel %d, stride %d, pad %d out of range",
                       name, k, st, p);
    /* PyTorch's rule; it also guarantees every window holds an in-image
     * pixel, so a max always exists and an average never divides by 0. */
    if (2 * p > k)
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

/* ---- max pooling ---------------------------------------------------------- */

/* The arg-max of every output element, as an index into its input plane. */
static size_t maxpool_n_save(const nc_attr *a, const nc_shape *in, nc_shape out,
                             int n)
{
    (void)a;
    (void)in;
    return (size_t)n * nc_shape_size(out);
}

/* `take` is PyTorch's rule (greater, or NaN so NaN propagates); idx < 0 marks
 * a window not yet started, so an all -inf window still gets an index.
 * Written with | so the compiler can keep it branch-free. */
#define MAX_TAKE(v, m, idx) (((v) > (m)) | ((v) != (v)) | ((idx) < 0.0f))

/* The definition: max and first arg-max over the in-image taps of (oy, ox). */
static void pool_max_one(const float *restrict x, pool_geom g, int oy, int ox,
                         float *ym, float *ya)
{
    int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
    int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
    float m = -INFINITY, idx = -1.0f;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = x[(size_t)iy * g.w + ix];
            int t = MAX_TAKE(v, m, idx);
            m = t ? v : m;
            idx = t ? (float)(iy * g.w + ix) : idx;
        }
    *ym = m;
    *ya = idx;
}

#ifdef __AVX2__
static inline void max_take8(__m256 v, __m256 cand, __m256 *m, __m256 *idx)
{
    __m256 t = _mm256_or_ps(
        _mm256_or_ps(_mm256_cmp_ps(v, *m, _CMP_GT_OQ),
                     _mm256_cmp_ps(v, v, _CMP_UNORD_Q)),
        _mm256_cmp_ps(*idx, _mm256_setzero_ps(), _CMP_LT_OQ));
    *m = _mm256_blendv_ps(*m, v, t);
    *idx = _mm256_blendv_ps(*idx, cand, t);
}

/* Outputs ox..ox+7 of a stride-1 row whose taps span rows [y0, y1) and need
 * no column clipping: pool_max_one, 8 lanes at once. */
static void max8_s1(const float *restrict x, pool_geom g, int y0, int y1, int ox,
                    float *yr, float *ar)
{
    const __m256 step = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 m = _mm256_set1_ps(-INFINITY), idx = _mm256_set1_ps(-1.0f);
    for (int iy = y0; iy < y1; iy++)
        for (int kx = 0; kx < g.k; kx++) {
            int ix = ox - g.p + kx;
            __m256 v = _mm256_loadu_ps(x + (size_t)iy * g.w + ix);
            __m256 cand = _mm256_add_ps(_mm256_set1_ps((float)(iy * g.w + ix)), step);
            max_take8(v, cand, &m, &idx);
        }
    _mm256_storeu_ps(yr + ox, m);
    _mm256_storeu_ps(ar + ox, idx);
}
#endif

static void maxpool_plane_s1(const float *restrict x, float *restrict y,
                             float *restrict arg, pool_geom g)
{
    /* Columns [xa, xb) see all k taps of a row inside the image. */
    int xa = imin(g.p, g.wo), xb = imax(xa, imin(g.wo, g.w - g.k + g.p + 1));
    for (int oy = 0; oy < g.ho; oy++) {
        float *yr = y + (size_t)oy * g.wo, *ar = arg + (size_t)oy * g.wo;
        int ox = 0;
        for (; ox < xa; ox++)
            pool_max_one(x, g, oy, ox, yr + ox, ar + ox);
#ifdef __AVX2__
        if (xb - xa >= 8) {
            int y0 = imax(oy - g.p, 0), y1 = imin(oy - g.p + g.k, g.h);
            /* A last, overlapping block instead of a scalar tail: outputs
             * are recomputed from scratch, so doing some twice is harmless. */
            for (;; ox += 8) {
                if (ox > xb - 8)
                    ox = xb - 8;
                max8_s1(x, g, y0, y1, ox, yr, ar);
                if (ox == xb - 8)
                    break;
            }
            ox = xb;
        }
#endif
        for (; ox < g.wo; ox++)
            pool_max_one(x, g, oy, ox, yr + ox, ar + ox);
    }
}

static void maxpool_plane_2x2s2(const float *restrict x, float *restrict y,
                                float *restrict arg, pool_geom g)
{
    for (int oy = 0; oy < g.ho; oy++) {
        const float *r0 = x + (size_t)(2 * oy) * g.w, *r1 = r0 + g.w;
        float *restrict yr = y + (size_t)oy * g.wo;
        float *restrict ar = arg + (size_t)oy * g.wo;
        float b0 = (float)(2 * oy * g.w), b1 = b0 + (float)g.w;
        int ox = 0;
#ifdef __AVX2__
        /* Even/odd columns of 16 inputs are the left/right taps of 8
         * outputs; 2*wo <= w keeps both loads inside the row. */
        if (g.wo >= 8) {
            const __m256 step = _mm256_setr_ps(0, 2, 4, 6, 8, 10, 12, 14);
            for (;; ox += 8) {
                if (ox > g.wo - 8)
                    ox = g.wo - 8;
                __m256 a0 = _mm256_loadu_ps(r0 + 2 * ox), a1 = _mm256_loadu_ps(r0 + 2 * ox + 8);
                __m256 c0 = _mm256_loadu_ps(r1 + 2 * ox), c1 = _mm256_loadu_ps(r1 + 2 * ox + 8);
                __m256 e0 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0))), 0xd8));
                __m256 o0 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1))), 0xd8));
                __m256 e1 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(c0, c1, _MM_SHUFFLE(2, 0, 2, 0))), 0xd8));
                __m256 o1 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(c0, c1, _MM_SHUFFLE(3, 1, 3, 1))), 0xd8));
                __m256 i0 = _mm256_add_ps(_mm256_set1_ps(b0 + (float)(2 * ox)), step);
                __m256 i1 = _mm256_add_ps(_mm256_set1_ps(b1 + (float)(2 * ox)), step);
                __m256 one = _mm256_set1_ps(1.0f);
                __m256 m = e0, idx = i0;
                max_take8(o0, _mm256_add_ps(i0, one), &m, &idx);
                max_take8(e1, i1, &m, &idx);
                max_take8(o1, _mm256_add_ps(i1, one), &m, &idx);
                _mm256_storeu_ps(yr + ox, m);
                _mm256_storeu_ps(ar + ox, idx);
                if (ox == g.wo - 8)
                    break;
            }
            ox = g.wo;
        }
#endif
        for (; ox < g.wo; ox++) {
            int ix = 2 * ox;
            float m = r0[ix], i = b0 + (float)ix, v;
            int t;
            v = r0[ix + 1];
            t = MAX_TAKE(v, m, i);
            m = t ? v : m;
            i = t ? b0 + (float)(ix + 1) : i;
            v = r1[ix];
            t = MAX_TAKE(v, m, i);
            m = t ? v : m;
            i = t ? b1 + (float)ix : i;
            v = r1[ix + 1];
            t = MAX_TAKE(v, m, i);
            m = t ? v : m;
            i = t ? b1 + (float)(ix + 1) : i;
            yr[ox] = m;
            ar[ox] = i;
        }
    }
}

static void maxpool_plane_any(const float *restrict x, float *restrict y,
                              float *restrict arg, pool_geom g)
{
    for (int oy = 0; oy < g.ho; oy++)
        for (int ox = 0; ox < g.wo; ox++)
            pool_max_one(x, g, oy, ox, y + (size_t)oy * g.wo + ox,
                         arg + (size_t)oy * g.wo + ox);
}

static void maxpool_forward(const nc_exec *e)
{
    pool_geom g = pool_geom_of(e);
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    for (size_t q = 0; q < planes; q++) {
        const float *x = e->x[0] + q * in_sz;
        float *y = e->y + q * out_sz, *arg = e->save + q * out_sz;
        if (g.k == 2 && g.s == 2 && g.p == 0)
            maxpool_plane_2x2s2(x, y, arg, g);
        else if (g.s == 1)
            maxpool_plane_s1(x, y, arg, g);
        else
            maxpool_plane_any(x, y, arg, g);
    }
}

/* Routes each output's gradient to its saved arg-max, in output order. */
static void maxpool_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    pool_geom g = pool_geom_of(e);
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    for (size_t q = 0; q < planes; q++) {
        float *dx = e->dx[0] + q * in_sz;
        const float *dy = e->dy + q * out_sz, *arg = e->save + q * out_sz;
        for (size_t j = 0; j < out_sz; j++)
            dx[(size_t)arg[j]] += dy[j];
    }
}

/* ---- average pooling ------------------------------------------------------ */

/* The divisor of output (oy, ox). */
static float avg_count(pool_geom g, int cp, int oy, int ox)
{
    if (cp)
        return (float)(g.k * g.k);
    int y0 = imax(oy * g.s - g.p, 0), y1 = imin(oy * g.s - g.p + g.k, g.h);
    int x0 = imax(ox * g.s - g.p, 0), x1 = imin(ox * g.s - g.p + g.k, g.w);
    return (float)((y1 - y0) * (x1 - x0));
}

/* The definition: the row-major sum of the in-image taps over the count. */
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

/* Stride-1 backward gathers dy/count from the work buffer: one plane. */
static size_t avgpool_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                             int n)
{
    (void)a;
    (void)in;
    (void)n;
    return (size_t)out.h * (size_t)out.w;
}

static void avgpool_plane_s1(const float *restrict x, float *restrict y,
                             pool_geom g, int cp)
{
    int xa = imin(g.p, g.wo), xb = imax(xa, imin(g.wo, g.w - g.k + g.p + 1));
    for (int oy = 0; oy < g.ho; oy++) {
        float *yr = y + (size_t)oy * g.wo;
        int ox = 0;
        for (; ox < xa; ox++)
            yr[ox] = pool_avg_one(x, g, cp, oy, ox);
#ifdef __AVX2__
        if (xb - xa >= 8) {
            int y0 = imax(oy - g.p, 0), y1 = imin(oy - g.p + g.k, g.h);
            /* Unclipped columns all have the same divisor. */
            __m256 cnt = _mm256_set1_ps(avg_count(g, cp, oy, xa));
            for (;; ox += 8) {
                if (ox > xb - 8)
                    ox = xb - 8;
                __m256 s = _mm256_setzero_ps();
                for (int iy = y0; iy < y1; iy++) {
                    const float *xr = x + (size_t)iy * g.w + (ox - g.p);
                    for (int kx = 0; kx < g.k; kx++)
                        s = _mm256_add_ps(s, _mm256_loadu_ps(xr + kx));
                }
                _mm256_storeu_ps(yr + ox, _mm256_div_ps(s, cnt));
                if (ox == xb - 8)
                    break;
            }
            ox = xb;
        }
#endif
        for (; ox < g.wo; ox++)
            yr[ox] = pool_avg_one(x, g, cp, oy, ox);
    }
}

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

static void avgpool_forward(const nc_exec *e)
{
    pool_geom g = pool_geom_of(e);
    int cp = e->attr->count_pad;
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    for (size_t q = 0; q < planes; q++) {
        const float *x = e->x[0] + q * in_sz;
        float *y = e->y + q * out_sz;
        if (g.k == 2 && g.s == 2 && g.p == 0)
            avgpool_plane_2x2s2(x, y, g);
        else if (g.s == 1)
            avgpool_plane_s1(x, y, g, cp);
        else
            for (int oy = 0; oy < g.ho; oy++)
                for (int ox = 0; ox < g.wo; ox++)
                    y[(size_t)oy * g.wo + ox] = pool_avg_one(x, g, cp, oy, ox);
    }
}

/* Σ gr(oy, ox) over the stride-1 outputs whose windows hold column ix,
 * rows [oy0, oy1): the backward of pool_avg_one, in (oy, ox) order. */
static float avg_gather_one(const float *restrict gr, pool_geom g, int oy0,
                            int oy1, int ix)
{
    int ox0 = imax(ix + g.p - g.k + 1, 0), ox1 = imin(ix + g.p + 1, g.wo);
    float s = 0.0f;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = ox0; ox < ox1; ox++)
            s += gr[(size_t)oy * g.wo + ox];
    return s;
}

/* Stride 1 as a gather, so each dx element is written once and interior
 * columns vectorize: dx(iy, ix) += Σ gr(oy, ox) over the outputs whose
 * window holds it, gr = dy/count (staged in work), summed in (oy, ox) order
 * on every path. */
static void avgpool_bwd_plane_s1(float *restrict dx, const float *restrict dy,
                                 float *restrict gr, pool_geom g, int cp)
{
    for (int oy = 0; oy < g.ho; oy++)
        for (int ox = 0; ox < g.wo; ox++)
            gr[(size_t)oy * g.wo + ox] = dy[(size_t)oy * g.wo + ox] /
                                         avg_count(g, cp, oy, ox);
    /* Input columns [xa, xb) are covered by k outputs each: ox = ix+p-k+1..ix+p. */
    int xa = imin(imax(g.k - 1 - g.p, 0), g.w), xb = imax(xa, imin(g.w, g.wo - g.p));
    for (int iy = 0; iy < g.h; iy++) {
        int oy0 = imax(iy + g.p - g.k + 1, 0), oy1 = imin(iy + g.p + 1, g.ho);
        float *dxr = dx + (size_t)iy * g.w;
        int ix = 0;
        for (; ix < xa; ix++)
            dxr[ix] += avg_gather_one(gr, g, oy0, oy1, ix);
#ifdef __AVX2__
        for (; ix + 8 <= xb; ix += 8) {
            __m256 s = _mm256_setzero_ps();
            for (int oy = oy0; oy < oy1; oy++) {
                const float *gp = gr + (size_t)oy * g.wo + (ix + g.p - g.k + 1);
                for (int j = 0; j < g.k; j++)
                    s = _mm256_add_ps(s, _mm256_loadu_ps(gp + j));
            }
            _mm256_storeu_ps(dxr + ix, _mm256_add_ps(_mm256_loadu_ps(dxr + ix), s));
        }
#endif
        for (; ix < g.w; ix++)
            dxr[ix] += avg_gather_one(gr, g, oy0, oy1, ix);
    }
}

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

static void avgpool_bwd_plane_any(float *restrict dx, const float *restrict dy,
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

static void avgpool_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    pool_geom g = pool_geom_of(e);
    int cp = e->attr->count_pad;
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    size_t in_sz = (size_t)g.h * g.w, out_sz = (size_t)g.ho * g.wo;
    for (size_t q = 0; q < planes; q++) {
        float *dx = e->dx[0] + q * in_sz;
        const float *dy = e->dy + q * out_sz;
        if (g.k == 2 && g.s == 2 && g.p == 0)
            avgpool_bwd_plane_2x2s2(dx, dy, g);
        else if (g.s == 1)
            avgpool_bwd_plane_s1(dx, dy, e->work, g, cp);
        else
            avgpool_bwd_plane_any(dx, dy, g, cp);
    }
}

const nc_op_def nc_op_maxpool_def = {
    .name = "maxpool",
    .min_in = 1,
    .max_in = 1,
    .shape = maxpool_shape,
    .n_save = maxpool_n_save,
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
