/*
 * trials.c — campaigns, trials and state blobs (schema version 2).
 *
 * Each put is one BEGIN IMMEDIATE transaction that checks and writes, so a
 * search killed at any instant leaves every trial absent or complete, and a
 * resumed search can trust what it reads back.
 */
#include "store/trials.h"
#include "store/sql.h"

#include "core/sha256.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nc_in(const char *s, const char *a, const char *b, const char *c)
{
    return s && (strcmp(s, a) == 0 || strcmp(s, b) == 0 ||
                 strcmp(s, c) == 0);
}

/* Copies n strings into one allocation, so a record frees with one free. */
static char *nc_pack(int n, const char **src, const char **dst)
{
    size_t len[8], total = 0;
    for (int i = 0; i < n; i++) {
        if (!src[i])
            src[i] = "";
        len[i] = strlen(src[i]);
        total += len[i] + 1;
    }
    char *buf = malloc(total);
    if (!buf)
        return NULL;
    char *p = buf;
    for (int i = 0; i < n; i++) {
        memcpy(p, src[i], len[i] + 1);
        dst[i] = p;
        p += len[i] + 1;
    }
    return buf;
}

nc_status nc_sql_need_run(nc_ctx *ctx, nc_store *st, int64_t run)
{
    int exists = 0;
    nc_status e = nc_sql_run_exists(ctx, st, run, &exists);
    if (!e && !exists)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                    (long long)run);
    return e;
}

/* Runs body inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error. */
typedef nc_status (*nc_tx_fn)(nc_ctx *, nc_store *, int64_t, const void *);
static nc_status nc_in_tx(nc_ctx *ctx, nc_store *st, int64_t run,
                          const void *arg, nc_tx_fn body, const char *what)
{
    nc_status e = nc_sql_begin(ctx, st, what);
    if (e)
        return e;
    e = nc_sql_need_run(ctx, st, run);
    if (!e)
        e = body(ctx, st, run, arg);
    if (!e)
        e = nc_sql_commit(ctx, st, what);
    if (e)
        nc_sql_rollback(st);
    return e;
}

/* ---- campaigns ---------------------------------------------------------- */

static nc_status nc_campaign_tx(nc_ctx *ctx, nc_store *st, int64_t run,
                                const void *arg)
{
    const nc_campaign_rec *c = arg;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "INSERT OR REPLACE INTO campaigns (run_id, space, strategy, budget,"
        " status) VALUES (?1, ?2, ?3, ?4, ?5)", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_text(s, 2, c->space, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->strategy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, c->budget);
    sqlite3_bind_text(s, 5, c->status, -1, SQLITE_STATIC);
    e = nc_sql_step_done(ctx, st, s, "record the campaign of run %lld",
                         (long long)run);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_store_campaign_put(nc_ctx *ctx, nc_store *st, int64_t run,
                                const nc_campaign_rec *c)
{
    if (!st || !c || !c->space || !c->strategy)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_campaign_put: NULL argument");
    if (!nc_in(c->status, "running", "done", "failed"))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign status \"%s\" is not "
                       "running, done or failed",
                       c->status ? c->status : "(null)");
    if (c->budget < 0)
        return nc_fail(ctx, NC_ERR_RANGE, "campaign budget %lld is negative",
                       (long long)c->budget);
    return nc_in_tx(ctx, st, run, c, nc_campaign_tx, "record a campaign");
}

nc_status nc_store_campaign_get(nc_ctx *ctx, nc_store *st, int64_t run,
                                nc_campaign_rec *out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_campaign_get: NULL argument");
    memset(out, 0, sizeof *out);
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_campaign_get: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT space, strategy, budget, status FROM campaigns"
        " WHERE run_id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *src[3] = { (const char *)sqlite3_column_text(s, 0),
                               (const char *)sqlite3_column_text(s, 1),
                               (const char *)sqlite3_column_text(s, 3) };
        const char *dst[3];
        out->owned_ = nc_pack(3, src, dst);
        if (!out->owned_) {
            e = nc_fail(ctx, NC_ERR_NOMEM, "out of memory reading a campaign");
        } else {
            out->space = dst[0];
            out->strategy = dst[1];
            out->status = dst[2];
            out->budget = sqlite3_column_int64(s, 2);
        }
    } else if (rc == SQLITE_DONE) {
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s: run %lld has no campaign",
                    st->path, (long long)run);
    } else {
        e = nc_sql_fail(ctx, st, rc, "read the campaign of run %lld",
                        (long long)run);
    }
    sqlite3_finalize(s);
    return e;
}

void nc_campaign_rec_clear(nc_campaign_rec *c)
{
    if (!c)
        return;
    free(c->owned_);
    memset(c, 0, sizeof *c);
}

/* ---- trials ------------------------------------------------------------- */

nc_status nc_sql_trial_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_trial_rec *t)
{
    const long long r = (long long)run;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT status FROM trials WHERE run_id = ?1 AND trial = ?2", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int(s, 2, t->trial);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        /* Only an evaluation finishing may overwrite a trial: anything else
         * would rewrite history a strategy has already been told. */
        const char *old = (const char *)sqlite3_column_text(s, 0);
        if (!old || strcmp(old, "proposed") != 0 ||
            strcmp(t->status, "proposed") == 0)
            e = nc_fail(ctx, NC_ERR_STATE, "trial %d of run %lld is already "
                        "%s", t->trial, r, old ? old : "recorded");
    } else if (rc != SQLITE_DONE) {
        e = nc_sql_fail(ctx, st, rc, "look up trial %d of run %lld",
                        t->trial, r);
    }
    sqlite3_finalize(s);
    if (e)
        return e;

    e = nc_sql_prepare(ctx, st,
        "INSERT OR REPLACE INTO trials (run_id, trial, arch, origin, parent1,"
        " parent2, status, n_obj, obj0, obj1, obj2, obj3, metrics_json,"
        " seconds, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12, ?13, ?14, ?15)", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int(s, 2, t->trial);
    sqlite3_bind_text(s, 3, t->arch, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, t->origin, -1, SQLITE_STATIC);
    if (t->parent1 >= 0)
        sqlite3_bind_int64(s, 5, t->parent1);
    if (t->parent2 >= 0)
        sqlite3_bind_int64(s, 6, t->parent2);
    sqlite3_bind_text(s, 7, t->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 8, t->n_obj);
    for (int i = 0; i < t->n_obj; i++)
        sqlite3_bind_double(s, 9 + i, t->obj[i]);
    sqlite3_bind_text(s, 13, t->metrics_json, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 14, t->seconds);
    sqlite3_bind_double(s, 15, nc_sql_now());
    e = nc_sql_step_done(ctx, st, s, "record trial %d of run %lld", t->trial,
                         r);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_sql_trial_check(nc_ctx *ctx, const nc_trial_rec *t)
{
    if (!t || !t->arch || !t->origin || !t->metrics_json)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_trial_put: NULL argument");
    if (t->trial < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "trial %d: trials count from 0",
                       t->trial);
    if (!nc_in(t->status, "proposed", "done", "failed"))
        return nc_fail(ctx, NC_ERR_INVAL, "trial %d: status \"%s\" is not "
                       "proposed, done or failed", t->trial,
                       t->status ? t->status : "(null)");
    if (t->n_obj < 0 || t->n_obj > NC_STORE_MAX_OBJ)
        return nc_fail(ctx, NC_ERR_INVAL, "trial %d: %d objectives (0..%d)",
                       t->trial, t->n_obj, NC_STORE_MAX_OBJ);
    /* SQLite would store a NaN as NULL, and a strategy resumed from it would
     * rank the trial by garbage; refuse it here, where the caller can tell. */
    for (int i = 0; i < t->n_obj; i++)
        if (!isfinite(t->obj[i]))
            return nc_fail(ctx, NC_ERR_NUMERIC, "trial %d: objective %d is "
                           "%g", t->trial, i, t->obj[i]);
    if (!isfinite(t->seconds) || t->seconds < 0)
        return nc_fail(ctx, NC_ERR_NUMERIC, "trial %d: evaluation time %g is "
                       "not a finite non-negative number", t->trial,
                       t->seconds);
    cJSON *j = cJSON_Parse(t->metrics_json);
    cJSON_Delete(j);
    if (!j)
        return nc_fail(ctx, NC_ERR_INVAL, "trial %d: metrics are not valid "
                       "JSON", t->trial);
    return NC_OK;
}

/* nc_in_tx's shape for nc_sql_trial_write. */
static nc_status nc_trial_tx(nc_ctx *ctx, nc_store *st, int64_t run,
                             const void *arg)
{
    return nc_sql_trial_write(ctx, st, run, arg);
}

nc_status nc_store_trial_put(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_trial_rec *t)
{
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_trial_put: NULL argument");
    nc_status e = nc_sql_trial_check(ctx, t);
    if (e)
        return e;
    char what[96];
    snprintf(what, sizeof what, "record trial %d of run %lld", t->trial,
             (long long)run);
    return nc_in_tx(ctx, st, run, t, nc_trial_tx, what);
}

void nc_trial_recs_free(nc_trial_rec *recs, int n)
{
    if (!recs)
        return;
    for (int i = 0; i < n; i++)
        free(recs[i].owned_);
    free(recs);
}

static nc_status nc_trial_from_row(nc_ctx *ctx, sqlite3_stmt *s,
                                   nc_trial_rec *t)
{
    const char *src[4] = { (const char *)sqlite3_column_text(s, 1),
                           (const char *)sqlite3_column_text(s, 2),
                           (const char *)sqlite3_column_text(s, 5),
                           (const char *)sqlite3_column_text(s, 11) };
    const char *dst[4];
    memset(t, 0, sizeof *t);
    t->owned_ = nc_pack(4, src, dst);
    if (!t->owned_)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory reading a trial");
    t->trial = sqlite3_column_int(s, 0);
    t->arch = dst[0];
    t->origin = dst[1];
    t->status = dst[2];
    t->metrics_json = dst[3];
    t->parent1 = sqlite3_column_type(s, 3) == SQLITE_NULL
                     ? -1 : sqlite3_column_int64(s, 3);
    t->parent2 = sqlite3_column_type(s, 4) == SQLITE_NULL
                     ? -1 : sqlite3_column_int64(s, 4);
    t->n_obj = sqlite3_column_int(s, 6);
    for (int i = 0; i < NC_STORE_MAX_OBJ; i++)
        t->obj[i] = nc_sql_column_real(s, 7 + i);
    t->seconds = nc_sql_column_real(s, 12);
    t->created = nc_sql_column_real(s, 13);
    return NC_OK;
}

nc_status nc_store_trials(nc_ctx *ctx, nc_store *st, int64_t run,
                          nc_trial_rec **out, int *n)
{
    if (!out || !n)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_trials: NULL argument");
    *out = NULL;
    *n = 0;
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_trials: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT trial, arch, origin, parent1, parent2, status, n_obj, obj0,"
        " obj1, obj2, obj3, metrics_json, seconds, created FROM trials"
        " WHERE run_id = ?1 ORDER BY trial", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    nc_trial_rec *a = NULL;
    int cnt = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((e = nc_sql_grow(ctx, (void **)&a, &cap, cnt, sizeof *a,
                             "reading trials")))
            break;
        e = nc_trial_from_row(ctx, s, &a[cnt]);
        if (e)
            break;
        cnt++;
    }
    if (!e && rc != SQLITE_DONE)
        e = nc_sql_fail(ctx, st, rc, "read the trials of run %lld",
                        (long long)run);
    sqlite3_finalize(s);
    if (!e && cnt == 0)
        e = nc_sql_need_run(ctx, st, run);
    if (e) {
        nc_trial_recs_free(a, cnt);
        return e;
    }
    *out = a;
    *n = cnt;
    return NC_OK;
}

nc_status nc_store_trial_count(nc_ctx *ctx, nc_store *st, int64_t run,
                               int *n)
{
    if (!st || !n)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_trial_count: NULL argument");
    *n = 0;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT count(*) FROM trials WHERE run_id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(s, 0);
    else
        e = nc_sql_fail(ctx, st, rc, "count the trials of run %lld",
                        (long long)run);
    sqlite3_finalize(s);
    if (!e && *n == 0)
        e = nc_sql_need_run(ctx, st, run);
    return e;
}

/* ---- state blobs -------------------------------------------------------- */

nc_status nc_sql_state_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_state_arg *a)
{
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "INSERT OR REPLACE INTO states (run_id, name, blob, sha256, bytes,"
        " updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_text(s, 2, a->name, -1, SQLITE_STATIC);
    /* A non-NULL pointer makes an empty blob zero-length rather than NULL. */
    int rc = sqlite3_bind_blob64(s, 3, a->len ? a->blob : (const void *)"",
                                 (sqlite3_uint64)a->len, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        e = nc_sql_fail(ctx, st, rc, "store state \"%s\" of run %lld (%zu "
                        "bytes)", a->name, (long long)run, a->len);
        sqlite3_finalize(s);
        return e;
    }
    sqlite3_bind_text(s, 4, a->sha, 64, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)a->len);
    sqlite3_bind_double(s, 6, nc_sql_now());
    e = nc_sql_step_done(ctx, st, s, "store state \"%s\" of run %lld",
                         a->name, (long long)run);
    sqlite3_finalize(s);
    return e;
}

/* nc_in_tx's shape for nc_sql_state_write. */
static nc_status nc_state_tx(nc_ctx *ctx, nc_store *st, int64_t run,
                             const void *arg)
{
    return nc_sql_state_write(ctx, st, run, arg);
}

nc_status nc_store_state_put(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *name, const void *blob, size_t len)
{
    if (!st || !name || !*name || (!blob && len))
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_state_put: NULL or empty "
                       "argument");
    char sha[65];
    nc_sha256_hex(blob, len, sha);    /* outside the write lock: the slow part */
    nc_state_arg a = { name, blob, len, sha };
    return nc_in_tx(ctx, st, run, &a, nc_state_tx, "store a state blob");
}

nc_status nc_store_state_get(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *name, void **blob, size_t *len)
{
    if (!blob || !len)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_state_get: NULL argument");
    *blob = NULL;
    *len = 0;
    if (!st || !name)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_state_get: NULL argument");
    const long long r = (long long)run;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT blob, sha256, bytes FROM states WHERE run_id = ?1"
        " AND name = ?2", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        e = rc == SQLITE_DONE
                ? nc_fail(ctx, NC_ERR_NOTFOUND, "%s: run %lld has no state "
                          "\"%s\"", st->path, r, name)
                : nc_sql_fail(ctx, st, rc, "read state \"%s\" of run %lld",
                              name, r);
        sqlite3_finalize(s);
        return e;
    }
    /* State blobs are small next to checkpoints (a strategy's population,
     * a supernet's weights at most), so one copy out of the row is fine. */
    const void *src = sqlite3_column_blob(s, 0);
    size_t n = (size_t)sqlite3_column_bytes(s, 0);
    char want[65] = "";
    const char *w = (const char *)sqlite3_column_text(s, 1);
    if (w)
        snprintf(want, sizeof want, "%s", w);
    sqlite3_int64 bytes = sqlite3_column_int64(s, 2);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        sqlite3_finalize(s);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory reading state "
                       "\"%s\" of run %lld", name, r);
    }
    if (n)
        memcpy(buf, src, n);
    sqlite3_finalize(s);
    /* As with checkpoints: SQLite checks its pages, not the bytes in them,
     * and resuming a search from a damaged state would go on silently. */
    char got[65];
    nc_sha256_hex(buf, n, got);
    if ((sqlite3_int64)n != bytes || strcmp(got, want) != 0) {
        free(buf);
        return nc_fail(ctx, NC_ERR_CHECKSUM, "%s: state \"%s\" of run %lld "
                       "is corrupt: %s", st->path, name, r,
                       (sqlite3_int64)n != bytes ? "size mismatch"
                                                 : "sha256 mismatch");
    }
    *blob = buf;
    *len = n;
    return NC_OK;
}
