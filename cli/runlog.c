/*
 * runlog.c — opening the run log and reading a run the same way in every
 * command (cli/cli.h), the life of a command that starts a run, and what
 * every command says about a run's state: who works on it, why it failed,
 * how to continue it.
 */
#include "cli/cli.h"
#include "run/owner.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nc_cli_open_store(const char *cmd, nc_ctx *ctx, const char *path,
                      int create, nc_store **db)
{
    *db = NULL;
    nc_status st = nc_store_open(ctx, path, create, db);
    if (st == NC_OK)
        return NC_EXIT_OK;
    /* The user needs to know it was the --db file that failed. */
    if (!strstr(ctx->msg, path))
        nc_ctx_prefix(ctx, "run log %s", path);
    nc_store_close(*db);
    *db = NULL;
    return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
}

nc_status nc_cli_run_get(nc_ctx *ctx, nc_store *db, const char *dbpath,
                         int64_t run, nc_run_info *info)
{
    nc_status st = nc_store_run_get(ctx, db, run, info);
    if (st == NC_ERR_NOTFOUND)
        /* Said the same way by every command, with where to look. */
        return nc_fail(ctx, st, "run %lld not found in %s (see: nasc runs "
                       "--db %s)", (long long)run, dbpath, dbpath);
    return st;
}

nc_status nc_cli_newest_run(nc_ctx *ctx, nc_store *db, int64_t *run)
{
    nc_run_info *runs = NULL;
    int n = 0;
    nc_status st = nc_store_run_list(ctx, db, &runs, &n);
    if (st)
        return st;
    *run = 0;
    for (int i = 0; i < n; i++) {
        /* A campaign's trials are runs of their own, newer than the
         * campaign; the campaign is what the user started. */
        if (runs[i].parent == 0 && runs[i].id > *run)
            *run = runs[i].id;
        nc_run_info_clear(&runs[i]);
    }
    free(runs);
    return NC_OK;
}

int nc_cli_run_open(const nc_cli_args *a, nc_cli_run *r)
{
    memset(r, 0, sizeof *r);
    nc_ctx_init(&r->ctx);
    nc_ctx *ctx = &r->ctx;
    int rc = nc_cli_open_store(a->name, ctx, a->db, 0, &r->db);
    if (rc)
        return rc;
    nc_status st = NC_OK;
    r->id = a->run;
    if (r->id == 0 && (st = nc_cli_newest_run(ctx, r->db, &r->id)) == NC_OK &&
        r->id == 0) {
        fprintf(stderr, "nasc %s: no runs in %s\n", a->name, a->db);
        nc_cli_run_close(r);
        return NC_EXIT_DB;
    }
    if (!st && (st = nc_cli_run_get(ctx, r->db, a->db, r->id, &r->info)) ==
        NC_OK && (st = nc_cli_view_of(ctx, r->db, &r->info, &r->view)))
        nc_run_info_clear(&r->info);
    if (st) {
        nc_store_close(r->db);
        r->db = NULL;
        return nc_cli_fail(a->name, ctx, st, NC_CLI_AT_STORE);
    }
    return NC_EXIT_OK;
}

void nc_cli_run_close(nc_cli_run *r)
{
    nc_run_info_clear(&r->info);
    nc_store_close(r->db);
    r->db = NULL;
}

/* The path of option opt in cfg (described by t) made absolute. */
static int absolute_opt(const char *cmd, const nc_cfg_table *t,
                        const char *opt, void *cfg)
{
    enum { MAX = 64 };
    const nc_cfg_field *rows[MAX];
    size_t offs[MAX];
    int n = nc_cfgtab_opts(t, rows, offs, MAX);
    for (int i = 0; i < n && i < MAX; i++)
        if (strcmp(rows[i]->opt, opt) == 0 && rows[i]->type == NC_CFG_STR)
            return nc_cli_absolute_path(cmd, opt, (char *)cfg + offs[i] +
                                        rows[i]->off, rows[i]->size);
    return 0;
}

int nc_cli_start(const nc_cli_args *a, const nc_cli_starter *s, void *cfg)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_cfg_table *t = s->table ? s->table() : NULL;
    int r = t && s->path_opt ? absolute_opt(a->name, t, s->path_opt, cfg) : 0;
    if (r)
        return r;
    nc_status st = s->validate(&ctx, cfg);
    if (st) {
        if (t)
            nc_cli_name_option(&ctx, t);
        return nc_cli_fail(a->name, &ctx, st, NC_CLI_AT_WORK);
    }
    /* A run log this command creates and then fails to use (bad data
     * directory, corrupt data) is removed again: no stray empty files. */
    int fresh_db = access(a->db, F_OK) != 0;
    nc_store *db;
    r = nc_cli_open_store(a->name, &ctx, a->db, 1, &db);
    if (r)
        return r;
    nc_cli_drive d = { .a = a, .ctx = &ctx, .db = db, .cfg = cfg };
    r = s->drive(&d);
    if (d.st) {
        /* Errors before the run exists are about the configuration or the
         * data; name the option where the library names a field. */
        if (!d.run && t)
            nc_cli_name_option(&ctx, t);
        r = nc_cli_fail_run(a->name, &ctx, d.st, d.run, a->db);
    }
    nc_store_close(db);
    if (d.st && !d.run && fresh_db)
        nc_cli_remove_fresh_db(a->db);
    return r;
}

/* A failure that resuming cannot cure: the same seed and settings diverge
 * again (the run layer refuses to resume it). */
static int failed_for_good(const nc_run_info *info)
{
    return info->reason_status && strcmp(info->reason_status, "numeric") == 0;
}

void nc_cli_print_state(const nc_run_info *info, const char *dbpath)
{
    const char *status = info->status ? info->status : "";
    long long id = (long long)info->id;
    char who[NC_OWNER_MAX + 64];
    if (strcmp(status, "running") == 0) {
        if (info->owner && info->owner[0])
            nc_owner_describe(info->owner, who, sizeof who);
        if (info->owner && info->owner[0] && nc_owner_alive(info->owner))
            printf("being worked on by %s\n", who);
        else if (info->owner && info->owner[0])
            printf("not being worked on: %s, which held it, is gone "
                   "(killed); continue with: nasc resume %lld --db %s\n", who,
                   id, dbpath);
        else
            printf("not being worked on (stopped); continue with: nasc "
                   "resume %lld --db %s\n", id, dbpath);
    } else if (strcmp(status, "failed") == 0) {
        printf("failed: %s\n", info->reason && info->reason[0]
                                   ? info->reason : "(no reason recorded)");
        if (failed_for_good(info))
            printf("this failure is final: resuming would fail the same "
                   "way\n");
        else
            printf("once the cause is fixed, continue with: nasc resume %lld "
                   "--db %s\n", id, dbpath);
    }
}

int nc_cli_json_state(void *obj, const nc_run_info *info,
                      const nc_cli_view *v)
{
    cJSON *o = obj;
    int64_t done = v ? v->done : info->units_done;
    int64_t total = v ? v->total : info->units_total;
    int alive = info->owner && info->owner[0] && nc_owner_alive(info->owner);
    return cJSON_AddStringToObject(o, "owner", info->owner ? info->owner : "")
        && cJSON_AddBoolToObject(o, "owner_alive", alive)
        && cJSON_AddStringToObject(o, "reason",
                                   info->reason ? info->reason : "")
        && cJSON_AddStringToObject(o, "reason_status",
                                   info->reason_status ? info->reason_status
                                                       : "")
        && cJSON_AddNumberToObject(o, "units_done", (double)done)
        && (total > 0 ? cJSON_AddNumberToObject(o, "units_total",
                                                (double)total)
                      : cJSON_AddNullToObject(o, "units_total"));
}
