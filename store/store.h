/*
 * store.h — the SQLite run log: the single source of truth for a run.
 *
 * One database file holds many runs. Each run keeps its full configuration
 * (JSON), seed, thread count, status, timings and code version; one row per
 * finished epoch with its metrics; and checkpoints (an opaque blob with its
 * SHA-256, written in the same transaction as the epoch row). The database is
 * in WAL mode; its schema version is PRAGMA user_version and
 * PRAGMA application_id marks it as a nasc database. Opening an older schema
 * migrates it; a newer one is refused. No SQL lives outside store/.
 *
 *     nc_store *db;
 *     if (nc_store_open(ctx, "runs.db", 1, &db)) ...
 *     int64_t run;
 *     nc_run_info info = { .kind = "train", .config_json = cfg, .seed = 1,
 *                          .threads = 2, .code_version = NC_VERSION };
 *     nc_store_run_create(ctx, db, &info, &run);
 *     nc_store_epoch_commit(ctx, db, run, &m, blob, blob_len);
 *     nc_store_close(db);
 */
#ifndef NC_STORE_H
#define NC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef struct nc_store nc_store;

enum { NC_STORE_SCHEMA_VERSION = 1 };

/* Opens (create=1: creates if missing) the database at path. Errors:
 * NC_ERR_IO (cannot open/create), NC_ERR_FORMAT (not a SQLite file or not a
 * nasc database), NC_ERR_VERSION (schema newer than this build), NC_ERR_DB.
 * *out is owned by the caller: nc_store_close. */
nc_status nc_store_open(nc_ctx *ctx, const char *path, int create,
                        nc_store **out);
/* Closes; accepts NULL. */
void nc_store_close(nc_store *st);

typedef struct nc_run_info {
    int64_t id;
    const char *kind;          /* "train" */
    const char *status;        /* "running", "done", "failed" */
    const char *config_json;   /* full configuration, JSON object */
    const char *code_version;
    uint64_t seed;
    int threads;
    double created;            /* unix seconds */
    double updated;
    double train_seconds;      /* accumulated training time */
    int epochs_done;
    char *owned_;              /* internal: strings of a fetched info */
} nc_run_info;

/* Creates a run with status "running"; *id gets its id. Strings are copied. */
nc_status nc_store_run_create(nc_ctx *ctx, nc_store *st,
                              const nc_run_info *info, int64_t *id);
/* Fetches a run; NC_ERR_NOTFOUND if there is none with that id. Release the
 * strings with nc_run_info_clear. */
nc_status nc_store_run_get(nc_ctx *ctx, nc_store *st, int64_t id,
                           nc_run_info *out);
void nc_run_info_clear(nc_run_info *info);
/* All runs, oldest first; *out is an array of *n infos owned by the caller
 * (nc_run_info_clear each, then free the array). */
nc_status nc_store_run_list(nc_ctx *ctx, nc_store *st, nc_run_info **out,
                            int *n);
/* Sets status ("running", "done", "failed"), and on "done" the final JSON
 * result (may be NULL). */
nc_status nc_store_run_finish(nc_ctx *ctx, nc_store *st, int64_t id,
                              const char *status, const char *result_json);
/* The final JSON result of a done run (malloc'ed, caller frees) or NULL. */
nc_status nc_store_run_result(nc_ctx *ctx, nc_store *st, int64_t id,
                              char **result_json);

typedef struct nc_epoch_metrics {
    int epoch;                 /* 1-based */
    int64_t step;              /* optimizer steps done after this epoch */
    double lr;
    double train_loss, train_accuracy;
    double valid_loss, valid_accuracy;   /* NaN if not measured */
    double seconds;            /* wall time of this epoch's training */
} nc_epoch_metrics;

/* In one transaction: inserts the epoch row, stores the checkpoint blob with
 * its SHA-256 (replacing older checkpoints of the run), and adds
 * m->seconds to the run's train_seconds and bumps epochs_done. */
nc_status nc_store_epoch_commit(nc_ctx *ctx, nc_store *st, int64_t run,
                                const nc_epoch_metrics *m, const void *ckpt,
                                size_t ckpt_len);
/* All epoch rows of a run in order; *out malloc'ed, caller frees. */
nc_status nc_store_epochs(nc_ctx *ctx, nc_store *st, int64_t run,
                          nc_epoch_metrics **out, int *n);
/* The newest checkpoint of a run, checksum verified (NC_ERR_CHECKSUM with
 * the run and epoch named on mismatch; NC_ERR_NOTFOUND if none). *blob is
 * malloc'ed, caller frees. */
nc_status nc_store_ckpt_latest(nc_ctx *ctx, nc_store *st, int64_t run,
                               void **blob, size_t *len, int *epoch);

#endif
