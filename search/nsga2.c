/*
 * nsga2.c — NSGA-II (Deb et al. 2002) behind the ask/tell interface.
 *
 * Generational with population P: generation g is trials P*g .. P*g+P-1.
 * Generation 0 is random; the parents of generation g+1 are chosen from the
 * parents of g and the children of g once all of g is told. Like evolution.c
 * nothing is cached: every ask rebuilds the parent population from the told
 * history (generation by generation, keyed by trial index, so the order of
 * telling does not matter), which makes a replayed campaign identical by
 * construction. The cost, O(G P^2) per ask, is negligible next to training.
 *
 * If a generation is not fully told when a later one is asked for (workers
 * asking ahead), the children come from the newest population that can be
 * built; a sequential campaign never sees this.
 */
#include <stdlib.h>
#include <string.h>

#include "search/pareto.h"
#include "search/strategy_int.h"

typedef struct scratch {
    int n_obj, mx[NC_MAX_OBJ];
    int64_t *slot;          /* told index of trial t < P*g, or -1 */
    int64_t *cand;          /* told indices of a candidate set (2P) */
    int64_t *cand2;
    int *rank, *order, *sub;
    double *crowd, *obj, *subobj, *subd;
} scratch;

/* Rank and crowding distance (within its front) of the n told entries
 * cand[0..n); -1 if out of memory. */
static int score(const nc_strategy *s, scratch *w, int n)
{
    int m = w->n_obj;
    for (int i = 0; i < n; i++)
        memcpy(w->obj + (size_t)i * m, s->told[w->cand[i]].obj,
               (size_t)m * sizeof(double));
    int fronts = nc_pareto_front(n, m, w->obj, w->mx, w->rank);
    if (fronts < 0)
        return -1;
    for (int f = 0; f < fronts; f++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (w->rank[i] == f) {
                memcpy(w->subobj + (size_t)k * m, w->obj + (size_t)i * m,
                       (size_t)m * sizeof(double));
                w->sub[k++] = i;
            }
        if (nc_crowding_distance(k, m, w->subobj, w->subd))
            return -1;
        for (int j = 0; j < k; j++)
            w->crowd[w->sub[j]] = w->subd[j];
    }
    return 0;
}

/* 1 if candidate i is preferred to j: lower rank, then larger crowding
 * distance, then the earlier trial (so ties never depend on draw order). */
static int better(const nc_strategy *s, const scratch *w, int i, int j)
{
    if (w->rank[i] != w->rank[j])
        return w->rank[i] < w->rank[j];
    if (w->crowd[i] != w->crowd[j])
        return w->crowd[i] > w->crowd[j];
    return s->told[w->cand[i]].trial < s->told[w->cand[j]].trial;
}

/* Environmental selection: the best P of the 2P candidates by `better`
 * (whole fronts first, the split front by crowding), left in cand[0..P)
 * with their rank and crowding. Insertion sort: 2P is small. */
static void select_best(const nc_strategy *s, scratch *w, int n, int p)
{
    for (int i = 0; i < n; i++)
        w->order[i] = i;
    for (int i = 1; i < n; i++) {
        int x = w->order[i], j = i;
        for (; j > 0 && better(s, w, x, w->order[j - 1]); j--)
            w->order[j] = w->order[j - 1];
        w->order[j] = x;
    }
    /* Permute cand, rank and crowd together (sub, subd, cand2 are free). */
    for (int i = 0; i < p; i++) {
        int o = w->order[i];
        w->subd[i] = w->crowd[o];
        w->sub[i] = w->rank[o];
        w->cand2[i] = w->cand[o];
    }
    for (int i = 0; i < p; i++) {
        w->crowd[i] = w->subd[i];
        w->rank[i] = w->sub[i];
        w->cand[i] = w->cand2[i];
    }
}

/* Binary tournament over the population cand[0..p). */
static int tournament(const nc_strategy *s, const scratch *w, nc_rng *r, int p)
{
    int a = (int)nc_rng_below(r, (uint32_t)p);
    int b = (int)nc_rng_below(r, (uint32_t)p);
    return better(s, w, b, a) ? b : a;
}

static void free_scratch(scratch *w)
{
    free(w->slot);
    free(w->cand);
    free(w->cand2);
    free(w->rank);
    free(w->order);
    free(w->sub);
    free(w->crowd);
    free(w->obj);
    free(w->subobj);
    free(w->subd);
}

nc_status nc_nsga2_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial, nc_rng *r,
                       nc_proposal *out)
{
    memset(out, 0, sizeof *out);
    int p = s->cfg.population;
    int64_t g = trial / p;
    if (g == 0) {
        s->sp->sample(s->sp, r, &out->arch);
        out->origin = NC_ORIGIN_RANDOM;
        return NC_OK;
    }
    scratch w = { .n_obj = s->cfg.n_obj };
    for (int k = 0; k < NC_MAX_OBJ; k++)
        w.mx[k] = !s->cfg.minimize[k];
    size_t n2 = 2 * (size_t)p, m = (size_t)w.n_obj;
    w.slot = malloc((size_t)(g * p) * sizeof *w.slot);
    w.cand = malloc(n2 * sizeof *w.cand);
    w.cand2 = malloc(n2 * sizeof *w.cand2);
    w.rank = malloc(n2 * sizeof *w.rank);
    w.order = malloc(n2 * sizeof *w.order);
    w.sub = malloc(n2 * sizeof *w.sub);
    w.crowd = malloc(n2 * sizeof *w.crowd);
    w.obj = malloc(n2 * m * sizeof *w.obj);
    w.subobj = malloc(n2 * m * sizeof *w.subobj);
    w.subd = malloc(n2 * sizeof *w.subd);
    if (!w.slot || !w.cand || !w.cand2 || !w.rank || !w.order || !w.sub || !w.crowd ||
        !w.obj || !w.subobj || !w.subd)
        goto nomem;
    for (int64_t i = 0; i < g * p; i++)
        w.slot[i] = -1;
    for (int64_t i = 0; i < s->n_told; i++)
        if (s->told[i].trial < g * p)
            w.slot[s->told[i].trial] = i;

    /* Generation 0 incomplete: nothing to select from yet. */
    for (int j = 0; j < p; j++)
        if (w.slot[j] < 0) {
            free_scratch(&w);
            s->sp->sample(s->sp, r, &out->arch);
            out->origin = NC_ORIGIN_RANDOM;
            return NC_OK;
        }
    for (int j = 0; j < p; j++)
        w.cand[j] = w.slot[j];
    if (score(s, &w, p))
        goto nomem;
    for (int64_t k = 1; k < g; k++) {
        int complete = 1;
        for (int j = 0; j < p && complete; j++)
            complete = w.slot[k * p + j] >= 0;
        if (!complete)
            break;
        for (int j = 0; j < p; j++)
            w.cand[p + j] = w.slot[k * p + j];
        if (score(s, &w, 2 * p))
            goto nomem;
        select_best(s, &w, 2 * p, p);
    }

    /* Draw the crossover coin and both tournaments always, so the draws
     * behind the mutation do not depend on the coin. */
    float coin = nc_rng_uniform(r);
    int a = tournament(s, &w, r, p), b = tournament(s, &w, r, p);
    const nc_told *ta = &s->told[w.cand[a]], *tb = &s->told[w.cand[b]];
    out->parents[0] = ta->trial;
    out->n_parents = 1;
    if (coin < s->cfg.crossover) {
        nc_arch child;
        s->sp->crossover(s->sp, r, &ta->arch, &tb->arch, &child);
        s->sp->mutate(s->sp, r, &child, &out->arch);
        out->parents[1] = tb->trial;
        out->n_parents = 2;
        out->origin = NC_ORIGIN_CROSSOVER;
    } else {
        s->sp->mutate(s->sp, r, &ta->arch, &out->arch);
        out->origin = NC_ORIGIN_MUTATION;
    }
    free_scratch(&w);
    return NC_OK;
nomem:
    free_scratch(&w);
    return nc_fail(ctx, NC_ERR_NOMEM, "nsga2: out of memory for trial %lld",
                   (long long)trial);
}
