#include "core/kernels/im2col.h"

#include <string.h>

#ifdef __FMA__
#include <immintrin.h>
#endif

/* Eight floats: GCC/Clang vector extension, AVX with -mavx2, two SSE
 * registers otherwise. Loads and stores go through memcpy, so no pointer
 * needs any alignment. */
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

/* d[0..len) = s[0..len). Rows here are short (often 4..32 floats), where a
 * libc memcpy call costs more than the copy; the last vector may overlap the
 * one before it, which is harmless for a copy. */
static inline void copy_row(float *restrict d, const float *restrict s, int len)
{
    if (len >= 8) {
        int j = 0;
        for (; j + 8 <= len; j += 8)
            st8(d + j, ld8(s + j));
        if (j < len)
            st8(d + len - 8, ld8(s + len - 8));
    } else {
        for (int j = 0; j < len; j++)
            d[j] = s[j];
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
    for (int py = 0; py < s; py++) {
        int r_lo, r_hi;
        out_range(py, p, s, h, g->hq, &r_lo, &r_hi);
        for (int px = 0; px < s; px++) {
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
                    for (int j = 0; j < len; j++)
                        row[c_lo + j] = xr[2 * j];
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
    for (int py = 0; py < s; py++) {
        int r_lo, r_hi;
        out_range(py, p, s, h, g->hq, &r_lo, &r_hi);
        for (int px = 0; px < s; px++) {
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

/* yw[i..i+8*nv) of the wide output grid: bias plus every tap, with nv
 * accumulators in registers. */
static inline void dw_fwd_block(float *yw, const float *P, const float *wk,
                                float b, int k, const stage_geom *g, size_t i,
                                int nv)
{
    v8f acc[4];
    for (int v = 0; v < nv; v++)
        acc[v] = splat8(b);
    FOR_TAPS(g, k, t, off, {
        v8f wv = splat8(wk[t]);
        const float *src = P + off + i;
        for (int v = 0; v < nv; v++)
            acc[v] = fma8(wv, ld8(src + 8 * v), acc[v]);
    });
    for (int v = 0; v < nv; v++)
        st8(yw + i + 8 * v, acc[v]);
}

void nc_dwconv_forward(float *y, float *scratch, const float *x,
                       const float *wt, const float *bias, int c, int mult,
                       int n, int h, int w, int k, int stride, int pad, int ho,
                       int wo)
{
    stage_geom g = stage_geom_of(k, stride, pad, ho, wo);
    size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;
    float *P = scratch;
    float *yw = P + (size_t)stride * stride * g.psz;
    size_t nwide = round_up((size_t)ho * g.wq, 8);
    for (int ci = 0; ci < c; ci++)
        for (int ni = 0; ni < n; ni++) {
            stage_plane(P, x + ((size_t)ci * n + ni) * plane, h, w, &g);
            for (int j = 0; j < mult; j++) {
                int co = ci * mult + j;
                const float *wk = wt + (size_t)co * k * k;
                float b = bias ? bias[co] : 0.0f;
                size_t i = 0;
                for (; i + 32 <= nwide; i += 32)
                    dw_fwd_block(yw, P, wk, b, k, &g, i, 4);
                for (; i < nwide; i += 8)
                    dw_fwd_block(yw, P, wk, b, k, &g, i, 1);
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

/* One phase plane of the input gradient on [q, q+8*nv): the transposed taps
 * of that phase applied to the staged dy (whose junk columns are zero). */
static inline void dw_bwd_dx_block(float *dxp, const float *dyw,
                                   const float *wk, int k, int py, int px,
                                   const stage_geom *g, size_t q, int nv,
                                   int accumulate)
{
    v8f acc[4];
    for (int v = 0; v < nv; v++)
        acc[v] = accumulate ? ld8(dxp + q + 8 * v) : splat8(0.0f);
    for (int ky = py, qy = 0; ky < k; ky += g->s, qy++)
        for (int kx = px, qx = 0; kx < k; kx += g->s, qx++) {
            v8f wv = splat8(wk[ky * k + kx]);
            const float *src = dyw + g->fpad + q - ((size_t)qy * g->wq + qx);
            for (int v = 0; v < nv; v++)
                acc[v] = fma8(wv, ld8(src + 8 * v), acc[v]);
        }
    for (int v = 0; v < nv; v++)
        st8(dxp + q + 8 * v, acc[v]);
}

void nc_dwconv_backward(float *dx, float *dwt, float *scratch, const float *dy,
                        const float *x, const float *wt, int c, int mult, int n,
                        int h, int w, int k, int stride, int pad, int ho,
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
        for (int ni = 0; ni < n; ni++) {
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
                        const float *src = P + off;
                        v8f a0 = splat8(0.0f), a1 = splat8(0.0f);
                        size_t i = 0;
                        for (; i + 16 <= nwide; i += 16) {
                            a0 = fma8(ld8(dyr + i), ld8(src + i), a0);
                            a1 = fma8(ld8(dyr + i + 8), ld8(src + i + 8), a1);
                        }
                        for (; i < nwide; i += 8)
                            a0 = fma8(ld8(dyr + i), ld8(src + i), a0);
                        dwk[t] += hsum8(a0 + a1);
                    });
                }
                if (dx) {
                    for (int py = 0; py < s; py++)
                        for (int px = 0; px < s; px++) {
                            float *dxp = dxP + (size_t)(py * s + px) * g.psz;
                            size_t q = 0;
                            for (; q + 32 <= nq; q += 32)
                                dw_bwd_dx_block(dxp, dyw, wk, k, py, px, &g, q,
                                                4, j > 0);
                            for (; q < nq; q += 8)
                                dw_bwd_dx_block(dxp, dyw, wk, k, py, px, &g, q,
                                                1, j > 0);
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
