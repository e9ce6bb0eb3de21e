/*
 * driver.c — the one driver of every logged job (run/run.h): create, own,
 * commit unit by unit, fail with a reason, resume, finish.
 */
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "run/owner.h"
#include "store/store.h"
#include "store/trials.h"

#ifndef NC_VERSION
#define NC_VERSION "unknown"
#endif

struct nc_run {
    nc_store *db;
    int64_t id;
    uint64_t seed;
    int threads;
};

/* How a kind is named in messages ("a training run"). */
static const char *kind_noun(const char *kind)
{
    if (strcmp(kind, "train") == 0)
        return "a training run";
    if (strcmp(kind, "darts") == 0)
        return "a DARTS run";
    if (strcmp(kind, "search") == 0)
        return "a search campaign";
    return "a run of that kind";
}

static nc_status job_open(nc_ctx *ctx, const char *kind, const char *json,
                          const void *hooks, const nc_job_vt **vt, void **job)
{
    *job = NULL;
    *vt = nc_job_find(kind);
    if (!*vt)
        return nc_fail(ctx, NC_ERR_STATE, "runs of kind '%s' are not known "
                       "to this nasc", kind);
    return (*vt)->open(ctx, json, hooks, job);
}

/* Commits one unit the job described, with its state when the unit keeps
 * one, and the progress after it. */
static nc_status unit_commit(nc_ctx *ctx, const nc_job_vt *vt, void *job,
                             nc_run *r, const nc_unit *u)
{
    void *blob = NULL;
    size_t len = 0;
    nc_status st = NC_OK;
    if (u->epoch || u->state_name)
        st = vt->pack(ctx, job, &blob, &len);
    if (st)
        return st;
    nc_store_unit su = { .epoch = u->epoch, .trial = u->trial,
                         .state_name = u->epoch ? NULL : u->state_name,
                         .state = blob, .state_len = len };
    vt->progress(job, &su.units_done, &su.units_total);
    st = nc_store_unit_commit(ctx, r->db, r->id, &su);
    free(blob);
    return st;
}

/* Restores the job, runs its units and finishes the run when the job says
 * nothing is left. */
static nc_status drive(nc_ctx *ctx, const nc_job_vt *vt, void *job,
                       nc_run *r, const nc_run_opts *o, char **result)
{
    nc_status st = vt->restore(ctx, job, r);
    nc_step what = NC_STEP_UNIT;
    for (int64_t n = 0; !st; n++) {
        if (o && o->max_units > 0 && n >= o->max_units) {
            what = NC_STEP_PAUSE;
            break;
        }
        nc_unit u = { 0 };
        st = vt->step(ctx, job, r, &u, &what);
        if (st || what != NC_STEP_UNIT)
            break;
        st = unit_commit(ctx, vt, job, r, &u);
        if (!st && vt->after)
            st = vt->after(ctx, job);
    }
    if (st || what != NC_STEP_DONE)
        return st;
    char *js = NULL;
    st = vt->result(ctx, job, r, o ? o->out : NULL, &js);
    if (!st)
        st = nc_store_run_finish(ctx, r->db, r->id, "done", js);
    if (!st && result) {
        *result = js;
        js = NULL;
    }
    free(js);
    return st;
}

/* drive, then the run's record of what happened: a failed unit marks the
 * run failed with ctx's message as its reason (quietly: the first error is
 * the one to report), and the run is released either way. */
static nc_status drive_owned(nc_ctx *ctx, const nc_job_vt *vt, void *job,
                             nc_run *r, const char *me,
                             const nc_run_opts *o, char **result)
{
    nc_status st = drive(ctx, vt, job, r, o, result);
    nc_ctx quiet;
    nc_ctx_init(&quiet);
    if (st && st != NC_ERR_STOPPED)
        nc_store_run_fail(&quiet, r->db, r->id,
                          ctx->msg[0] ? ctx->msg : nc_status_name(st),
                          nc_status_name(st));
    nc_store_run_claim(&quiet, r->db, r->id, me, NULL);
    return st;
}

/* Creates the row of a run for an opened job. */
static nc_status create_row(nc_ctx *ctx, nc_store *db, const nc_job_vt *vt,
                            const void *job, const char *json,
                            const char *owner, int64_t parent,
                            const char *tag, int64_t *id)
{
    nc_run_info info = { .kind = vt->kind, .config_json = json,
                         .code_version = NC_VERSION, .owner = owner,
                         .parent = parent, .tag = tag };
    int64_t done;
    vt->identity(job, &info.seed, &info.threads);
    vt->progress(job, &done, &info.units_total);
    return nc_store_run_create(ctx, db, &info, id);
}

nc_status nc_run_create(nc_ctx *ctx, nc_store *db, const char *kind,
                        const char *config_json, int64_t *id)
{
    const nc_job_vt *vt;
    void *job;
    nc_status st = job_open(ctx, kind, config_json, NULL, &vt, &job);
    if (!st)
        st = create_row(ctx, db, vt, job, config_json, NULL, 0, NULL, id);
    if (vt)
        vt->close(job);
    return st;
}

/* Creates the run of an opened job, owned by this process, and drives it. */
static nc_status start_job(nc_ctx *ctx, nc_store *db, const nc_job_vt *vt,
                           void *job, const char *json, int64_t parent,
                           const char *tag, const nc_run_opts *o,
                           int64_t *id, char **result)
{
    char me[NC_OWNER_MAX];
    nc_owner_self(me);
    nc_run r = { .db = db };
    nc_status st = create_row(ctx, db, vt, job, json, me, parent, tag, &r.id);
    if (st)
        return st;
    if (id)
        *id = r.id;
    vt->identity(job, &r.seed, &r.threads);
    return drive_owned(ctx, vt, job, &r, me, o, result);
}

nc_status nc_run_start(nc_ctx *ctx, nc_store *db, const char *kind,
                       const char *config_json, const nc_run_opts *opts,
                       int64_t *id, char **result)
{
    if (result)
        *result = NULL;
    const nc_job_vt *vt;
    void *job;
    nc_status st = job_open(ctx, kind, config_json,
                            opts ? opts->hooks : NULL, &vt, &job);
    if (!st)
        st = start_job(ctx, db, vt, job, config_json, 0, NULL, opts, id,
                       result);
    if (vt)
        vt->close(job);
    return st;
}

/* The run's row, refused unless it is of kind (when kind is given). */
static nc_status get_run(nc_ctx *ctx, nc_store *db, int64_t id,
                         const char *kind, nc_run_info *info)
{
    nc_status st = nc_store_run_get(ctx, db, id, info);
    if (!st && kind && strcmp(info->kind, kind) != 0) {
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is %s ('%s'), not %s",
                     (long long)id, kind_noun(info->kind), info->kind,
                     kind_noun(kind));
        nc_run_info_clear(info);
    }
    return st;
}

/* Whether run info may be continued by this process; the refusals say why
 * and what to do. */
static nc_status check_resumable(nc_ctx *ctx, const nc_run_info *info)
{
    long long id = (long long)info->id;
    if (strcmp(info->status, "done") == 0)
        return nc_fail(ctx, NC_ERR_STATE, "run %lld is already done; nothing "
                       "to resume (see: nasc show %lld)", id, id);
    if (strcmp(info->status, "failed") == 0 &&
        (!info->reason_status[0] ||
         strcmp(info->reason_status, nc_status_name(NC_ERR_NUMERIC)) == 0))
        /* The same seed and settings would fail the same way again. */
        return nc_fail(ctx, NC_ERR_STATE, "run %lld failed for good (%s); "
                       "resuming would repeat it — start a new run with "
                       "other settings", id,
                       info->reason[0] ? info->reason : "it diverged");
    if (info->owner[0] && nc_owner_alive(info->owner)) {
        char who[NC_OWNER_MAX + 32];
        nc_owner_describe(info->owner, who, sizeof who);
        return nc_fail(ctx, NC_ERR_STATE, "run %lld is being worked on by %s; "
                       "wait for it to end, or stop it and resume again", id,
                       who);
    }
    return NC_OK;
}

/* Takes run info for this process (me) and makes a failed one running
 * again. The compare-and-swap against the owner read before keeps two
 * processes that both saw it free from both taking it. */
static nc_status take(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                      const char *me)
{
    nc_status st = nc_store_run_claim(ctx, db, info->id, info->owner, me);
    if (st == NC_ERR_STATE)
        return nc_fail(ctx, NC_ERR_STATE, "run %lld was just taken by another "
                       "process", (long long)info->id);
    if (!st && strcmp(info->status, "failed") == 0 &&
        (st = nc_store_run_finish(ctx, db, info->id, "running", NULL))) {
        nc_ctx quiet;
        nc_ctx_init(&quiet);
        nc_store_run_claim(&quiet, db, info->id, me, NULL);
    }
    return st;
}

/* Resumes a run whose row is info with the job opened from it. */
static nc_status resume_job(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                            const nc_job_vt *vt, void *job,
                            const nc_run_opts *o, char **result)
{
    char me[NC_OWNER_MAX];
    nc_owner_self(me);
    nc_status st = take(ctx, db, info, me);
    if (st)
        return st;
    nc_run r = { .db = db, .id = info->id, .seed = info->seed,
                 .threads = info->threads };
    return drive_owned(ctx, vt, job, &r, me, o, result);
}

nc_status nc_run_resume(nc_ctx *ctx, nc_store *db, int64_t id,
                        const char *kind, const nc_run_opts *opts,
                        char **result)
{
    if (result)
        *result = NULL;
    nc_run_info info;
    nc_status st = get_run(ctx, db, id, kind, &info);
    if (st)
        return st;
    const nc_job_vt *vt = NULL;
    void *job = NULL;
    /* Refused before the job is built: a held run is refused at once, not
     * after loading its data. */
    st = check_resumable(ctx, &info);
    if (!st && (st = job_open(ctx, info.kind, info.config_json,
                              opts ? opts->hooks : NULL, &vt, &job)))
        nc_ctx_prefix(ctx, "run %lld", (long long)id);
    if (!st)
        st = resume_job(ctx, db, &info, vt, job, opts, result);
    if (vt)
        vt->close(job);
    nc_run_info_clear(&info);
    return st;
}

nc_status nc_run_load(nc_ctx *ctx, nc_store *db, int64_t id,
                      const char *kind, const nc_job_vt **vt, void **job)
{
    *vt = NULL;
    *job = NULL;
    nc_run_info info;
    nc_status st = get_run(ctx, db, id, kind, &info);
    if (st)
        return st;
    st = job_open(ctx, info.kind, info.config_json, NULL, vt, job);
    nc_run r = { .db = db, .id = id, .seed = info.seed,
                 .threads = info.threads };
    if (!st)
        st = (*vt)->restore(ctx, *job, &r);
    if (st) {
        nc_ctx_prefix(ctx, "run %lld", (long long)id);
        if (*vt)
            (*vt)->close(*job);
        *vt = NULL;
        *job = NULL;
    }
    nc_run_info_clear(&info);
    return st;
}

/* ---- for jobs ----------------------------------------------------------- */

int64_t nc_run_id(const nc_run *run) { return run->id; }
uint64_t nc_run_seed(const nc_run *run) { return run->seed; }
int nc_run_threads(const nc_run *run) { return run->threads; }

nc_status nc_run_info_get(nc_ctx *ctx, nc_run *run, nc_run_info *info)
{
    return nc_store_run_get(ctx, run->db, run->id, info);
}

nc_status nc_run_ckpt(nc_ctx *ctx, nc_run *run, void **blob, size_t *len,
                      int *epoch)
{
    return nc_store_ckpt_latest(ctx, run->db, run->id, blob, len, epoch);
}

nc_status nc_run_state(nc_ctx *ctx, nc_run *run, const char *name,
                       void **blob, size_t *len)
{
    return nc_store_state_get(ctx, run->db, run->id, name, blob, len);
}

nc_status nc_run_state_put(nc_ctx *ctx, nc_run *run, const char *name,
                           const void *blob, size_t len)
{
    return nc_store_state_put(ctx, run->db, run->id, name, blob, len);
}

nc_status nc_run_epochs(nc_ctx *ctx, nc_run *run, nc_epoch_metrics **out,
                        int *n)
{
    return nc_store_epochs(ctx, run->db, run->id, out, n);
}

nc_status nc_run_trials(nc_ctx *ctx, nc_run *run, nc_trial_rec **out, int *n)
{
    return nc_store_trials(ctx, run->db, run->id, out, n);
}

void nc_run_trials_free(nc_trial_rec *recs, int n)
{
    nc_trial_recs_free(recs, n);
}

nc_status nc_run_campaign_put(nc_ctx *ctx, nc_run *run,
                              const nc_campaign_rec *rec)
{
    return nc_store_campaign_put(ctx, run->db, run->id, rec);
}

/* Whether two configurations say the same (members in any order). */
static int same_config(const char *a, const char *b)
{
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    int same = x && y && cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* A child run that exists: read it, or continue it. */
static nc_status child_go_on(nc_ctx *ctx, nc_run *run, const char *tag,
                             const char *kind, const char *json,
                             nc_run_child_out *out)
{
    nc_run_info info;
    nc_status st = get_run(ctx, run->db, out->id, kind, &info);
    if (st)
        return st;
    if (!same_config(info.config_json, json))
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld ('%s' of run %lld) was "
                     "started with another configuration", (long long)out->id,
                     tag, (long long)run->id);
    else if (strcmp(info.status, "done") == 0)
        st = nc_store_run_result(ctx, run->db, out->id, &out->result);
    else if (strcmp(info.status, "failed") == 0 &&
             strcmp(info.reason_status, nc_status_name(NC_ERR_NUMERIC)) == 0)
        out->failed = 1;
    else
        st = nc_run_resume(ctx, run->db, out->id, kind, NULL, &out->result);
    nc_run_info_clear(&info);
    return st;
}

nc_status nc_run_child(nc_ctx *ctx, nc_run *run, const char *tag,
                       const char *kind, const char *config_json,
                       nc_run_child_out *out)
{
    memset(out, 0, sizeof *out);
    nc_status st = nc_store_run_child(ctx, run->db, run->id, tag, &out->id);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        const nc_job_vt *vt;
        void *job;
        st = job_open(ctx, kind, config_json, NULL, &vt, &job);
        if (!st)
            st = start_job(ctx, run->db, vt, job, config_json, run->id, tag,
                           NULL, &out->id, &out->result);
        if (vt)
            vt->close(job);
    } else if (!st) {
        st = child_go_on(ctx, run, tag, kind, config_json, out);
    }
    if (st == NC_ERR_NUMERIC) {
        /* Diverged: failed for good, which the parent records, not an
         * error of the parent's. */
        nc_ctx_clear(ctx);
        out->failed = 1;
        st = NC_OK;
    }
    return st;
}

nc_status nc_run_child_epochs(nc_ctx *ctx, nc_run *run, int64_t id,
                              nc_epoch_metrics **out, int *n)
{
    return nc_store_epochs(ctx, run->db, id, out, n);
}
