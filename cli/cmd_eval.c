/*
 * cmd_eval.c — `nasc eval RUN`: the accuracy of a training run's newest
 * checkpoint.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Evaluates the newest checkpoint of training run RUN (finished or not,\n"
    "even while another process trains it) and prints its accuracy and\n"
    "mean loss. The data set is loaded as the run's configuration says.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "print one JSON line: run, split (test or valid), accuracy (a "
    "fraction), loss (mean cross-entropy)";

typedef struct opts {
    int valid;
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "valid", .type = NC_CFG_FLAG, .off = offsetof(opts, valid),
      .opt = "--valid", .opt_value = "1",
      .help = "use the run's validation split (it must have been trained "
              "with --valid N) instead of the test split" },
};
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

static int on_run(const nc_cli_args *a, void *opts_, nc_cli_run *r)
{
    const opts *o = opts_;
    double acc = 0, loss = 0;
    /* From here on I/O and format errors are about the data files: the
     * run and its configuration have been read. */
    nc_status st = nc_train_eval(&r->ctx, r->db, r->id, o->valid, &acc,
                                 &loss);
    if (st)
        return nc_cli_fail(a->name, &r->ctx, st, NC_CLI_AT_WORK);
    int64_t id = r->id;
    const char *split = o->valid ? "valid" : "test";
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j && (!cJSON_AddNumberToObject(j, "run", (double)id) ||
                  !cJSON_AddStringToObject(j, "split", split) ||
                  !cJSON_AddNumberToObject(j, "accuracy", acc) ||
                  !cJSON_AddNumberToObject(j, "loss", loss))) {
            cJSON_Delete(j);
            j = NULL;
        }
        return nc_cli_print_json(j);
    }
    printf("run        %lld\n", (long long)id);
    printf("split      %s\n", split);
    printf("accuracy   %.2f%%\n", 100.0 * acc);
    printf("loss       %.4f\n", loss);
    return nc_cli_flush();
}

const nc_cli_cmd nc_cli_cmd_eval = {
    .name = "eval", .usage = "RUN [OPTIONS]",
    .summary = "evaluate a training run's newest checkpoint",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN,
    .opts = &OPTS, .size = sizeof(opts),
    .on_run = on_run,
};
