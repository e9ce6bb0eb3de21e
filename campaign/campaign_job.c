/*
 * campaign_job.c — a search campaign as a job of the run layer (run/run.h):
 * kind "search". Its units are the evaluator's preparation (the inherited
 * evaluator's supernet epochs, each with its checkpoint), then one trial
 * each: ask the strategy, evaluate, tell, and the trial row is committed.
 * Restoring replays the stored trials into a fresh strategy (its state is
 * a pure function of the told history), so a killed and resumed campaign
 * yields exactly the trials of an uninterrupted one.
 *
 * The evaluation cache: an architecture proposed again is not evaluated
 * again. The repeat is stored as a trial of its own (so that replay tells
 * the strategy exactly what it was told) with the first evaluation's
 * objectives and metrics, "cached_from" naming that trial and 0 seconds,
 * and it does not count against the budget: the campaign ends when budget
 * distinct architectures were evaluated, or after NC_CAMPAIGN_PROPOSALS_MAX
 * times the budget proposals, whichever comes first (a strategy that keeps
 * proposing what it has seen, in a space smaller than the budget).
 */
#include "campaign/campaign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign/evaluator.h"
#include "campaign/latency.h"
#include "campaign/zc.h"
#include "data/dataset.h"
#include "run/run.h"
#include "supernet/spaces.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *origin_name(nc_origin o)
{
    switch (o) {
    case NC_ORIGIN_RANDOM: return "random";
    case NC_ORIGIN_MUTATION: return "mutation";
    case NC_ORIGIN_CROSSOVER: return "crossover";
    case NC_ORIGIN_PREDICTED: return "predicted";
    case NC_ORIGIN_WARMUP: return "warmup";
    }
    return "?";
}

/* Everything a trial's evaluation needs, set up once per (re)start. */
typedef struct session {
    const nc_campaign_cfg *cfg;
    const nc_space *sp;
    const nc_evaluator_vt *vt;
    void *ev;                  /* the evaluator's state */
    nc_latency_table *lat;     /* latency objective only */
    nc_shape in;
    int n_classes;
    int need_cost, need_lat;
} session;

static void session_init(const nc_campaign_cfg *cfg, session *s)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    /* The configuration was validated, so the data set is known. */
    nc_dataset_facts(cfg->dataset, &s->in, &s->n_classes);
    for (int i = 0; i < cfg->n_obj; i++) {
        s->need_cost |= cfg->obj[i] == NC_OBJ_PARAMS || cfg->obj[i] == NC_OBJ_FLOPS;
        s->need_lat |= cfg->obj[i] == NC_OBJ_LATENCY;
    }
}

/* Refuses, before any run exists, what cannot be evaluated: failing at
 * campaign creation rather than after a long search keeps the store
 * clean. */
static nc_status session_check(nc_ctx *ctx, const nc_campaign_cfg *cfg)
{
    session s;
    session_init(cfg, &s);
    s.sp = nc_space_find(cfg->space);
    if (!s.sp)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: unknown space '%s'",
                       cfg->space);
    nc_status st = nc_evaluator_find(ctx, cfg->evaluator, &s.vt);
    if (!st)
        st = s.vt->check(ctx, cfg, s.sp);
    if (!st && s.need_lat)
        st = nc_eval_latency_check(ctx, cfg, s.sp);
    return st;
}

/* Opens the evaluator and the latency table of campaign `run`; both may do
 * their resumable first-session work here. */
static nc_status session_open(nc_ctx *ctx, nc_run *run,
                              const nc_campaign_cfg *cfg, session *s)
{
    session_init(cfg, s);
    s->sp = nc_space_find(cfg->space);
    if (!s->sp)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: unknown space '%s'",
                       cfg->space);
    nc_status st = nc_evaluator_find(ctx, cfg->evaluator, &s->vt);
    if (st)
        return st;
    if (s->need_lat &&
        (st = nc_eval_latency_open(ctx, run, cfg, s->sp, &s->lat)))
        return st;
    return s->vt->open(ctx, run, cfg, s->sp, &s->ev);
}

static void session_close(session *s)
{
    if (s->vt)
        s->vt->close(s->ev);
    s->ev = NULL;
    nc_latency_table_free(s->lat);
    s->lat = NULL;
}

/* Objective values (raw, in their own direction) of trial t's *a into obj,
 * the evaluator's metrics into *r, the predicted latency (NaN if not an
 * objective) into *lat_ms. */
static nc_status evaluate(nc_ctx *ctx, const session *s, nc_run *run,
                          int64_t t, const nc_arch *a, double *obj,
                          nc_eval_result *r, double *lat_ms)
{
    *lat_ms = NAN;
    nc_status st = s->vt->evaluate(ctx, s->ev, run, t, a, r);
    if (st || r->failed)
        return st;
    const nc_campaign_cfg *c = s->cfg;
    size_t params = 0;
    double macs = 0;
    if (s->need_cost &&
        (st = nc_space_cost(s->sp, ctx, a, s->in, s->n_classes, &params, &macs)))
        return st;
    if (s->need_lat &&
        (st = nc_latency_table_predict(ctx, s->lat, s->sp, a, s->in,
                                       s->n_classes, lat_ms)))
        return st;
    for (int i = 0; i < c->n_obj; i++) {
        switch (c->obj[i]) {
        case NC_OBJ_ACCURACY: obj[i] = r->select; break;
        case NC_OBJ_PARAMS: obj[i] = (double)params; break;
        case NC_OBJ_FLOPS: obj[i] = macs; break;   /* multiply-accumulates */
        case NC_OBJ_LATENCY: obj[i] = *lat_ms; break;
        }
    }
    return NC_OK;
}

/* What the strategy is told: NSGA-II reads the directions itself; the
 * single-objective strategies maximize objective 0, so a minimized one is
 * negated for them. */
static void told_values(const nc_campaign_cfg *c, const double *raw, double *out)
{
    for (int i = 0; i < c->n_obj; i++) {
        out[i] = raw[i];
        if (c->strategy != NC_STRATEGY_NSGA2 &&
            nc_campaign_objective_minimized(c->obj[i]))
            out[i] = -raw[i];
    }
}

/* What the strategy is told for a failed trial: the worst possible value in
 * each objective, so that it is never selected. */
static void failed_values(const nc_campaign_cfg *c, double *out)
{
    for (int k = 0; k < c->n_obj; k++)
        out[k] = c->strategy == NC_STRATEGY_NSGA2 &&
                 nc_campaign_objective_minimized(c->obj[k]) ? INFINITY
                                                            : -INFINITY;
}

/* Replays the stored trials into s. They must be exactly 0..n-1: a gap would
 * mean the history differs from the one the later trials were asked from. */
static nc_status replay(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                        const nc_space *sp, nc_strategy *s, int64_t run,
                        const nc_trial_rec *recs, int n)
{
    for (int i = 0; i < n; i++) {
        const nc_trial_rec *t = &recs[i];
        if (t->trial != i)
            return nc_fail(ctx, NC_ERR_STATE, "campaign %lld: stored trials are "
                           "not 0..%d (trial %d at position %d)", (long long)run,
                           n - 1, t->trial, i);
        nc_arch a;
        memset(&a, 0, sizeof a);
        nc_status st = sp->parse(sp, ctx, t->arch, &a);
        if (st)
            return st;
        double told[NC_MAX_OBJ];
        if (strcmp(t->status, "done") == 0 && t->n_obj == cfg->n_obj) {
            told_values(cfg, t->obj, told);
        } else {
            /* A failed trial is the worst possible, as when it was told. */
            failed_values(cfg, told);
        }
        st = nc_strategy_tell_multi(ctx, s, i, &a, told, cfg->n_obj);
        if (st)
            return st;
    }
    return NC_OK;
}

/* The trial's metrics JSON: the select and report metrics under their
 * configured names, the evaluator's extras, and latency_ms when latency is
 * an objective. NaN (a failed trial) is null. NULL if out of memory. */
static char *metrics_json(const nc_campaign_cfg *c, const nc_eval_result *r,
                          double lat_ms)
{
    size_t n = 2 * NC_CAMPAIGN_NAME_MAX + NC_EVAL_EXTRA_MAX + 160, l = 0;
    char *m = malloc(n);
    if (!m)
        return NULL;
    char v[40];
    l += (size_t)snprintf(m + l, n - l, "{\"%s\": ", c->select_metric);
    snprintf(v, sizeof v, isfinite(r->select) ? "%.17g" : "null", r->select);
    l += (size_t)snprintf(m + l, n - l, "%s", v);
    if (strcmp(c->select_metric, c->report_metric) != 0) {
        snprintf(v, sizeof v, isfinite(r->report) ? "%.17g" : "null", r->report);
        l += (size_t)snprintf(m + l, n - l, ", \"%s\": %s", c->report_metric, v);
    }
    if (r->extra[0])
        l += (size_t)snprintf(m + l, n - l, ", %s", r->extra);
    if (isfinite(lat_ms))
        l += (size_t)snprintf(m + l, n - l, ", \"latency_ms\": %.17g", lat_ms);
    snprintf(m + l, n - l, "}");
    return m;
}


/* The job: the campaign, its strategy and evaluator, and where it stands. */
typedef struct campaign {
    nc_campaign_cfg cfg;
    const nc_campaign_hooks *hooks;
    session ss;
    int opened;                /* ss is open (restore ran) */
    nc_strategy *s;
    nc_zc *zc;
    int prepared;              /* the evaluator's preparation is done */
    int64_t prep_done, prep_total;
    /* The trials so far: their architectures (the cache's keys), the
     * first trial of each architecture, and the unique count. */
    char **arch;
    int64_t *first;
    int64_t n, cap, unique;
    int64_t asked;             /* trials done in this session */
    double best, secs;         /* for progress: best objective 0, seconds */
    /* The last trial unit, valid until the next step. */
    nc_trial_rec rec;
    char rec_arch[NC_ARCH_STR_MAX];
    char *rec_metrics;
    double rec_obj0;
    int rec_failed;
} campaign;

static void campaign_close(void *job)
{
    campaign *c = job;
    if (!c)
        return;
    nc_strategy_free(c->s);
    nc_zc_free(c->zc);
    if (c->opened)
        session_close(&c->ss);
    for (int64_t i = 0; i < c->n; i++)
        free(c->arch[i]);
    free(c->arch);
    free(c->first);
    free(c->rec_metrics);
    free(c);
}

static nc_status campaign_open(nc_ctx *ctx, const char *json,
                               const void *hooks, void **job)
{
    *job = NULL;
    campaign *c = calloc(1, sizeof *c);
    if (!c)
        return nc_fail(ctx, NC_ERR_NOMEM, "campaign: out of memory");
    c->hooks = hooks;
    c->best = NAN;
    nc_status st = nc_campaign_cfg_from_json(ctx, json, &c->cfg);
    if (!st)
        st = nc_campaign_cfg_validate(ctx, &c->cfg);
    /* Refuses a missing table or an evaluator that cannot serve the space
     * before a run exists that could never finish. */
    if (!st)
        st = session_check(ctx, &c->cfg);
    if (st) {
        campaign_close(c);
        return st;
    }
    *job = c;
    return NC_OK;
}

/* Adds trial arch to the cache's keys; *first gets the first trial of that
 * architecture (the trial itself when it is new). */
static nc_status remember(nc_ctx *ctx, campaign *c, const char *arch,
                          int64_t *first)
{
    *first = c->n;
    for (int64_t i = 0; i < c->n; i++)
        if (c->first[i] == i && strcmp(c->arch[i], arch) == 0) {
            *first = i;
            break;
        }
    if (c->n == c->cap) {
        int64_t cap = c->cap ? 2 * c->cap : 64;
        char **a = realloc(c->arch, (size_t)cap * sizeof *a);
        if (a)
            c->arch = a;
        int64_t *f = a ? realloc(c->first, (size_t)cap * sizeof *f) : NULL;
        if (!f)
            return nc_fail(ctx, NC_ERR_NOMEM, "campaign: out of memory");
        c->first = f;
        c->cap = cap;
    }
    if (!(c->arch[c->n] = strdup(arch)))
        return nc_fail(ctx, NC_ERR_NOMEM, "campaign: out of memory");
    c->first[c->n] = *first;
    c->unique += *first == c->n;
    c->n++;
    return NC_OK;
}

static void note_best(campaign *c, double v)
{
    int mini = nc_campaign_objective_minimized(c->cfg.obj[0]);
    if (isnan(c->best) || (mini ? v < c->best : v > c->best))
        c->best = v;
}

static nc_status campaign_restore(nc_ctx *ctx, void *job, nc_run *run)
{
    campaign *c = job;
    nc_campaign_cfg *cfg = &c->cfg;
    nc_status st = session_open(ctx, run, cfg, &c->ss);
    c->opened = 1;
    nc_strategy_cfg scfg = nc_campaign_strategy_cfg(cfg);
    if (!st)
        st = nc_strategy_new(ctx, cfg->strategy, c->ss.sp, &scfg, &c->s);
    if (!st && cfg->strategy == NC_STRATEGY_PREDICTIVE &&
        (scfg.zc_pool || scfg.zc_feature) &&
        !(st = nc_zc_new(ctx, c->ss.sp, cfg->pred.zc_proxy, c->ss.in,
                         c->ss.n_classes, cfg->seed, cfg->threads, &c->zc)))
        nc_strategy_set_zc(c->s, nc_zc_score, c->zc);
    if (st)
        return st;
    if (c->ss.vt->units)
        c->ss.vt->units(c->ss.ev, &c->prep_done, &c->prep_total);
    c->prepared = !c->ss.vt->prepare;
    nc_campaign_rec rec = { .space = cfg->space,
                            .strategy = nc_campaign_strategy_name(cfg->strategy),
                            .budget = cfg->budget, .status = "running" };
    if ((st = nc_run_campaign_put(ctx, run, &rec)))
        return st;
    nc_trial_rec *recs = NULL;
    int n = 0;
    st = nc_run_trials(ctx, run, &recs, &n);
    if (!st)
        st = replay(ctx, cfg, c->ss.sp, c->s, nc_run_id(run), recs, n);
    for (int i = 0; !st && i < n; i++) {
        int64_t first;
        st = remember(ctx, c, recs[i].arch, &first);
        if (!st && strcmp(recs[i].status, "done") == 0)
            note_best(c, recs[i].obj[0]);
    }
    nc_run_trials_free(recs, n);
    return st;
}

/* The metrics of a repeat: those of its first trial, marked. */
static char *cached_metrics(const char *orig, int64_t first)
{
    size_t n = strlen(orig) + 48;
    char *m = malloc(n);
    if (!m)
        return NULL;
    const char *body = orig[0] == '{' ? orig + 1 : "}";
    while (*body == ' ')
        body++;
    snprintf(m, n, "{\"cached_from\": %lld%s%s", (long long)first,
             *body == '}' ? "" : ", ", body);
    return m;
}

/* Trial t as a repeat of trial first: its row read back from the log. */
static nc_status repeat_trial(nc_ctx *ctx, campaign *c, nc_run *run,
                              int64_t first, double *obj)
{
    nc_trial_rec *recs = NULL;
    int n = 0;
    nc_status st = nc_run_trials(ctx, run, &recs, &n);
    if (!st && first >= n)
        st = nc_fail(ctx, NC_ERR_STATE, "campaign %lld: trial %lld is not "
                     "stored", (long long)nc_run_id(run), (long long)first);
    if (!st) {
        const nc_trial_rec *f = &recs[first];
        c->rec_failed = strcmp(f->status, "done") != 0;
        c->rec.status = c->rec_failed ? "failed" : "done";
        c->rec.n_obj = c->rec_failed ? 0 : f->n_obj;
        for (int k = 0; k < f->n_obj; k++)
            obj[k] = c->rec.obj[k] = f->obj[k];
        if (!(c->rec_metrics = cached_metrics(f->metrics_json, first)))
            st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    nc_run_trials_free(recs, n);
    return st;
}

/* Evaluates trial t into c->rec. */
static nc_status new_trial(nc_ctx *ctx, campaign *c, nc_run *run, int64_t t,
                           const nc_arch *a, double *obj)
{
    double t0 = now_seconds(), lat_ms = NAN;
    nc_eval_result r;
    nc_status st = evaluate(ctx, &c->ss, run, t, a, obj, &r, &lat_ms);
    if (st)
        return st;
    c->rec.seconds = now_seconds() - t0;
    c->rec_failed = r.failed;
    c->rec.status = r.failed ? "failed" : "done";
    c->rec.n_obj = r.failed ? 0 : c->cfg.n_obj;
    for (int k = 0; !r.failed && k < c->cfg.n_obj; k++)
        c->rec.obj[k] = obj[k];
    if (!r.failed && !(c->rec_metrics = metrics_json(&c->cfg, &r, lat_ms)))
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    return NC_OK;
}

/* Asks, evaluates (or finds in the cache) and tells trial t. The trial is
 * committed by the driver after this returns; a kill before that loses
 * only this trial, which replay then asks again. */
static nc_status one_trial(nc_ctx *ctx, campaign *c, nc_run *run, int64_t t)
{
    const nc_campaign_cfg *cfg = &c->cfg;
    nc_proposal p;
    nc_status st = nc_strategy_ask(ctx, c->s, t, &p);
    if (st)
        return st;
    if (c->ss.sp->format(c->ss.sp, &p.arch, c->rec_arch,
                         sizeof c->rec_arch) < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: cannot format the "
                       "architecture of trial %lld", (long long)t);
    free(c->rec_metrics);
    c->rec_metrics = NULL;
    memset(&c->rec, 0, sizeof c->rec);
    int64_t first;
    if ((st = remember(ctx, c, c->rec_arch, &first)))
        return st;
    double obj[NC_MAX_OBJ] = { 0 };
    if (first < t)
        st = repeat_trial(ctx, c, run, first, obj);
    else
        st = new_trial(ctx, c, run, t, &p.arch, obj);
    if (st) {
        /* Not stored: the cache must not know it either. */
        c->unique -= first == t;
        free(c->arch[--c->n]);
        return st;
    }
    c->rec.trial = (int)t;
    c->rec.arch = c->rec_arch;
    c->rec.origin = origin_name(p.origin);
    c->rec.parent1 = p.n_parents > 0 ? p.parents[0] : -1;
    c->rec.parent2 = p.n_parents > 1 ? p.parents[1] : -1;
    c->rec.metrics_json = c->rec_failed ? "{}" : c->rec_metrics;
    double told[NC_MAX_OBJ];
    if (c->rec_failed)
        failed_values(cfg, told);
    else
        told_values(cfg, obj, told);
    c->rec_obj0 = obj[0];
    return nc_strategy_tell_multi(ctx, c->s, t, &p.arch, told, cfg->n_obj);
}

static nc_status campaign_step(nc_ctx *ctx, void *job, nc_run *run,
                               nc_unit *u, nc_step *what)
{
    campaign *c = job;
    *what = NC_STEP_UNIT;
    if (!c->prepared) {
        nc_status st = c->ss.vt->prepare(ctx, c->ss.ev, u, what);
        if (st)
            return st;
        c->ss.vt->units(c->ss.ev, &c->prep_done, &c->prep_total);
        if (*what != NC_STEP_DONE)
            return NC_OK;
        c->prepared = 1;
        *what = NC_STEP_UNIT;
    }
    const nc_campaign_cfg *cfg = &c->cfg;
    if (c->unique >= cfg->budget ||
        c->n >= cfg->budget * NC_CAMPAIGN_PROPOSALS_MAX) {
        *what = NC_STEP_DONE;
        return NC_OK;
    }
    if (c->hooks && c->hooks->max_trials >= 0 &&
        c->asked >= c->hooks->max_trials) {
        *what = NC_STEP_PAUSE;
        return NC_OK;
    }
    nc_status st = one_trial(ctx, c, run, c->n);
    if (st)
        return st;
    c->asked++;
    c->secs += c->rec.seconds;
    if (!c->rec_failed)
        note_best(c, c->rec_obj0);
    u->trial = &c->rec;
    return NC_OK;
}

static nc_status campaign_pack(nc_ctx *ctx, void *job, void **blob,
                               size_t *len)
{
    campaign *c = job;
    return c->ss.vt->pack(ctx, c->ss.ev, blob, len);
}

/* Progress after each stored trial. */
static nc_status campaign_after(nc_ctx *ctx, void *job)
{
    (void)ctx;
    campaign *c = job;
    const nc_campaign_progress *p = c->hooks ? c->hooks->prog : NULL;
    if (c->prepared && p && p->fn)
        p->fn(p->ud, c->unique, c->cfg.budget, c->best, c->secs);
    return NC_OK;
}

static nc_status campaign_result(nc_ctx *ctx, void *job, nc_run *run,
                                 void *out, char **json)
{
    campaign *c = job;
    nc_trial_rec *recs = NULL;
    int n = 0;
    nc_campaign_result r;
    memset(&r, 0, sizeof r);
    r.run = nc_run_id(run);
    nc_status st = nc_run_trials(ctx, run, &recs, &n);
    if (!st)
        st = nc_campaign_summarize(ctx, &c->cfg, recs, n, &r);
    nc_run_trials_free(recs, n);
    if (st)
        return st;
    if (!(*json = nc_campaign_result_to_json(&c->cfg, &r)))
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_campaign_rec rec = { .space = c->cfg.space,
                            .strategy = nc_campaign_strategy_name(c->cfg.strategy),
                            .budget = c->cfg.budget, .status = "done" };
    if ((st = nc_run_campaign_put(ctx, run, &rec)))
        return st;
    if (out)
        *(nc_campaign_result *)out = r;
    return NC_OK;
}

static void campaign_progress(const void *job, int64_t *done, int64_t *total)
{
    const campaign *c = job;
    int64_t prep_total = c->prep_total;
    if (!c->opened && c->cfg.evaluator == NC_EVAL_INHERITED)
        prep_total = c->cfg.supernet_train.epochs;
    *done = c->prep_done + c->unique;
    *total = prep_total + c->cfg.budget;
}

static void campaign_identity(const void *job, uint64_t *seed, int *threads)
{
    const campaign *c = job;
    *seed = c->cfg.seed;
    *threads = c->cfg.threads;
}

const nc_job_vt nc_campaign_job = {
    .kind = "search", .open = campaign_open, .restore = campaign_restore,
    .step = campaign_step, .pack = campaign_pack, .result = campaign_result,
    .after = campaign_after, .progress = campaign_progress,
    .identity = campaign_identity, .close = campaign_close,
};

nc_status nc_campaign_job_evaluate(nc_ctx *ctx, void *job, const nc_arch *a,
                                   nc_eval_result *out)
{
    campaign *c = job;
    if (!c->opened || c->cfg.evaluator == NC_EVAL_SCRATCH)
        return nc_fail(ctx, NC_ERR_STATE, "campaign: only a loaded campaign "
                       "with the table or inherited evaluator evaluates "
                       "outside its trials");
    return c->ss.vt->evaluate(ctx, c->ss.ev, NULL, 0, a, out);
}
