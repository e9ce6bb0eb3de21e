/*
 * rank.h — rank-agreement metrics between a true and a predicted score:
 * Spearman's rho (average ranks for ties), Kendall's tau-b and top-k
 * precision. Every predictor and proxy figure in nasc is computed with these,
 * so that "tau" means the same thing everywhere.
 *
 * Conventions shared by all three: larger scores are better (accuracies,
 * proxy scores); both vectors have n entries, n >= 2; any NaN or Inf is an
 * error (NC_ERR_NUMERIC naming the vector and the index) rather than being
 * skipped, because a silently shortened vector gives a figure about a
 * different set of architectures. Callers that want exclusion (e.g. proxies
 * that are undefined on disconnected cells) must filter first and say so.
 * A constant vector carries no ranking information: rho and tau are defined
 * as 0 for it (scipy returns NaN), so a degenerate predictor scores as
 * "no better than chance" instead of poisoning a mean over seeds.
 *
 *     double rho, tau, p10;
 *     if (nc_rank_spearman(ctx, truth, pred, n, &rho) ||
 *         nc_rank_kendall(ctx, truth, pred, n, &tau) ||
 *         nc_rank_topk_precision(ctx, truth, pred, n, 10, &p10))
 *         ...ctx->msg...
 */
#ifndef NC_RANK_H
#define NC_RANK_H

#include <stddef.h>

#include "core/ctx.h"

/* Most entries accepted (counts of pairs must fit in 64 bits with room). */
enum { NC_RANK_N_MAX = 100000000 };

/* Average (fractional) ranks of x[0..n) into rank[0..n), 1-based: the
 * smallest value gets 1, tied values share the mean of the ranks they span
 * (the convention Spearman's rho needs). The caller owns rank. Errors:
 * NC_ERR_INVAL for n == 0 or n > NC_RANK_N_MAX, NC_ERR_NUMERIC naming the
 * first non-finite index, NC_ERR_NOMEM. */
nc_status nc_rank_average(nc_ctx *ctx, const double *x, size_t n, double *rank);

/* Spearman's rho: the Pearson correlation of the average ranks of a and b,
 * which is what scipy.stats.spearmanr reports with ties. 0 if either vector
 * is constant. Errors as nc_rank_average, and NC_ERR_INVAL for n < 2. */
nc_status nc_rank_spearman(nc_ctx *ctx, const double *a, const double *b,
                           size_t n, double *rho);

/* Kendall's tau-b, (concordant - discordant) / sqrt((P - Ta)(P - Tb)) with
 * P the number of pairs and Ta, Tb the pairs tied in a and in b; equals
 * scipy.stats.kendalltau's default. O(n log n) (Knight's merge-sort count),
 * so all 15,625 NB201 cells take milliseconds. 0 if either vector is
 * constant. Errors as nc_rank_spearman. */
nc_status nc_rank_kendall(nc_ctx *ctx, const double *a, const double *b,
                          size_t n, double *tau);

/* Top-k precision: the fraction of the k best entries of truth that are also
 * among the k best entries of pred (1 <= k <= n). Ties at the k-th place are
 * not broken by position (which would reward whatever order the caller
 * happened to use) but fractionally: an entry tied with c others for the
 * last s places of a top-k counts as s/c of a member. The result is the
 * expected precision when ties are broken uniformly at random, independently
 * in the two vectors; without ties it is the plain |T ∩ P| / k. Errors as
 * nc_rank_spearman, and NC_ERR_RANGE for k outside 1..n. */
nc_status nc_rank_topk_precision(nc_ctx *ctx, const double *truth,
                                 const double *pred, size_t n, size_t k,
                                 double *prec);

#endif
