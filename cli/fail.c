/*
 * fail.c — errors and exit codes (cli/cli.h): the one place that turns a
 * status into an exit code and a message into a line on stderr.
 */
#include "cli/cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    "  5  wrong run state (e.g. resuming a run that has finished, that failed\n"
    "     for good, or that another process is working on)\n";

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
    case NC_ERR_CHECKSUM:
    case NC_ERR_VERSION:
        return phase == NC_CLI_AT_FILE ? NC_EXIT_DATA : NC_EXIT_DB;
    case NC_ERR_DB:
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
static int run_log_failed(const char *msg)
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
    if (phase == NC_CLI_AT_WORK && run_log_failed(ctx->msg))
        phase = NC_CLI_AT_STORE;
    if (ctx->msg[0])
        fprintf(stderr, "nasc %s: %s\n", cmd, ctx->msg);
    else
        fprintf(stderr, "nasc %s: failed (%s)\n", cmd, nc_status_name(st));
    int code = nc_cli_exit_code(st, phase);
    return code == NC_EXIT_OK ? NC_EXIT_FAILURE : code;
}

int nc_cli_fail_run(const char *cmd, const nc_ctx *ctx, nc_status st,
                    int64_t run, const char *db)
{
    int r = nc_cli_fail(cmd, ctx, st, NC_CLI_AT_WORK);
    if (ctx->status != NC_OK)
        st = ctx->status;
    /* A wrong state (done, held by another process, failed for good) and a
     * divergence (the same seed diverges again) do not go away on resume. */
    if (run > 0 && st != NC_ERR_STATE && st != NC_ERR_NUMERIC)
        fprintf(stderr, "nasc %s: continue with: nasc resume %lld --db %s\n",
                cmd, (long long)run, db);
    return r;
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

void nc_cli_remove_fresh_db(const char *path)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char buf[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
        if (snprintf(buf, sizeof buf, "%s%s", path, sfx[i]) < (int)sizeof buf)
            unlink(buf);
}
