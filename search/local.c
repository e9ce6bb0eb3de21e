/*
 * local.c — local search (White et al. 2020, "Local search is state of the
 * art for NAS benchmarks") behind the ask/tell interface.
 *
 * Start from a random architecture; evaluate its distance-1 neighbours (for
 * each gene in order, each other value in order); once all are known, move
 * to the best one if it beats the current architecture (ties: the first in
 * that order), else restart from a random one. An architecture already told
 * is not asked again: its told fitness stands in, which on a deterministic
 * evaluator (a table) is what a re-evaluation would give.
 *
 * The state is only "the current architecture", rebuilt at every ask by
 * replaying the told history in order (the first entry told while there is
 * no current architecture becomes it), so a replayed campaign is identical
 * by construction. Workers asking ahead get distinct neighbours: trial t
 * skips as many untold neighbours as trials before t are still untold.
 */
#include <stdlib.h>
#include <string.h>

#include "search/strategy_int.h"

/* Open-addressing map from architecture to its first told index. */
typedef struct amap {
    int64_t *slot;          /* told index, or -1 */
    size_t mask;
} amap;

static uint64_t arch_hash(const nc_space *sp, const nc_arch *a)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < sp->n_genes; i++)
        h = (h ^ a->g[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* The told index of a, among the first `upto` told entries, or -1. */
static int64_t amap_find(const nc_strategy *s, const amap *m, const nc_arch *a,
                         int64_t upto)
{
    for (size_t h = arch_hash(s->sp, a) & m->mask;; h = (h + 1) & m->mask) {
        int64_t i = m->slot[h];
        if (i < 0)
            return -1;
        if (nc_arch_equal(s->sp, &s->told[i].arch, a))
            return i < upto ? i : -1;
    }
}

static void amap_add(const nc_strategy *s, amap *m, int64_t i)
{
    size_t h = arch_hash(s->sp, &s->told[i].arch) & m->mask;
    for (;; h = (h + 1) & m->mask) {
        int64_t j = m->slot[h];
        if (j < 0) {
            m->slot[h] = i;
            return;
        }
        if (nc_arch_equal(s->sp, &s->told[j].arch, &s->told[i].arch))
            return;     /* keep the first */
    }
}

/* Neighbour k (0-based, in the fixed order) of a; 0 past the last. */
static int neighbour(const nc_space *sp, const nc_arch *a, int k, nc_arch *out)
{
    for (int i = 0; i < sp->n_genes; i++) {
        int c = sp->choices(sp, i);
        if (k < c - 1) {
            *out = *a;
            out->g[i] = (uint8_t)(k < a->g[i] ? k : k + 1);
            return 1;
        }
        k -= c - 1;
    }
    return 0;
}

/* With cur the current architecture (told index), known = the first
 * `upto` told entries: returns the next current one (a told index), or -1
 * to restart, or -2 if cur still has an unknown neighbour. */
static int64_t step(const nc_strategy *s, const amap *m, int64_t cur,
                    int64_t upto)
{
    int64_t best = -1;
    nc_arch nb;
    for (int k = 0; neighbour(s->sp, &s->told[cur].arch, k, &nb); k++) {
        int64_t i = amap_find(s, m, &nb, upto);
        if (i < 0)
            return -2;
        if (best < 0 || s->told[i].fitness > s->told[best].fitness)
            best = i;
    }
    return best >= 0 && s->told[best].fitness > s->told[cur].fitness ? best
                                                                       : -1;
}

nc_status nc_local_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial, nc_rng *r,
                       nc_proposal *out)
{
    memset(out, 0, sizeof *out);
    amap m = { 0 };
    size_t cap = 16;
    while (cap < 2 * (size_t)s->n_told + 2)
        cap *= 2;
    m.slot = malloc(cap * sizeof *m.slot);
    if (!m.slot)
        return nc_fail(ctx, NC_ERR_NOMEM, "local search: out of memory");
    m.mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        m.slot[i] = -1;

    int64_t cur = -1, before = 0;
    for (int64_t i = 0; i < s->n_told; i++) {
        amap_add(s, &m, i);
        before += s->told[i].trial < trial;
        if (cur < 0)
            cur = i;
        /* A move may land where every neighbour is known already. */
        for (int64_t nx; cur >= 0 && (nx = step(s, &m, cur, i + 1)) != -2;)
            cur = nx;
    }

    if (cur >= 0) {
        int64_t skip = trial - before;  /* untold trials before this one */
        nc_arch nb;
        for (int k = 0; neighbour(s->sp, &s->told[cur].arch, k, &nb); k++) {
            if (amap_find(s, &m, &nb, s->n_told) >= 0 || skip-- > 0)
                continue;
            out->arch = nb;
            out->origin = NC_ORIGIN_MUTATION;
            out->n_parents = 1;
            out->parents[0] = s->told[cur].trial;
            free(m.slot);
            return NC_OK;
        }
    }
    /* A restart (or a worker with no neighbour left to take): a random
     * architecture not told yet, if a few draws find one. */
    for (int tries = 0; tries < 100; tries++) {
        s->sp->sample(s->sp, r, &out->arch);
        if (amap_find(s, &m, &out->arch, s->n_told) < 0)
            break;
    }
    out->origin = NC_ORIGIN_RANDOM;
    free(m.slot);
    return NC_OK;
}
