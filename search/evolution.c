/*
 * evolution.c — regularized (aging) evolution, Real et al. 2019.
 *
 * The population is not stored: it is the last `population` entries of the
 * told history, which is what "the oldest dies" means when every told trial
 * joins it. Keeping it implicit makes a restored campaign (history replayed)
 * identical by construction.
 */
#include <string.h>

#include "search/strategy_int.h"

/* Tournament: the fittest of cfg.sample uniform draws (with replacement, as
 * in the reference implementation) from the population; ties go to the
 * older member so the result does not depend on draw order quirks. */
static int64_t tournament(const nc_strategy *s, nc_rng *r)
{
    int64_t p = s->cfg.population, base = s->n_told - p, best = -1;
    for (int k = 0; k < s->cfg.sample; k++) {
        int64_t i = base + (int64_t)nc_rng_below(r, (uint32_t)p);
        if (best < 0 || s->told[i].fitness > s->told[best].fitness ||
            (s->told[i].fitness == s->told[best].fitness && i < best))
            best = i;
    }
    return best;
}

void nc_evolution_ask(nc_strategy *s, nc_rng *r, nc_proposal *out)
{
    memset(out, 0, sizeof *out);
    if (s->n_told < s->cfg.population) {
        s->sp->sample(s->sp, r, &out->arch);
        out->origin = NC_ORIGIN_RANDOM;
        return;
    }
    /* Draw the crossover coin first, always, so the number of draws before
     * the tournament does not depend on the setting's outcome. */
    float coin = nc_rng_uniform(r);
    int64_t a = tournament(s, r);
    out->parents[0] = s->told[a].trial;
    out->n_parents = 1;
    if (coin < s->cfg.crossover) {
        int64_t b = tournament(s, r);
        nc_arch child;
        s->sp->crossover(s->sp, r, &s->told[a].arch, &s->told[b].arch, &child);
        s->sp->mutate(s->sp, r, &child, &out->arch);
        out->parents[1] = s->told[b].trial;
        out->n_parents = 2;
        out->origin = NC_ORIGIN_CROSSOVER;
    } else {
        s->sp->mutate(s->sp, r, &s->told[a].arch, &out->arch);
        out->origin = NC_ORIGIN_MUTATION;
    }
}
