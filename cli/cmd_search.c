#include "cli/cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

static const char CMD[] = "search";

enum { OPT_CONFIG = 256, OPT_DB, OPT_JSON, OPT_QUIET };

static const struct option LONGOPTS[] = {
    { "config", required_argument, NULL, OPT_CONFIG },
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_search_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc search --config FILE [OPTIONS]\n"
        "\n"
        "Runs the search campaign described by the campaign file FILE (see\n"
        "examples/campaigns/ and campaign/campaign.h) as a new run of kind\n"
        "'search' in the run log, one stored trial at a time. A killed\n"
        "campaign is continued with 'nasc resume RUN' and then yields exactly\n"
        "the trials of an uninterrupted one. Follow it with 'nasc status'\n"
        "and 'nasc report'.\n"
        "\n"
        "Evaluators: 'table' (look up a results CSV) and 'scratch' (train\n"
        "each architecture as a training run in the same run log, resumed\n"
        "from its checkpoint after a kill); 'inherited' is not implemented\n"
        "yet. The latency objective (mbv only) is predicted from a latency\n"
        "table ('latency_table' in the file, from 'nasc latency-table', or\n"
        "measured when the campaign starts) stored with the campaign.\n"
        "\n"
        "  --config FILE      campaign file (JSON; required)\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --json             end stdout with one JSON line: run, trials,\n"
        "                     budget, best_trial, best_arch, best (objectives),\n"
        "                     best_metrics, pareto_size, seconds\n"
        "  --quiet            no progress display\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

typedef struct progress {
    int enabled;
    const int64_t *run;
    double t_drawn;
    int line_open;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_trial(void *ud, int64_t done, int64_t budget, double best,
                     double seconds)
{
    progress *p = ud;
    if (!p->enabled)
        return;
    double t = now_s();
    /* About ten redraws a second: a table campaign runs thousands of trials
     * a second, and the terminal would be the bottleneck. */
    if (done < budget && t - p->t_drawn < 0.1)
        return;
    p->t_drawn = t;
    fprintf(stderr, "\rrun %lld: trial %lld/%lld  best %.4g  %.1fs ",
            (long long)*p->run, (long long)done, (long long)budget, best,
            seconds);
    fflush(stderr);
    p->line_open = 1;
}

static void progress_end(progress *p)
{
    if (p->line_open)
        fputc('\n', stderr);
    p->line_open = 0;
}

static int print_result(const nc_campaign_cfg *cfg, const nc_campaign_result *r,
                        int json)
{
    if (json) {
        char *s = nc_campaign_result_to_json(cfg, r);
        if (!s) {
            fprintf(stderr, "nasc %s: out of memory\n", CMD);
            return NC_EXIT_FAILURE;
        }
        printf("%s\n", s);
        free(s);
        return NC_EXIT_OK;
    }
    printf("run %lld: search done, %lld trials\n", (long long)r->run,
           (long long)r->trials);
    if (r->best_trial >= 0) {
        printf("best trial %lld:", (long long)r->best_trial);
        for (int k = 0; k < cfg->n_obj; k++)
            printf(" %s %.6g", nc_campaign_objective_name(cfg->obj[k]),
                   r->best_obj[k]);
        if (isfinite(r->best_report))
            printf(", %s %.6g", cfg->report_metric, r->best_report);
        printf("\n  %s\n", r->best_arch);
    }
    printf("pareto front: %d trials\n", r->pareto_size);
    return NC_EXIT_OK;
}

/* Runs (run < 0: starts cfg as a new run) or resumes a campaign with the
 * progress display, then prints its result. */
static int run_campaign(const char *cmd, nc_ctx *ctx, nc_store *db,
                        const nc_campaign_cfg *cfg, int64_t run, int json,
                        int quiet)
{
    progress p = { .enabled = !quiet && isatty(STDERR_FILENO), .run = &run };
    nc_campaign_progress hook = { on_trial, &p };
    nc_campaign_result res;
    memset(&res, 0, sizeof res);
    nc_status st;
    if (run < 0) {
        run = 0;
        st = nc_campaign_start(ctx, db, cfg, &hook, &run, &res);
    } else {
        st = nc_campaign_resume(ctx, db, run, &hook, &res);
    }
    progress_end(&p);
    if (st) {
        int r = nc_cli_fail(cmd, ctx, st, NC_CLI_AT_WORK);
        if (run > 0 && st != NC_ERR_STATE)
            fprintf(stderr, "nasc %s: continue with: nasc resume %lld\n", cmd,
                    (long long)run);
        return r;
    }
    return print_result(cfg, &res, json);
}

int nc_cli_search_resume(nc_ctx *ctx, nc_store *db, int64_t run, int json,
                         int quiet)
{
    nc_campaign_cfg cfg;
    nc_status st = nc_campaign_cfg_of_run(ctx, db, run, &cfg);
    if (st) {
        nc_ctx_prefix(ctx, "run %lld", (long long)run);
        return nc_cli_fail("resume", ctx, st, NC_CLI_AT_STORE);
    }
    return run_campaign("resume", ctx, db, &cfg, run, json, quiet);
}

int nc_cli_search(int argc, char **argv)
{
    const char *dbpath = "runs.db", *cfgpath = NULL;
    int json = 0, quiet = 0, ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_CONFIG:
            if (nc_cli_path_arg(CMD, "--config", optarg, &cfgpath))
                return NC_EXIT_USAGE;
            break;
        case OPT_DB:
            if (nc_cli_path_arg(CMD, "--db", optarg, &dbpath))
                return NC_EXIT_USAGE;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_QUIET:
            quiet = 1;
            break;
        case 'h':
            nc_cli_search_help(stdout);
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!cfgpath)
        return nc_cli_usage(CMD, "missing --config FILE (a campaign file)");

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg cfg;
    nc_status st = nc_campaign_cfg_load(&ctx, cfgpath, &cfg);
    if (!st)
        st = nc_campaign_cfg_validate(&ctx, &cfg);
    if (st) {
        /* A file that cannot be read is an input error; anything wrong
         * inside it is a configuration (usage) error naming the field. */
        fprintf(stderr, "nasc %s: %s\n", CMD, ctx.msg);
        return st == NC_ERR_IO ? NC_EXIT_DATA
             : st == NC_ERR_NOMEM ? NC_EXIT_FAILURE : NC_EXIT_USAGE;
    }
    nc_store *db;
    int r = nc_cli_open_store(CMD, &ctx, dbpath, 1, &db);
    if (r)
        return r;
    r = run_campaign(CMD, &ctx, db, &cfg, -1, json, quiet);
    nc_store_close(db);
    return r;
}
