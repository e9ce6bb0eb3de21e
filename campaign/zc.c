/*
 * zc.c — the zero-cost scorer of search strategies (zc.h): a memo of
 * architecture -> score in front of predictors/proxy_batch.h, which builds
 * and scores the nets not seen yet over the scorer's pool.
 */
#include "campaign/zc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "predictors/proxy.h"
#include "predictors/proxy_batch.h"

struct nc_zc {
    const nc_space *sp;
    const char *proxy;      /* the registry's static name */
    nc_shape in;
    int n_classes;
    uint64_t seed;
    nc_pool *pool;
    int threads;
    /* The memo: open addressing over key/val, slot -1 empty. */
    nc_arch *key;
    double *val;
    int64_t *slot;
    size_t n, cap_items, mask;
};

static uint64_t arch_hash(const nc_space *sp, const nc_arch *a)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < sp->n_genes; i++)
        h = (h ^ a->g[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* The memo index of a, or -1. */
static int64_t memo_find(const nc_zc *z, const nc_arch *a)
{
    for (size_t h = arch_hash(z->sp, a) & z->mask;; h = (h + 1) & z->mask) {
        if (z->slot[h] < 0)
            return -1;
        if (nc_arch_equal(z->sp, &z->key[z->slot[h]], a))
            return z->slot[h];
    }
}

/* Rebuilds the slot table from key[0..n). */
static void memo_rehash(nc_zc *z)
{
    for (size_t i = 0; i <= z->mask; i++)
        z->slot[i] = -1;
    for (size_t i = 0; i < z->n; i++) {
        size_t h = arch_hash(z->sp, &z->key[i]) & z->mask;
        while (z->slot[h] >= 0)
            h = (h + 1) & z->mask;
        z->slot[h] = (int64_t)i;
    }
}

/* Room for `more` new entries (load kept under one half). */
static int memo_reserve(nc_zc *z, size_t more)
{
    size_t need = z->n + more;
    if (need > z->cap_items) {
        size_t c = z->cap_items ? z->cap_items : 256;
        while (c < need)
            c *= 2;
        nc_arch *k = realloc(z->key, c * sizeof *k);
        if (!k)
            return -1;
        z->key = k;
        double *v = realloc(z->val, c * sizeof *v);
        if (!v)
            return -1;
        z->val = v;
        z->cap_items = c;
    }
    size_t cap = z->slot ? z->mask + 1 : 16;
    if (z->slot && 2 * need <= cap)
        return 0;
    while (cap < 2 * need + 2)
        cap *= 2;
    int64_t *s = malloc(cap * sizeof *s);
    if (!s)
        return -1;
    free(z->slot);
    z->slot = s;
    z->mask = cap - 1;
    memo_rehash(z);
    return 0;
}

static void memo_add(nc_zc *z, const nc_arch *a, double v)
{
    size_t i = z->n++;
    z->key[i] = *a;
    z->val[i] = v;
    size_t h = arch_hash(z->sp, a) & z->mask;
    while (z->slot[h] >= 0)
        h = (h + 1) & z->mask;
    z->slot[h] = (int64_t)i;
}

nc_status nc_zc_new(nc_ctx *ctx, const nc_space *sp, const char *proxy,
                    nc_shape in, int n_classes, uint64_t seed, int threads,
                    nc_zc **out)
{
    *out = NULL;
    const nc_proxy_info *pi = proxy ? nc_proxy_find(proxy) : NULL;
    if (!pi)
        return nc_fail(ctx, NC_ERR_INVAL, "zero-cost scorer: unknown proxy '%s' "
                       "(known: %s)", proxy ? proxy : "(null)", nc_proxy_names());
    if (pi->needs_x || pi->needs_labels || pi->needs_input_grad)
        return nc_fail(ctx, NC_ERR_INVAL, "zero-cost scorer: proxy '%s' needs a "
                       "batch of data; a search scores with a data-free proxy "
                       "(params, flops, synflow)", proxy);
    if (!sp || n_classes < 1 || in.c < 1 || in.h < 1 || in.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "zero-cost scorer: space, input shape "
                       "and classes needed");
    if (threads < 1 || threads > 64)
        return nc_fail(ctx, NC_ERR_INVAL, "zero-cost scorer: threads %d out of "
                       "range 1..64", threads);
    nc_zc *z = calloc(1, sizeof *z);
    if (!z)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    *z = (nc_zc){ .sp = sp, .proxy = pi->name, .in = in, .n_classes = n_classes,
                  .seed = seed, .threads = threads };
    if (threads > 1)
        z->pool = nc_pool_new(threads);
    if (memo_reserve(z, 1)) {
        nc_zc_free(z);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    *out = z;
    return NC_OK;
}

void nc_zc_free(nc_zc *z)
{
    if (!z)
        return;
    nc_pool_free(z->pool);
    free(z->key);
    free(z->val);
    free(z->slot);
    free(z);
}

size_t nc_zc_n_scored(const nc_zc *z)
{
    return z->n;
}

/* Scores the memo's entries from n0 on (predictors/proxy_batch.h); a
 * degenerate net, or a NaN, is -inf. On failure they leave the memo and ctx
 * names the architecture. */
static nc_status score_new(nc_ctx *ctx, nc_zc *z, size_t n0)
{
    size_t n = z->n - n0;
    unsigned *flags = malloc(n * sizeof *flags);
    if (!flags)
        return nc_fail(ctx, NC_ERR_NOMEM, "zero-cost scorer: out of memory");
    nc_proxy_job job = { .sp = z->sp, .archs = z->key + n0, .n = n,
                         .in = z->in, .n_classes = z->n_classes,
                         .proxies = &z->proxy, .n_proxies = 1,
                         .seed = z->seed };
    nc_proxy_job_out out = { .score = z->val + n0, .flags = flags };
    nc_status st = nc_proxy_score_archs(ctx, &job, z->pool, &out);
    for (size_t i = 0; !st && i < n; i++)
        if ((flags[i] & NC_PROXY_DEGENERATE) || isnan(z->val[n0 + i]))
            z->val[n0 + i] = -INFINITY;
    free(flags);
    if (st) {
        char msg[NC_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", ctx->msg);
        nc_fail(ctx, st, "zero-cost score of %s", msg);
        z->n = n0;
        memo_rehash(z);
    }
    return st;
}

nc_status nc_zc_score(void *zc, nc_ctx *ctx, const nc_arch *a, size_t n,
                      double *score)
{
    nc_zc *z = zc;
    if (n == 0)
        return NC_OK;
    if (!z || !a || !score)
        return nc_fail(ctx, NC_ERR_INVAL, "zero-cost scorer: NULL argument");
    /* The distinct unseen ones enter the memo now (value pending) so that
     * repeats in the batch are scored once; a failure takes them out. */
    size_t n0 = z->n;
    if (memo_reserve(z, n))
        return nc_fail(ctx, NC_ERR_NOMEM, "zero-cost scorer: out of memory");
    for (size_t i = 0; i < n; i++)
        if (memo_find(z, &a[i]) < 0)
            memo_add(z, &a[i], NAN);
    nc_status st = NC_OK;
    if (z->n > n0)
        st = score_new(ctx, z, n0);
    for (size_t i = 0; !st && i < n; i++)
        score[i] = z->val[memo_find(z, &a[i])];
    return st;
}
