/*
 * cmd_export.c — `nasc export RUN --out FILE`: a training run's newest
 * checkpoint as a .nasc model file (export/mfile.h).
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

static const char ABOUT[] =
    "Writes the newest checkpoint of training run RUN as a model file: the\n"
    "graph, the weights and BN statistics, the input normalization the run\n"
    "trained with, and the lineage (the run, its epochs and its\n"
    "configuration). The file is written whole or not at all (a temporary\n"
    "file renamed into place). 'nasc inspect FILE' shows it; 'nasc infer\n"
    "FILE' measures it. Layout: docs/MODEL_FORMAT.md.\n"
    "\n"
    "With --trial N, RUN is a campaign and the model is its trial N. For\n"
    "the scratch evaluator, that is the trial's own training run (a\n"
    "repeated architecture's first trial). The table and inherited\n"
    "evaluators keep no weights per trial. Exporting their trials\n"
    "(stand-alone training, or inherited weights) and a compression\n"
    "pipeline's steps is not implemented yet. Train the architecture as a\n"
    "run ('nasc train --arch ...') and export that.\n";

static const char JSON[] =
    "print one JSON line: run (the training run exported: a trial's own "
    "with --trial), out (the file), sha256 (of the whole file: the model's "
    "identity), bytes";

typedef struct opts {
    char out[NC_PATH_MAX];
    int trial;
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "out", .type = NC_CFG_STR, .off = offsetof(opts, out),
      .size = NC_PATH_MAX, .opt = "--out", .metavar = "FILE",
      .help = "the model file to write (required)" },
    { .key = "trial", .type = NC_CFG_INT, .off = offsetof(opts, trial),
      .lo = -1, .hi = 100000000, .def = -1, .opt = "--trial",
      .metavar = "N", .help = "RUN is a campaign: export its trial N" },
};

/* The training run behind trial t of scratch campaign r (the first trial
 * of a repeated architecture); prints and returns the exit code, or 0. */
static int trial_run(const nc_cli_args *a, nc_cli_run *r, int t,
                     int64_t *id)
{
    if (!r->view.has_cfg || r->view.cfg.search.evaluator != NC_EVAL_SCRATCH) {
        fprintf(stderr, "nasc %s: campaign %lld scores trials with the %s "
                "evaluator, which keeps no weights per trial; exporting "
                "them is not implemented yet (train the architecture with "
                "'nasc train --arch' and export that run)\n", a->name,
                (long long)r->id, r->view.has_cfg &&
                r->view.cfg.search.evaluator == NC_EVAL_INHERITED
                ? "inherited" : "table");
        return NC_EXIT_STATE;
    }
    nc_trial_rec *tr;
    int n;
    nc_status st = nc_store_trials(&r->ctx, r->db, r->id, &tr, &n);
    if (st)
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_STORE);
    int first = t;
    if (t < n && tr[t].metrics_json) {
        cJSON *m = cJSON_Parse(tr[t].metrics_json);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "cached_from");
        if (cJSON_IsNumber(c))
            first = c->valueint;
        cJSON_Delete(m);
    }
    int ok = t < n && !strcmp(tr[t].status, "done");
    nc_trial_recs_free(tr, n);
    if (!ok) {
        fprintf(stderr, "nasc %s: campaign %lld has no finished trial %d "
                "(%d trials stored)\n", a->name, (long long)r->id, t, n);
        return NC_EXIT_STATE;
    }
    char tag[32];
    snprintf(tag, sizeof tag, "trial %d", first);
    if ((st = nc_store_run_child(&r->ctx, r->db, r->id, tag, id)))
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_STORE);
    return 0;
}
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

static int on_run(const nc_cli_args *a, void *opts_, nc_cli_run *r)
{
    const opts *o = opts_;
    if (!o->out[0])
        return nc_cli_usage(a->name, "--out FILE is required");
    int64_t id = r->id;
    if (o->trial >= 0 && strcmp(r->info.kind, "search") != 0)
        return nc_cli_usage(a->name, "--trial: run %lld is a '%s' run, not "
                            "a campaign", (long long)r->id, r->info.kind);
    if (o->trial >= 0) {
        int rc = trial_run(a, r, o->trial, &id);
        if (rc)
            return rc;
    } else if (strcmp(r->info.kind, "train") != 0) {
        fprintf(stderr, "nasc %s: run %lld is a '%s' run; export takes a "
                "training run, or a campaign with --trial N\n", a->name,
                (long long)r->id, r->info.kind);
        return NC_EXIT_STATE;
    }
    char sha[65];
    nc_status st = nc_train_export(&r->ctx, r->db, id, o->out, sha);
    if (st)
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_WORK);
    struct stat sb;
    long long bytes = stat(o->out, &sb) == 0 ? (long long)sb.st_size : -1;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j && (!cJSON_AddNumberToObject(j, "run", (double)id) ||
                  !cJSON_AddStringToObject(j, "out", o->out) ||
                  !cJSON_AddStringToObject(j, "sha256", sha) ||
                  !cJSON_AddNumberToObject(j, "bytes", (double)bytes))) {
            cJSON_Delete(j);
            j = NULL;
        }
        return nc_cli_print_json(j);
    }
    printf("run      %lld\n", (long long)id);
    printf("out      %s\n", o->out);
    printf("bytes    %lld\n", bytes);
    printf("sha256   %s\n", sha);
    return nc_cli_flush();
}

const nc_cli_cmd nc_cli_cmd_export = {
    .name = "export", .usage = "RUN [--trial N] --out FILE [OPTIONS]",
    .summary = "write a training run's weights as a .nasc model file",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN,
    .opts = &OPTS, .size = sizeof(opts),
    .on_run = on_run,
};
