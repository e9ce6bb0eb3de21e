/*
 * proxy_ensemble.h — rank-aggregating ensembles of zero-cost proxies: "vote"
 * and "mean_rank". Unlike the proxies of proxy.h, which score one net, an
 * ensemble scores a set of architectures already scored by its member
 * proxies, because it only looks at how each member orders the set. So an
 * ensemble value depends on the set (adding architectures changes it); its
 * Spearman rho over that same set is what is comparable with the papers.
 *
 *     // s[p][i]: proxy p's nc_proxy_result.score of architecture i
 *     const double *members[3] = { s_synflow, s_jacob_cov, s_snip };
 *     double *vote = malloc(n * sizeof *vote);
 *     if (nc_proxy_ensemble(ctx, "vote", members, 3, n, vote)) ...ctx->msg...
 *
 * Degenerate scores. Member scores may be -INFINITY (nc_proxy_score's
 * degenerate nets): an ensemble ranks them below every finite score of that
 * member, tied among themselves, which is how proxy.h says they are meant
 * to rank. NaN and +INFINITY are refused (NC_ERR_NUMERIC).
 *
 *   vote       Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS"
 *              (ICLR 2021), section 5: a majority vote of synflow, jacob_cov
 *              and snip over pairs of architectures — A is predicted better
 *              than B when more members rank A above B than B above A. A
 *              pairwise majority is not a ranking (it can be cyclic), so to
 *              score a list each architecture gets its Copeland count: the
 *              number of others it beats by that majority, plus one half per
 *              other it draws with (members tied, or split evenly). With no
 *              cycles this is exactly the order the majority vote defines;
 *              with cycles it is the standard way to rank by pairwise
 *              majorities. The sum of per-member ranks (Borda) is the other
 *              common reading; it is what mean_rank gives, and it is not a
 *              vote: one member's extreme rank can outweigh two members that
 *              agree. Cost O(n^2 k) compares, so n is capped at
 *              NC_PROXY_VOTE_N_MAX (all 15,625 NB201 cells take about a
 *              second). Any number of members >= 1 is accepted; the
 *              paper's three are NC_PROXY_VOTE_MEMBERS.
 *   mean_rank  the mean over the members of each architecture's average
 *              rank (1 = worst, n = best, ties sharing the mean of the ranks
 *              they span, as Spearman's rho uses), over whatever set of
 *              members the caller chooses. Higher is better.
 */
#ifndef NC_PROXY_ENSEMBLE_H
#define NC_PROXY_ENSEMBLE_H

#include <stddef.h>

#include "core/ctx.h"

/* The paper's members of "vote", as a comma-separated list of proxy names
 * (proxy.h), in the order the paper names them. */
#define NC_PROXY_VOTE_MEMBERS "synflow,jacob_cov,snip"

enum {
    NC_PROXY_VOTE_N_MAX = 50000,    /* architectures: n^2 pair compares */
    NC_PROXY_ENSEMBLE_K_MAX = 64    /* members */
};

/* 1 if name is an ensemble ("vote", "mean_rank"), else 0. */
int nc_proxy_is_ensemble(const char *name);
/* "vote, mean_rank": static storage, for messages. */
const char *nc_proxy_ensemble_names(void);

/* Scores n architectures with ensemble `name` from k member score vectors
 * scores[0..k), each of n entries (higher better, -INFINITY degenerate),
 * into out[0..n) (caller-owned; higher better). Errors: NC_ERR_INVAL
 * (unknown name, listing the known ones; k outside 1..NC_PROXY_ENSEMBLE_K_MAX;
 * n < 1), NC_ERR_RANGE (vote with n > NC_PROXY_VOTE_N_MAX), NC_ERR_NUMERIC
 * (a NaN or +inf member score, naming member and index), NC_ERR_NOMEM. On
 * error out is unspecified. */
nc_status nc_proxy_ensemble(nc_ctx *ctx, const char *name,
                            const double *const *scores, int k, size_t n,
                            double *out);

/* Copies x[0..n) to out[0..n) with every -INFINITY replaced by one value
 * below the smallest finite entry (min - 1 - |min|; 0 if none is finite),
 * so that degenerate architectures rank last, tied, under the rank metrics
 * of rank.h, which refuse non-finite values. out may be x. Errors:
 * NC_ERR_NUMERIC for NaN or +inf (naming the index). */
nc_status nc_proxy_floor_degenerate(nc_ctx *ctx, const double *x, size_t n,
                                    double *out);

#endif
