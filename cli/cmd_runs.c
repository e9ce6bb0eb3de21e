#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char CMD[] = "runs";

enum { OPT_DB = 256, OPT_JSON };

static const struct option LONGOPTS[] = {
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_runs_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc runs [OPTIONS]\n"
        "\n"
        "Lists the runs in a run log, oldest first: id, kind, status, model,\n"
        "epochs done of planned, accumulated training seconds, and creation\n"
        "time (local).\n"
        "\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --json             print one JSON line: an array with one object\n"
        "                     per run (id, kind, status, model, epochs_done,\n"
        "                     epochs, train_seconds, created, updated, seed,\n"
        "                     threads, code_version; times in unix seconds)\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

enum { NCOL = 7, CELL = 64 };

static const char *const HEADERS[NCOL] = {
    "ID", "KIND", "STATUS", "MODEL", "EPOCHS", "TRAIN_S", "CREATED"
};

/* Numbers read better right-aligned, words left-aligned. */
static const int RIGHT[NCOL] = { 1, 0, 0, 0, 1, 1, 0 };

typedef struct row {
    char cell[NCOL][CELL];
} row;

static void fill_row(const nc_run_info *ri, row *w)
{
    char model[CELL];
    int epochs;
    nc_cli_run_model(ri, model, sizeof model, &epochs);
    snprintf(w->cell[0], CELL, "%lld", (long long)ri->id);
    snprintf(w->cell[1], CELL, "%s", ri->kind ? ri->kind : "-");
    snprintf(w->cell[2], CELL, "%s", ri->status ? ri->status : "-");
    snprintf(w->cell[3], CELL, "%s", model);
    if (epochs > 0)
        snprintf(w->cell[4], CELL, "%d/%d", ri->epochs_done, epochs);
    else
        snprintf(w->cell[4], CELL, "%d", ri->epochs_done);
    snprintf(w->cell[5], CELL, "%.1f", ri->train_seconds);
    nc_cli_format_time(ri->created, w->cell[6], CELL);
}

static void print_row(const char *const *cells, const int *width)
{
    for (int c = 0; c < NCOL; c++) {
        const char *sep = c + 1 < NCOL ? "  " : "\n";
        if (c + 1 == NCOL && !RIGHT[c])   /* no trailing blanks */
            printf("%s%s", cells[c], sep);
        else
            printf(RIGHT[c] ? "%*s%s" : "%-*s%s", width[c], cells[c], sep);
    }
}

static int print_table(const nc_run_info *runs, int n, const char *dbpath)
{
    if (n == 0) {
        printf("no runs in %s\n", dbpath);
        return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
    }
    row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "nasc %s: out of memory\n", CMD);
        return NC_EXIT_FAILURE;
    }
    int width[NCOL];
    for (int c = 0; c < NCOL; c++)
        width[c] = (int)strlen(HEADERS[c]);
    for (int i = 0; i < n; i++) {
        fill_row(&runs[i], &rows[i]);
        for (int c = 0; c < NCOL; c++) {
            int len = (int)strlen(rows[i].cell[c]);
            if (len > width[c])
                width[c] = len;
        }
    }
    print_row(HEADERS, width);
    for (int i = 0; i < n; i++) {
        const char *cells[NCOL];
        for (int c = 0; c < NCOL; c++)
            cells[c] = rows[i].cell[c];
        print_row(cells, width);
    }
    free(rows);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}

static cJSON *run_json(const nc_run_info *ri)
{
    char model[CELL], seed[32];
    int epochs;
    nc_cli_run_model(ri, model, sizeof model, &epochs);
    /* A string: a JSON number (a double) cannot hold every 64-bit seed. */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)ri->seed);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "id", (double)ri->id) ||
        !cJSON_AddStringToObject(o, "kind", ri->kind ? ri->kind : "") ||
        !cJSON_AddStringToObject(o, "status", ri->status ? ri->status : "") ||
        !(epochs > 0 ? cJSON_AddStringToObject(o, "model", model)
                     : cJSON_AddNullToObject(o, "model")) ||
        !cJSON_AddNumberToObject(o, "epochs_done", ri->epochs_done) ||
        !(epochs > 0 ? cJSON_AddNumberToObject(o, "epochs", epochs)
                     : cJSON_AddNullToObject(o, "epochs")) ||
        !cJSON_AddNumberToObject(o, "train_seconds", ri->train_seconds) ||
        !cJSON_AddNumberToObject(o, "created", ri->created) ||
        !cJSON_AddNumberToObject(o, "updated", ri->updated) ||
        !cJSON_AddStringToObject(o, "seed", seed) ||
        !cJSON_AddNumberToObject(o, "threads", ri->threads) ||
        !cJSON_AddStringToObject(o, "code_version",
                                 ri->code_version ? ri->code_version : "")) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int print_json(const nc_run_info *runs, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *o = run_json(&runs[i]);
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return nc_cli_print_json(a);
}

int nc_cli_runs(int argc, char **argv)
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
            nc_cli_runs_help(stdout);
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db;
    int r = nc_cli_open_store(CMD, &ctx, dbpath, 0, &db);
    if (r)
        return r;
    nc_run_info *runs = NULL;
    int n = 0;
    nc_status st = nc_store_run_list(&ctx, db, &runs, &n);
    nc_store_close(db);
    if (st)
        return nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_STORE);
    r = json ? print_json(runs, n) : print_table(runs, n, dbpath);
    for (int i = 0; i < n; i++)
        nc_run_info_clear(&runs[i]);
    free(runs);
    return r;
}
