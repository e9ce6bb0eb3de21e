/*
 * cmd_runs.c — `nasc runs`: the runs of a run log as a table or a JSON
 * array, each with its progress in units.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Lists the runs in a run log, oldest first: id, kind, status, model\n"
    "(a campaign's or DARTS run's search space), progress as units done of\n"
    "planned (epochs of a training run; epochs and DARTS-PT decisions of a\n"
    "DARTS run; supernet epochs and distinct architectures of a campaign;\n"
    "'?' where the log does not know the plan), accumulated training\n"
    "seconds, and creation time (local). A campaign's trials trained from\n"
    "scratch are runs of their own, listed after it.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "print one JSON line: an array with one object per run: id, "
    "kind, status, model (null where none), epochs_done, epochs "
    "(planned; null where none), units_done, units_total (null when "
    "unknown), owner (\"host:pid:start\" of the process that holds "
    "it, \"\" when none), owner_alive (whether that process lives), "
    "reason and reason_status (why a failed run "
    "failed, \"\" otherwise), parent (the campaign of a trial's run, "
    "else null), tag (\"trial 5\", else \"\"), train_seconds, "
    "created, updated (unix seconds), seed (a string), threads, "
    "code_version";

enum { NCOL = 7, CELL = 64 };

static const char *const HEADERS[NCOL] = {
    "ID", "KIND", "STATUS", "MODEL", "PROGRESS", "TRAIN_S", "CREATED"
};

/* Numbers read better right-aligned, words left-aligned. */
static const int RIGHT[NCOL] = { 1, 0, 0, 0, 1, 1, 0 };

typedef struct row {
    char cell[NCOL][CELL];
} row;

/* The view of each run; one whose configuration does not read still gets
 * a row, from what the row itself holds. */
static void view(nc_store *db, const nc_run_info *ri, nc_cli_view *v)
{
    nc_ctx scratch;
    nc_ctx_init(&scratch);
    nc_cli_view_of(&scratch, db, ri, v);
}

static void fill_row(const nc_run_info *ri, const nc_cli_view *v, row *w)
{
    snprintf(w->cell[0], CELL, "%lld", (long long)ri->id);
    snprintf(w->cell[1], CELL, "%s", ri->kind ? ri->kind : "-");
    snprintf(w->cell[2], CELL, "%s", ri->status ? ri->status : "-");
    snprintf(w->cell[3], CELL, "%s", v->model);
    if (v->total > 0)
        snprintf(w->cell[4], CELL, "%lld/%lld", (long long)v->done,
                 (long long)v->total);
    else
        snprintf(w->cell[4], CELL, "%lld/?", (long long)v->done);
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

static int print_table(nc_store *db, const nc_run_info *runs, int n,
                       const char *dbpath)
{
    if (n == 0) {
        printf("no runs in %s\n", dbpath);
        return nc_cli_flush();
    }
    row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "nasc runs: out of memory\n");
        return NC_EXIT_FAILURE;
    }
    int width[NCOL];
    for (int c = 0; c < NCOL; c++)
        width[c] = (int)strlen(HEADERS[c]);
    for (int i = 0; i < n; i++) {
        nc_cli_view v;
        view(db, &runs[i], &v);
        fill_row(&runs[i], &v, &rows[i]);
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
    return nc_cli_flush();
}

static cJSON *run_json(nc_store *db, const nc_run_info *ri)
{
    nc_cli_view v;
    view(db, ri, &v);
    char seed[32];
    /* A string: a JSON number (a double) cannot hold every 64-bit seed. */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)ri->seed);
    int has_model = strcmp(v.model, "-") != 0;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "id", (double)ri->id) ||
        !cJSON_AddStringToObject(o, "kind", ri->kind ? ri->kind : "") ||
        !cJSON_AddStringToObject(o, "status", ri->status ? ri->status : "") ||
        !(has_model ? cJSON_AddStringToObject(o, "model", v.model)
                    : cJSON_AddNullToObject(o, "model")) ||
        !cJSON_AddNumberToObject(o, "epochs_done", ri->epochs_done) ||
        !(v.epochs > 0 ? cJSON_AddNumberToObject(o, "epochs", v.epochs)
                       : cJSON_AddNullToObject(o, "epochs")) ||
        !nc_cli_json_state(o, ri, &v) ||
        !(ri->parent > 0 ? cJSON_AddNumberToObject(o, "parent",
                                                   (double)ri->parent)
                         : cJSON_AddNullToObject(o, "parent")) ||
        !cJSON_AddStringToObject(o, "tag", ri->tag ? ri->tag : "") ||
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

static int print_json(nc_store *db, const nc_run_info *runs, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *o = run_json(db, &runs[i]);
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return nc_cli_print_json(a);
}

static int run(const nc_cli_args *a, void *opts)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db;
    int r = nc_cli_open_store(a->name, &ctx, a->db, 0, &db);
    if (r)
        return r;
    nc_run_info *runs = NULL;
    int n = 0;
    nc_status st = nc_store_run_list(&ctx, db, &runs, &n);
    if (st)
        r = nc_cli_fail(a->name, &ctx, st, NC_CLI_AT_STORE);
    else
        r = a->json ? print_json(db, runs, n) : print_table(db, runs, n, a->db);
    nc_store_close(db);
    for (int i = 0; i < n; i++)
        nc_run_info_clear(&runs[i]);
    free(runs);
    return r;
}

const nc_cli_cmd nc_cli_cmd_runs = {
    .name = "runs", .usage = "[OPTIONS]",
    .summary = "list the runs in a run log, with their progress",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON,
    .run = run,
};
