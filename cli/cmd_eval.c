#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>

static const char CMD[] = "eval";

enum { OPT_DB = 256, OPT_VALID, OPT_JSON };

static const struct option LONGOPTS[] = {
    { "db", required_argument, NULL, OPT_DB },
    { "valid", no_argument, NULL, OPT_VALID },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_eval_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc eval RUN [OPTIONS]\n"
        "\n"
        "Evaluates the newest checkpoint of run RUN (finished or not) and\n"
        "prints its accuracy and mean loss. The data set is loaded as the run's\n"
        "configuration says.\n"
        "\n"
        "  RUN                the run id (see 'nasc runs')\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --valid            use the run's validation split (it must have been\n"
        "                     trained with --valid N) instead of the test split\n"
        "  --json             print one JSON line: run, split, accuracy\n"
        "                     (fraction), loss\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

int nc_cli_eval(int argc, char **argv)
{
    const char *dbpath = "runs.db";
    int json = 0, valid = 0, ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            if (nc_cli_path_arg(CMD, "--db", optarg, &dbpath))
                return NC_EXIT_USAGE;
            break;
        case OPT_VALID:
            valid = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            nc_cli_eval_help(stdout);
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
    /* A missing run or a damaged configuration is the run log's fault; from
     * here on I/O and format errors are about the data files. */
    nc_run_info info;
    nc_train_cfg cfg;
    int has_cfg;
    r = nc_cli_load_run(CMD, &ctx, db, dbpath, run, &info, &cfg, &has_cfg);
    if (r) {
        nc_store_close(db);
        return r;
    }
    nc_run_info_clear(&info);

    double acc = 0, loss = 0;
    nc_status st = nc_train_eval(&ctx, db, run, valid, &acc, &loss);
    nc_store_close(db);
    if (st)
        return nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);

    const char *split = valid ? "valid" : "test";
    if (json) {
        cJSON *o = cJSON_CreateObject();
        if (o && (!cJSON_AddNumberToObject(o, "run", (double)run) ||
                  !cJSON_AddStringToObject(o, "split", split) ||
                  !cJSON_AddNumberToObject(o, "accuracy", acc) ||
                  !cJSON_AddNumberToObject(o, "loss", loss))) {
            cJSON_Delete(o);
            o = NULL;
        }
        return nc_cli_print_json(o);
    }
    printf("run        %lld\n", (long long)run);
    printf("split      %s\n", split);
    printf("accuracy   %.2f%%\n", 100.0 * acc);
    printf("loss       %.4f\n", loss);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}
