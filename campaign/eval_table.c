/*
 * eval_table.c — the table evaluator (campaign/evaluator.h): a trial's
 * metrics are looked up in a CSV of precomputed results (campaign/table.h).
 * A lookup has no randomness and no state in the store, so resuming needs
 * nothing but reloading the file.
 */
#include "campaign/evaluator.h"

#include <math.h>
#include <string.h>

#include "campaign/table.h"

static nc_status load(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                      const nc_space *sp, nc_table **t)
{
    return nc_table_load(ctx, cfg->table_file, cfg->select_metric,
                         cfg->report_metric, sp, t);
}

/* Loading is the only way to know the file has the columns and rows the
 * campaign needs; a table loads in well under a second. */
static nc_status table_check(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                             const nc_space *sp)
{
    nc_table *t = NULL;
    nc_status st = load(ctx, cfg, sp, &t);
    nc_table_free(t);
    return st;
}

static nc_status table_open(nc_ctx *ctx, nc_run *run,
                            const nc_campaign_cfg *cfg, const nc_space *sp,
                            void **state)
{
    (void)run;
    nc_table *t = NULL;
    nc_status st = load(ctx, cfg, sp, &t);
    *state = t;
    return st;
}

static nc_status table_evaluate(nc_ctx *ctx, void *state, nc_run *run,
                                int64_t trial, const nc_arch *a,
                                nc_eval_result *out)
{
    (void)run;
    memset(out, 0, sizeof *out);
    out->select = out->report = NAN;
    return nc_table_lookup(ctx, state, a, &out->select, &out->report);
}

static void table_close(void *state)
{
    nc_table_free(state);
}

const nc_evaluator_vt *nc_evaluator_table(void)
{
    static const nc_evaluator_vt vt = { .name = "table",
                                        .check = table_check,
                                        .open = table_open,
                                        .evaluate = table_evaluate,
                                        .close = table_close };
    return &vt;
}
