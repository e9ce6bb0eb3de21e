/*
 * schema.c — the run log's tables and the migrations between versions.
 *
 * PRAGMA user_version is the schema version. Step k of nc_schema_steps turns
 * a version-k file into a version-(k+1) one; opening a file at version v runs
 * steps v, v+1, ... in one transaction together with the new user_version,
 * so a crash or a failed step leaves the file at v, never in between. To
 * change the schema: append a step, bump NC_STORE_SCHEMA_VERSION, and
 * describe it in docs/SCHEMA.md. Never edit a step that has shipped: files
 * out there were made by it.
 */
#include "store/sql.h"

#include <stdio.h>

/* Version 0 is the empty file. Version 1 is the first nasc schema. Reals
 * may be NULL where the value was NaN (SQLite stores NaN as NULL). */
static const char nc_schema_v1[] =
    "CREATE TABLE runs ("
    "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind          TEXT    NOT NULL,"
    "  status        TEXT    NOT NULL"
    "                CHECK (status IN ('running', 'done', 'failed')),"
    "  config_json   TEXT    NOT NULL,"
    "  code_version  TEXT    NOT NULL,"
    "  seed          INTEGER NOT NULL,"
    "  threads       INTEGER NOT NULL,"
    "  created       REAL    NOT NULL,"
    "  updated       REAL    NOT NULL,"
    "  train_seconds REAL    NOT NULL DEFAULT 0,"
    "  epochs_done   INTEGER NOT NULL DEFAULT 0,"
    "  result_json   TEXT"
    ");"
    "CREATE TABLE epochs ("
    "  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  epoch          INTEGER NOT NULL CHECK (epoch >= 1),"
    "  step           INTEGER NOT NULL,"
    "  lr             REAL,"
    "  train_loss     REAL,"
    "  train_accuracy REAL,"
    "  valid_loss     REAL,"
    "  valid_accuracy REAL,"
    "  seconds        REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, epoch)"
    ");"
    "CREATE TABLE checkpoints ("
    "  run_id  INTEGER NOT NULL,"
    "  epoch   INTEGER NOT NULL,"
    "  step    INTEGER NOT NULL,"
    "  blob    BLOB    NOT NULL,"
    "  sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),"
    "  bytes   INTEGER NOT NULL,"
    "  created REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, epoch),"
    "  FOREIGN KEY (run_id, epoch) REFERENCES epochs(run_id, epoch)"
    "    ON DELETE CASCADE"
    ");";

typedef struct nc_schema_step {
    const char *what;   /* for messages: "create the version 1 tables" */
    const char *sql;
} nc_schema_step;

/* nc_schema_steps[k]: version k -> k + 1. */
static const nc_schema_step nc_schema_steps[] = {
    { "create the version 1 tables", nc_schema_v1 },
};

_Static_assert(sizeof nc_schema_steps / sizeof nc_schema_steps[0] ==
                   NC_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

nc_status nc_sql_migrate(nc_ctx *ctx, nc_store *st)
{
    nc_status e = nc_sql_begin(ctx, st, "begin the schema upgrade");
    if (e)
        return e;
    /* Read again under the write lock: another process may have created or
     * upgraded the file since nc_store_open looked. */
    int64_t app_id, version, objects;
    e = nc_sql_header(ctx, st, &app_id, &version, &objects);
    if (!e)
        e = nc_sql_check_header(ctx, st, app_id, version, objects);
    if (e)
        goto fail;
    if (app_id != NC_STORE_APP_ID)
        version = 0;    /* an empty file, whatever user_version it has */
    for (int64_t v = version; v < NC_STORE_SCHEMA_VERSION; v++) {
        e = nc_sql_exec(ctx, st, nc_schema_steps[v].sql,
                        nc_schema_steps[v].what);
        if (e)
            goto fail;
    }
    /* Pragmas take no bound parameters; both values are compile-time
     * constants, never user input. Inside the transaction they commit or
     * roll back with the tables. */
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d",
             NC_STORE_APP_ID, NC_STORE_SCHEMA_VERSION);
    e = nc_sql_exec(ctx, st, sql, "set the schema version");
    if (!e)
        e = nc_sql_commit(ctx, st, "commit the schema upgrade");
    if (!e)
        return NC_OK;
fail:
    nc_sql_rollback(st);
    return e;
}
