/*
 * runs.c — the runs table: one row per training run.
 */
#include "store/sql.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* SQLite integers are signed 64-bit; a u64 seed is stored as the int64 with
 * the same bits, so every seed round-trips (seeds >= 2^63 look negative in
 * the sqlite3 shell). memcpy because the conversion to a signed type is
 * implementation-defined for out-of-range values. */
static int64_t nc_seed_to_db(uint64_t seed)
{
    int64_t v;
    memcpy(&v, &seed, sizeof v);
    return v;
}

static uint64_t nc_seed_from_db(int64_t v)
{
    return (uint64_t)v;
}

static int nc_status_valid(const char *status)
{
    return status && (strcmp(status, "running") == 0 ||
                      strcmp(status, "done") == 0 ||
                      strcmp(status, "failed") == 0);
}

/* The run log is the record of what ran; a configuration that does not parse
 * would make the run impossible to reproduce, so refuse it on the way in. */
static nc_status nc_check_json(nc_ctx *ctx, const char *json, int want_object,
                               const char *what)
{
    cJSON *j = cJSON_Parse(json);
    int ok = j && (!want_object || cJSON_IsObject(j));
    cJSON_Delete(j);
    if (!ok)
        return nc_fail(ctx, NC_ERR_INVAL, "%s is not %s", what,
                       want_object ? "a JSON object" : "valid JSON");
    return NC_OK;
}

nc_status nc_sql_run_exists(nc_ctx *ctx, nc_store *st, int64_t id,
                            int *exists)
{
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st, "SELECT 1 FROM runs WHERE id = ?1",
                                 &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        *exists = rc == SQLITE_ROW;
    else
        e = nc_sql_fail(ctx, st, rc, "look up run %lld", (long long)id);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_store_run_create(nc_ctx *ctx, nc_store *st,
                              const nc_run_info *info, int64_t *id)
{
    if (!st || !info || !id)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_create: NULL argument");
    if (!info->kind || !*info->kind)
        return nc_fail(ctx, NC_ERR_INVAL, "run has no kind");
    if (!info->code_version)
        return nc_fail(ctx, NC_ERR_INVAL, "run has no code version");
    if (!info->config_json)
        return nc_fail(ctx, NC_ERR_INVAL, "run has no configuration");
    nc_status e = nc_check_json(ctx, info->config_json, 1,
                                "the run's configuration");
    if (e)
        return e;

    sqlite3_stmt *s;
    e = nc_sql_prepare(ctx, st,
        "INSERT INTO runs (kind, status, config_json, code_version, seed,"
        " threads, created, updated, train_seconds, epochs_done, owner,"
        " units_total, parent, tag) VALUES (?1, 'running', ?2, ?3, ?4, ?5,"
        " ?6, ?6, 0, 0, ?7, ?8, ?9, ?10)", &s);
    if (e)
        return e;
    sqlite3_bind_text(s, 1, info->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, info->config_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, info->code_version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, nc_seed_to_db(info->seed));
    sqlite3_bind_int(s, 5, info->threads);
    sqlite3_bind_double(s, 6, nc_sql_now());
    if (info->owner && *info->owner)
        sqlite3_bind_text(s, 7, info->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, info->units_total > 0 ? info->units_total : 0);
    if (info->parent > 0) {
        sqlite3_bind_int64(s, 9, info->parent);
        sqlite3_bind_text(s, 10, info->tag ? info->tag : "", -1,
                          SQLITE_STATIC);
    }
    e = nc_sql_step_done(ctx, st, s, "record a new run");
    if (!e)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(s);
    return e;
}

#define NC_RUN_COLUMNS                                                      \
    "id, kind, status, config_json, code_version, seed, threads, created,"  \
    " updated, train_seconds, epochs_done, coalesce(owner, ''),"           \
    " coalesce(reason, ''), units_done, units_total,"                    \
    " coalesce(reason_status, ''), coalesce(parent, 0), coalesce(tag, '')"

/* Fills out from a row of NC_RUN_COLUMNS. The eight strings share one
 * allocation, owned_, so that nc_run_info_clear is a single free. */
static nc_status nc_run_from_row(nc_ctx *ctx, sqlite3_stmt *s,
                                 nc_run_info *out)
{
    enum { NS = 8 };
    static const int cols[NS] = { 1, 2, 3, 4, 11, 12, 15, 17 };
    const char *src[NS];
    size_t len[NS], total = 0;
    for (int i = 0; i < NS; i++) {
        src[i] = (const char *)sqlite3_column_text(s, cols[i]);
        if (!src[i])
            src[i] = "";
        len[i] = strlen(src[i]);
        total += len[i] + 1;
    }
    char *buf = malloc(total);
    if (!buf)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory reading a run");
    const char *dst[NS];
    char *p = buf;
    for (int i = 0; i < NS; i++) {
        memcpy(p, src[i], len[i] + 1);
        dst[i] = p;
        p += len[i] + 1;
    }
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    out->kind = dst[0];
    out->status = dst[1];
    out->config_json = dst[2];
    out->code_version = dst[3];
    out->seed = nc_seed_from_db(sqlite3_column_int64(s, 5));
    out->threads = sqlite3_column_int(s, 6);
    out->created = sqlite3_column_double(s, 7);
    out->updated = sqlite3_column_double(s, 8);
    out->train_seconds = sqlite3_column_double(s, 9);
    out->epochs_done = sqlite3_column_int(s, 10);
    out->owner = dst[4];
    out->reason = dst[5];
    out->reason_status = dst[6];
    out->units_done = sqlite3_column_int64(s, 13);
    out->units_total = sqlite3_column_int64(s, 14);
    out->parent = sqlite3_column_int64(s, 16);
    out->tag = dst[7];
    out->owned_ = buf;
    return NC_OK;
}

nc_status nc_store_run_get(nc_ctx *ctx, nc_store *st, int64_t id,
                           nc_run_info *out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_get: out is NULL");
    memset(out, 0, sizeof *out);
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_get: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT " NC_RUN_COLUMNS " FROM runs WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        e = nc_run_from_row(ctx, s, out);
    else if (rc == SQLITE_DONE)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                    (long long)id);
    else
        e = nc_sql_fail(ctx, st, rc, "read run %lld", (long long)id);
    sqlite3_finalize(s);
    return e;
}

void nc_run_info_clear(nc_run_info *info)
{
    if (!info)
        return;
    free(info->owned_);
    memset(info, 0, sizeof *info);
}

nc_status nc_store_run_list(nc_ctx *ctx, nc_store *st, nc_run_info **out,
                            int *n)
{
    if (!out || !n)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_list: NULL argument");
    *out = NULL;
    *n = 0;
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_list: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT " NC_RUN_COLUMNS " FROM runs ORDER BY id", &s);
    if (e)
        return e;
    nc_run_info *a = NULL;
    int cnt = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((e = nc_sql_grow(ctx, (void **)&a, &cap, cnt, sizeof *a,
                             "listing runs")))
            break;
        e = nc_run_from_row(ctx, s, &a[cnt]);
        if (e)
            break;
        cnt++;
    }
    if (!e && rc != SQLITE_DONE)
        e = nc_sql_fail(ctx, st, rc, "list runs");
    sqlite3_finalize(s);
    if (e) {
        for (int i = 0; i < cnt; i++)
            nc_run_info_clear(&a[i]);
        free(a);
        return e;
    }
    *out = a;
    *n = cnt;
    return NC_OK;
}

nc_status nc_store_run_finish(nc_ctx *ctx, nc_store *st, int64_t id,
                              const char *status, const char *result_json)
{
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_finish: no store");
    if (!nc_status_valid(status))
        return nc_fail(ctx, NC_ERR_INVAL,
                       "run status must be running, done or failed, not %s",
                       status ? status : "NULL");
    int done = strcmp(status, "done") == 0;
    if (result_json && !done)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "only a done run has a result (run %lld is %s)",
                       (long long)id, status);
    if (result_json) {
        nc_status e = nc_check_json(ctx, result_json, 0, "the run's result");
        if (e)
            return e;
    }
    sqlite3_stmt *s;
    /* A run that is not done has no final result, so any earlier one (of a
     * run being resumed) is cleared. */
    nc_status e = nc_sql_prepare(ctx, st,
        "UPDATE runs SET status = ?2, result_json = ?3, updated = ?4,"
        " reason = NULL, reason_status = NULL WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    if (result_json)
        sqlite3_bind_text(s, 3, result_json, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_double(s, 4, nc_sql_now());
    e = nc_sql_step_done(ctx, st, s, "set the status of run %lld",
                         (long long)id);
    if (!e && sqlite3_changes(st->db) == 0)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                    (long long)id);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_store_run_result(nc_ctx *ctx, nc_store *st, int64_t id,
                              char **result_json)
{
    if (!result_json)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_result: out is NULL");
    *result_json = NULL;
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_result: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT result_json FROM runs WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (r && !(*result_json = strdup(r)))
            e = nc_fail(ctx, NC_ERR_NOMEM, "out of memory reading a result");
    } else if (rc == SQLITE_DONE) {
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                    (long long)id);
    } else {
        e = nc_sql_fail(ctx, st, rc, "read the result of run %lld",
                        (long long)id);
    }
    sqlite3_finalize(s);
    return e;
}
