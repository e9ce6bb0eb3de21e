/*
 * darts_log.c — DARTS runs in the run log: the job configuration as JSON,
 * a commit after every unit, resume from the newest commit, and the result
 * JSON (see darts.h, "Logged runs").
 */
#include "supernet/darts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "train/json_field.h"

#include "store/trials.h"

#ifndef NC_VERSION
#define NC_VERSION "unknown"
#endif

enum { E = NC_NB201_N_EDGES, K = NC_NB201_N_OPS, A = NC_DARTS_ALPHA };

/* Name of the state blob holding the state after a DARTS-PT decision. */
static const char STATE_NAME[] = "darts";


static cJSON *floats_json(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]))) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

/* NaN (not measured) has no JSON spelling: null. */
static cJSON *doubles_json(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        if (!cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i])
                                                    : cJSON_CreateNull())) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

char *nc_darts_result_to_json(int64_t run, const nc_darts_cfg *cfg,
                              const nc_darts_result *r, const float *history,
                              int n_history)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char s[NC_NB201_STR_MAX];
    float sm[A];
    for (int e = 0; e < E; e++) {
        const float *a = r->alpha + e * K;
        float mx = a[0];
        for (int k = 1; k < K; k++)
            mx = fmaxf(mx, a[k]);
        double z = 0;
        for (int k = 0; k < K; k++)
            z += exp((double)(a[k] - mx));
        for (int k = 0; k < K; k++)
            sm[e * K + k] = (float)(exp((double)(a[k] - mx)) / z);
    }
    double ord[E];
    for (int i = 0; i < E; i++)
        ord[i] = r->pt_order[i];
    cJSON *hist = cJSON_CreateArray();
    for (int i = 0; hist && i < n_history; i++)
        if (!cJSON_AddItemToArray(hist, floats_json(history + (size_t)i * A, A))) {
            cJSON_Delete(hist);
            hist = NULL;
        }
    int ok = hist != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "run", (double)run);
    nc_nb201_format(&r->darts, s, sizeof s);
    ok = ok && cJSON_AddStringToObject(o, "darts", s);
    if (cfg->pt_epochs >= 0) {
        nc_nb201_format(&r->pt, s, sizeof s);
        ok = ok && cJSON_AddStringToObject(o, "pt", s);
    } else {
        ok = ok && cJSON_AddNullToObject(o, "pt");
    }
    ok = ok && cJSON_AddNumberToObject(o, "supernet_accuracy",
                                       isfinite(r->supernet_accuracy)
                                       ? r->supernet_accuracy : 0) &&
         cJSON_AddNumberToObject(o, "epochs", r->epochs) &&
         cJSON_AddNumberToObject(o, "seconds", r->seconds) &&
         cJSON_AddStringToObject(o, "weights_sha256", r->weights_sha256) &&
         cJSON_AddItemToObject(o, "alpha", floats_json(r->alpha, A)) &&
         cJSON_AddItemToObject(o, "softmax", floats_json(sm, A)) &&
         cJSON_AddItemToObject(o, "pt_order", cfg->pt_epochs >= 0
                               ? doubles_json(ord, E) : cJSON_CreateNull()) &&
         cJSON_AddItemToObject(o, "pt_base", cfg->pt_epochs >= 0
                               ? doubles_json(r->pt_base, E) : cJSON_CreateNull()) &&
         cJSON_AddItemToObject(o, "pt_drop", cfg->pt_epochs >= 0
                               ? doubles_json(r->pt_drop, A) : cJSON_CreateNull());
    if (ok && (ok = cJSON_AddItemToObject(o, "alpha_history", hist)))
        hist = NULL;
    cJSON_Delete(hist);
    char *js = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return js;
}

/* What one logged session holds: the job, its data and the run. */
typedef struct session {
    nc_darts_job job;
    nc_dataset *train, *valid, *test;
    nc_darts *d;
} session;

static void session_free(session *s)
{
    nc_darts_free(s->d);
    nc_dataset_free(s->train);
    nc_dataset_free(s->valid);
    nc_dataset_free(s->test);
}

/* Loads the data and builds the run at its start; the thread count is the
 * job's, fixed before the supernet is built (it is part of what makes the
 * bits reproducible). */
static nc_status session_setup(nc_ctx *ctx, session *s, const nc_darts_job *j)
{
    memset(s, 0, sizeof *s);
    s->job = *j;
    nc_status st = nc_darts_job_validate(ctx, j);
    if (st)
        return st;
    st = nc_dataset_prepare(ctx, j->dataset, j->data_dir[0] ? j->data_dir : NULL,
                            j->valid, j->darts.seed, &s->train, &s->valid,
                            &s->test);
    if (st)
        return st;
    /* A prefix of the seeded split is a random subset. */
    if (j->train_samples > 0 && j->train_samples < s->train->n)
        s->train->n = j->train_samples;
    ctx->threads = j->threads;
    nc_ctx_apply_threads(ctx);
    return nc_darts_new(ctx, &j->darts, s->train, s->valid, &s->d);
}

/* Runs the remaining units, committing after each: an epoch as an epoch
 * row carrying the packed state, a decision as the state blob. Then stores
 * the result. */
static nc_status session_loop(nc_ctx *ctx, nc_store *db, int64_t run,
                              session *s, const nc_darts_progress *prog,
                              nc_darts_result *res)
{
    nc_status st;
    for (;;) {
        nc_darts_event ev;
        if ((st = nc_darts_next(ctx, s->d, prog, &ev)))
            return st;
        if (ev.unit == NC_DARTS_DONE)
            break;
        void *blob;
        size_t len;
        if ((st = nc_darts_pack(ctx, s->d, &blob, &len)))
            return st;
        if (ev.unit == NC_DARTS_EPOCH) {
            nc_epoch_metrics m = {
                .epoch = ev.epoch.epoch, .step = ev.w_steps, .lr = ev.lr,
                .train_loss = ev.epoch.train_loss,
                .train_accuracy = ev.epoch.train_accuracy,
                .valid_loss = NAN, .valid_accuracy = ev.epoch.valid_accuracy,
                .seconds = ev.epoch.seconds,
            };
            st = nc_store_epoch_commit(ctx, db, run, &m, blob, len);
        } else {
            st = nc_store_state_put(ctx, db, run, STATE_NAME, blob, len);
        }
        free(blob);
        if (st)
            return st;
        if (ev.unit == NC_DARTS_EPOCH && prog && prog->epoch &&
            prog->epoch(prog->ud, &ev.epoch))
            return nc_fail(ctx, NC_ERR_STATE, "darts: stopped after epoch %d",
                           ev.epoch.epoch);
        if (ev.unit == NC_DARTS_DECISION && prog && prog->decision &&
            prog->decision(prog->ud, ev.decision, ev.edge, ev.op))
            return nc_fail(ctx, NC_ERR_STATE, "darts: stopped after DARTS-PT "
                           "decision %d", ev.decision + 1);
    }
    nc_darts_result_of(s->d, res);
    int nh;
    const float *h = nc_darts_alpha_history(s->d, &nh);
    char *js = nc_darts_result_to_json(run, &s->job.darts, res, h, nh);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    st = nc_store_run_finish(ctx, db, run, "done", js);
    free(js);
    return st;
}

static void mark_failed(nc_store *db, int64_t run, nc_status st)
{
    /* A diverged search would diverge again; anything else (I/O, memory)
     * may pass, so the run stays resumable. */
    if (st == NC_ERR_NUMERIC) {
        nc_ctx quiet;
        nc_ctx_init(&quiet);
        nc_store_run_finish(&quiet, db, run, "failed", NULL);
    }
}

nc_status nc_darts_start(nc_ctx *ctx, nc_store *db, const nc_darts_job *j,
                         const nc_darts_progress *prog, int64_t *run,
                         nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    if (run)
        *run = 0;
    session s;
    nc_status st = session_setup(ctx, &s, j);
    char *js = st ? NULL : nc_darts_job_to_json(j);
    if (!st && !js)
        st = nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    int64_t id = 0;
    if (!st) {
        nc_run_info info = { .kind = "darts", .config_json = js,
                             .code_version = NC_VERSION, .seed = j->darts.seed,
                             .threads = j->threads };
        st = nc_store_run_create(ctx, db, &info, &id);
    }
    free(js);
    if (!st) {
        if (run)
            *run = id;
        if ((st = session_loop(ctx, db, id, &s, prog, res)))
            mark_failed(db, id, st);
    }
    session_free(&s);
    return st;
}

/* The newer of the run's two commits (epoch checkpoint, decision blob),
 * or NULL when there is none yet. */
static nc_status newest_state(nc_ctx *ctx, nc_store *db, int64_t run,
                              void **blob, size_t *len)
{
    void *eb = NULL, *sb = NULL;
    size_t el = 0, sl = 0;
    *blob = NULL;
    *len = 0;
    nc_status st = nc_store_ckpt_latest(ctx, db, run, &eb, &el, NULL);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        eb = NULL;
    } else if (st) {
        return st;
    }
    st = nc_store_state_get(ctx, db, run, STATE_NAME, &sb, &sl);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        sb = NULL;
    } else if (st) {
        free(eb);
        return st;
    }
    if (sb && (!eb || nc_darts_blob_units(sb, sl) > nc_darts_blob_units(eb, el))) {
        free(eb);
        *blob = sb;
        *len = sl;
    } else {
        free(sb);
        *blob = eb;
        *len = el;
    }
    return NC_OK;
}

nc_status nc_darts_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                          const nc_darts_progress *prog, nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    nc_run_info info;
    nc_status st = nc_store_run_get(ctx, db, run, &info);
    if (st)
        return st;
    if (strcmp(info.kind, "darts") != 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is a '%s' run, not a DARTS "
                     "run", (long long)run, info.kind);
    else if (strcmp(info.status, "done") == 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is already done; nothing to "
                     "resume (see: nasc show %lld)", (long long)run,
                     (long long)run);
    else if (strcmp(info.status, "failed") == 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld failed (the search "
                     "diverged); resuming would repeat it — start a new run "
                     "with other settings", (long long)run);
    nc_darts_job j;
    if (!st && (st = nc_darts_job_from_json(ctx, info.config_json, &j)))
        nc_ctx_prefix(ctx, "run %lld", (long long)run);
    nc_run_info_clear(&info);
    if (st)
        return st;
    session s;
    void *blob = NULL;
    size_t len = 0;
    if (!(st = session_setup(ctx, &s, &j)) &&
        !(st = newest_state(ctx, db, run, &blob, &len)) && blob &&
        (st = nc_darts_unpack(ctx, s.d, blob, len)))
        nc_ctx_prefix(ctx, "run %lld", (long long)run);
    free(blob);
    if (!st && (st = session_loop(ctx, db, run, &s, prog, res)))
        mark_failed(db, run, st);
    session_free(&s);
    return st;
}
