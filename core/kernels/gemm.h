/*
 * gemm.h — the single-threaded matrix product under conv2d and linear.
 *
 * C[m × n] = (acc ? C : bias_i or 0) + A[m × k] · B[k × n], where A is read
 * through two strides (element (i, p) at a[i*rsa + p*csa], so W and Wᵀ are
 * the same array), B and C are row-major with leading dimensions ldb, ldc.
 *
 * Why not cblas_sgemm: OpenBLAS runs its AVX2 kernel here, which caps one
 * core at half of what AVX-512 does, and its B packing pass costs as much as
 * the product when the shapes are a conv's (m = 16..64 channels, n = tens of
 * thousands of pixels). This product keeps a tile of C in registers, reads B
 * in place, and reads A in place too when it is a transpose (rsa == 1: the
 * rows of a tile lie side by side for each p), else packs it, 256 columns of
 * k at a time. Without AVX-512 it falls back to cblas_sgemm.
 *
 * Every C element is the same chain of FMAs whatever the tiling: the k
 * blocks are a function of k alone, and within a block p runs in order. So
 * a caller that splits the rows or columns of C over threads gets the bits
 * it would get from one call.
 */
#ifndef NC_GEMM_H
#define NC_GEMM_H

#include <stddef.h>

/* Floats of the `pack` scratch nc_gemm needs for m rows and inner size k. */
size_t nc_gemm_pack_floats(int m, int k);

/* C = (acc ? C : bias or 0) + A · B, as above. bias (m floats) is read only
 * when acc is 0 and may be NULL. Either rsa or csa must be 1 (a row-major
 * matrix or its transpose). pack: nc_gemm_pack_floats(m, k) floats of
 * scratch, contents undefined on entry. k may be 0 (C is only set). */
void nc_gemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
             const float *b, size_t ldb, float *c, size_t ldc, int acc,
             const float *bias, float *pack);

/* The same through cblas_sgemm (what nc_gemm does without AVX-512); for
 * tests, which check both against each other. */
void nc_gemm_blas(int m, int n, int k, const float *a, ptrdiff_t rsa,
                  ptrdiff_t csa, const float *b, size_t ldb, float *c,
                  size_t ldc, int acc, const float *bias);

/* C[m × n] += A[m × k] · B[n × k]ᵀ, A and B row-major (both contiguous along
 * k): a weight gradient, dY · Xᵀ, summed along the pixels without
 * transposing either. Each C element is one fixed order of sums whatever m
 * and n. */
void nc_gemm_nt(int m, int n, int k, const float *a, size_t lda,
                const float *b, size_t ldb, float *c, size_t ldc);
void nc_gemm_nt_blas(int m, int n, int k, const float *a, size_t lda,
                     const float *b, size_t ldb, float *c, size_t ldc);

/* 1 if nc_gemm runs its AVX-512 kernels on this CPU. */
int nc_gemm_simd(void);

/* dst[j*ldd + i] = src[i*lds + j] for i < rows, j < cols. */
void nc_transpose(float *dst, size_t ldd, const float *src, size_t lds,
                  int rows, int cols);

#endif
