/*
 * eval_common.c — what the evaluators share (campaign/evaluator.h): picking
 * one by kind and per-trial seeds.
 */
#include "campaign/evaluator.h"

#include <string.h>

#include "core/rng.h"

nc_status nc_evaluator_find(nc_ctx *ctx, nc_evaluator_kind k,
                            const nc_evaluator_vt **out)
{
    *out = NULL;
    switch (k) {
    case NC_EVAL_TABLE: *out = nc_evaluator_table(); break;
    case NC_EVAL_SCRATCH: *out = nc_evaluator_scratch(); break;
    case NC_EVAL_INHERITED: *out = nc_evaluator_inherited(); break;
    }
    if (!*out)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: evaluator '%s' is not "
                       "implemented yet (implemented: table, scratch)",
                       nc_campaign_evaluator_name(k));
    return NC_OK;
}

uint64_t nc_eval_trial_seed(uint64_t seed, int64_t trial)
{
    /* The sampling purpose with bit 40 of the index set: strategies use
     * indices below the budget (at most 1e9 < 2^40), so these streams never
     * coincide with a proposal's. */
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE,
                                           (UINT64_C(1) << 40) + (uint64_t)trial));
    return nc_rng_u64(&r);
}
