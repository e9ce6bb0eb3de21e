#include "core/kernels/gemm.h"

#include <cblas.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define NC_HAVE_AVX512 1
#include <immintrin.h>
#else
#define NC_HAVE_AVX512 0
#endif

/* Inner-dimension block: a B panel of 256 rows × 32..64 columns stays in L1
 * across all row tiles of A, and a packed A block of a few hundred rows in
 * L2. The block boundaries depend on k alone (see gemm.h). */
enum { GEMM_KB = 256 };

/* k block of nc_gemm_nt: JR rows of B stay in L1 across the row tiles of A,
 * and each block ends in one horizontal sum per accumulator. */
#ifndef GEMM_NT_KB
#define GEMM_NT_KB 1024
#endif

#ifndef NC_GEMM_NV_BIG
#define NC_GEMM_NV_BIG 2
#endif

static int gemm_kblocks(int k)
{
    return k <= 0 ? 1 : (k + GEMM_KB - 1) / GEMM_KB;
}

/* Size of the first (and largest) k block; the last one may be shorter. */
static int gemm_kb(int k)
{
    int nb = gemm_kblocks(k);
    return k <= 0 ? 0 : (k + nb - 1) / nb;
}

size_t nc_gemm_pack_floats(int m, int k)
{
    return (size_t)(m > 0 ? m : 0) * (size_t)gemm_kb(k) + 16;
}

static void rows_init(float *c, size_t ldc, int m, int n, const float *bias)
{
    for (int i = 0; i < m; i++) {
        float v = bias ? bias[i] : 0.0f, *ci = c + (size_t)i * ldc;
        for (int j = 0; j < n; j++)
            ci[j] = v;
    }
}

void nc_gemm_blas(int m, int n, int k, const float *a, ptrdiff_t rsa,
                  ptrdiff_t csa, const float *b, size_t ldb, float *c,
                  size_t ldc, int acc, const float *bias)
{
    if (m <= 0 || n <= 0)
        return;
    if (!acc)
        rows_init(c, ldc, m, n, bias);
    if (k <= 0)
        return;
    int notrans = csa == 1 && (rsa != 1 || k == 1 || m == 1);
    cblas_sgemm(CblasRowMajor, notrans ? CblasNoTrans : CblasTrans,
                CblasNoTrans, m, n, k, 1.0f, a,
                (int)(notrans ? (rsa > k ? rsa : k) : (csa > m ? csa : m)), b,
                (int)ldb, 1.0f, c, (int)ldc);
}

void nc_gemm_nt_blas(int m, int n, int k, const float *a, size_t lda,
                     const float *b, size_t ldb, float *c, size_t ldc)
{
    if (m <= 0 || n <= 0 || k <= 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a,
                (int)lda, b, (int)ldb, 1.0f, c, (int)ldc);
}

void nc_transpose(float *dst, size_t ldd, const float *src, size_t lds,
                  int rows, int cols)
{
    /* 16 × 16 blocks: both sides touch whole cache lines per block. */
    enum { TB = 16 };
    for (int i0 = 0; i0 < rows; i0 += TB) {
        int i1 = rows - i0 < TB ? rows : i0 + TB;
        for (int j0 = 0; j0 < cols; j0 += TB) {
            int j1 = cols - j0 < TB ? cols : j0 + TB;
            for (int i = i0; i < i1; i++) {
                const float *s = src + (size_t)i * lds;
                for (int j = j0; j < j1; j++)
                    dst[(size_t)j * ldd + i] = s[j];
            }
        }
    }
}

#if NC_HAVE_AVX512

#define NC_AVX512 __attribute__((target("avx512f")))

int nc_gemm_simd(void)
{
    return __builtin_cpu_supports("avx512f");
}

/* d[p*8 + i] = a[i*rsa + p] for i, p < 8: an 8 × 8 transpose in registers
 * (the scalar loop moves one float per load and store). */
static inline void pack_8x8(float *d, const float *a, ptrdiff_t rsa)
{
    __m256 r0 = _mm256_loadu_ps(a), r1 = _mm256_loadu_ps(a + rsa);
    __m256 r2 = _mm256_loadu_ps(a + 2 * rsa), r3 = _mm256_loadu_ps(a + 3 * rsa);
    __m256 r4 = _mm256_loadu_ps(a + 4 * rsa), r5 = _mm256_loadu_ps(a + 5 * rsa);
    __m256 r6 = _mm256_loadu_ps(a + 6 * rsa), r7 = _mm256_loadu_ps(a + 7 * rsa);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* Packs rows [0, mr) × cols [0, kb) of A (strides rsa, csa) as
 * ap[p*mr + i]: the kernel then broadcasts from fixed offsets. */
static void pack_a(float *ap, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                   int mr, int kb)
{
    if (csa == 1 && mr == 8) {
        int p = 0;
        for (; p + 8 <= kb; p += 8)
            pack_8x8(ap + (size_t)p * 8, a + p, rsa);
        for (; p < kb; p++)
            for (int i = 0; i < 8; i++)
                ap[(size_t)p * 8 + i] = a[i * rsa + p];
    } else if (csa == 1) {
        for (int i = 0; i < mr; i++) {
            const float *ai = a + i * rsa;
            for (int p = 0; p < kb; p++)
                ap[(size_t)p * mr + i] = ai[p];
        }
    } else {
        for (int p = 0; p < kb; p++) {
            const float *ap_ = a + p * csa;
            for (int i = 0; i < mr; i++)
                ap[(size_t)p * mr + i] = ap_[i * rsa];
        }
    }
}

/* Mode of a kernel call: how the C tile starts. */
enum { START_ZERO = 0, START_BIAS = 1, START_C = 2 };

/* One MR × (16*NV) tile of C over kb steps of p: MR*NV accumulators in
 * registers; `cols` (1..16*NV) columns are live, the rest masked off (their
 * lanes compute on zeros and are never stored). */
#define GEMM_KERNEL(MR, NV)                                                   \
    static NC_AVX512 void gk_##MR##_##NV(int kb, const float *ap,             \
                                         ptrdiff_t ps, const float *b,        \
                                         size_t ldb,                          \
                                         float *c, size_t ldc, int start,     \
                                         const float *bias, int cols)         \
    {                                                                         \
        __m512 acc[MR][NV];                                                   \
        __mmask16 mk[NV];                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                  \
        {                                                                     \
            int r = cols - 16 * v;                                            \
            mk[v] = r >= 16 ? (__mmask16)0xFFFF                               \
                            : r <= 0 ? (__mmask16)0                           \
                                     : (__mmask16)((1u << r) - 1);            \
        }                                                                     \
        _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)              \
                acc[i][v] = start == START_C                                  \
                    ? _mm512_maskz_loadu_ps(mk[v], c + i * ldc + 16 * v)      \
                    : _mm512_set1_ps(start == START_BIAS ? bias[i] : 0.0f);   \
        for (int p = 0; p < kb; p++) {                                        \
            __m512 bv[NV];                                                    \
            const float *bp = b + (size_t)p * ldb;                            \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)              \
                bv[v] = _mm512_maskz_loadu_ps(mk[v], bp + 16 * v);            \
            const float *a_ = ap + p * ps;                                    \
            _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)             \
            {                                                                 \
                __m512 av = _mm512_set1_ps(a_[i]);                            \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)          \
                    acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);        \
            }                                                                 \
        }                                                                     \
        _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)              \
                _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mk[v],            \
                                      acc[i][v]);                             \
    }

GEMM_KERNEL(24, 1)
GEMM_KERNEL(16, 1)
GEMM_KERNEL(8, 1)
GEMM_KERNEL(4, 1)
GEMM_KERNEL(2, 1)
GEMM_KERNEL(1, 1)
GEMM_KERNEL(12, 2)
GEMM_KERNEL(8, 2)
GEMM_KERNEL(4, 2)
GEMM_KERNEL(2, 2)
GEMM_KERNEL(1, 2)
GEMM_KERNEL(8, 3)
GEMM_KERNEL(4, 3)
GEMM_KERNEL(2, 3)
GEMM_KERNEL(1, 3)
GEMM_KERNEL(6, 4)
GEMM_KERNEL(4, 4)
GEMM_KERNEL(2, 4)
GEMM_KERNEL(1, 4)

typedef void (*gemm_kernel)(int, const float *, ptrdiff_t, const float *,
                            size_t, float *, size_t, int, const float *, int);

/* Row-tile heights of each column width, largest first, ending in 1. */
typedef struct gemm_family {
    int nv;
    int mr[6];
    gemm_kernel k[6];
} gemm_family;

static const gemm_family gemm_families[4] = {
    { 1, { 24, 16, 8, 4, 2, 1 }, { gk_24_1, gk_16_1, gk_8_1, gk_4_1, gk_2_1, gk_1_1 } },
    { 2, { 12, 8, 4, 2, 1, 0 }, { gk_12_2, gk_8_2, gk_4_2, gk_2_2, gk_1_2, 0 } },
    { 3, { 8, 4, 2, 1, 0, 0 }, { gk_8_3, gk_4_3, gk_2_3, gk_1_3, 0, 0 } },
    { 4, { 6, 4, 2, 1, 0, 0 }, { gk_6_4, gk_4_4, gk_2_4, gk_1_4, 0, 0 } },
};

/* The first tile height for m rows: the largest that divides m with at least
 * 16 accumulators, else the largest that fits (the remainder then takes the
 * smaller ones). */
static int gemm_first(const gemm_family *f, int m)
{
    for (int t = 0; t < 6 && f->mr[t]; t++)
        if (m % f->mr[t] == 0 && f->mr[t] * f->nv >= 16)
            return t;
    for (int t = 0; t < 6 && f->mr[t]; t++)
        if (f->mr[t] <= m)
            return t;
    return 0;
}

static NC_AVX512 void gemm_avx512(int m, int n, int k, const float *a,
                                  ptrdiff_t rsa, ptrdiff_t csa, const float *b,
                                  size_t ldb, float *c, size_t ldc, int acc,
                                  const float *bias, float *pack)
{
    int nv = (n + 15) / 16;
    if (nv > 3)
        nv = NC_GEMM_NV_BIG;
    const gemm_family *f = &gemm_families[nv - 1];
    const int nr = 16 * nv, nkb = gemm_kblocks(k), kbs = gemm_kb(k);
    const int t0 = gemm_first(f, m);
    const int direct = rsa == 1 && m > 1;
    for (int kblk = 0; kblk < nkb; kblk++) {
        int k0 = kblk * kbs, kb = k - k0 < kbs ? k - k0 : kbs;
        if (kb < 0)
            kb = 0;
        int start = kblk > 0 || acc ? START_C : bias ? START_BIAS : START_ZERO;
        /* A transposed (rsa == 1) already holds each p's rows side by side:
         * the kernel broadcasts from it in place. Otherwise pack this k
         * block tile by tile, in the order the sweep below walks them. */
        int i0 = 0, t = t0;
        while (!direct && i0 < m) {
            while (f->mr[t] > m - i0)
                t++;
            pack_a(pack + (size_t)i0 * kb, a + i0 * rsa + k0 * csa, rsa, csa,
                   f->mr[t], kb);
            i0 += f->mr[t];
        }
        const float *bk = b + (size_t)k0 * ldb;
        for (int j0 = 0; j0 < n; j0 += nr) {
            int cols = n - j0 < nr ? n - j0 : nr;
            i0 = 0;
            t = t0;
            while (i0 < m) {
                while (f->mr[t] > m - i0)
                    t++;
                f->k[t](kb, direct ? a + i0 + k0 * csa : pack + (size_t)i0 * kb,
                        direct ? csa : f->mr[t], bk + j0, ldb,
                        c + (size_t)i0 * ldc + j0, ldc, start,
                        bias ? bias + i0 : NULL, cols);
                i0 += f->mr[t];
            }
        }
    }
}

/* One MR × JR tile of C += A·Bᵀ over k: the contraction runs along the
 * vector lanes (A and B rows are both contiguous in k), MR*JR accumulators
 * of 16 partial sums each, reduced once per k block. */
#define GEMM_NT_KERNEL(MR, JR)                                                \
    static NC_AVX512 void gnt_##MR##_##JR(int k, const float *a, size_t lda, \
                                          const float *b, size_t ldb,         \
                                          float *c, size_t ldc)               \
    {                                                                         \
        __m512 acc[MR][JR];                                                   \
        _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)                 \
            _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)              \
                acc[i][j] = _mm512_setzero_ps();                              \
        int p = 0;                                                            \
        for (; p + 16 <= k; p += 16) {                                        \
            __m512 bv[JR];                                                    \
            _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)              \
                bv[j] = _mm512_loadu_ps(b + j * ldb + p);                     \
            _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)             \
            {                                                                 \
                __m512 av = _mm512_loadu_ps(a + i * lda + p);                 \
                _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)          \
                    acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);        \
            }                                                                 \
        }                                                                     \
        if (p < k) {                                                          \
            __mmask16 mk = (__mmask16)((1u << (k - p)) - 1);                  \
            __m512 bv[JR];                                                    \
            _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)              \
                bv[j] = _mm512_maskz_loadu_ps(mk, b + j * ldb + p);           \
            _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)             \
            {                                                                 \
                __m512 av = _mm512_maskz_loadu_ps(mk, a + i * lda + p);       \
                _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)          \
                    acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);        \
            }                                                                 \
        }                                                                     \
        _Pragma("GCC unroll 24") for (int i = 0; i < MR; i++)                 \
            _Pragma("GCC unroll 8") for (int j = 0; j < JR; j++)              \
                c[i * ldc + j] += _mm512_reduce_add_ps(acc[i][j]);            \
    }

GEMM_NT_KERNEL(4, 6)
GEMM_NT_KERNEL(4, 3)
GEMM_NT_KERNEL(4, 2)
GEMM_NT_KERNEL(4, 1)
GEMM_NT_KERNEL(2, 6)
GEMM_NT_KERNEL(2, 3)
GEMM_NT_KERNEL(2, 2)
GEMM_NT_KERNEL(2, 1)
GEMM_NT_KERNEL(1, 6)
GEMM_NT_KERNEL(1, 3)
GEMM_NT_KERNEL(1, 2)
GEMM_NT_KERNEL(1, 1)

typedef void (*gemm_nt_kernel)(int, const float *, size_t, const float *,
                               size_t, float *, size_t);

static const gemm_nt_kernel gemm_nt_kernels[3][4] = {
    { gnt_4_6, gnt_4_3, gnt_4_2, gnt_4_1 },
    { gnt_2_6, gnt_2_3, gnt_2_2, gnt_2_1 },
    { gnt_1_6, gnt_1_3, gnt_1_2, gnt_1_1 },
};

static NC_AVX512 void gemm_nt_avx512(int m, int n, int k, const float *a,
                                     size_t lda, const float *b, size_t ldb,
                                     float *c, size_t ldc)
{
    static const int mrs[3] = { 4, 2, 1 }, jrs[4] = { 6, 3, 2, 1 };
    const int nkb = (k + GEMM_NT_KB - 1) / GEMM_NT_KB;
    const int kbs = (k + nkb - 1) / nkb;
    for (int k0 = 0; k0 < k; k0 += kbs) {
        int kb = k - k0 < kbs ? k - k0 : kbs;
        for (int j0 = 0, tj = 0; j0 < n;) {
            while (jrs[tj] > n - j0)
                tj++;
            for (int i0 = 0, ti = 0; i0 < m;) {
                while (mrs[ti] > m - i0)
                    ti++;
                gemm_nt_kernels[ti][tj](kb, a + (size_t)i0 * lda + k0, lda,
                                        b + (size_t)j0 * ldb + k0, ldb,
                                        c + (size_t)i0 * ldc + j0, ldc);
                i0 += mrs[ti];
            }
            j0 += jrs[tj];
        }
    }
}

void nc_gemm_nt(int m, int n, int k, const float *a, size_t lda,
                const float *b, size_t ldb, float *c, size_t ldc)
{
    if (m <= 0 || n <= 0 || k <= 0)
        return;
    if (!nc_gemm_simd()) {
        nc_gemm_nt_blas(m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
    gemm_nt_avx512(m, n, k, a, lda, b, ldb, c, ldc);
}

void nc_gemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
             const float *b, size_t ldb, float *c, size_t ldc, int acc,
             const float *bias, float *pack)
{
    if (m <= 0 || n <= 0)
        return;
    if (!nc_gemm_simd()) {
        nc_gemm_blas(m, n, k, a, rsa, csa, b, ldb, c, ldc, acc, bias);
        return;
    }
    gemm_avx512(m, n, k, a, rsa, csa, b, ldb, c, ldc, acc, bias, pack);
}

#else

int nc_gemm_simd(void)
{
    return 0;
}

void nc_gemm_nt(int m, int n, int k, const float *a, size_t lda,
                const float *b, size_t ldb, float *c, size_t ldc)
{
    nc_gemm_nt_blas(m, n, k, a, lda, b, ldb, c, ldc);
}

void nc_gemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
             const float *b, size_t ldb, float *c, size_t ldc, int acc,
             const float *bias, float *pack)
{
    (void)pack;
    nc_gemm_blas(m, n, k, a, rsa, csa, b, ldb, c, ldc, acc, bias);
}

#endif
