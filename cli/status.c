#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char nc_cli_exit_codes_help[] =
    "  0  success\n"
    "  1  runtime failure (training diverged to NaN/Inf, out of memory, ...)\n"
    "  2  usage error (unknown command or option, bad option value, invalid\n"
    "     configuration such as an unknown model or a malformed --arch)\n"
    "  3  data/input error (a data file or directory is missing, unreadable,\n"
    "     truncated or corrupt)\n"
    "  4  run-log error (--db cannot be opened, is not a nasc database, is\n"
    "     damaged, read-only where the command writes, locked by another\n"
    "     process, from a newer version, fails a checksum, or has no such\n"
    "     run)\n"
    "  5  wrong run state (e.g. resuming a run that has finished)\n";

int nc_cli_exit_code(nc_status st, nc_cli_phase phase)
{
    switch (st) {
    case NC_OK:
        return NC_EXIT_OK;
    case NC_ERR_INVAL:
    case NC_ERR_RANGE:
        /* Everything a user controls arrives through options, so a value the
         * library rejects is a usage error. */
        return NC_EXIT_USAGE;
    case NC_ERR_IO:
    case NC_ERR_FORMAT:
        return phase == NC_CLI_AT_STORE ? NC_EXIT_DB : NC_EXIT_DATA;
    case NC_ERR_DB:
    case NC_ERR_CHECKSUM:
    case NC_ERR_VERSION:
    case NC_ERR_NOTFOUND:
        return NC_EXIT_DB;
    case NC_ERR_STATE:
        return NC_EXIT_STATE;
    case NC_ERR_NOMEM:
    case NC_ERR_NUMERIC:
    case NC_ERR_STOPPED:
        return NC_EXIT_FAILURE;
    }
    return NC_EXIT_FAILURE;
}

/* Whether a failure during a command's work was the run log's: store/
 * starts the message of every failed SQLite call with "run log <path>: ",
 * possibly after prefixes added by its callers ("campaign 3, trial 5: run
 * log r.db: ..."). Work touches data files and the run log alike, with the
 * same I/O and format statuses, so the status alone cannot tell. */
static int nc_cli_run_log_failed(const char *msg)
{
    for (const char *p = strstr(msg, "run log "); p;
         p = strstr(p + 1, "run log "))
        if (p == msg || (p >= msg + 2 && p[-2] == ':' && p[-1] == ' '))
            return 1;
    return 0;
}

int nc_cli_fail(const char *cmd, const nc_ctx *ctx, nc_status st,
                nc_cli_phase phase)
{
    if (ctx->status != NC_OK)
        st = ctx->status;
    if (phase == NC_CLI_AT_WORK && nc_cli_run_log_failed(ctx->msg))
        phase = NC_CLI_AT_STORE;
    if (ctx->msg[0])
        fprintf(stderr, "nasc %s: %s\n", cmd, ctx->msg);
    else
        fprintf(stderr, "nasc %s: failed (%s)\n", cmd, nc_status_name(st));
    int code = nc_cli_exit_code(st, phase);
    return code == NC_EXIT_OK ? NC_EXIT_FAILURE : code;
}

int nc_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nasc %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'nasc %s --help'.\n", cmd);
    return NC_EXIT_USAGE;
}

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

int nc_cli_load_run(const char *cmd, nc_ctx *ctx, nc_store *db,
                    const char *dbpath, int64_t run, nc_run_info *info,
                    nc_train_cfg *cfg, int *has_cfg)
{
    *has_cfg = 0;
    nc_status st = nc_cli_run_get(ctx, db, dbpath, run, info);
    if (st)
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    if (!info->kind || strcmp(info->kind, "train") != 0)
        return NC_EXIT_OK;
    const char *js = info->config_json ? info->config_json : "";
    st = nc_train_cfg_from_json(ctx, js, cfg);
    if (st) {
        nc_ctx_prefix(ctx, "run %lld", (long long)run);
        nc_run_info_clear(info);
        return nc_cli_fail(cmd, ctx, st, NC_CLI_AT_STORE);
    }
    *has_cfg = 1;
    return NC_EXIT_OK;
}

int nc_cli_path_arg(const char *cmd, const char *opt, const char *arg,
                    const char **dst)
{
    if (!arg[0])
        return nc_cli_usage(cmd, "%s: expected a file name, got ''", opt);
    *dst = arg;
    return 0;
}
