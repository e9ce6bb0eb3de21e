/*
 * store.h — the SQLite run log: the single source of truth for a run.
 *
 * One database file holds many runs. Each run keeps its full configuration
 * (JSON), seed, thread count, status, timings and code version; one row per
 * finished epoch with its metrics; and checkpoints (an opaque blob with its
 * SHA-256, written in the same transaction as the epoch row). The database is
 * in WAL mode; its schema version is PRAGMA user_version and
 * PRAGMA application_id marks it as a nasc database. Opening an older schema
 * migrates it; a newer one is refused. No SQL lives outside store/; the
 * tables, pragmas and migration policy are in docs/SCHEMA.md.
 *
 * An nc_store is one SQLite connection: use it from one thread at a time.
 * Several processes may open the same file; readers never wait for a writer,
 * and writers wait for each other up to a busy timeout (10 s).
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
#include "run/record.h"

typedef struct nc_store nc_store;

enum { NC_STORE_SCHEMA_VERSION = 3 };

/* Opens (create=1: creates if missing) the database at path. Errors:
 * NC_ERR_IO (cannot open/create; with create=0 a missing file is "no such
 * file" and nothing is created), NC_ERR_FORMAT (not a SQLite file, or a
 * SQLite database of another program), NC_ERR_VERSION (schema newer than
 * this build), NC_ERR_DB. An empty SQLite file (0 bytes, or no tables and
 * no application_id) becomes a run log, as does a missing one with create=1.
 * A file that is not ours is left untouched. A write-protected file opens
 * read-only: reads work, writes fail with NC_ERR_IO. On failure *out is NULL.
 * *out is owned by the caller: nc_store_close. */
nc_status nc_store_open(nc_ctx *ctx, const char *path, int create,
                        nc_store **out);
/* Closes; accepts NULL. */
void nc_store_close(nc_store *st);


/* Creates a run with status "running"; *id gets its id. Strings are copied.
 * Only kind, config_json (must parse as a JSON object, else NC_ERR_INVAL),
 * code_version (required), seed, threads, owner (NULL or "" for none),
 * units_total, parent (0: none) and tag (with a parent) are read from info; the store sets id, status, the times
 * (created = updated = now), train_seconds, epochs_done and units_done. */
nc_status nc_store_run_create(nc_ctx *ctx, nc_store *st,
                              const nc_run_info *info, int64_t *id);
/* Fetches a run; NC_ERR_NOTFOUND if there is none with that id. Release the
 * strings with nc_run_info_clear (also safe after a failed get: *out is
 * zeroed first). */
nc_status nc_store_run_get(nc_ctx *ctx, nc_store *st, int64_t id,
                           nc_run_info *out);
/* Frees a fetched info's strings and zeroes it; accepts NULL. Only for infos
 * filled by nc_store_run_get or nc_store_run_list. */
/* (nc_run_info_clear, which releases it, is declared in run/record.h.) */
/* All runs, oldest first (by id); *out is an array of *n infos owned by the
 * caller (nc_run_info_clear each, then free the array); NULL when *n is 0. */
nc_status nc_store_run_list(nc_ctx *ctx, nc_store *st, nc_run_info **out,
                            int *n);
/* Sets status ("running", "done", "failed"), and on "done" the final JSON
 * result (may be NULL; must be valid JSON). Any other status clears the
 * result, and passing a result with it is NC_ERR_INVAL. NC_ERR_NOTFOUND for
 * an unknown id. */
nc_status nc_store_run_finish(nc_ctx *ctx, nc_store *st, int64_t id,
                              const char *status, const char *result_json);
/* The final JSON result of a done run (malloc'ed, caller frees) or NULL;
 * NC_ERR_NOTFOUND for an unknown id. */
nc_status nc_store_run_result(nc_ctx *ctx, nc_store *st, int64_t id,
                              char **result_json);


/* In one transaction: inserts the epoch row, stores the checkpoint blob with
 * its SHA-256 (replacing older checkpoints of the run), and adds
 * m->seconds to the run's train_seconds and bumps epochs_done. On any error
 * nothing is changed. Epochs come in order: m->epoch must be the run's
 * epochs_done + 1 (else NC_ERR_STATE). NC_ERR_NOTFOUND for an unknown run,
 * NC_ERR_INVAL for epoch < 1, step < 0 or a NULL ckpt with ckpt_len > 0,
 * NC_ERR_NUMERIC for seconds that is NaN, infinite or negative; a full disk
 * is NC_ERR_IO. The run's status is not checked (a failed run may be resumed).
 * ckpt is only read during the call; ckpt_len 0 stores an empty checkpoint. */
nc_status nc_store_epoch_commit(nc_ctx *ctx, nc_store *st, int64_t run,
                                const nc_epoch_metrics *m, const void *ckpt,
                                size_t ckpt_len);
/* All epoch rows of a run in order; *out malloc'ed, caller frees (NULL when
 * *n is 0). NC_ERR_NOTFOUND for an unknown run. */
nc_status nc_store_epochs(nc_ctx *ctx, nc_store *st, int64_t run,
                          nc_epoch_metrics **out, int *n);
/* The newest checkpoint of a run, checksum verified (NC_ERR_CHECKSUM with
 * the run and epoch named on mismatch of its SHA-256 or length;
 * NC_ERR_NOTFOUND if none, or no such run). *blob is malloc'ed, caller frees
 * (non-NULL even for an empty checkpoint); NULL on failure. epoch may be
 * NULL. */
nc_status nc_store_ckpt_latest(nc_ctx *ctx, nc_store *st, int64_t run,
                               void **blob, size_t *len, int *epoch);


/* ---- the life of a run (used by the run layer, run/run.h) -------------- */

/* What one unit of work commits, all in one transaction. */
typedef struct nc_store_unit {
    const nc_epoch_metrics *epoch;  /* an epoch row (as nc_store_epoch_commit,
                                     * with state as its checkpoint), or NULL */
    const nc_trial_rec *trial;      /* a trial row (as nc_store_trial_put), or
                                     * NULL */
    const char *state_name;         /* without an epoch: the state blob's
                                     * name (as nc_store_state_put); NULL
                                     * stores no state */
    const void *state;              /* the job's state after the unit */
    size_t state_len;
    int64_t units_done, units_total;   /* the run's progress after it */
} nc_store_unit;

/* Commits u for run in one transaction: the epoch row and checkpoint, the
 * trial, the named state and the progress; on any error nothing changes.
 * Checks and errors are those of the single puts; NC_ERR_NOTFOUND for an
 * unknown run. Everything in u is only read during the call. */
nc_status nc_store_unit_commit(nc_ctx *ctx, nc_store *st, int64_t run,
                               const nc_store_unit *u);

/* Sets run's owner to owner (NULL or "" releases it) if and only if the
 * stored owner is expect ("" or NULL: none), as one atomic write; another
 * stored owner is NC_ERR_STATE ("taken over by another process"),
 * NC_ERR_NOTFOUND an unknown run. Owners are opaque strings to the store. */
nc_status nc_store_run_claim(nc_ctx *ctx, nc_store *st, int64_t run,
                             const char *expect, const char *owner);

/* The id of the oldest run whose parent is parent and whose tag is tag into
 * *id; NC_ERR_NOTFOUND when there is none. */
nc_status nc_store_run_child(nc_ctx *ctx, nc_store *st, int64_t parent,
                             const char *tag, int64_t *id);

/* Marks run failed with reason (a sentence for the user) and
 * reason_status (the failure's kind, nc_status_name), both required, and
 * clears its result; nc_store_run_finish with any status clears both
 * again. NC_ERR_NOTFOUND for an unknown run. */
nc_status nc_store_run_fail(nc_ctx *ctx, nc_store *st, int64_t run,
                            const char *reason, const char *reason_status);

#endif
