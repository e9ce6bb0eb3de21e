/*
 * kinds.c — the job kinds as the commands know them (cli/cli.h:
 * nc_cli_kind), one entry each: what a run of the kind is (its view: what
 * it is, its model or space, its progress in units: epochs, DARTS-PT
 * decisions, distinct architectures), how `nasc resume` continues it and
 * what `nasc status` adds. `nasc runs`, `status`, `show`, `report` and
 * `resume` all read runs through it, so a new kind of job (a compression
 * pipeline) is one entry here.
 */
#include "cli/cli.h"

#include <string.h>

#include "supernet/darts.h"

/* A stored configuration that does not read is the run log's damage (or a
 * newer nasc's), whatever the parser called it. */
static nc_status cfg_error(nc_ctx *ctx, const nc_run_info *info)
{
    nc_ctx_prefix(ctx, "run %lld: stored configuration", (long long)info->id);
    ctx->status = NC_ERR_FORMAT;
    return NC_ERR_FORMAT;
}

static const char *text(const nc_run_info *info)
{
    return info->config_json ? info->config_json : "";
}

static nc_status view_train(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                            nc_cli_view *v)
{
    nc_train_cfg *c = &v->cfg.train;
    if (nc_train_cfg_from_json(ctx, text(info), c))
        return cfg_error(ctx, info);
    snprintf(v->what, sizeof v->what, "training %s on %s", c->model,
             c->dataset);
    snprintf(v->model, sizeof v->model, "%s", c->model);
    v->epochs = c->epochs;
    if (v->total <= 0) {
        v->done = info->epochs_done;
        v->total = c->epochs;
    }
    return NC_OK;
}

static nc_status view_darts(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                            nc_cli_view *v)
{
    const nc_darts_job *j = &v->cfg.darts;
    if (nc_darts_job_from_json(ctx, text(info), &v->cfg.darts))
        return cfg_error(ctx, info);
    int pt = j->darts.pt_epochs >= 0, search = j->darts.epochs;
    snprintf(v->what, sizeof v->what, "DARTS%s on %s", pt ? " + DARTS-PT" : "",
             j->dataset);
    snprintf(v->model, sizeof v->model, "nb201");
    v->epochs = nc_darts_epochs_total(&j->darts);
    v->search_epochs = pt ? search : -1;
    /* The units are the epochs and, with DARTS-PT, one decision per edge
     * before each edge's tuning epochs. */
    int done = info->epochs_done, tune = j->darts.pt_epochs;
    int decided = v->total > 0 ? (int)(v->done - done)
                : !pt || done <= search ? 0
                : tune > 0 ? (done - search + tune - 1) / tune
                : NC_NB201_N_EDGES;
    if (v->total <= 0) {
        v->done = done + decided;
        v->total = v->epochs + (pt ? NC_NB201_N_EDGES : 0);
    }
    if (info->status && strcmp(info->status, "done") == 0)
        snprintf(v->phase, sizeof v->phase, "done");
    else if (done < search || !pt)
        snprintf(v->phase, sizeof v->phase, "search epoch %d/%d", done,
                 search);
    else
        snprintf(v->phase, sizeof v->phase, "DARTS-PT: %d/%d edges decided, "
                 "%d/%d tuning epochs", decided, NC_NB201_N_EDGES,
                 done - search, v->epochs - search);
    return NC_OK;
}

static nc_status view_search(nc_ctx *ctx, nc_store *db,
                             const nc_run_info *info, nc_cli_view *v)
{
    const nc_campaign_cfg *c = &v->cfg.search;
    if (nc_campaign_cfg_from_json(ctx, text(info), &v->cfg.search))
        return cfg_error(ctx, info);
    snprintf(v->what, sizeof v->what, "search on %s, %s strategy, %s "
             "evaluator", c->space, nc_campaign_strategy_name(c->strategy),
             nc_campaign_evaluator_name(c->evaluator));
    snprintf(v->model, sizeof v->model, "%s", c->space);
    /* The supernet trains first, one epoch row per epoch. */
    v->epochs = c->supernet != NC_SUPERNET_NONE ? c->supernet_train.epochs : 0;
    if (v->total <= 0) {
        int trials = 0;
        nc_status st = nc_store_trial_count(ctx, db, info->id, &trials);
        if (st)
            return st;
        v->done = info->epochs_done + trials;
        v->total = v->epochs + c->budget;
    }
    return NC_OK;
}

/* Each view reads the configuration into v (cfg_error if it does not
 * read) and fills what it says; done/total arrive with the row's units and
 * are the view's to fill when the row does not know them (total 0). */
static const nc_cli_kind KINDS[] = {
    { "train", view_train, &nc_cli_train_starter, nc_cli_status_epochs },
    { "darts", view_darts, &nc_cli_darts_starter, nc_cli_status_epochs },
    { "search", view_search, &nc_cli_search_starter, nc_cli_status_search },
};

const nc_cli_kind *nc_cli_kind_find(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(kind, KINDS[i].kind) == 0)
            return &KINDS[i];
    return NULL;
}

/* What is said of a run of a kind without an entry: its row. */
static void view_init(const nc_run_info *info, nc_cli_view *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->model, sizeof v->model, "-");
    snprintf(v->what, sizeof v->what, "%s run", info->kind ? info->kind : "?");
    v->search_epochs = -1;
    v->done = info->units_done;
    v->total = info->units_total;
}

nc_status nc_cli_view_of(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                         nc_cli_view *v)
{
    view_init(info, v);
    const nc_cli_kind *k = nc_cli_kind_find(info->kind);
    if (!k)
        return NC_OK;
    nc_status st = k->view(ctx, db, info, v);
    if (st) {
        view_init(info, v);
        return st;
    }
    v->has_cfg = 1;
    return NC_OK;
}
