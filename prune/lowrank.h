/*
 * lowrank.h — low-rank factorization of weight matrices by truncated SVD
 * (LAPACKE): a layer W (m × n) becomes two smaller ones, A (m × r) after
 * B (r × n), the best rank-r approximation in the Frobenius norm
 * (Eckart–Young). A conv's weights are the matrix cout × (cin/groups·k·k).
 *
 *     float sigma[12];
 *     int r = nc_lowrank_rank_energy(sigma, k, 0.9);  // after a first call
 *     if (nc_lowrank_factor(ctx, w, m, n, r, a, b, sigma)) ...
 *     // W ≈ A · B: a is m × r, b is r × n, both row-major
 *
 * The rank is chosen by an energy threshold (the share of the sum of
 * squared singular values kept) or by a parameter budget (the share of
 * W's m·n parameters that A and B may hold together).
 */
#ifndef NC_PRUNE_LOWRANK_H
#define NC_PRUNE_LOWRANK_H

#include "core/ctx.h"

/* Factors the m × n row-major matrix w into a (m × rank) and b (rank × n),
 * row-major, with a·b the best rank-`rank` approximation of w: a = U·Σ on
 * the first rank singular vectors, b = Vᵀ. sigma (may be NULL) gets all
 * min(m, n) singular values, largest first. NC_ERR_RANGE names a rank
 * outside 1..min(m, n) or a matrix size outside 1..2^20 per side;
 * NC_ERR_NUMERIC if the SVD does not converge; NC_ERR_NOMEM. Deterministic
 * (LAPACK on one thread). */
nc_status nc_lowrank_factor(nc_ctx *ctx, const float *w, int m, int n,
                            int rank, float *a, float *b, float *sigma);

/* The smallest rank r whose first r singular values (of k, largest first)
 * hold at least `energy` (in (0, 1]) of the sum of all squared ones; 1 at
 * least. */
int nc_lowrank_rank_energy(const float *sigma, int k, double energy);

/* The largest rank r with r·(m + n) <= fraction·m·n (A and B within the
 * budget), at least 1 and at most min(m, n). */
int nc_lowrank_rank_params(int m, int n, double fraction);

#endif
