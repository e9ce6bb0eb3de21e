/*
 * rank.c — Spearman's rho, Kendall's tau-b and top-k precision (rank.h).
 */
#include "predictors/rank.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Shared input checks, so every metric rejects the same inputs with the same
 * words. name is "a"/"b" or "truth"/"pred" as the caller's header says. */
static nc_status check_vec(nc_ctx *ctx, const char *fn, const char *name,
                           const double *x, size_t n)
{
    if (!x)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: %s is NULL", fn, name);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return nc_fail(ctx, NC_ERR_NUMERIC,
                           "%s: %s[%zu] is %s (scores must be finite; filter "
                           "undefined entries out first)", fn, name, i,
                           isnan(x[i]) ? "NaN" : "Inf");
    return NC_OK;
}

static nc_status check_n(nc_ctx *ctx, const char *fn, size_t n, size_t min)
{
    if (n < min || n > NC_RANK_N_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: n = %zu, need %zu..%d entries",
                       fn, n, min, (int)NC_RANK_N_MAX);
    return NC_OK;
}

/* qsort cannot carry a context, so indices are sorted together with their
 * keys; ties fall back on the index so the order is total and stable. */
typedef struct keyed {
    double k;
    size_t i;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->k < b->k)
        return -1;
    if (a->k > b->k)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

nc_status nc_rank_average(nc_ctx *ctx, const double *x, size_t n, double *rank)
{
    nc_status st;
    if ((st = check_n(ctx, "rank", n, 1)) || (st = check_vec(ctx, "rank", "x", x, n)))
        return st;
    keyed *s = malloc(sizeof *s * n);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "rank: %zu entries", n);
    for (size_t i = 0; i < n; i++)
        s[i] = (keyed){ x[i], i };
    qsort(s, n, sizeof *s, cmp_keyed);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j].k == s[i].k)
            j++;
        /* Positions i..j-1 (0-based) share ranks i+1..j: their mean. */
        double r = 0.5 * (double)(i + 1 + j);
        for (size_t t = i; t < j; t++)
            rank[s[t].i] = r;
        i = j;
    }
    free(s);
    return NC_OK;
}

static nc_status check_pair(nc_ctx *ctx, const char *fn, const double *a,
                            const char *an, const double *b, const char *bn,
                            size_t n)
{
    nc_status st;
    if ((st = check_n(ctx, fn, n, 2)) || (st = check_vec(ctx, fn, an, a, n)) ||
        (st = check_vec(ctx, fn, bn, b, n)))
        return st;
    return NC_OK;
}

nc_status nc_rank_spearman(nc_ctx *ctx, const double *a, const double *b,
                           size_t n, double *rho)
{
    nc_status st;
    if ((st = check_pair(ctx, "spearman", a, "a", b, "b", n)))
        return st;
    double *ra = malloc(sizeof *ra * n), *rb = malloc(sizeof *rb * n);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        return nc_fail(ctx, NC_ERR_NOMEM, "spearman: %zu entries", n);
    }
    nc_rank_average(ctx, a, n, ra);
    nc_rank_average(ctx, b, n, rb);
    /* Both rank vectors have mean (n+1)/2 exactly. */
    double m = 0.5 * ((double)n + 1.0), sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double da = ra[i] - m, db = rb[i] - m;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    free(ra);
    free(rb);
    *rho = (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : 0.0;
    if (*rho > 1)
        *rho = 1;
    if (*rho < -1)
        *rho = -1;
    return NC_OK;
}

/* Pairs tied within runs of equal values of v[0..n) (v sorted). */
static int64_t tied_pairs(const double *v, size_t n)
{
    int64_t t = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        t += (int64_t)(j - i) * (int64_t)(j - i - 1) / 2;
        i = j;
    }
    return t;
}

/* Merge sort of v[0..n) ascending (tmp of n), counting the exchanges an
 * insertion sort would make: the discordant pairs, ties in v not counted. */
static int64_t sort_count(double *v, double *tmp, size_t n)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    int64_t sw = sort_count(v, tmp, h) + sort_count(v + h, tmp + h, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (v[j] < v[i]) {
            sw += (int64_t)(h - i);
            tmp[k++] = v[j++];
        } else {
            tmp[k++] = v[i++];
        }
    }
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof *v * n);
    return sw;
}

typedef struct pairab {
    double a, b;
} pairab;

static int cmp_pair(const void *pa, const void *pb)
{
    const pairab *x = pa, *y = pb;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return 0;
}

nc_status nc_rank_kendall(nc_ctx *ctx, const double *a, const double *b,
                          size_t n, double *tau)
{
    nc_status st;
    if ((st = check_pair(ctx, "kendall", a, "a", b, "b", n)))
        return st;
    pairab *p = malloc(sizeof *p * n);
    double *v = malloc(sizeof *v * n), *tmp = malloc(sizeof *tmp * n);
    if (!p || !v || !tmp) {
        free(p);
        free(v);
        free(tmp);
        return nc_fail(ctx, NC_ERR_NOMEM, "kendall: %zu entries", n);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (pairab){ a[i], b[i] };
    qsort(p, n, sizeof *p, cmp_pair);
    /* Knight (1966): ties in a (t_a) and joint ties (t_ab) from the sort by
     * (a, b); then the swaps of sorting b in that order are the discordant
     * pairs, and ties in b (t_b) come from the sorted b. */
    int64_t t_a = 0, t_ab = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && p[j].a == p[i].a)
            j++;
        t_a += (int64_t)(j - i) * (int64_t)(j - i - 1) / 2;
        for (size_t s = i; s < j;) {
            size_t u = s + 1;
            while (u < j && p[u].b == p[s].b)
                u++;
            t_ab += (int64_t)(u - s) * (int64_t)(u - s - 1) / 2;
            s = u;
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = p[i].b;
    int64_t swaps = sort_count(v, tmp, n);
    int64_t t_b = tied_pairs(v, n);
    int64_t pairs = (int64_t)n * (int64_t)(n - 1) / 2;
    free(p);
    free(v);
    free(tmp);
    /* concordant - discordant = (pairs - t_a - t_b + t_ab) - 2 * swaps. */
    double num = (double)(pairs - t_a - t_b + t_ab) - 2.0 * (double)swaps;
    double da = (double)(pairs - t_a), db = (double)(pairs - t_b);
    *tau = (da > 0 && db > 0) ? num / sqrt(da * db) : 0.0;
    if (*tau > 1)
        *tau = 1;
    if (*tau < -1)
        *tau = -1;
    return NC_OK;
}

static int cmp_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

/* Membership weight of each entry in the top-k of x: 1 above the k-th
 * value, s/c for the c entries tied at it that share its s remaining
 * places, 0 below. */
static nc_status topk_weights(nc_ctx *ctx, const double *x, size_t n, size_t k,
                              double *w)
{
    double *s = malloc(sizeof *s * n);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "top-k: %zu entries", n);
    for (size_t i = 0; i < n; i++)
        s[i] = x[i];
    /* The k-th largest value: sort a copy (n log n is fine at these sizes). */
    qsort(s, n, sizeof *s, cmp_desc);
    double kth = s[k - 1];
    free(s);
    size_t above = 0, tied = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > kth)
            above++;
        else if (x[i] == kth)
            tied++;
    }
    double share = (double)(k - above) / (double)tied;
    for (size_t i = 0; i < n; i++)
        w[i] = x[i] > kth ? 1.0 : x[i] == kth ? share : 0.0;
    return NC_OK;
}

nc_status nc_rank_topk_precision(nc_ctx *ctx, const double *truth,
                                 const double *pred, size_t n, size_t k,
                                 double *prec)
{
    nc_status st;
    if ((st = check_pair(ctx, "top-k", truth, "truth", pred, "pred", n)))
        return st;
    if (k < 1 || k > n)
        return nc_fail(ctx, NC_ERR_RANGE, "top-k: k = %zu, need 1..%zu", k, n);
    double *wt = malloc(sizeof *wt * n), *wp = malloc(sizeof *wp * n);
    if (!wt || !wp) {
        free(wt);
        free(wp);
        return nc_fail(ctx, NC_ERR_NOMEM, "top-k: %zu entries", n);
    }
    if ((st = topk_weights(ctx, truth, n, k, wt)) ||
        (st = topk_weights(ctx, pred, n, k, wp))) {
        free(wt);
        free(wp);
        return st;
    }
    double hit = 0;
    for (size_t i = 0; i < n; i++)
        hit += wt[i] * wp[i];
    free(wt);
    free(wp);
    *prec = hit / (double)k;
    return NC_OK;
}
