/*
 * lowrank.c — truncated SVD of weight matrices (prune/lowrank.h).
 *
 * LAPACKE_sgesdd on a copy (it destroys its input), in row-major order so
 * that W's layout is used as stored. The thin SVD gives U (m × k), the k
 * singular values and Vᵀ (k × n), k = min(m, n); the factors keep the
 * first rank columns of U scaled by their singular values, and the first
 * rank rows of Vᵀ.
 */
#include "prune/lowrank.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"

nc_status nc_lowrank_factor(nc_ctx *ctx, const float *w, int m, int n,
                            int rank, float *a, float *b, float *sigma)
{
    if (m < 1 || n < 1 || m > (1 << 20) || n > (1 << 20))
        return nc_fail(ctx, NC_ERR_RANGE, "low-rank: a %d x %d matrix is "
                       "outside 1..%d per side", m, n, 1 << 20);
    int k = m < n ? m : n;
    if (rank < 1 || rank > k)
        return nc_fail(ctx, NC_ERR_RANGE, "low-rank: rank %d is outside "
                       "1..%d for a %d x %d matrix", rank, k, m, n);
    float *c = malloc((size_t)m * n * sizeof *c);
    float *u = malloc((size_t)m * k * sizeof *u);
    float *vt = malloc((size_t)k * n * sizeof *vt);
    float *s = malloc((size_t)k * sizeof *s);
    nc_status st = NC_OK;
    if (!c || !u || !vt || !s) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "low-rank: out of memory for a %d x "
                     "%d matrix", m, n);
        goto out;
    }
    memcpy(c, w, (size_t)m * n * sizeof *c);
    nc_blas_serial();
    lapack_int info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', m, n, c, n, s, u,
                                     k, vt, n);
    if (info != 0) {
        st = nc_fail(ctx, info > 0 ? NC_ERR_NUMERIC : NC_ERR_INVAL,
                     "low-rank: the SVD of a %d x %d matrix failed (LAPACK "
                     "info %d)", m, n, (int)info);
        goto out;
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < rank; j++)
            a[(size_t)i * rank + j] = u[(size_t)i * k + j] * s[j];
    for (int j = 0; j < rank; j++)
        memcpy(b + (size_t)j * n, vt + (size_t)j * n, (size_t)n * sizeof *b);
    if (sigma)
        memcpy(sigma, s, (size_t)k * sizeof *s);
out:
    free(c);
    free(u);
    free(vt);
    free(s);
    return st;
}

int nc_lowrank_rank_energy(const float *sigma, int k, double energy)
{
    double total = 0, kept = 0;
    for (int i = 0; i < k; i++)
        total += (double)sigma[i] * sigma[i];
    for (int r = 1; r <= k; r++) {
        kept += (double)sigma[r - 1] * sigma[r - 1];
        if (kept >= energy * total)
            return r;
    }
    return k > 0 ? k : 1;
}

int nc_lowrank_rank_params(int m, int n, double fraction)
{
    int k = m < n ? m : n;
    double r = fraction * (double)m * (double)n / ((double)m + (double)n);
    if (!(r >= 1))
        return 1;
    return r >= k ? k : (int)r;
}
