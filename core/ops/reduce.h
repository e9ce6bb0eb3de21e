/*
 * reduce.h — internal: float sums accumulated in double with a fixed lane
 * split, for batch norm's statistics and global average pooling.
 *
 * Element i goes to lane i % NC_RED_LANES and the lanes are combined in a
 * fixed tree (nc_red_combine), so a sum's bits depend on neither the vector
 * width of the build nor on how the caller split its loop over threads.
 * Sixteen lanes are four AVX2 accumulators: enough independent add chains
 * to hide the adder latency, which a single scalar chain does not.
 */
#ifndef NC_OPS_REDUCE_H
#define NC_OPS_REDUCE_H

#include <stddef.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

enum { NC_RED_LANES = 16 };

static inline double nc_red_combine(const double a[NC_RED_LANES])
{
    double t[4];
    for (int j = 0; j < 4; j++)
        t[j] = (a[j] + a[8 + j]) + (a[4 + j] + a[12 + j]);
    return (t[0] + t[2]) + (t[1] + t[3]);
}

#ifdef __AVX2__
/* Floats x[0..8) widened: lo gets x[0..4), hi x[4..8). */
static inline void nc_red_load8(const float *x, __m256d *lo, __m256d *hi)
{
    __m256 v = _mm256_loadu_ps(x);
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}
#endif

/* Σ x[0..m) in double. */
static inline double nc_red_sum(const float *restrict x, size_t m)
{
    double acc[NC_RED_LANES] = { 0 };
    size_t i = 0;
#ifdef __AVX2__
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    for (; i + NC_RED_LANES <= m; i += NC_RED_LANES) {
        __m256d v0, v1, v2, v3;
        nc_red_load8(x + i, &v0, &v1);
        nc_red_load8(x + i + 8, &v2, &v3);
        a0 = _mm256_add_pd(a0, v0);
        a1 = _mm256_add_pd(a1, v1);
        a2 = _mm256_add_pd(a2, v2);
        a3 = _mm256_add_pd(a3, v3);
    }
    _mm256_storeu_pd(acc, a0);
    _mm256_storeu_pd(acc + 4, a1);
    _mm256_storeu_pd(acc + 8, a2);
    _mm256_storeu_pd(acc + 12, a3);
#endif
    for (; i < m; i++)
        acc[i % NC_RED_LANES] += (double)x[i];
    return nc_red_combine(acc);
}

#endif
