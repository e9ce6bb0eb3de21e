/*
 * jobs.c — the table of job kinds and their typed front doors (run/jobs.h).
 */
#include "run/jobs.h"

#include "data/dataset.h"
#include "export/mfile.h"
#include "store/store.h"
#include "store/trials.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const nc_job_vt *const nc_jobs[] = {
    &nc_train_job,
    &nc_darts_job_vt,
    &nc_campaign_job,
};

const nc_job_vt *nc_job_find(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof nc_jobs / sizeof nc_jobs[0]; i++)
        if (strcmp(nc_jobs[i]->kind, kind) == 0)
            return nc_jobs[i];
    return NULL;
}

/* Starts a run of kind from a configuration JSON the caller built (js,
 * freed here; NULL when that ran out of memory). */
static nc_status start_json(nc_ctx *ctx, nc_store *db, const char *kind,
                            char *js, const void *hooks, void *out,
                            int64_t *run)
{
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_run_opts o = { .hooks = hooks, .out = out };
    nc_status st = nc_run_start(ctx, db, kind, js, &o, run, NULL);
    free(js);
    return st;
}

nc_status nc_train_start(nc_ctx *ctx, nc_store *db, const nc_train_cfg *cfg,
                         const nc_train_progress *prog, int64_t *run,
                         nc_train_result *res)
{
    /* Validated first so that a bad field is named as the user set it. */
    nc_status st = nc_train_cfg_validate(ctx, cfg);
    if (st)
        return st;
    return start_json(ctx, db, "train", nc_train_cfg_to_json(cfg), prog, res,
                      run);
}

nc_status nc_train_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                          const nc_train_progress *prog, nc_train_result *res)
{
    nc_run_opts o = { .hooks = prog, .out = res };
    return nc_run_resume(ctx, db, run, "train", &o, NULL);
}

nc_status nc_train_eval(nc_ctx *ctx, nc_store *db, int64_t run, int valid,
                        double *accuracy, double *loss)
{
    const nc_job_vt *vt;
    void *job;
    nc_status st = nc_run_load(ctx, db, run, "train", &vt, &job);
    if (st)
        return st;
    if ((st = nc_train_job_evaluate(ctx, job, valid, accuracy, loss)))
        nc_ctx_prefix(ctx, "run %lld", (long long)run);
    vt->close(job);
    return st;
}

nc_status nc_train_export(nc_ctx *ctx, nc_store *db, int64_t run,
                          const char *path, char sha256[65])
{
    const nc_job_vt *vt;
    void *job;
    nc_status st = nc_run_load(ctx, db, run, "train", &vt, &job);
    if (st)
        return st;
    const nc_train_cfg *cfg;
    int done;
    const nc_dataset *data;
    nc_net *net = nc_train_job_net(job, &cfg, &done, &data);
    nc_mfile_norm norm = { .c = data->c };
    for (int i = 0; i < data->c && i < NC_MFILE_MAX_CHANNELS; i++) {
        norm.mean[i] = data->norm_mean[i];
        norm.std[i] = data->norm_std[i] > 0 ? data->norm_std[i] : 1.0f;
    }
    char *lin = NULL;
    if (done == 0) {
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld has no finished epoch to "
                     "export yet", (long long)run);
    } else {
        char *cj = nc_train_cfg_to_json(cfg);
        cJSON *o = cJSON_CreateObject(), *c = cj ? cJSON_Parse(cj) : NULL;
        if (o && c && cJSON_AddStringToObject(o, "source", "train") &&
            cJSON_AddNumberToObject(o, "run", (double)run) &&
            cJSON_AddNumberToObject(o, "epochs_done", done) &&
            cJSON_AddItemToObject(o, "config", c))
            c = NULL, lin = cJSON_PrintUnformatted(o);
        cJSON_Delete(c);
        cJSON_Delete(o);
        free(cj);
        st = lin ? nc_mfile_save(ctx, path, net, &norm, lin, sha256)
                 : nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    free(lin);
    vt->close(job);
    return st;
}

nc_status nc_darts_start(nc_ctx *ctx, nc_store *db, const nc_darts_job *j,
                         const nc_darts_progress *prog, int64_t *run,
                         nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    if (run)
        *run = 0;
    nc_status st = nc_darts_job_validate(ctx, j);
    if (st)
        return st;
    return start_json(ctx, db, "darts", nc_darts_job_to_json(j), prog, res,
                      run);
}

nc_status nc_darts_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                          const nc_darts_progress *prog, nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    nc_run_opts o = { .hooks = prog, .out = res };
    return nc_run_resume(ctx, db, run, "darts", &o, NULL);
}

nc_status nc_campaign_create(nc_ctx *ctx, nc_store *db,
                             const nc_campaign_cfg *cfg, int64_t *run)
{
    nc_status st = nc_campaign_cfg_validate(ctx, cfg);
    if (st)
        return st;
    char *js = nc_campaign_cfg_to_json(cfg);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    st = nc_run_create(ctx, db, "search", js, run);
    free(js);
    if (st)
        return st;
    nc_campaign_rec c = { .space = cfg->space,
                          .strategy = nc_campaign_strategy_name(cfg->strategy),
                          .budget = cfg->budget, .status = "running" };
    return nc_store_campaign_put(ctx, db, *run, &c);
}

nc_status nc_campaign_continue(nc_ctx *ctx, nc_store *db, int64_t run,
                               const nc_campaign_progress *prog,
                               int64_t max_trials, nc_campaign_result *res)
{
    nc_campaign_hooks h = { prog, max_trials };
    nc_run_opts o = { .hooks = &h, .out = res };
    nc_status st = nc_run_resume(ctx, db, run, "search", &o, NULL);
    if (st || !res)
        return st;
    /* Stopped at max_trials: the summary of what is stored so far. */
    nc_run_info info;
    if ((st = nc_store_run_get(ctx, db, run, &info)))
        return st;
    int done = strcmp(info.status, "done") == 0;
    nc_run_info_clear(&info);
    if (done)
        return NC_OK;
    nc_campaign_cfg cfg;
    nc_trial_rec *recs = NULL;
    int n = 0;
    if (!(st = nc_campaign_cfg_of_run(ctx, db, run, &cfg)) &&
        !(st = nc_store_trials(ctx, db, run, &recs, &n))) {
        res->run = run;
        st = nc_campaign_summarize(ctx, &cfg, recs, n, res);
    }
    nc_trial_recs_free(recs, n);
    return st;
}

nc_status nc_campaign_start(nc_ctx *ctx, nc_store *db,
                            const nc_campaign_cfg *cfg,
                            const nc_campaign_progress *prog, int64_t *run,
                            nc_campaign_result *res)
{
    nc_status st = nc_campaign_cfg_validate(ctx, cfg);
    if (st)
        return st;
    nc_campaign_hooks h = { prog, -1 };
    return start_json(ctx, db, "search", nc_campaign_cfg_to_json(cfg), &h,
                      res, run);
}

nc_status nc_campaign_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                             const nc_campaign_progress *prog,
                             nc_campaign_result *res)
{
    return nc_campaign_continue(ctx, db, run, prog, -1, res);
}

nc_status nc_campaign_cfg_of_run(nc_ctx *ctx, nc_store *db, int64_t run,
                                 nc_campaign_cfg *cfg)
{
    nc_run_info info;
    nc_status st = nc_store_run_get(ctx, db, run, &info);
    if (st)
        return st;
    if (strcmp(info.kind, "search") != 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is a '%s' run, not a search "
                     "campaign", (long long)run, info.kind);
    else
        st = nc_campaign_cfg_from_json(ctx, info.config_json, cfg);
    nc_run_info_clear(&info);
    return st;
}
