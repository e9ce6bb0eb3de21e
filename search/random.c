/*
 * random.c — random search: every trial a uniform draw from the space,
 * independent of the history (the baseline every strategy must beat).
 */
#include <string.h>

#include "search/strategy_int.h"

void nc_random_ask(nc_strategy *s, nc_rng *r, nc_proposal *out)
{
    memset(out, 0, sizeof *out);
    s->sp->sample(s->sp, r, &out->arch);
    out->origin = NC_ORIGIN_RANDOM;
}
