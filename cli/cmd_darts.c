/*
 * cmd_darts.c — `nasc darts` (and the resuming of DARTS runs): the options
 * are the DARTS job's own (supernet/darts_cfg.c).
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supernet/darts.h"

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Differentiable architecture search (DARTS) of an nb201 cell as a new\n"
    "run in the run log: alpha by Adam on the held-out samples (--valid),\n"
    "the weights by SGD with a cosine schedule on the rest. Then, unless\n"
    "--pt-epochs is -1, DARTS-PT's perturbation-based selection: edges in\n"
    "a seeded order, on each the op whose removal costs the most\n"
    "validation accuracy is kept, then the supernet is tuned for\n"
    "--pt-epochs epochs. Every epoch and every DARTS-PT decision is\n"
    "committed, so a killed run continues with 'nasc resume RUN' to the\n"
    "same bits. 'nasc status RUN' shows its phase; 'nasc show RUN' its\n"
    "alpha, decisions and op weights per epoch.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with the result as one JSON line: run, darts and pt "
    "(the cells chosen by arg-max of alpha and by DARTS-PT; pt null "
    "without it), supernet_accuracy (a fraction, on --eval held-out "
    "samples), epochs, seconds (work time summed over the run's "
    "sessions), weights_sha256, alpha and softmax (6 "
    "edges x 5 ops), pt_order, pt_base, pt_drop (null for ops not "
    "tried), alpha_history (alpha after every epoch)";

/* Progress on stderr: one line per epoch and per DARTS-PT decision. */
typedef struct darts_view {
    int enabled, total;
} darts_view;

static int view_epoch(void *ud, const nc_darts_epoch *e)
{
    darts_view *v = ud;
    if (v->enabled) {
        nc_nb201_arch am;
        char s[NC_NB201_STR_MAX];
        nc_darts_argmax(e->alpha, &am);
        nc_nb201_format(&am, s, sizeof s);
        fprintf(stderr, "epoch %d/%d (%s): loss %.4f, train %.2f%%, valid "
                "%.2f%%, %.1f s, arg-max %s\n", e->epoch, v->total,
                e->phase ? "DARTS-PT tuning" : "search", e->train_loss,
                100 * e->train_accuracy, 100 * e->valid_accuracy, e->seconds, s);
    }
    return 0;
}

static int view_decision(void *ud, int i, int edge, int op)
{
    darts_view *v = ud;
    if (v->enabled)
        fprintf(stderr, "DARTS-PT decision %d/%d: edge %d keeps %s\n", i + 1,
                NC_NB201_N_EDGES, edge, nc_nb201_op_name(op));
    return 0;
}

/* The stored result: one JSON line, or a few lines for people. */
static int print_result(const char *cmd, nc_ctx *ctx, nc_store *db,
                        int64_t run, int json)
{
    char *js = NULL;
    nc_status st = nc_store_run_result(ctx, db, run, &js);
    if (st)
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (!o) {
        fprintf(stderr, "nasc %s: run %lld: no readable result\n", cmd,
                (long long)run);
        return NC_EXIT_DB;
    }
    if (json)
        return nc_cli_print_json(o);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "darts");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pt");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "supernet_accuracy");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    printf("run %lld\n", (long long)run);
    printf("DARTS cell:         %s\n", cJSON_IsString(d) ? d->valuestring : "-");
    printf("DARTS-PT cell:      %s\n", cJSON_IsString(p) ? p->valuestring
                                                         : "- (skipped)");
    if (cJSON_IsNumber(a))
        printf("supernet accuracy:  %.2f%%\n", 100 * a->valuedouble);
    if (cJSON_IsNumber(s))
        printf("seconds:            %.1f\n", s->valuedouble);
    cJSON_Delete(o);
    return nc_cli_flush();
}

/* The starter's drive (cli/cli.h): runs the job as a new run or continues
 * the run, with the progress lines. */
static int drive(nc_cli_drive *d)
{
    const nc_darts_job *j = d->cfg;
    darts_view v = { .enabled = !d->a->quiet && isatty(STDERR_FILENO),
                     .total = nc_darts_epochs_total(&j->darts) };
    nc_darts_progress prog = { .epoch = view_epoch,
                               .decision = view_decision, .ud = &v };
    nc_darts_result res;
    d->st = d->run ? nc_darts_resume(d->ctx, d->db, d->run, &prog, &res)
                   : nc_darts_start(d->ctx, d->db, j, &prog, &d->run, &res);
    return d->st ? NC_EXIT_FAILURE
                 : print_result(d->a->name, d->ctx, d->db, d->run, d->a->json);
}

static nc_status validate(nc_ctx *ctx, const void *job)
{
    return nc_darts_job_validate(ctx, job);
}

const nc_cli_starter nc_cli_darts_starter = {
    nc_darts_job_table, "--data-dir", validate, drive,
};

const nc_cli_cmd nc_cli_cmd_darts = {
    .name = "darts", .usage = "[OPTIONS]",
    .summary = "differentiable search (DARTS, DARTS-PT) of an nb201 cell",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_DB_CREATE | NC_CLI_JSON | NC_CLI_QUIET,
    .cfg = nc_darts_job_table, .size = sizeof(nc_darts_job),
    .threads_opt = "--threads", .starter = &nc_cli_darts_starter,
};
