/*
 * cmd_status.c — `nasc status [RUN]`: where a run of any kind stands. What
 * every run shows (what it is, its progress in units, who works on it or
 * why it failed) comes from its view; what a kind adds is its entry's
 * status function (cli/kinds.c), here for campaigns (trials and the best
 * trial) and for runs of epochs (training, DARTS: epochs, last metrics).
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Shows where run RUN stands, for a run of any kind and while it runs:\n"
    "what it is, its progress in units (epochs; DARTS-PT decisions;\n"
    "distinct architectures of a campaign, after its supernet's epochs),\n"
    "and which process works on it or, for a failed run, why it failed and\n"
    "whether 'nasc resume' can continue it. A training or DARTS run adds\n"
    "its epoch and the last epoch's metrics (a DARTS run its phase); a\n"
    "search campaign its architectures of the budget, the best trial so\n"
    "far and, while a weight-sharing supernet trains, its epoch.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "one JSON line: run, kind, status, what (as the first line "
    "says), owner (\"host:pid:start\" of the process that holds the "
    "run, \"\" when none), owner_alive (whether that process lives), "
    "reason and reason_status (why a failed run "
    "failed, \"\" otherwise), units_done, units_total (null when "
    "unknown). Training and DARTS runs add epochs_done, epochs "
    "(planned), phase (DARTS) and last (the last epoch's metrics: "
    "epoch, step, lr, train_loss, train_accuracy, valid_loss, "
    "valid_accuracy, seconds; null before the first). Campaigns add "
    "trials, unique, budget, best_trial, best_arch, best, "
    "best_metrics, pareto_size, seconds (evaluation time summed over "
    "the trials), and supernet_epochs_done, supernet_epochs with a "
    "supernet";

int nc_cli_campaign_trials(const char *cmd, nc_ctx *ctx, nc_store *db,
                           int64_t run, const nc_campaign_cfg *cfg,
                           nc_trial_rec **recs, int *n,
                           nc_campaign_result *res)
{
    *recs = NULL;
    *n = 0;
    nc_status st = nc_store_trials(ctx, db, run, recs, n);
    if (st)
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    memset(res, 0, sizeof *res);
    res->run = run;
    if ((st = nc_campaign_summarize(ctx, cfg, *recs, *n, res))) {
        nc_trial_recs_free(*recs, *n);
        *recs = NULL;
        *n = 0;
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_WORK);
    }
    return NC_EXIT_OK;
}

int nc_cli_status_search(const nc_cli_args *a, nc_cli_run *rn, void *json)
{
    cJSON *j = json;
    const nc_run_info *info = &rn->info;
    const nc_cli_view *v = &rn->view;
    const nc_campaign_cfg *cfg = &v->cfg.search;
    nc_trial_rec *recs;
    int n;
    nc_campaign_result res;
    int r = nc_cli_campaign_trials(a->name, &rn->ctx, rn->db, info->id, cfg,
                                   &recs, &n, &res);
    if (r)
        return r;
    nc_trial_recs_free(recs, n);
    int supernet = cfg->supernet != NC_SUPERNET_NONE;
    if (j) {
        char *s = nc_campaign_result_to_json(cfg, &res);
        cJSON *o = s ? cJSON_Parse(s) : NULL;
        free(s);
        if (!o)
            return nc_cli_print_json(NULL);
        /* Its fields join the run's; "run" is there already. */
        cJSON *it = o->child;
        while (it) {
            cJSON *next = it->next;
            if (strcmp(it->string, "run") != 0)
                cJSON_AddItemToObject(j, it->string,
                                      cJSON_DetachItemViaPointer(o, it));
            it = next;
        }
        cJSON_Delete(o);
        if (supernet) {
            cJSON_AddNumberToObject(j, "supernet_epochs_done",
                                    info->epochs_done);
            cJSON_AddNumberToObject(j, "supernet_epochs", v->epochs);
        }
        return NC_EXIT_OK;
    }
    /* The supernet trains first (its epochs are the run's epoch rows);
     * until it is done, "0 architectures" alone would look like a hang. */
    if (supernet && info->epochs_done < v->epochs)
        printf("supernet epoch %d/%d (training; trials start after it)\n",
               info->epochs_done, v->epochs);
    printf("architectures: %lld/%lld (%.0f%%)", (long long)res.unique,
           (long long)res.budget,
           res.budget > 0 ? 100.0 * (double)res.unique / (double)res.budget
                          : 100.0);
    if (res.trials > res.unique)
        printf(", %lld trials (%lld repeats answered from the cache)",
               (long long)res.trials, (long long)(res.trials - res.unique));
    printf("\n");
    if (res.best_trial >= 0) {
        printf("best so far: trial %lld,", (long long)res.best_trial);
        for (int k = 0; k < cfg->n_obj; k++)
            printf(" %s %.6g", nc_campaign_objective_name(cfg->obj[k]),
                   res.best_obj[k]);
        if (isfinite(res.best_report))
            printf(", %s %.6g", cfg->report_metric, res.best_report);
        printf("\n  %s\n", res.best_arch);
    }
    if (cfg->n_obj > 1)
        printf("pareto front: %d trials\n", res.pareto_size);
    printf("evaluation time: %.1f s\n", res.seconds);
    return NC_EXIT_OK;
}

/* Training and DARTS runs (and any kind whose units are epochs): epochs
 * done of planned, a DARTS run's phase, the last epoch's metrics. */
int nc_cli_status_epochs(const nc_cli_args *a, nc_cli_run *r, void *json)
{
    cJSON *j = json;
    const nc_run_info *info = &r->info;
    const nc_cli_view *v = &r->view;
    nc_epoch_metrics *ep = NULL;
    int n = 0;
    nc_status st = nc_store_epochs(&r->ctx, r->db, info->id, &ep, &n);
    if (st)
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_STORE);
    const nc_epoch_metrics *last = n > 0 ? &ep[n - 1] : NULL;
    if (j) {
        cJSON_AddNumberToObject(j, "epochs_done", info->epochs_done);
        cJSON_AddItemToObject(j, "epochs", v->epochs > 0
                              ? cJSON_CreateNumber(v->epochs)
                              : cJSON_CreateNull());
        if (v->phase[0])
            cJSON_AddStringToObject(j, "phase", v->phase);
        cJSON_AddItemToObject(j, "last", last ? nc_cli_epoch_json(last)
                                              : cJSON_CreateNull());
    } else {
        if (v->epochs > 0)
            printf("epoch %d/%d\n", info->epochs_done, v->epochs);
        if (v->phase[0])
            printf("phase: %s\n", v->phase);
        if (last)
            nc_cli_print_epoch(last);
        else
            printf("no epoch finished yet\n");
    }
    free(ep);
    return NC_EXIT_OK;
}

static int on_run(const nc_cli_args *a, void *opts, nc_cli_run *r)
{
    const nc_cli_kind *k = nc_cli_kind_find(r->info.kind);
    int (*fn)(const nc_cli_args *, nc_cli_run *, void *) =
        k && k->status ? k->status : nc_cli_status_epochs;
    const nc_run_info *info = &r->info;
    const char *status = info->status ? info->status : "";
    int rc;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (!j || !cJSON_AddNumberToObject(j, "run", (double)r->id) ||
            !cJSON_AddStringToObject(j, "kind", info->kind ? info->kind : "") ||
            !cJSON_AddStringToObject(j, "status", status) ||
            !cJSON_AddStringToObject(j, "what", r->view.what) ||
            !nc_cli_json_state(j, info, &r->view)) {
            cJSON_Delete(j);
            j = NULL;
        }
        rc = j ? fn(a, r, j) : NC_EXIT_OK;
        if (rc)
            cJSON_Delete(j);
        else
            rc = nc_cli_print_json(j);   /* NULL: out of memory */
        return rc;
    }
    printf("run %lld: %s: %s\n", (long long)r->id, r->view.what, status);
    if (r->view.total > 0)
        printf("progress: %lld/%lld units (%.0f%%)\n", (long long)r->view.done,
               (long long)r->view.total,
               100.0 * (double)r->view.done / (double)r->view.total);
    if ((rc = fn(a, r, NULL)))
        return rc;
    nc_cli_print_state(info, a->db);
    return nc_cli_flush();
}

const nc_cli_cmd nc_cli_cmd_status = {
    .name = "status", .usage = "[RUN] [OPTIONS]",
    .summary = "show where a run stands: progress, best so far, owner",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN_NEWEST,
    .on_run = on_run,
};
