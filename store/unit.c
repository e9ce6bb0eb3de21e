/*
 * unit.c — what the run layer (run/run.h) needs of the store beyond single
 * records: one transaction per unit of work, and the owner and failure
 * reason of a run.
 */
#include "store/sql.h"

#include <stdio.h>
#include <string.h>

#include "core/sha256.h"

/* The runs row's progress, inside the unit's transaction. */
static nc_status nc_unit_progress(nc_ctx *ctx, nc_store *st, int64_t run,
                                  const nc_store_unit *u, double now)
{
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "UPDATE runs SET units_done = ?2, units_total = ?3, updated = ?4"
        " WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int64(s, 2, u->units_done);
    sqlite3_bind_int64(s, 3, u->units_total);
    sqlite3_bind_double(s, 4, now);
    e = nc_sql_step_done(ctx, st, s, "record the progress of run %lld",
                         (long long)run);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_store_unit_commit(nc_ctx *ctx, nc_store *st, int64_t run,
                               const nc_store_unit *u)
{
    if (!st || !u || (!u->state && u->state_len))
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_unit_commit: NULL "
                       "argument");
    if (u->state_name && !*u->state_name)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_unit_commit: empty state "
                       "name");
    if (u->units_done < 0 || u->units_total < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_unit_commit: negative "
                       "unit count");
    nc_status e = NC_OK;
    if (u->epoch)
        e = nc_sql_epoch_check(ctx, u->epoch, u->state, u->state_len);
    if (!e && u->trial)
        e = nc_sql_trial_check(ctx, u->trial);
    if (e)
        return e;
    int keep_state = u->epoch || u->state_name;
    /* Hash before taking the write lock: it is the slow part of a commit. */
    char sha[65] = "";
    if (keep_state)
        nc_sha256_hex(u->state, u->state_len, sha);
    char what[96];
    snprintf(what, sizeof what, "commit unit %lld of run %lld",
             (long long)u->units_done, (long long)run);
    double now = nc_sql_now();
    if ((e = nc_sql_begin(ctx, st, what)))
        return e;
    e = nc_sql_need_run(ctx, st, run);
    if (!e && u->epoch)
        e = nc_sql_epoch_write(ctx, st, run, u->epoch, u->state, u->state_len,
                               sha, now);
    if (!e && u->trial)
        e = nc_sql_trial_write(ctx, st, run, u->trial);
    if (!e && !u->epoch && u->state_name) {
        nc_state_arg a = { u->state_name, u->state, u->state_len, sha };
        e = nc_sql_state_write(ctx, st, run, &a);
    }
    if (!e)
        e = nc_unit_progress(ctx, st, run, u, now);
    if (!e)
        e = nc_sql_commit(ctx, st, what);
    if (e)
        nc_sql_rollback(st);
    return e;
}

nc_status nc_store_run_claim(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *expect, const char *owner)
{
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_claim: no store");
    sqlite3_stmt *s;
    /* One statement, so the compare and the swap are one atomic write. */
    nc_status e = nc_sql_prepare(ctx, st,
        "UPDATE runs SET owner = ?2 WHERE id = ?1"
        " AND coalesce(owner, '') = ?3", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    if (owner && *owner)
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, expect ? expect : "", -1, SQLITE_STATIC);
    e = nc_sql_step_done(ctx, st, s, "set the owner of run %lld",
                         (long long)run);
    int changed = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    if (e || changed)
        return e;
    if ((e = nc_sql_need_run(ctx, st, run)))
        return e;
    return nc_fail(ctx, NC_ERR_STATE, "run %lld was taken over by another "
                   "process", (long long)run);
}

nc_status nc_store_run_fail(nc_ctx *ctx, nc_store *st, int64_t run,
                            const char *reason, const char *reason_status)
{
    if (!st || !reason || !reason_status)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_fail: NULL argument");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "UPDATE runs SET status = 'failed', reason = ?2, reason_status = ?4,"
        " result_json = NULL, updated = ?3 WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, nc_sql_now());
    sqlite3_bind_text(s, 4, reason_status, -1, SQLITE_STATIC);
    e = nc_sql_step_done(ctx, st, s, "mark run %lld failed", (long long)run);
    int changed = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    if (!e && !changed)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                    (long long)run);
    return e;
}

nc_status nc_store_run_child(nc_ctx *ctx, nc_store *st, int64_t parent,
                             const char *tag, int64_t *id)
{
    if (!st || !tag || !id)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_run_child: NULL argument");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT id FROM runs WHERE parent = ?1 AND tag = ?2 ORDER BY id"
        " LIMIT 1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_text(s, 2, tag, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else if (rc == SQLITE_DONE)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "run %lld has no run '%s'",
                    (long long)parent, tag);
    else
        e = nc_sql_fail(ctx, st, rc, "find the run '%s' of run %lld", tag,
                        (long long)parent);
    sqlite3_finalize(s);
    return e;
}
