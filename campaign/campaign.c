/*
 * campaign.c — what a campaign's trials come to: the summary of stored
 * trials (best, Pareto front, unique architectures) and the result JSON.
 * The campaign as a job of the run layer is campaign/campaign_job.c.
 */
#include "campaign/campaign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "search/pareto.h"

double nc_campaign_trial_metric(const nc_trial_rec *t, const char *name)
{
    double v = NAN;
    cJSON *m = t->metrics_json ? cJSON_Parse(t->metrics_json) : NULL;
    cJSON *x = m ? cJSON_GetObjectItemCaseSensitive(m, name) : NULL;
    if (cJSON_IsNumber(x))
        v = x->valuedouble;
    cJSON_Delete(m);
    return v;
}

nc_status nc_campaign_summarize(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                                const nc_trial_rec *recs, int n,
                                nc_campaign_result *res)
{
    int64_t run = res->run;
    memset(res, 0, sizeof *res);
    res->run = run;
    res->budget = cfg->budget;
    res->trials = n;
    res->best_trial = -1;
    res->best_select = res->best_report = NAN;
    for (int k = 0; k < NC_MAX_OBJ; k++)
        res->best_obj[k] = NAN;
    int no = cfg->n_obj, mini = nc_campaign_objective_minimized(cfg->obj[0]);
    double *obj = malloc(((size_t)n + 1) * (size_t)no * sizeof *obj);
    int *rank = malloc(((size_t)n + 1) * sizeof *rank);
    if (!obj || !rank) {
        free(obj);
        free(rank);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    int m = 0, best = -1;
    for (int i = 0; i < n; i++) {
        res->seconds += recs[i].seconds;
        /* A repeat (answered from the cache) is its first trial again. */
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(recs[j].arch, recs[i].arch) == 0;
        if (seen)
            continue;
        res->unique++;
        if (strcmp(recs[i].status, "done") != 0 || recs[i].n_obj != no)
            continue;
        memcpy(obj + (size_t)m * no, recs[i].obj, (size_t)no * sizeof *obj);
        m++;
        double v = recs[i].obj[0];
        /* Ties keep the earlier trial, so the answer does not depend on
         * anything but the trials. */
        if (best < 0 || (mini ? v < recs[best].obj[0] : v > recs[best].obj[0]))
            best = i;
    }
    int maxim[NC_MAX_OBJ];
    for (int k = 0; k < no; k++)
        maxim[k] = !nc_campaign_objective_minimized(cfg->obj[k]);
    if (m > 0 && nc_pareto_front(m, no, obj, maxim, rank) < 0) {
        free(obj);
        free(rank);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < m; i++)
        res->pareto_size += rank[i] == 0;
    free(obj);
    free(rank);
    if (best >= 0) {
        res->best_trial = recs[best].trial;
        snprintf(res->best_arch, sizeof res->best_arch, "%s", recs[best].arch);
        for (int k = 0; k < no; k++)
            res->best_obj[k] = recs[best].obj[k];
        res->best_select = nc_campaign_trial_metric(&recs[best], cfg->select_metric);
        res->best_report = nc_campaign_trial_metric(&recs[best], cfg->report_metric);
    }
    return NC_OK;
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

char *nc_campaign_result_to_json(const nc_campaign_cfg *cfg,
                                 const nc_campaign_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "run", (double)r->run);
    cJSON_AddNumberToObject(o, "trials", (double)r->trials);
    cJSON_AddNumberToObject(o, "unique", (double)r->unique);
    cJSON_AddNumberToObject(o, "budget", (double)r->budget);
    cJSON_AddNumberToObject(o, "best_trial", (double)r->best_trial);
    cJSON_AddStringToObject(o, "best_arch", r->best_arch);
    cJSON *b = cJSON_AddObjectToObject(o, "best");
    for (int k = 0; b && k < cfg->n_obj; k++)
        add_num(b, nc_campaign_objective_name(cfg->obj[k]), r->best_obj[k]);
    cJSON *mt = cJSON_AddObjectToObject(o, "best_metrics");
    if (mt) {
        add_num(mt, cfg->select_metric, r->best_select);
        if (strcmp(cfg->report_metric, cfg->select_metric) != 0)
            add_num(mt, cfg->report_metric, r->best_report);
    }
    cJSON_AddNumberToObject(o, "pareto_size", r->pareto_size);
    add_num(o, "seconds", r->seconds);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

