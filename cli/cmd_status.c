#include "cli/cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

static const char CMD[] = "status";

enum { OPT_DB = 256, OPT_JSON };

static const struct option LONGOPTS[] = {
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_status_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc status [RUN] [OPTIONS]\n"
        "\n"
        "Shows the progress of search campaign RUN (default: the newest\n"
        "campaign in the run log): trials done of the budget and the best\n"
        "trial so far; while a weight-sharing supernet still trains, its\n"
        "epoch. Works while the campaign runs.\n"
        "\n"
        "  RUN                the run id (see 'nasc runs')\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --json             one JSON line: run, status, trials (proposals\n"
        "                     stored), unique (architectures evaluated), budget,\n"
        "                     best_trial, best_arch, best, best_metrics,\n"
        "                     pareto_size, seconds (and supernet_epochs_done,\n"
        "                     supernet_epochs with a supernet)\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

/* The newest run of kind "search", or 0. */
static nc_status newest_search(nc_ctx *ctx, nc_store *db, int64_t *run)
{
    nc_run_info *runs = NULL;
    int n = 0;
    nc_status st = nc_store_run_list(ctx, db, &runs, &n);
    if (st)
        return st;
    *run = 0;
    for (int i = 0; i < n; i++) {
        if (runs[i].kind && strcmp(runs[i].kind, "search") == 0)
            *run = runs[i].id;
        nc_run_info_clear(&runs[i]);
    }
    free(runs);
    return NC_OK;
}

int nc_cli_load_campaign(const char *cmd, nc_ctx *ctx, nc_store *db,
                         const char *dbpath, int64_t *run, nc_run_info *info,
                         nc_campaign_cfg *cfg, nc_trial_rec **recs, int *n)
{
    *recs = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    nc_status st = NC_OK;
    if (*run == 0) {
        if ((st = newest_search(ctx, db, run)))
            return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
        if (*run == 0) {
            fprintf(stderr, "nasc %s: no search campaign in %s (start one with "
                    "'nasc search')\n", cmd, dbpath);
            return NC_EXIT_DB;
        }
    }
    if ((st = nc_cli_run_get(ctx, db, dbpath, *run, info)))
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    if ((st = nc_campaign_cfg_of_run(ctx, db, *run, cfg)) ||
        (st = nc_store_trials(ctx, db, *run, recs, n))) {
        nc_run_info_clear(info);
        /* A training run asked for here is the user's mistake, not the
         * log's. */
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    }
    return NC_EXIT_OK;
}

int nc_cli_status(int argc, char **argv)
{
    const char *dbpath = "runs.db";
    int json = 0, ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            if (nc_cli_path_arg(CMD, "--db", optarg, &dbpath))
                return NC_EXIT_USAGE;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            nc_cli_status_help(stdout);
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    int64_t run = 0;
    int r;
    if (optind < argc &&
        (r = nc_cli_run_operand(CMD, argc, argv, optind, &run)))
        return r;

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db;
    if ((r = nc_cli_open_store(CMD, &ctx, dbpath, 0, &db)))
        return r;
    nc_run_info info;
    nc_campaign_cfg cfg;
    nc_trial_rec *recs;
    int n;
    r = nc_cli_load_campaign(CMD, &ctx, db, dbpath, &run, &info, &cfg, &recs, &n);
    if (r) {
        nc_store_close(db);
        return r;
    }
    nc_campaign_result res;
    memset(&res, 0, sizeof res);
    res.run = run;
    nc_status st = nc_campaign_summarize(&ctx, &cfg, recs, n, &res);
    if (st) {
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    } else if (json) {
        char *s = nc_campaign_result_to_json(&cfg, &res);
        cJSON *o = s ? cJSON_Parse(s) : NULL;
        free(s);
        if (o)
            cJSON_AddStringToObject(o, "status", info.status);
        if (o && cfg.supernet != NC_SUPERNET_NONE) {
            cJSON_AddNumberToObject(o, "supernet_epochs_done", info.epochs_done);
            cJSON_AddNumberToObject(o, "supernet_epochs",
                                    cfg.supernet_train.epochs);
        }
        r = nc_cli_print_json(o);
    } else {
        printf("run %lld: search on %s, %s strategy, %s evaluator: %s\n",
               (long long)run, cfg.space, nc_campaign_strategy_name(cfg.strategy),
               nc_campaign_evaluator_name(cfg.evaluator), info.status);
        /* The supernet trains first (its epochs are the run's epoch rows);
         * until it is done, "0 trials" alone would look like a hang. */
        if (cfg.supernet != NC_SUPERNET_NONE &&
            info.epochs_done < cfg.supernet_train.epochs)
            printf("supernet epoch %d/%d (training; trials start after it)\n",
                   info.epochs_done, cfg.supernet_train.epochs);
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
            for (int k = 0; k < cfg.n_obj; k++)
                printf(" %s %.6g", nc_campaign_objective_name(cfg.obj[k]),
                       res.best_obj[k]);
            if (isfinite(res.best_report))
                printf(", %s %.6g", cfg.report_metric, res.best_report);
            printf("\n  %s\n", res.best_arch);
        }
        if (cfg.n_obj > 1)
            printf("pareto front: %d trials\n", res.pareto_size);
        r = NC_EXIT_OK;
    }
    nc_trial_recs_free(recs, n);
    nc_run_info_clear(&info);
    nc_store_close(db);
    return r;
}
