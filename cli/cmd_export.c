/*
 * cmd_export.c — `nasc export RUN --out FILE`: a training run's newest
 * checkpoint as a .nasc model file (export/mfile.h).
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

static const char ABOUT[] =
    "Writes the newest checkpoint of training run RUN as a model file: the\n"
    "graph, the weights and BN statistics, the input normalization the run\n"
    "trained with, and the lineage (the run, its epochs and its\n"
    "configuration). The file is written whole or not at all (a temporary\n"
    "file renamed into place). 'nasc inspect FILE' shows it; 'nasc infer\n"
    "FILE' measures it. Layout: docs/MODEL_FORMAT.md.\n"
    "\n"
    "Exporting a campaign's trial or a compression pipeline's step is not\n"
    "implemented yet: train the architecture as a run ('nasc train --arch\n"
    "...') and export that.\n";

static const char JSON[] =
    "print one JSON line: run, out (the file), sha256 (of the whole file: "
    "the model's identity), bytes";

typedef struct opts {
    char out[NC_PATH_MAX];
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "out", .type = NC_CFG_STR, .off = offsetof(opts, out),
      .size = NC_PATH_MAX, .opt = "--out", .metavar = "FILE",
      .help = "the model file to write (required)" },
};
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

static int on_run(const nc_cli_args *a, void *opts_, nc_cli_run *r)
{
    const opts *o = opts_;
    if (!o->out[0])
        return nc_cli_usage(a->name, "--out FILE is required");
    if (strcmp(r->info.kind, "train") != 0) {
        fprintf(stderr, "nasc %s: run %lld is a '%s' run; only training runs "
                "can be exported yet\n", a->name, (long long)r->id,
                r->info.kind);
        return NC_EXIT_STATE;
    }
    char sha[65];
    nc_status st = nc_train_export(&r->ctx, r->db, r->id, o->out, sha);
    if (st)
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_WORK);
    FILE *f = fopen(o->out, "rb");
    long bytes = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        bytes = ftell(f);
    if (f)
        fclose(f);
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j && (!cJSON_AddNumberToObject(j, "run", (double)r->id) ||
                  !cJSON_AddStringToObject(j, "out", o->out) ||
                  !cJSON_AddStringToObject(j, "sha256", sha) ||
                  !cJSON_AddNumberToObject(j, "bytes", (double)bytes))) {
            cJSON_Delete(j);
            j = NULL;
        }
        return nc_cli_print_json(j);
    }
    printf("run      %lld\n", (long long)r->id);
    printf("out      %s\n", o->out);
    printf("bytes    %ld\n", bytes);
    printf("sha256   %s\n", sha);
    return nc_cli_flush();
}

const nc_cli_cmd nc_cli_cmd_export = {
    .name = "export", .usage = "RUN --out FILE [OPTIONS]",
    .summary = "write a training run's weights as a .nasc model file",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN,
    .opts = &OPTS, .size = sizeof(opts),
    .on_run = on_run,
};
