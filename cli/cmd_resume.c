#include "cli/cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char CMD[] = "resume";

enum { OPT_DB = 256, OPT_JSON, OPT_QUIET };

static const struct option LONGOPTS[] = {
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_resume_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc resume RUN [OPTIONS]\n"
        "\n"
        "Continues training run RUN from its last checkpoint (the end of its\n"
        "last finished epoch) to the end, and prints the final result as\n"
        "'nasc train' does. The run keeps its own configuration, seed and\n"
        "thread count, so it ends with exactly the weights an uninterrupted\n"
        "run would have had.\n"
        "\n"
        "A search campaign (a run of kind 'search') continues after its last\n"
        "stored trial and prints its result as 'nasc search' does; it yields\n"
        "exactly the trials of an uninterrupted campaign.\n"
        "\n"
        "A DARTS run (kind 'darts') continues after its last committed epoch\n"
        "or DARTS-PT decision and prints its result as 'nasc darts' does.\n"
        "\n"
        "  RUN                the run id (see 'nasc runs')\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --json             end stdout with one JSON line: run, epochs,\n"
        "                     test_accuracy (fraction), test_loss,\n"
        "                     train_seconds, weights_sha256\n"
        "  --quiet            no progress display\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

int nc_cli_resume(int argc, char **argv)
{
    const char *dbpath = "runs.db";
    int json = 0, quiet = 0, ch;
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
        case OPT_QUIET:
            quiet = 1;
            break;
        case 'h':
            nc_cli_resume_help(stdout);
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    int64_t run;
    int r = nc_cli_run_operand(CMD, argc, argv, optind, &run);
    if (r)
        return r;

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db;
    if ((r = nc_cli_open_store(CMD, &ctx, dbpath, 0, &db)))
        return r;

    /* Read the run first: a run that does not exist or whose stored
     * configuration is unreadable is a run-log error, not a data error. */
    nc_run_info info;
    nc_train_cfg cfg;
    int has_cfg;
    r = nc_cli_load_run(CMD, &ctx, db, dbpath, run, &info, &cfg, &has_cfg);
    if (r) {
        nc_store_close(db);
        return r;
    }
    if (info.kind && strcmp(info.kind, "darts") == 0) {
        nc_run_info_clear(&info);
        r = nc_cli_darts_resume(&ctx, db, run, json, quiet);
        nc_store_close(db);
        return r;
    }
    if (info.kind && strcmp(info.kind, "search") == 0) {
        nc_run_info_clear(&info);
        r = nc_cli_search_resume(&ctx, db, run, json, quiet);
        nc_store_close(db);
        return r;
    }
    int batch = 0, epochs_done = info.epochs_done;
    char what[NC_NAME_MAX * 3 + 64] = "resuming";
    if (has_cfg) {
        batch = cfg.batch;
        snprintf(what, sizeof what, "resuming %s on %s after epoch %d of %d",
                 cfg.model, cfg.dataset, info.epochs_done, cfg.epochs);
    }
    nc_run_info_clear(&info);

    nc_cli_progress prog;
    nc_cli_progress_init(&prog, !quiet && isatty(STDERR_FILENO), dbpath,
                         db, &run, batch, epochs_done, what);
    nc_train_progress hook = nc_cli_progress_hook(&prog);
    nc_train_result res;
    memset(&res, 0, sizeof res);
    nc_status st = nc_train_resume(&ctx, db, run, &hook, &res);
    nc_cli_progress_end(&prog);
    if (st)
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    else
        r = nc_cli_print_result(&res, json);
    nc_store_close(db);
    return r;
}
