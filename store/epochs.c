/*
 * epochs.c — per-epoch metrics and the checkpoints written with them.
 *
 * An epoch row and its checkpoint are one transaction, so a run can always be
 * resumed from its latest checkpoint with exactly the epochs before it
 * recorded: a crash mid-commit leaves the previous epoch as the latest one,
 * never an epoch without its weights or weights without their epoch.
 */
#include "store/sql.h"

#include "core/sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nc_status nc_sql_epoch_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_epoch_metrics *m, const void *ckpt,
                             size_t ckpt_len, const char *sha, double now)
{
    const long long r = (long long)run;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT epochs_done FROM runs WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s);
    int64_t done = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (rc == SQLITE_DONE)
        e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path, r);
    else if (rc != SQLITE_ROW)
        e = nc_sql_fail(ctx, st, rc, "commit epoch %d of run %lld", m->epoch,
                        r);
    sqlite3_finalize(s);
    if (e)
        return e;
    /* Epochs arrive in order, one each: then epochs_done is also the number
     * of rows, and the latest checkpoint is always the last epoch's. */
    if (m->epoch != done + 1)
        return nc_fail(ctx, NC_ERR_STATE,
                       "run %lld has %lld epochs recorded; the next one is "
                       "epoch %lld, not %d", r, (long long)done,
                       (long long)done + 1, m->epoch);

    e = nc_sql_prepare(ctx, st,
        "UPDATE runs SET epochs_done = ?2, train_seconds = train_seconds + ?3,"
        " updated = ?4 WHERE id = ?1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int(s, 2, m->epoch);
    sqlite3_bind_double(s, 3, m->seconds);
    sqlite3_bind_double(s, 4, now);
    e = nc_sql_step_done(ctx, st, s, "commit epoch %d of run %lld", m->epoch,
                         r);
    sqlite3_finalize(s);
    if (e)
        return e;

    e = nc_sql_prepare(ctx, st,
        "INSERT INTO epochs (run_id, epoch, step, lr, train_loss,"
        " train_accuracy, valid_loss, valid_accuracy, seconds)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int(s, 2, m->epoch);
    sqlite3_bind_int64(s, 3, m->step);
    nc_sql_bind_real(s, 4, m->lr);
    nc_sql_bind_real(s, 5, m->train_loss);
    nc_sql_bind_real(s, 6, m->train_accuracy);
    nc_sql_bind_real(s, 7, m->valid_loss);
    nc_sql_bind_real(s, 8, m->valid_accuracy);
    sqlite3_bind_double(s, 9, m->seconds);
    e = nc_sql_step_done(ctx, st, s, "commit epoch %d of run %lld", m->epoch,
                         r);
    sqlite3_finalize(s);
    if (e)
        return e;

    /* Only the newest checkpoint is kept: resuming needs no other, and a
     * long run would otherwise grow the file by one model per epoch. The
     * freed pages are reused by the next epoch's checkpoint. */
    e = nc_sql_prepare(ctx, st, "DELETE FROM checkpoints WHERE run_id = ?1",
                       &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    e = nc_sql_step_done(ctx, st, s, "commit epoch %d of run %lld (drop the "
                         "older checkpoint)", m->epoch, r);
    sqlite3_finalize(s);
    if (e)
        return e;

    e = nc_sql_prepare(ctx, st,
        "INSERT INTO checkpoints (run_id, epoch, step, blob, sha256, bytes,"
        " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int(s, 2, m->epoch);
    sqlite3_bind_int64(s, 3, m->step);
    /* SQLITE_STATIC: the caller's buffer outlives the statement, and a
     * checkpoint is too big to copy for nothing. A non-NULL pointer makes an
     * empty checkpoint a zero-length blob rather than NULL. */
    rc = sqlite3_bind_blob64(s, 4, ckpt_len ? ckpt : (const void *)"",
                             (sqlite3_uint64)ckpt_len, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        e = nc_sql_fail(ctx, st, rc, "commit epoch %d of run %lld (a "
                        "checkpoint of %zu bytes)", m->epoch, r, ckpt_len);
        sqlite3_finalize(s);
        return e;
    }
    sqlite3_bind_text(s, 5, sha, 64, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)ckpt_len);
    sqlite3_bind_double(s, 7, now);
    e = nc_sql_step_done(ctx, st, s, "commit epoch %d of run %lld (a "
                         "checkpoint of %zu bytes)", m->epoch, r, ckpt_len);
    sqlite3_finalize(s);
    return e;
}

nc_status nc_sql_epoch_check(nc_ctx *ctx, const nc_epoch_metrics *m,
                             const void *ckpt, size_t ckpt_len)
{
    if (!m)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_epoch_commit: NULL argument");
    if (!ckpt && ckpt_len)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_epoch_commit: checkpoint is NULL");
    if (m->epoch < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "epoch %d: epochs count from 1",
                       m->epoch);
    if (m->step < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "epoch %d: negative step count",
                       m->epoch);
    /* seconds is summed into the run's train_seconds, which a NaN would
     * poison for good (and SQLite would store it as NULL). */
    if (!isfinite(m->seconds) || m->seconds < 0)
        return nc_fail(ctx, NC_ERR_NUMERIC,
                       "epoch %d: training time %g is not a finite "
                       "non-negative number", m->epoch, m->seconds);
    return NC_OK;
}

nc_status nc_store_epoch_commit(nc_ctx *ctx, nc_store *st, int64_t run,
                                const nc_epoch_metrics *m, const void *ckpt,
                                size_t ckpt_len)
{
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_epoch_commit: NULL argument");
    nc_status e = nc_sql_epoch_check(ctx, m, ckpt, ckpt_len);
    if (e)
        return e;

    /* Hash before taking the write lock: it is the slow part of a commit and
     * needs no database. */
    char sha[65];
    nc_sha256_hex(ckpt, ckpt_len, sha);

    char what[96];
    snprintf(what, sizeof what, "commit epoch %d of run %lld", m->epoch,
             (long long)run);
    e = nc_sql_begin(ctx, st, what);
    if (e)
        return e;
    e = nc_sql_epoch_write(ctx, st, run, m, ckpt, ckpt_len, sha,
                           nc_sql_now());
    if (!e)
        e = nc_sql_commit(ctx, st, what);
    if (e)
        nc_sql_rollback(st);
    return e;
}

nc_status nc_store_epochs(nc_ctx *ctx, nc_store *st, int64_t run,
                          nc_epoch_metrics **out, int *n)
{
    if (!out || !n)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_epochs: NULL argument");
    *out = NULL;
    *n = 0;
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_epochs: no store");
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT epoch, step, lr, train_loss, train_accuracy, valid_loss,"
        " valid_accuracy, seconds FROM epochs WHERE run_id = ?1"
        " ORDER BY epoch", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    nc_epoch_metrics *a = NULL;
    int cnt = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((e = nc_sql_grow(ctx, (void **)&a, &cap, cnt, sizeof *a,
                             "reading epochs")))
            break;
        nc_epoch_metrics *m = &a[cnt++];
        m->epoch = sqlite3_column_int(s, 0);
        m->step = sqlite3_column_int64(s, 1);
        m->lr = nc_sql_column_real(s, 2);
        m->train_loss = nc_sql_column_real(s, 3);
        m->train_accuracy = nc_sql_column_real(s, 4);
        m->valid_loss = nc_sql_column_real(s, 5);
        m->valid_accuracy = nc_sql_column_real(s, 6);
        m->seconds = nc_sql_column_real(s, 7);
    }
    if (!e && rc != SQLITE_DONE)
        e = nc_sql_fail(ctx, st, rc, "read the epochs of run %lld",
                        (long long)run);
    sqlite3_finalize(s);
    if (!e && cnt == 0) {
        /* No rows: a run that has not finished an epoch yet, or none at all. */
        int exists = 0;
        e = nc_sql_run_exists(ctx, st, run, &exists);
        if (!e && !exists)
            e = nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld", st->path,
                        (long long)run);
    }
    if (e) {
        free(a);
        return e;
    }
    *out = a;
    *n = cnt;
    return NC_OK;
}

/* Reads the blob of checkpoints row rowid into a new buffer. Incremental
 * blob I/O copies it straight into that buffer, where sqlite3_column_blob
 * would first materialize a second copy. The caller keeps the statement that
 * found the row active, so the read sees the same snapshot as the row. */
static nc_status nc_ckpt_read(nc_ctx *ctx, nc_store *st, sqlite3_int64 rowid,
                              long long run, int epoch, void **blob,
                              size_t *len)
{
    sqlite3_blob *b;
    int rc = sqlite3_blob_open(st->db, "main", "checkpoints", "blob", rowid, 0,
                               &b);
    if (rc != SQLITE_OK) {
        nc_status e = nc_sql_fail(ctx, st, rc, "read the checkpoint of run "
                                  "%lld (epoch %d)", run, epoch);
        sqlite3_blob_close(b);
        return e;
    }
    int n = sqlite3_blob_bytes(b);
    /* malloc(0) may return NULL; an empty checkpoint still gets a buffer. */
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf) {
        sqlite3_blob_close(b);
        return nc_fail(ctx, NC_ERR_NOMEM,
                       "out of memory reading the %d-byte checkpoint of run "
                       "%lld", n, run);
    }
    rc = n > 0 ? sqlite3_blob_read(b, buf, n, 0) : SQLITE_OK;
    if (rc != SQLITE_OK) {
        nc_status e = nc_sql_fail(ctx, st, rc, "read the checkpoint of run "
                                  "%lld (epoch %d)", run, epoch);
        sqlite3_blob_close(b);
        free(buf);
        return e;
    }
    sqlite3_blob_close(b);
    *blob = buf;
    *len = (size_t)n;
    return NC_OK;
}

nc_status nc_store_ckpt_latest(nc_ctx *ctx, nc_store *st, int64_t run,
                               void **blob, size_t *len, int *epoch)
{
    if (!blob || !len)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_store_ckpt_latest: NULL argument");
    *blob = NULL;
    *len = 0;
    if (epoch)
        *epoch = 0;
    if (!st)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_ckpt_latest: no store");
    const long long r = (long long)run;
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT rowid, epoch, sha256, bytes FROM checkpoints"
        " WHERE run_id = ?1 ORDER BY epoch DESC LIMIT 1", &s);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(s);
        int exists = 0;
        e = nc_sql_run_exists(ctx, st, run, &exists);
        if (e)
            return e;
        return exists ? nc_fail(ctx, NC_ERR_NOTFOUND,
                                "run %lld has no checkpoint", r)
                      : nc_fail(ctx, NC_ERR_NOTFOUND, "%s has no run %lld",
                                st->path, r);
    }
    if (rc != SQLITE_ROW) {
        e = nc_sql_fail(ctx, st, rc, "find the checkpoint of run %lld", r);
        sqlite3_finalize(s);
        return e;
    }
    sqlite3_int64 rowid = sqlite3_column_int64(s, 0);
    int ep = sqlite3_column_int(s, 1);
    char want[65] = "";
    const char *w = (const char *)sqlite3_column_text(s, 2);
    if (w)
        snprintf(want, sizeof want, "%s", w);
    sqlite3_int64 bytes = sqlite3_column_int64(s, 3);

    void *buf = NULL;
    size_t n = 0;
    e = nc_ckpt_read(ctx, st, rowid, r, ep, &buf, &n);
    sqlite3_finalize(s);
    if (e)
        return e;

    /* The checksum catches what SQLite cannot: bytes that changed inside a
     * well-formed page (a bad disk, a careless hand edit). Resuming from
     * them would silently continue from wrong weights. */
    char got[65];
    nc_sha256_hex(buf, n, got);
    if ((sqlite3_int64)n != bytes || strcmp(got, want) != 0) {
        free(buf);
        return nc_fail(ctx, NC_ERR_CHECKSUM,
                       "%s: checkpoint of run %lld (epoch %d) is corrupt: %s",
                       st->path, r, ep,
                       (sqlite3_int64)n != bytes ? "size mismatch"
                                                 : "sha256 mismatch");
    }
    *blob = buf;
    *len = n;
    if (epoch)
        *epoch = ep;
    return NC_OK;
}
