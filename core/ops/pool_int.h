/*
 * pool_int.h — what max pooling (maxpool.c) and average pooling
 * (avgpool.c) share: the window geometry, per-thread scratch, the split over
 * planes, the padded-plane copy and the AVX2 load/store helpers, all
 * static inline so the per-plane kernels inline them as before the split;
 * and the shape checks (pool.c). Not a public header. pool.c's opening
 * comment describes how both ops compute.
 */
#ifndef NC_POOL_INT_H
#define NC_POOL_INT_H

#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <stdint.h>
#include <string.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

typedef struct pool_geom {
    int h, w, ho, wo, k, s, p;
} pool_geom;

static inline pool_geom pool_geom_from(const nc_attr *a, nc_shape in, nc_shape out)
{
    return (pool_geom){ in.h, in.w, out.h, out.w, a->k, a->stride ? a->stride : 1,
                        a->pad };
}

static inline pool_geom pool_geom_of(const nc_exec *e)
{
    return pool_geom_from(e->attr, e->in[0], e->out);
}

/* One thread's scratch for `need` floats: whole 64-byte lines plus one of
 * slack, so that pool_scratch can start it on a line and neighbouring
 * threads never write the same line (the net packs the per-thread areas
 * n_work floats apart; sharing one line per plane cost more than pooling a
 * small plane). */
static inline size_t pool_work_size(size_t need)
{
    return need ? (need + 15) / 16 * 16 + 16 : 0;
}

static inline float *pool_scratch(const nc_exec *e, int thread)
{
    uintptr_t p = (uintptr_t)(e->work + (size_t)thread * e->n_work);
    return (float *)((p + 63) & ~(uintptr_t)63);
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

static inline int pool_is_2x2s2(pool_geom g)
{
    return g.k == 2 && g.s == 2 && g.p == 0;
}

/* The padded-plane vector path: stride-1/2 pools except 2×2 s2, whose max
 * has its own copy-free vector kernel and whose average's plain loop the
 * compiler vectorizes. */
static inline int pool_vec(pool_geom g, int is_max)
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
static inline int pool_fwd_stride(pool_geom g)
{
    return 8 * g.s * ((g.wo + 7) / 8) + g.k + 8;
}

/* Row stride of the padded dy/count plane of the stride-1 backward, whose
 * row holds output ox at L + ox, L = k - 1 - p: room for k taps from every
 * 8-lane input block, and for every 8-lane output block (wo <= w + 1). */
static inline int pool_bwd_stride(pool_geom g)
{
    return 8 * ((g.w + 7) / 8) + g.k + 8;
}

/* The output shape of a pool over in[0] (k, stride, pad of *a), with the
 * checks both ops share; `name` ("maxpool", "avgpool") leads messages. */
nc_status nc_pooling_shape(nc_ctx *ctx, const char *name, const nc_attr *a,
                           int n_in, const nc_shape *in, nc_shape *out);

/* Work is split by (channel, sample) planes: each plane is computed by one
 * thread exactly as single-threaded, so any split gives the same bits. */
static inline void pool_par_planes(const nc_exec *e, size_t floats_per_plane,
                                   nc_par_fn fn)
{
    size_t planes = (size_t)e->n * (size_t)e->in[0].c;
    nc_par_for(e, planes, 1, planes * floats_per_plane, fn, (void *)e);
}

#ifdef __AVX2__
/* Copies plane x into P (row stride W) below `top` rows of `fill`: row
 * top + iy is `fill` on [0, p), the image row on [p, p + w), `fill` up to W;
 * `bottom` rows of `fill` follow. Vector moves throughout: a memcpy call
 * per short row cost as much as pooling the row. */
static inline void pool_pad_plane(const float *restrict x, float *restrict P,
                                  pool_geom g, int W, int top, int bottom,
                                  float fill)
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
#endif

#endif
