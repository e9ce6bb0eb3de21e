/*
 * darts_log.c — DARTS runs in the run log: the job of kind "darts" for the
 * run layer (run/run.h), resuming from the newer of its two kinds of
 * commit, and the result JSON (see darts.h, "Logged runs").
 */
#include "supernet/darts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "run/run.h"

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

/* What one logged DARTS run holds: the job, its data and the search. */
typedef struct session {
    nc_darts_job job;
    nc_dataset *train, *valid, *test;
    nc_darts *d;
    const nc_darts_progress *prog;
    nc_darts_event ev;         /* of the last unit */
    int64_t units;             /* units done */
    nc_epoch_metrics m;        /* the last epoch unit's row */
} session;

static void session_free(session *s)
{
    if (!s)
        return;
    nc_darts_free(s->d);
    nc_dataset_free(s->train);
    nc_dataset_free(s->valid);
    nc_dataset_free(s->test);
    free(s);
}

/* Loads the data and builds the run at its start; the thread count is the
 * job's, fixed before the supernet is built (it is part of what makes the
 * bits reproducible). */
static nc_status session_setup(nc_ctx *ctx, session *s, const nc_darts_job *j)
{
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
    return nc_darts_new(ctx, &j->darts, j->threads, s->train, s->valid,
                        &s->d);
}

static nc_status darts_open(nc_ctx *ctx, const char *json, const void *hooks,
                            void **job)
{
    *job = NULL;
    nc_darts_job j;
    nc_status st = nc_darts_job_from_json(ctx, json, &j);
    if (st)
        return st;
    session *s = calloc(1, sizeof *s);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    if ((st = session_setup(ctx, s, &j))) {
        session_free(s);
        return st;
    }
    s->prog = hooks;
    *job = s;
    return NC_OK;
}

/* The newer of a run's two commits (epoch checkpoint, decision blob), or
 * NULL when there is none yet. */
static nc_status newest_state(nc_ctx *ctx, nc_run *run, void **blob,
                              size_t *len)
{
    void *eb = NULL, *sb = NULL;
    size_t el = 0, sl = 0;
    *blob = NULL;
    *len = 0;
    nc_status st = nc_run_ckpt(ctx, run, &eb, &el, NULL);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        eb = NULL;
    } else if (st) {
        return st;
    }
    st = nc_run_state(ctx, run, STATE_NAME, &sb, &sl);
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

static nc_status darts_restore(nc_ctx *ctx, void *job, nc_run *run)
{
    session *s = job;
    void *blob = NULL;
    size_t len = 0;
    nc_status st = newest_state(ctx, run, &blob, &len);
    if (!st && blob) {
        if ((st = nc_darts_unpack(ctx, s->d, blob, len)))
            nc_ctx_prefix(ctx, "run %lld", (long long)nc_run_id(run));
        else
            s->units = (int64_t)nc_darts_blob_units(blob, len);
    }
    free(blob);
    return st;
}

/* One unit: an epoch is an epoch row carrying the packed state, a decision
 * the packed state under STATE_NAME. */
static nc_status darts_step(nc_ctx *ctx, void *job, nc_run *run, nc_unit *u,
                            nc_step *what)
{
    (void)run;
    session *s = job;
    nc_status st = nc_darts_next(ctx, s->d, s->prog, &s->ev);
    if (st)
        return st;
    if (s->ev.unit == NC_DARTS_DONE) {
        *what = NC_STEP_DONE;
        return NC_OK;
    }
    s->units++;
    *what = NC_STEP_UNIT;
    if (s->ev.unit == NC_DARTS_EPOCH) {
        const nc_darts_event *ev = &s->ev;
        s->m = (nc_epoch_metrics){
            .epoch = ev->epoch.epoch, .step = ev->w_steps, .lr = ev->lr,
            .train_loss = ev->epoch.train_loss,
            .train_accuracy = ev->epoch.train_accuracy,
            .valid_loss = NAN, .valid_accuracy = ev->epoch.valid_accuracy,
            .seconds = ev->epoch.seconds,
        };
        u->epoch = &s->m;
    } else {
        u->state_name = STATE_NAME;
    }
    return NC_OK;
}

static nc_status darts_pack(nc_ctx *ctx, void *job, void **blob, size_t *len)
{
    session *s = job;
    return nc_darts_pack(ctx, s->d, blob, len);
}

/* The progress hooks, after the unit they report is in the log. */
static nc_status darts_after(nc_ctx *ctx, void *job)
{
    session *s = job;
    const nc_darts_progress *p = s->prog;
    const nc_darts_event *ev = &s->ev;
    if (ev->unit == NC_DARTS_EPOCH && p && p->epoch &&
        p->epoch(p->ud, &ev->epoch))
        return nc_fail(ctx, NC_ERR_STOPPED, "darts: stopped after epoch %d",
                       ev->epoch.epoch);
    if (ev->unit == NC_DARTS_DECISION && p && p->decision &&
        p->decision(p->ud, ev->decision, ev->edge, ev->op))
        return nc_fail(ctx, NC_ERR_STOPPED, "darts: stopped after DARTS-PT "
                       "decision %d", ev->decision + 1);
    return NC_OK;
}

static nc_status darts_result(nc_ctx *ctx, void *job, nc_run *run, void *out,
                              char **json)
{
    session *s = job;
    nc_darts_result r;
    nc_darts_result_of(s->d, &r);
    int nh;
    const float *h = nc_darts_alpha_history(s->d, &nh);
    *json = nc_darts_result_to_json(nc_run_id(run), &s->job.darts, &r, h, nh);
    if (!*json)
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    if (out)
        *(nc_darts_result *)out = r;
    return NC_OK;
}

static void darts_progress(const void *job, int64_t *done, int64_t *total)
{
    const session *s = job;
    const nc_darts_cfg *c = &s->job.darts;
    *done = s->units;
    *total = nc_darts_epochs_total(c) + (c->pt_epochs >= 0 ? E : 0);
}

static void darts_identity(const void *job, uint64_t *seed, int *threads)
{
    const session *s = job;
    *seed = s->job.darts.seed;
    *threads = s->job.threads;
}

static void darts_close(void *job)
{
    session_free(job);
}

const nc_job_vt nc_darts_job_vt = {
    .kind = "darts", .open = darts_open, .restore = darts_restore,
    .step = darts_step, .pack = darts_pack, .result = darts_result,
    .after = darts_after, .progress = darts_progress,
    .identity = darts_identity, .close = darts_close,
};
