/*
 * sql.h — internals shared by the sources of store/. Nothing outside store/
 * includes it: this header is what keeps sqlite3 and SQL out of the rest of
 * nasc.
 *
 * Every helper that can fail records a message of the form
 * "run log <path>: <what>: <why, in words>" in ctx, so that a full disk
 * during an epoch commit reads "run log runs.db: commit epoch 5 of run 3:
 * the disk is full" rather than a bare SQLite error, and no SQL reaches the
 * user. cli/ tells a run-log failure from a data file's by that start.
 */
#ifndef NC_STORE_SQL_H
#define NC_STORE_SQL_H

#include <sqlite3.h>

#include "store/store.h"

/* PRAGMA application_id of every nasc run log: "nasc" in ASCII, so that
 * `file` and other tools can tell a run log from any other SQLite file. */
#define NC_STORE_APP_ID 0x6E617363

/* How long a statement waits for another connection's lock before it fails
 * with "database is locked". In WAL mode readers never wait for a writer, so
 * this matters for two writers (two trainers sharing a log, or a schema
 * migration racing a commit); a commit holds the lock for milliseconds, so
 * ten seconds only runs out when something is wrong. */
enum { NC_STORE_BUSY_MS = 10000 };

struct nc_store {
    sqlite3 *db;
    char *path;     /* as the caller gave it, for messages */
};

/* Records the failure of SQLite call rc (a result code, extended or not) as
 * "run log <path>: <what>: <why>" and returns the nasc status for it:
 * a full disk or an OS error -> NC_ERR_IO, a damaged file -> NC_ERR_FORMAT,
 * out of memory -> NC_ERR_NOMEM, a too big blob -> NC_ERR_RANGE, anything
 * else (locks, constraints, bugs) -> NC_ERR_DB. <why> is said in words:
 * SQLite's own message is used only where it is plain words (a missing
 * table or column), never one that could quote SQL. Call it before any
 * rollback, which would replace sqlite's message. */
nc_status nc_sql_fail(nc_ctx *ctx, const nc_store *st, int rc,
                      const char *what_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepares one constant statement; values go in through sqlite3_bind_*, never
 * into the SQL text. */
nc_status nc_sql_prepare(nc_ctx *ctx, nc_store *st, const char *sql,
                         sqlite3_stmt **out);

/* Makes room for one more element in a growing result array *a of *cap
 * elements of elem bytes, of which cnt are used (doubling; first 16).
 * NC_ERR_NOMEM with "out of memory <what>" on failure, *a left intact. */
nc_status nc_sql_grow(nc_ctx *ctx, void **a, int *cap, int cnt, size_t elem,
                      const char *what);

/* Runs constant SQL without results (DDL, BEGIN, COMMIT). */
nc_status nc_sql_exec(nc_ctx *ctx, nc_store *st, const char *sql,
                      const char *what);

/* BEGIN IMMEDIATE: takes the write lock up front, so that a transaction
 * that reads and then writes cannot fail half-way with SQLITE_BUSY (a
 * deferred transaction that upgrades its lock gets no busy_timeout wait). */
nc_status nc_sql_begin(nc_ctx *ctx, nc_store *st, const char *what);
/* COMMIT; what names the transaction in messages. A test switch lets the
 * kill tests (tests/cli/resume_kill.sh, darts.sh) aim a SIGKILL inside an
 * open transaction: with NC_TEST_COMMIT_PAUSE_MS=<ms> set, every commit
 * sleeps that long after the transaction's writes and before COMMIT, and
 * with NC_TEST_COMMIT_PAUSE_FILE=<path> also set it appends the line
 * "enter <what>" to that file as it starts to sleep and "leave <what>" as
 * it wakes (a file, since the library never prints). A malformed
 * NC_TEST_COMMIT_PAUSE_MS (not 0..600000) is NC_ERR_INVAL and a marker
 * file that cannot be written NC_ERR_IO, both before COMMIT, so the caller
 * rolls back. Unset (the normal case) it costs one getenv. */
nc_status nc_sql_commit(nc_ctx *ctx, nc_store *st, const char *what);
/* Rolls back the open transaction if there still is one (SQLite already
 * rolled back by itself after some errors, such as a full disk). */
void nc_sql_rollback(nc_store *st);

/* Steps a statement that has to finish without rows (INSERT, UPDATE). */
nc_status nc_sql_step_done(nc_ctx *ctx, nc_store *st, sqlite3_stmt *s,
                           const char *what_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* *exists = whether run id is in the runs table. */
nc_status nc_sql_run_exists(nc_ctx *ctx, nc_store *st, int64_t id,
                            int *exists);

/* A double binds as NULL when it is NaN (SQLite would store NULL anyway);
 * a NULL column reads back as NaN. */
int nc_sql_bind_real(sqlite3_stmt *s, int i, double v);
double nc_sql_column_real(sqlite3_stmt *s, int i);

/* Unix time in seconds, with sub-second resolution. */
double nc_sql_now(void);

/* The schema: the number of objects (tables, indexes, ...) in the file, and
 * bringing a file at version < NC_STORE_SCHEMA_VERSION up to date in one
 * transaction (schema.c). nc_sql_migrate re-checks the header inside its
 * transaction, since another process may have migrated meanwhile. */
nc_status nc_sql_header(nc_ctx *ctx, nc_store *st, int64_t *app_id,
                        int64_t *version, int64_t *objects);
nc_status nc_sql_check_header(nc_ctx *ctx, const nc_store *st, int64_t app_id,
                              int64_t version, int64_t objects);
nc_status nc_sql_migrate(nc_ctx *ctx, nc_store *st);


/* ---- the writes of one unit (store/unit.c puts several in one
 * transaction; each public put wraps one in its own) --------------------- */

/* NC_ERR_NOTFOUND "<path> has no run R" unless run exists. */
nc_status nc_sql_need_run(nc_ctx *ctx, nc_store *st, int64_t run);
/* The checks of nc_store_epoch_commit before any write (NULLs, epoch >= 1,
 * step >= 0, finite non-negative seconds). */
nc_status nc_sql_epoch_check(nc_ctx *ctx, const nc_epoch_metrics *m,
                             const void *ckpt, size_t ckpt_len);
/* The writes of nc_store_epoch_commit, inside the caller's transaction; sha
 * is the checkpoint's SHA-256 in hex. */
nc_status nc_sql_epoch_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_epoch_metrics *m, const void *ckpt,
                             size_t ckpt_len, const char *sha, double now);
/* The checks of nc_store_trial_put before any write. */
nc_status nc_sql_trial_check(nc_ctx *ctx, const nc_trial_rec *t);
/* The writes of nc_store_trial_put, inside the caller's transaction. */
nc_status nc_sql_trial_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_trial_rec *t);
typedef struct nc_state_arg {
    const char *name;
    const void *blob;
    size_t len;
    const char *sha;    /* SHA-256 of blob in hex */
} nc_state_arg;
/* The write of nc_store_state_put, inside the caller's transaction. */
nc_status nc_sql_state_write(nc_ctx *ctx, nc_store *st, int64_t run,
                             const nc_state_arg *a);

#endif
