#include "core/kernels/im2col.h"

#include <string.h>

#if defined(__FMA__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* Eight floats: GCC/Clang vector extension, AVX with -mavx2, two SSE
 * registers otherwise. Loads and stores go through memcpy, so no pointer
 * needs any alignment. */
#if defined(__GNUC__) && !defined(__AVX__)
/* Only static inline helpers pass these vectors, so the ABI change that
 * GCC and Clang warn about in non-AVX builds does not matter. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef float v8f __attribute__((vector_size(32)));

static inline v8f ld8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st8(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

static inline v8f splat8(float x)
{
    return (v8f){ x, x, x, x, x, x, x, x };
}

/* a*b + c. Explicit, because ISO C mode (-std=c11) turns off GCC's
 * contraction of a*b + c into an FMA. */
static inline v8f fma8(v8f a, v8f b, v8f c)
{
#ifdef __FMA__
    return (v8f)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
    return a * b + c;
#endif
}

static inline float hsum8(v8f v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static inline size_t round_up(size_t x, size_t m)
{
    return (x + m - 1) / m * m;
}

typedef float v4f __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st4(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

/* d[0..len) = s[0..len). Rows here are short (often 4..32 floats), where a
 * libc call costs more than the copy, so short rows get straight-line code
 * (a loop would be turned back into a memmove call by GCC); the last vector
 * may overlap the one before it, which is harmless for a copy. */
static inline void copy_row(float *restrict d, const float *restrict s, int len)
{
    if (len > 32) {
        memcpy(d, s, (size_t)len * sizeof(float));
    } else if (len >= 8) {
        if (len > 8) {
            st8(d, ld8(s));
            if (len > 16) {
                st8(d + 8, ld8(s + 8));
                if (len > 24)
                    st8(d + 16, ld8(s + 16));
            }
        }
        st8(d + len - 8, ld8(s + len - 8));
    } else if (len >= 4) {
        st4(d, ld4(s));
        st4(d + len - 4, ld4(s + len - 4));
    } else {
        if (len > 0)
            d[0] = s[0];
        if (len > 1)
            d[1] = s[1];
        if (len > 2)
            d[2] = s[2];
    }
}

/* d[0..len) += s[0..len). */
static inline void add_row(float *restrict d, const float *restrict s, int len)
{
    int j = 0;
    for (; j + 8 <= len; j += 8)
        st8(d + j, ld8(d + j) + ld8(s + j));
    for (; j < len; j++)
        d[j] += s[j];
}

/* d[j] = s[2*j] for j < len: the stride-2 deinterleave of staging. */
static inline void gather2(float *restrict d, const float *restrict s, int len)
{
    int j = 0;
#ifdef __AVX2__
    /* Reads s[2j .. 2j+16): only while that stays within s[0 .. 2*len-1). */
    for (; j + 8 < len; j += 8) {
        __m256 a = _mm256_loadu_ps(s + 2 * j), b = _mm256_loadu_ps(s + 2 * j + 8);
        __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e),
                                                   _MM_SHUFFLE(3, 1, 2, 0)));
        _mm256_storeu_ps(d + j, e);
    }
#endif
    for (; j < len; j++)
        d[j] = s[2 * j];
}

/* d[2*j] += s[j] for j < len: the adjoint of gather2. */
static inline void scatter2_add(float *restrict d, const float *restrict s,
                                int len)
{
    int j = 0;
#ifdef __AVX2__
    /* The odd elements in between get -0.0 added, which leaves every float
     * (including -0.0 and NaN) as it was. */
    const __m256 nz = _mm256_set1_ps(-0.0f);
    for (; j + 8 < len; j += 8) {
        __m256 r = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_loadu_ps(s + j)), _MM_SHUFFLE(3, 1, 2, 0)));
        __m256 lo = _mm256_unpacklo_ps(r, nz), hi = _mm256_unpackhi_ps(r, nz);
        _mm256_storeu_ps(d + 2 * j, _mm256_add_ps(_mm256_loadu_ps(d + 2 * j), lo));
        _mm256_storeu_ps(d + 2 * j + 8,
                         _mm256_add_ps(_mm256_loadu_ps(d + 2 * j + 8), hi));
    }
#endif
    for (; j < len; j++)
        d[2 * j] += s[j];
}

/* The outputs o in [*lo, *hi) whose input index o*stride - pad + kofs lies in
 * [0, in): computed once per row or plane, it is what lets the loops below
 * run without a bounds test per element. */
static inline void out_range(int kofs, int pad, int stride, int in, int out,
                             int *lo, int *hi)
{
    int first = pad - kofs;          /* o*stride >= first */
    int last = in - 1 + pad - kofs;  /* o*stride <= last */
    int l, h;
    if (stride == 1) {
        l = first <= 0 ? 0 : first;
        h = last < 0 ? 0 : last + 1;
    } else {
        l = first <= 0 ? 0 : (first + stride - 1) / stride;
        h = last < 0 ? 0 : last / stride + 1;
    }
    if (h > out)
        h = out;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

/*
 * Staging. An input plane is zero padded and split into s*s phase planes
 * (s = stride): phase (py, px) holds padded pixel (R*s + py, C*s + px) at
 * R*wq + C. Output (oy, ox) under tap (ky, kx) reads padded pixel
 * (oy*s + ky, ox*s + kx), which is phase (ky%s, kx%s) at
 *     oy*wq + ox + (ky/s)*wq + kx/s,
 * i.e. each tap is a fixed shift of one phase plane, and a "wide" output grid
 * of ho × wq (the last wq - wo columns junk) is one contiguous run per tap.
 */
typedef struct stage_geom {
    int s, p;       /* stride, pad */
    int nph;        /* phases per axis that some tap reads: min(k, s) */
    int hq, wq;     /* rows and row pitch of a phase plane */
    int fpad;       /* largest tap shift within a phase */
    size_t psz;     /* floats per phase plane, with slack for vector tails */
} stage_geom;

static stage_geom stage_geom_of(int k, int s, int p, int ho, int wo)
{
    stage_geom g;
    int r = (k - 1) / s;
    g.s = s;
    g.p = p;
    g.nph = k < s ? k : s;
    g.hq = ho + r;
    g.wq = wo + r;
    g.fpad = r * g.wq + r;
    g.psz = round_up((size_t)g.hq * g.wq + (size_t)g.fpad + 16, 16);
    return g;
}

/* Floats of the dy staging buffer: fpad zeros in front, so that the
 * transposed taps of the backward pass read zeros, not memory before it. */
static size_t stage_dy_floats(const stage_geom *g)
{
    return round_up((size_t)g->fpad + (size_t)g->hq * g->wq + 16, 16);
}

static void stage_plane(float *P, const float *x, int h, int w,
                        const stage_geom *g)
{
    const int s = g->s, p = g->p, wq = g->wq;
    for (int py = 0; py < g->nph; py++) {
        int r_lo, r_hi;
        out_range(py, p, s, h, g->hq, &r_lo, &r_hi);
        for (int px = 0; px < g->nph; px++) {
            float *pl = P + (size_t)(py * s + px) * g->psz;
            int c_lo, c_hi, rh = r_hi;
            out_range(px, p, s, w, wq, &c_lo, &c_hi);
            if (c_hi <= c_lo)
                rh = r_lo;
            int len = c_hi - c_lo;
            memset(pl, 0, (size_t)r_lo * wq * sizeof(float));
            for (int R = r_lo; R < rh; R++) {
                float *row = pl + (size_t)R * wq;
                const float *xr = x + (size_t)(R * s + py - p) * w
                                  + (c_lo * s + px - p);
                for (int c = 0; c < c_lo; c++)
                    row[c] = 0.0f;
                if (s == 1) {
                    copy_row(row + c_lo, xr, len);
                } else if (s == 2) {
                    gather2(row + c_lo, xr, len);
                } else {
                    for (int j = 0; j < len; j++)
                        row[c_lo + j] = xr[(size_t)j * s];
                }
                for (int c = c_hi; c < wq; c++)
                    row[c] = 0.0f;
            }
            memset(pl + (size_t)rh * wq, 0,
                   (g->psz - (size_t)rh * wq) * sizeof(float));
        }
    }
}

/* x[h × w] += the pixels of the phase planes P that fall inside the input
 * (the padding is dropped). */
static void unstage_plane_add(float *x, const float *P, int h, int w,
                              const stage_geom *g)
{
    const int s = g->s, p = g->p, wq = g->wq;
    for (int py = 0; py < g->nph; py++) {
        int r_lo, r_hi;
        out_range(py, p, s, h, g->hq, &r_lo, &r_hi);
        for (int px = 0; px < g->nph; px++) {
            const float *pl = P + (size_t)(py * s + px) * g->psz;
            int c_lo, c_hi;
            out_range(px, p, s, w, wq, &c_lo, &c_hi);
            int len = c_hi - c_lo;
            if (len <= 0)
                continue;
            for (int R = r_lo; R < r_hi; R++) {
                const float *row = pl + (size_t)R * wq + c_lo;
                float *xr = x + (size_t)(R * s + py - p) * w
                            + (c_lo * s + px - p);
                if (s == 1) {
                    add_row(xr, row, len);
                } else if (s == 2) {
                    scatter2_add(xr, row, len);
                } else {
                    for (int j = 0; j < len; j++)
                        xr[(size_t)j * s] += row[j];
                }
            }
        }
    }
}

/* Walks the k*k taps in (ky, kx) order, giving each tap's index t and its
 * offset off within the phase planes (phase * psz + shift). */
#define FOR_TAPS(g, k, t, off, ...)                                         \
    do {                                                                    \
        int t = 0, py_ = 0, qy_ = 0;                                        \
        for (int ky_ = 0; ky_ < (k); ky_++) {                               \
            int px_ = 0, qx_ = 0;                                           \
            for (int kx_ = 0; kx_ < (k); kx_++, t++) {                      \
                size_t off = (size_t)(py_ * (g)->s + px_) * (g)->psz        \
                             + (size_t)qy_ * (g)->wq + qx_;                 \
                __VA_ARGS__                                                 \
                if (++px_ == (g)->s) {                                      \
                    px_ = 0;                                                \
                    qx_++;                                                  \
                }                                                           \
            }                                                               \
            if (++py_ == (g)->s) {                                          \
                py_ = 0;                                                    \
                qy_++;                                                      \
            }                                                               \
        }                                                                   \
    } while (0)

size_t nc_im2col_scratch(int k, int stride, int ho, int wo)
{
    stage_geom g = stage_geom_of(k, stride, 0, ho, wo);
    return (size_t)stride * stride * g.psz;
}

void nc_im2col(float *col, float *scratch, const float *x, int c, int n, int m,
               int h, int w, int k, int stride, int pad, int ho, int wo)
{
    stage_geom g = stage_geom_of(k, stride, pad, ho, wo);
    size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;
    size_t ld = (size_t)m * oplane;
    for (int ci = 0; ci < c; ci++)
        for (int ni = 0; ni < m; ni++) {
            stage_plane(scratch, x + ((size_t)ci * n + ni) * plane, h, w, &g);
            float *dst = col + (size_t)ci * k * k * ld + ni * oplane;
            FOR_TAPS(&g, k, t, off, {
                float *d = dst + (size_t)t * ld;
                const float *src = scratch + off;
                if (g.wq == wo) {
                    copy_row(d, src, ho * wo);
                } else {
                    for (int oy = 0; oy < ho; oy++)
                        copy_row(d + (size_t)oy * wo, src + (size_t)oy * g.wq,
                                 wo);
                }
            });
        }
}

void nc_col2im_add(float *dx, float *scratch, const float *col, int c, int n,
                   int m, int h, int w, int k, int stride, int pad, int ho,
                   int wo)
{
    stage_geom g = stage_geom_of(k, stride, pad, ho, wo);
    size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;
    size_t ld = (size_t)m * oplane;
    size_t nstage = (size_t)stride * stride * g.psz;
    for (int ci = 0; ci < c; ci++)
        for (int ni = 0; ni < m; ni++) {
            const float *src = col + (size_t)ci * k * k * ld + ni * oplane;
            memset(scratch, 0, nstage * sizeof(float));
            FOR_TAPS(&g, k, t, off, {
                float *d = scratch + off;
                const float *sr = src + (size_t)t * ld;
                if (g.wq == wo) {
                    add_row(d, sr, ho * wo);
                } else {
                    for (int oy = 0; oy < ho; oy++)
                        add_row(d + (size_t)oy * g.wq, sr + (size_t)oy * wo,
                                wo);
                }
            });
            unstage_plane_add(dx + ((size_t)ci * n + ni) * plane, scratch, h,
                              w, &g);
        }
}

size_t nc_dwconv_scratch(int k, int stride, int ho, int wo)
{
    stage_geom g = stage_geom_of(k, stride, 0, ho, wo);
    return 2 * (size_t)stride * stride * g.psz + stage_dy_floats(&g);
}

/* yw[i..i+32) of the wide output grid: bias plus every tap, with four
 * accumulators in registers (named, not an array, which GCC would keep on the
 * stack and chain through store-to-load forwarding). */
static inline void dw_fwd_block4(float *yw, const float *P, const float *wk,
                                 float b, int k, const stage_geom *g, size_t i)
{
    v8f a0 = splat8(b), a1 = a0, a2 = a0, a3 = a0;
    FOR_TAPS(g, k, t, off, {
        v8f wv = splat8(wk[t]);
        const float *src = P + off + i;
        a0 = fma8(wv, ld8(src), a0);
        a1 = fma8(wv, ld8(src + 8), a1);
        a2 = fma8(wv, ld8(src + 16), a2);
        a3 = fma8(wv, ld8(src + 24), a3);
    });
    st8(yw + i, a0);
    st8(yw + i + 8, a1);
    st8(yw + i + 16, a2);
    st8(yw + i + 24, a3);
}

/* Stride 1, where taps are plain shifts of one plane: eight accumulators
 * (64 outputs) per pass over the taps, to amortize the tap loop and keep
 * both FMA pipes busy. */
static inline void dw_fwd_s1_block8(float *yw, const float *P, const float *wk,
                                    float b, int k, int wq, size_t i)
{
    v8f a0 = splat8(b), a1 = a0, a2 = a0, a3 = a0;
    v8f a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const float *row = P + i;
    for (int ky = 0; ky < k; ky++, row += wq, wk += k)
        for (int kx = 0; kx < k; kx++) {
            v8f wv = splat8(wk[kx]);
            const float *src = row + kx;
            a0 = fma8(wv, ld8(src), a0);
            a1 = fma8(wv, ld8(src + 8), a1);
            a2 = fma8(wv, ld8(src + 16), a2);
            a3 = fma8(wv, ld8(src + 24), a3);
            a4 = fma8(wv, ld8(src + 32), a4);
            a5 = fma8(wv, ld8(src + 40), a5);
            a6 = fma8(wv, ld8(src + 48), a6);
            a7 = fma8(wv, ld8(src + 56), a7);
        }
    st8(yw + i, a0);
    st8(yw + i + 8, a1);
    st8(yw + i + 16, a2);
    st8(yw + i + 24, a3);
    st8(yw + i + 32, a4);
    st8(yw + i + 40, a5);
    st8(yw + i + 48, a6);
    st8(yw + i + 56, a7);
}

static inline void dw_fwd_block1(float *yw, const float *P, const float *wk,
                                 float b, int k, const stage_geom *g, size_t i)
{
    v8f a0 = splat8(b);
    FOR_TAPS(g, k, t, off, {
        a0 = fma8(splat8(wk[t]), ld8(P + off + i), a0);
    });
    st8(yw + i, a0);
}

void nc_dwconv_forward(float *y, float *scratch, const float *x,
                       const float *wt, const float *bias, int c, int mult,
                       int n, int m, int h, int w, int k, int stride, int pad,
                       int ho, int wo)
{
    stage_geom g = stage_geom_of(k, stride, pad, ho, wo);
    size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;
    float *P = scratch;
    float *yw = P + (size_t)stride * stride * g.psz;
    size_t nwide = round_up((size_t)ho * g.wq, 8);
    for (int ci = 0; ci < c; ci++)
        for (int ni = 0; ni < m; ni++) {
            stage_plane(P, x + ((size_t)ci * n + ni) * plane, h, w, &g);
            for (int j = 0; j < mult; j++) {
                int co = ci * mult + j;
                const float *wk = wt + (size_t)co * k * k;
                float b = bias ? bias[co] : 0.0f;
                size_t i = 0;
                if (stride == 1)
                    for (; i + 64 <= nwide; i += 64)
                        dw_fwd_s1_block8(yw, P, wk, b, k, g.wq, i);
                for (; i + 32 <= nwide; i += 32)
                    dw_fwd_block4(yw, P, wk, b, k, &g, i);
                for (; i < nwide; i += 8)
                    dw_fwd_block1(yw, P, wk, b, k, &g, i);
                float *yp = y + ((size_t)co * n + ni) * oplane;
                if (g.wq == wo) {
                    copy_row(yp, yw, ho * wo);
                } else {
                    for (int oy = 0; oy < ho; oy++)
                        copy_row(yp + (size_t)oy * wo, yw + (size_t)oy * g.wq,
                                 wo);
                }
            }
        }
}

/* One phase plane of the input gradient on [q, q+32): the transposed taps of
 * that phase applied to the staged dy (whose junk columns are zero). */
static inline void dw_bwd_dx_block4(float *dxp, const float *dyw,
                                    const float *wk, int k, int py, int px,
                                    const stage_geom *g, size_t q,
                                    int accumulate)
{
    v8f a0 = splat8(0.0f), a1 = a0, a2 = a0, a3 = a0;
    if (accumulate) {
        a0 = ld8(dxp + q);
        a1 = ld8(dxp + q + 8);
        a2 = ld8(dxp + q + 16);
        a3 = ld8(dxp + q + 24);
    }
    for (int ky = py, qy = 0; ky < k; ky += g->s, qy++)
        for (int kx = px, qx = 0; kx < k; kx += g->s, qx++) {
            v8f wv = splat8(wk[ky * k + kx]);
            const float *src = dyw + g->fpad + q - ((size_t)qy * g->wq + qx);
            a0 = fma8(wv, ld8(src), a0);
            a1 = fma8(wv, ld8(src + 8), a1);
            a2 = fma8(wv, ld8(src + 16), a2);
            a3 = fma8(wv, ld8(src + 24), a3);
        }
    st8(dxp + q, a0);
    st8(dxp + q + 8, a1);
    st8(dxp + q + 16, a2);
    st8(dxp + q + 24, a3);
}

/* Stride 1 (a single phase): as dw_bwd_dx_block4 on [q, q+64). */
static inline void dw_bwd_dx_s1_block8(float *dxp, const float *dyw,
                                       const float *wk, int k,
                                       const stage_geom *g, size_t q,
                                       int accumulate)
{
    v8f a0 = splat8(0.0f), a1 = a0, a2 = a0, a3 = a0;
    v8f a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    if (accumulate) {
        a0 = ld8(dxp + q);
        a1 = ld8(dxp + q + 8);
        a2 = ld8(dxp + q + 16);
        a3 = ld8(dxp + q + 24);
        a4 = ld8(dxp + q + 32);
        a5 = ld8(dxp + q + 40);
        a6 = ld8(dxp + q + 48);
        a7 = ld8(dxp + q + 56);
    }
    const float *row = dyw + g->fpad + q;
    for (int ky = 0; ky < k; ky++, row -= g->wq, wk += k)
        for (int kx = 0; kx < k; kx++) {
            v8f wv = splat8(wk[kx]);
            const float *src = row - kx;
            a0 = fma8(wv, ld8(src), a0);
            a1 = fma8(wv, ld8(src + 8), a1);
            a2 = fma8(wv, ld8(src + 16), a2);
            a3 = fma8(wv, ld8(src + 24), a3);
            a4 = fma8(wv, ld8(src + 32), a4);
            a5 = fma8(wv, ld8(src + 40), a5);
            a6 = fma8(wv, ld8(src + 48), a6);
            a7 = fma8(wv, ld8(src + 56), a7);
        }
    st8(dxp + q, a0);
    st8(dxp + q + 8, a1);
    st8(dxp + q + 16, a2);
    st8(dxp + q + 24, a3);
    st8(dxp + q + 32, a4);
    st8(dxp + q + 40, a5);
    st8(dxp + q + 48, a6);
    st8(dxp + q + 56, a7);
}

/* sum of a[i]*b[i] over i < n (n a multiple of 8), four chains deep so the
 * FMA latency does not serialize it. */
static inline float dot_v8(const float *a, const float *b, size_t n)
{
    v8f a0 = splat8(0.0f), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = fma8(ld8(a + i), ld8(b + i), a0);
        a1 = fma8(ld8(a + i + 8), ld8(b + i + 8), a1);
        a2 = fma8(ld8(a + i + 16), ld8(b + i + 16), a2);
        a3 = fma8(ld8(a + i + 24), ld8(b + i + 24), a3);
    }
    for (; i < n; i += 8)
        a0 = fma8(ld8(a + i), ld8(b + i), a0);
    return hsum8((a0 + a1) + (a2 + a3));
}

static inline void dw_bwd_dx_block1(float *dxp, const float *dyw,
                                    const float *wk, int k, int py, int px,
                                    const stage_geom *g, size_t q,
                                    int accumulate)
{
    v8f a0 = accumulate ? ld8(dxp + q) : splat8(0.0f);
    for (int ky = py, qy = 0; ky < k; ky += g->s, qy++)
        for (int kx = px, qx = 0; kx < k; kx += g->s, qx++)
            a0 = fma8(splat8(wk[ky * k + kx]),
                      ld8(dyw + g->fpad + q - ((size_t)qy * g->wq + qx)), a0);
    st8(dxp + q, a0);
}

void nc_dwconv_backward(float *dx, float *dwt, float *scratch, const float *dy,
                        const float *x, const float *wt, int c, int mult, int n,
                        int m, int h, int w, int k, int stride, int pad, int ho,
                        int wo)
{
    stage_geom g = stage_geom_of(k, stride, pad, ho, wo);
    const int s = stride;
    size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;
    size_t nstage = (size_t)s * s * g.psz;
    float *P = scratch, *dxP = P + nstage, *dyw = dxP + nstage;
    size_t nwide = round_up((size_t)ho * g.wq, 8);
    size_t nq = round_up((size_t)g.hq * g.wq, 8);
    /* Only the first wo columns of each dy row are ever written: the junk
     * columns, the front pad and the tail stay zero for the whole call. */
    memset(dyw, 0, stage_dy_floats(&g) * sizeof(float));
    float *dyr = dyw + g.fpad;
    for (int ci = 0; ci < c; ci++)
        for (int ni = 0; ni < m; ni++) {
            if (dwt)
                stage_plane(P, x + ((size_t)ci * n + ni) * plane, h, w, &g);
            for (int j = 0; j < mult; j++) {
                int co = ci * mult + j;
                const float *wk = wt + (size_t)co * k * k;
                const float *dyp = dy + ((size_t)co * n + ni) * oplane;
                if (g.wq == wo) {
                    copy_row(dyr, dyp, ho * wo);
                } else {
                    for (int oy = 0; oy < ho; oy++)
                        copy_row(dyr + (size_t)oy * g.wq, dyp + (size_t)oy * wo,
                                 wo);
                }
                if (dwt) {
                    float *dwk = dwt + (size_t)co * k * k;
                    FOR_TAPS(&g, k, t, off, {
                        dwk[t] += dot_v8(dyr, P + off, nwide);
                    });
                }
                if (dx) {
                    for (int py = 0; py < g.nph; py++)
                        for (int px = 0; px < g.nph; px++) {
                            float *dxp = dxP + (size_t)(py * s + px) * g.psz;
                            size_t q = 0;
                            if (s == 1)
                                for (; q + 64 <= nq; q += 64)
                                    dw_bwd_dx_s1_block8(dxp, dyw, wk, k, &g, q,
                                                        j > 0);
                            for (; q + 32 <= nq; q += 32)
                                dw_bwd_dx_block4(dxp, dyw, wk, k, py, px, &g,
                                                 q, j > 0);
                            for (; q < nq; q += 8)
                                dw_bwd_dx_block1(dxp, dyw, wk, k, py, px, &g,
                                                 q, j > 0);
                        }
                }
            }
            if (dx)
                unstage_plane_add(dx + ((size_t)ci * n + ni) * plane, dxP, h,
                                  w, &g);
        }
}

void nc_rows_fill(float *y, const float *bias, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        float b = bias ? bias[r] : 0.0f;
        for (size_t j = 0; j < cols; j++)
            yr[j] = b;
    }
}

void nc_rows_sum_add(float *out, const float *m, size_t rows, size_t cols)
{
    /* Float lanes over short blocks, double across blocks: a row can hold
     * n*h*w ~ 1e5 terms, too many for one float accumulator. */
    enum { BLOCK = 1024 };
    for (size_t r = 0; r < rows; r++) {
        const float *mr = m + r * cols;
        double acc = 0.0;
        for (size_t j0 = 0; j0 < cols; j0 += BLOCK) {
            size_t j1 = cols - j0 < BLOCK ? cols : j0 + BLOCK, j = j0;
            v8f a = splat8(0.0f);
            for (; j + 8 <= j1; j += 8)
                a += ld8(mr + j);
            float t = hsum8(a);
            for (; j < j1; j++)
                t += mr[j];
            acc += t;
        }
        out[r] += (float)acc;
    }
}
