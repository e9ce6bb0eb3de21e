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

/* Version 2 adds search campaigns. A campaign is a run of kind 'search'
 * (its configuration, seed and status live in runs like any run's); these
 * tables hold what a search has beyond that. Trials reference runs rather
 * than campaigns so that a trial can be recorded before (or without) the
 * campaign row, and deleting the run removes all of it. */
static const char nc_schema_v2[] =
    "CREATE TABLE campaigns ("
    "  run_id   INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  space    TEXT    NOT NULL,"
    "  strategy TEXT    NOT NULL,"
    "  budget   INTEGER NOT NULL CHECK (budget >= 0),"
    "  status   TEXT    NOT NULL"
    "           CHECK (status IN ('running', 'done', 'failed'))"
    ");"
    "CREATE TABLE trials ("
    "  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  trial        INTEGER NOT NULL CHECK (trial >= 0),"
    "  arch         TEXT    NOT NULL,"
    "  origin       TEXT    NOT NULL,"
    "  parent1      INTEGER,"
    "  parent2      INTEGER,"
    "  status       TEXT    NOT NULL"
    "               CHECK (status IN ('proposed', 'done', 'failed')),"
    "  n_obj        INTEGER NOT NULL CHECK (n_obj BETWEEN 0 AND 4),"
    "  obj0 REAL, obj1 REAL, obj2 REAL, obj3 REAL,"
    "  metrics_json TEXT    NOT NULL,"
    "  seconds      REAL    NOT NULL,"
    "  created      REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, trial)"
    ");"
    "CREATE TABLE states ("
    "  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  name    TEXT    NOT NULL,"
    "  blob    BLOB    NOT NULL,"
    "  sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),"
    "  bytes   INTEGER NOT NULL,"
    "  updated REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, name)"
    ");";

/* Version 3 gives every run the life the run layer (run/run.h) drives: the
 * process that owns it ("host:pid:start", NULL when none), why it failed,
 * with the kind of failure (nc_status_name), its progress in units of work
 * (epochs, trials, decisions), and the run it works for (a campaign's
 * training runs) with its tag there. Existing runs keep their rows; their
 * units start at what epochs_done says, which is what a training run's
 * units are, and the training runs of a scratch campaign, which marked
 * their campaign inside their configuration, get it as parent and tag and
 * lose the mark: a training configuration holds training settings only,
 * and the campaign compares it with the one it would start when it goes
 * on with a trial killed part-way. */
static const char nc_schema_v3[] =
    "ALTER TABLE runs ADD COLUMN owner TEXT;"
    "ALTER TABLE runs ADD COLUMN reason TEXT;"
    "ALTER TABLE runs ADD COLUMN reason_status TEXT;"
    "ALTER TABLE runs ADD COLUMN units_done INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN units_total INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN parent INTEGER;"
    "ALTER TABLE runs ADD COLUMN tag TEXT;"
    "UPDATE runs SET units_done = epochs_done;"
    "UPDATE runs SET parent = json_extract(config_json, '$.campaign.run'),"
    " tag = 'trial ' || json_extract(config_json, '$.campaign.trial'),"
    " config_json = json_remove(config_json, '$.campaign')"
    " WHERE kind = 'train' AND json_valid(config_json)"
    " AND json_type(config_json, '$.campaign.run') = 'integer'"
    " AND json_type(config_json, '$.campaign.trial') = 'integer';"
    "CREATE INDEX runs_parent ON runs (parent, tag);";

typedef struct nc_schema_step {
    const char *what;   /* for messages: "create the version 1 tables" */
    const char *sql;
} nc_schema_step;

/* nc_schema_steps[k]: version k -> k + 1. */
static const nc_schema_step nc_schema_steps[] = {
    { "create the version 1 tables", nc_schema_v1 },
    { "add the campaign tables (version 2)", nc_schema_v2 },
    { "add run ownership, failure reasons, progress and parents (version 3)",
      nc_schema_v3 },
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
