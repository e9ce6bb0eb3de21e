/*
 * cmd_train.c — `nasc train` (and the resuming of training runs): the
 * options are the training configuration's own (train/config.c).
 */
#include "cli/cli.h"

#include <string.h>
#include <unistd.h>

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Trains a model from scratch as a new run in the run log, printing the\n"
    "test accuracy at the end. A run that is killed continues with 'nasc\n"
    "resume RUN' and then ends with exactly the same weights: it keeps its\n"
    "configuration, seed and thread count.\n"
    "\n"
    "--arch takes a NAS-Bench-201 cell for --model nb201 (the model when\n"
    "only --arch is given): '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|', each op\n"
    "one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.\n"
    "Without --data-dir the data set is read from its own directory, e.g.\n"
    "/usr/share/datasets/fashion-mnist. --valid N holds N training samples\n"
    "out for validation.\n"
    "\n"
    "On a terminal, stderr shows the run id, a progress line and one line\n"
    "per epoch; otherwise only the final result is printed.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with one JSON line: run (the id), epochs (done), "
    "test_accuracy (a fraction) and test_loss (mean cross-entropy) "
    "on the test split, train_seconds (time in training steps, "
    "summed over the run's sessions; no loading or evaluation), "
    "weights_sha256 (of the final parameters and BN state)";

/* The final summary, human or one JSON line (the object the run log stores
 * as the run's result); returns the exit code. */
static int print_result(const nc_train_result *res, int json)
{
    if (json)
        return nc_cli_print_json_text(nc_train_result_to_json(res));
    printf("run             %lld\n", (long long)res->run);
    printf("epochs          %d\n", res->epochs_done);
    printf("test accuracy   %.2f%%\n", 100.0 * res->test_accuracy);
    printf("test loss       %.4f\n", res->test_loss);
    printf("train seconds   %.1f\n", res->train_seconds);
    printf("weights sha256  %s\n", res->weights_sha256);
    return nc_cli_flush();
}

/* The starter's drive (cli/cli.h): trains the configuration as a new run
 * or continues the run, with the progress display. */
static int drive(nc_cli_drive *d)
{
    const nc_train_cfg *cfg = d->cfg;
    const nc_run_info *in = d->resumed;
    char what[NC_NAME_MAX * 3 + 64];
    if (in)
        snprintf(what, sizeof what, "resuming %s on %s after epoch %d of %d",
                 cfg->model, cfg->dataset, in->epochs_done, cfg->epochs);
    else
        snprintf(what, sizeof what, "%s on %s, %d epoch%s, %d thread%s",
                 cfg->model, cfg->dataset, cfg->epochs,
                 cfg->epochs == 1 ? "" : "s", cfg->threads,
                 cfg->threads == 1 ? "" : "s");
    nc_cli_progress prog;
    nc_cli_progress_init(&prog, !d->a->quiet && isatty(STDERR_FILENO),
                         d->a->db, d->db, &d->run, cfg->batch,
                         in ? in->epochs_done : 0, what);
    nc_train_progress hook = nc_cli_progress_hook(&prog);
    nc_train_result res;
    memset(&res, 0, sizeof res);
    d->st = d->run ? nc_train_resume(d->ctx, d->db, d->run, &hook, &res)
                   : nc_train_start(d->ctx, d->db, cfg, &hook, &d->run, &res);
    nc_cli_progress_end(&prog);
    return d->st ? NC_EXIT_FAILURE : print_result(&res, d->a->json);
}

static nc_status validate(nc_ctx *ctx, const void *cfg)
{
    return nc_train_cfg_validate(ctx, cfg);
}

const nc_cli_starter nc_cli_train_starter = {
    nc_train_cfg_table, "--data-dir", validate, drive,
};

static int run(const nc_cli_args *a, void *opts)
{
    nc_train_cfg *cfg = opts;
    /* An architecture string only means something to nb201. */
    if (cfg->arch[0] && !nc_cli_given(a, "--model"))
        snprintf(cfg->model, sizeof cfg->model, "nb201");
    return nc_cli_start(a, &nc_cli_train_starter, cfg);
}

const nc_cli_cmd nc_cli_cmd_train = {
    .name = "train", .usage = "[OPTIONS]",
    .summary = "train a model as a new run in the run log",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_DB_CREATE | NC_CLI_JSON | NC_CLI_QUIET,
    .cfg = nc_train_cfg_table, .size = sizeof(nc_train_cfg),
    .threads_opt = "--threads", .run = run,
};
