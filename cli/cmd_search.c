/*
 * cmd_search.c — `nasc search`: a search campaign from a campaign file
 * (campaign/campaign.h), and the resuming of campaigns.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Runs the search campaign described by the campaign file FILE (see\n"
    "examples/campaigns/ and campaign/campaign.h) as a new run of kind\n"
    "'search' in the run log, one stored trial at a time. A killed\n"
    "campaign continues with 'nasc resume RUN' and then yields exactly the\n"
    "trials of an uninterrupted one. Follow it with 'nasc status' and\n"
    "'nasc report'.\n"
    "\n"
    "The budget counts distinct architectures: a strategy that proposes an\n"
    "architecture again gets the stored result of its first trial (a\n"
    "trial of its own, marked cached_from, that costs no budget).\n"
    "\n"
    "Evaluators: 'table' looks results up in a CSV; 'scratch' trains each\n"
    "architecture as a training run of its own in the same run log\n"
    "(resumed from its checkpoint after a kill); 'inherited' first trains\n"
    "the space's weight-sharing supernet (SPOS or sandwich; every epoch\n"
    "committed) and scores each architecture with the weights it\n"
    "inherits. The latency objective (mbv only) is predicted from a\n"
    "latency table ('latency_table' in the file, from 'nasc\n"
    "latency-table', or measured when the campaign starts) stored with\n"
    "the campaign.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with one JSON line: run, trials (stored trials, "
    "repeats included), unique (distinct architectures evaluated), "
    "budget, best_trial, best_arch, best (the best trial's "
    "objectives by name), best_metrics (its select and report "
    "metrics), pareto_size (trials on the front over all "
    "objectives), seconds (evaluation time summed over the trials, "
    "not wall time: a cached trial adds none, a table lookup almost "
    "none)";

typedef struct opts {
    char config[NC_CAMPAIGN_PATH_MAX];
    int threads;   /* 0: the file's, else the cores available */
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "config", .type = NC_CFG_STR, .off = offsetof(opts, config),
      .size = NC_CAMPAIGN_PATH_MAX, .opt = "--config", .metavar = "FILE",
      .help = "the campaign file (JSON; required)" },
    { .key = "threads", .type = NC_CFG_INT, .off = offsetof(opts, threads),
      .lo = 1, .hi = 1024, .opt = "--threads", .metavar = "T",
      .help = "threads of the evaluations and the supernet training, stored "
              "with the campaign (default: the file's \"threads\", else the "
              "cores available to nasc)" },
};
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

/* The progress line on stderr (a terminal only). */
typedef struct progress {
    int enabled;
    const int64_t *run;
    double t_drawn;
    int line_open;
} progress;

static void on_trial(void *ud, int64_t done, int64_t budget, double best,
                     double seconds)
{
    progress *p = ud;
    if (!p->enabled)
        return;
    double t = nc_cli_now();
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

static int print_result(const nc_campaign_cfg *cfg, const nc_campaign_result *r,
                        int json)
{
    if (json)
        return nc_cli_print_json_text(nc_campaign_result_to_json(cfg, r));
    printf("run %lld: search done, %lld architectures in %lld trials\n",
           (long long)r->run, (long long)r->unique, (long long)r->trials);
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
    return nc_cli_flush();
}

/* The starter's drive (cli/cli.h): runs the campaign as a new run or
 * continues it, with the progress line. */
static int drive(nc_cli_drive *d)
{
    progress p = { .enabled = !d->a->quiet && isatty(STDERR_FILENO),
                   .run = &d->run };
    nc_campaign_progress hook = { on_trial, &p };
    nc_campaign_result res;
    memset(&res, 0, sizeof res);
    d->st = d->run ? nc_campaign_resume(d->ctx, d->db, d->run, &hook, &res)
                   : nc_campaign_start(d->ctx, d->db, d->cfg, &hook, &d->run,
                                       &res);
    if (p.line_open)
        fputc('\n', stderr);
    return d->st ? NC_EXIT_FAILURE : print_result(d->cfg, &res, d->a->json);
}

static nc_status validate(nc_ctx *ctx, const void *cfg)
{
    return nc_campaign_cfg_validate(ctx, cfg);
}

/* Campaign fields have no options: messages name them by their path in
 * the file. */
const nc_cli_starter nc_cli_search_starter = { NULL, NULL, validate, drive };

/* 1 if the campaign file at path (already loaded, so readable JSON) sets
 * key at its top level. */
static int file_sets(const char *path, const char *key)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(NC_CAMPAIGN_FILE_MAX + 1);
    size_t n = f && buf ? fread(buf, 1, NC_CAMPAIGN_FILE_MAX, f) : 0;
    if (f)
        fclose(f);
    cJSON *j = NULL;
    if (buf) {
        buf[n] = '\0';
        j = cJSON_Parse(buf);
    }
    int has = cJSON_GetObjectItemCaseSensitive(j, key) != NULL;
    cJSON_Delete(j);
    free(buf);
    return has;
}

static int run(const nc_cli_args *a, void *opts_)
{
    const opts *o = opts_;
    if (!o->config[0])
        return nc_cli_usage(a->name, "missing --config FILE (a campaign file)");
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg cfg;
    nc_status st = nc_campaign_cfg_load(&ctx, o->config, &cfg);
    if (!st && o->threads)
        cfg.threads = o->threads;
    else if (!st && !file_sets(o->config, "threads"))
        cfg.threads = nc_cli_default_threads();
    if (st) {
        /* A file that cannot be read is an input error; anything wrong
         * inside it is a configuration (usage) error naming the field. */
        fprintf(stderr, "nasc %s: %s\n", a->name, ctx.msg);
        return st == NC_ERR_IO ? NC_EXIT_DATA
             : st == NC_ERR_NOMEM ? NC_EXIT_FAILURE : NC_EXIT_USAGE;
    }
    return nc_cli_start(a, &nc_cli_search_starter, &cfg);
}

const nc_cli_cmd nc_cli_cmd_search = {
    .name = "search", .usage = "--config FILE [OPTIONS]",
    .summary = "run a search campaign from a campaign file",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_DB_CREATE | NC_CLI_JSON | NC_CLI_QUIET,
    .opts = &OPTS, .size = sizeof(opts),
    .run = run,
};
