/*
 * campaign.c — runs a search campaign: ask the strategy, evaluate, store the
 * trial, tell; resumable from the stored trials alone (see campaign.h).
 */
#include "campaign/campaign.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "campaign/evaluator.h"
#include "campaign/latency.h"
#include "search/pareto.h"
#include "campaign/zc.h"
#include "supernet/spaces.h"
#include "data/dataset.h"

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
static nc_status session_open(nc_ctx *ctx, nc_store *db, int64_t run,
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
        (st = nc_eval_latency_open(ctx, db, run, cfg, s->sp, &s->lat)))
        return st;
    return s->vt->open(ctx, db, run, cfg, s->sp, &s->ev);
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
static nc_status evaluate(nc_ctx *ctx, const session *s, int64_t t,
                          const nc_arch *a, double *obj, nc_eval_result *r,
                          double *lat_ms)
{
    *lat_ms = NAN;
    nc_status st = s->vt->evaluate(ctx, s->ev, t, a, r);
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

double nc_campaign_trial_metric(const nc_trial_rec *t, const char *name)
{
    double v = NAN;
    cJSON *m = t->metrics_json ? cJSON_Parse(t->metrics_json) : NULL;
    cJSON *x = m ? cJSON_GetObjectItemCaseSensitive(m, name) : NULL;
    if (cJSON_IsNumber(x))
        v = x->valuedouble;
    cJSON_Delete(m);
    return v;
}

nc_status nc_campaign_summarize(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                                const nc_trial_rec *recs, int n,
                                nc_campaign_result *res)
{
    int64_t run = res->run;
    memset(res, 0, sizeof *res);
    res->run = run;
    res->budget = cfg->budget;
    res->trials = n;
    res->best_trial = -1;
    res->best_select = res->best_report = NAN;
    for (int k = 0; k < NC_MAX_OBJ; k++)
        res->best_obj[k] = NAN;
    int no = cfg->n_obj, mini = nc_campaign_objective_minimized(cfg->obj[0]);
    double *obj = malloc(((size_t)n + 1) * (size_t)no * sizeof *obj);
    int *rank = malloc(((size_t)n + 1) * sizeof *rank);
    if (!obj || !rank) {
        free(obj);
        free(rank);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    int m = 0, best = -1;
    for (int i = 0; i < n; i++) {
        res->seconds += recs[i].seconds;
        if (strcmp(recs[i].status, "done") != 0 || recs[i].n_obj != no)
            continue;
        memcpy(obj + (size_t)m * no, recs[i].obj, (size_t)no * sizeof *obj);
        m++;
        double v = recs[i].obj[0];
        /* Ties keep the earlier trial, so the answer does not depend on
         * anything but the trials. */
        if (best < 0 || (mini ? v < recs[best].obj[0] : v > recs[best].obj[0]))
            best = i;
    }
    int maxim[NC_MAX_OBJ];
    for (int k = 0; k < no; k++)
        maxim[k] = !nc_campaign_objective_minimized(cfg->obj[k]);
    if (m > 0 && nc_pareto_front(m, no, obj, maxim, rank) < 0) {
        free(obj);
        free(rank);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < m; i++)
        res->pareto_size += rank[i] == 0;
    free(obj);
    free(rank);
    if (best >= 0) {
        res->best_trial = recs[best].trial;
        snprintf(res->best_arch, sizeof res->best_arch, "%s", recs[best].arch);
        for (int k = 0; k < no; k++)
            res->best_obj[k] = recs[best].obj[k];
        res->best_select = nc_campaign_trial_metric(&recs[best], cfg->select_metric);
        res->best_report = nc_campaign_trial_metric(&recs[best], cfg->report_metric);
    }
    return NC_OK;
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

char *nc_campaign_result_to_json(const nc_campaign_cfg *cfg,
                                 const nc_campaign_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "run", (double)r->run);
    cJSON_AddNumberToObject(o, "trials", (double)r->trials);
    cJSON_AddNumberToObject(o, "budget", (double)r->budget);
    cJSON_AddNumberToObject(o, "best_trial", (double)r->best_trial);
    cJSON_AddStringToObject(o, "best_arch", r->best_arch);
    cJSON *b = cJSON_AddObjectToObject(o, "best");
    for (int k = 0; b && k < cfg->n_obj; k++)
        add_num(b, nc_campaign_objective_name(cfg->obj[k]), r->best_obj[k]);
    cJSON *mt = cJSON_AddObjectToObject(o, "best_metrics");
    if (mt) {
        add_num(mt, cfg->select_metric, r->best_select);
        if (strcmp(cfg->report_metric, cfg->select_metric) != 0)
            add_num(mt, cfg->report_metric, r->best_report);
    }
    cJSON_AddNumberToObject(o, "pareto_size", r->pareto_size);
    add_num(o, "seconds", r->seconds);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

nc_status nc_campaign_cfg_of_run(nc_ctx *ctx, nc_store *db, int64_t run,
                                 nc_campaign_cfg *cfg)
{
    nc_run_info info;
    nc_status st = nc_store_run_get(ctx, db, run, &info);
    if (st)
        return st;
    if (strcmp(info.kind, "search") != 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is a '%s' run, not a search "
                     "campaign", (long long)run, info.kind);
    else
        st = nc_campaign_cfg_from_json(ctx, info.config_json, cfg);
    nc_run_info_clear(&info);
    return st;
}

nc_status nc_campaign_create(nc_ctx *ctx, nc_store *db,
                             const nc_campaign_cfg *cfg, int64_t *run)
{
    nc_status st = nc_campaign_cfg_validate(ctx, cfg);
    if (st)
        return st;
    /* Refuses a missing table or an unimplemented evaluator before a run
     * exists that could never finish. */
    if ((st = session_check(ctx, cfg)))
        return st;
    char *js = nc_campaign_cfg_to_json(cfg);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_run_info info = { .kind = "search", .config_json = js,
                         .code_version = NC_VERSION, .seed = cfg->seed,
                         .threads = cfg->threads };
    st = nc_store_run_create(ctx, db, &info, run);
    free(js);
    if (st)
        return st;
    nc_campaign_rec c = { .space = cfg->space,
                          .strategy = nc_campaign_strategy_name(cfg->strategy),
                          .budget = cfg->budget, .status = "running" };
    return nc_store_campaign_put(ctx, db, *run, &c);
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

/* Evaluates and stores trial t, then tells the strategy. The trial is put
 * before the tell so that what the strategy knows is never ahead of the
 * store: a kill between the two loses nothing on replay. *failed is set for
 * a trial the evaluator reports as failed (stored without objectives). */
static nc_status one_trial(nc_ctx *ctx, nc_store *db, int64_t run,
                           const session *ss, nc_strategy *s, int64_t t,
                           double *obj, int *failed, double *secs)
{
    const nc_campaign_cfg *c = ss->cfg;
    nc_proposal p;
    nc_status st = nc_strategy_ask(ctx, s, t, &p);
    if (st)
        return st;
    double t0 = now_seconds(), lat_ms = NAN;
    nc_eval_result r;
    st = evaluate(ctx, ss, t, &p.arch, obj, &r, &lat_ms);
    if (st)
        return st;
    *failed = r.failed;
    *secs = now_seconds() - t0;
    char arch[NC_ARCH_STR_MAX];
    if (ss->sp->format(ss->sp, &p.arch, arch, sizeof arch) < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: cannot format the "
                       "architecture of trial %lld", (long long)t);
    char *metrics = r.failed ? NULL : metrics_json(c, &r, lat_ms);
    if (!r.failed && !metrics)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_trial_rec rec = { .trial = (int)t, .arch = arch,
                         .origin = origin_name(p.origin),
                         .parent1 = p.n_parents > 0 ? p.parents[0] : -1,
                         .parent2 = p.n_parents > 1 ? p.parents[1] : -1,
                         .status = r.failed ? "failed" : "done",
                         .n_obj = r.failed ? 0 : c->n_obj,
                         .metrics_json = r.failed ? "{}" : metrics,
                         .seconds = *secs };
    for (int k = 0; !r.failed && k < c->n_obj; k++)
        rec.obj[k] = obj[k];
    st = nc_store_trial_put(ctx, db, run, &rec);
    free(metrics);
    if (st)
        return st;
    double told[NC_MAX_OBJ];
    if (r.failed)
        failed_values(c, told);
    else
        told_values(c, obj, told);
    return nc_strategy_tell_multi(ctx, s, t, &p.arch, told, c->n_obj);
}

/* Marks run and campaign done with the summary of all stored trials. */
static nc_status finish(nc_ctx *ctx, nc_store *db, int64_t run,
                        const nc_campaign_cfg *cfg, nc_campaign_result *r)
{
    nc_trial_rec *recs = NULL;
    int n = 0;
    nc_status st = nc_store_trials(ctx, db, run, &recs, &n);
    if (!st) {
        r->run = run;
        st = nc_campaign_summarize(ctx, cfg, recs, n, r);
    }
    nc_trial_recs_free(recs, n);
    if (st || n < cfg->budget)
        return st;
    char *js = nc_campaign_result_to_json(cfg, r);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_campaign_rec c = { .space = cfg->space,
                          .strategy = nc_campaign_strategy_name(cfg->strategy),
                          .budget = cfg->budget, .status = "done" };
    st = nc_store_campaign_put(ctx, db, run, &c);
    if (!st)
        st = nc_store_run_finish(ctx, db, run, "done", js);
    free(js);
    return st;
}

nc_status nc_campaign_continue(nc_ctx *ctx, nc_store *db, int64_t run,
                               const nc_campaign_progress *prog,
                               int64_t max_trials, nc_campaign_result *res)
{
    nc_run_info info;
    nc_status st = nc_store_run_get(ctx, db, run, &info);
    if (st)
        return st;
    if (strcmp(info.kind, "search") != 0)
        st = nc_fail(ctx, NC_ERR_STATE, "run %lld is a '%s' run, not a search "
                     "campaign", (long long)run, info.kind);
    else if (strcmp(info.status, "done") == 0)
        st = nc_fail(ctx, NC_ERR_STATE, "campaign %lld is already done",
                     (long long)run);
    nc_run_info_clear(&info);
    if (st)
        return st;
    nc_campaign_cfg cfg;
    if ((st = nc_campaign_cfg_of_run(ctx, db, run, &cfg)) ||
        (st = nc_campaign_cfg_validate(ctx, &cfg)))
        return st;

    session ss;
    nc_strategy *s = NULL;
    nc_trial_rec *recs = NULL;
    int n = 0;
    st = session_open(ctx, db, run, &cfg, &ss);
    nc_zc *zc = NULL;
    if (!st) {
        nc_strategy_cfg scfg = nc_campaign_strategy_cfg(&cfg);
        st = nc_strategy_new(ctx, cfg.strategy, ss.sp, &scfg, &s);
        if (!st && cfg.strategy == NC_STRATEGY_PREDICTIVE &&
            (scfg.zc_pool || scfg.zc_feature) &&
            !(st = nc_zc_new(ctx, ss.sp, cfg.pred.zc_proxy, ss.in, ss.n_classes,
                             cfg.seed, cfg.threads, &zc)))
            nc_strategy_set_zc(s, nc_zc_score, zc);
    }
    if (!st)
        st = nc_store_trials(ctx, db, run, &recs, &n);
    if (!st)
        st = replay(ctx, &cfg, ss.sp, s, run, recs, n);

    /* The running best, for progress only; the stored result comes from
     * nc_campaign_summarize over the store. */
    int mini = nc_campaign_objective_minimized(cfg.obj[0]);
    double best = NAN;
    for (int i = 0; !st && i < n; i++)
        if (strcmp(recs[i].status, "done") == 0 &&
            (isnan(best) || (mini ? recs[i].obj[0] < best : recs[i].obj[0] > best)))
            best = recs[i].obj[0];
    double secs_all = 0;
    for (int64_t t = n; !st && t < cfg.budget &&
                        (max_trials < 0 || t - n < max_trials); t++) {
        double obj[NC_MAX_OBJ], secs = 0;
        int failed = 0;
        st = one_trial(ctx, db, run, &ss, s, t, obj, &failed, &secs);
        if (st)
            break;
        secs_all += secs;
        if (!failed &&
            (isnan(best) || (mini ? obj[0] < best : obj[0] > best)))
            best = obj[0];
        if (prog && prog->fn)
            prog->fn(prog->ud, t + 1, cfg.budget, best, secs_all);
    }
    nc_trial_recs_free(recs, n);
    nc_strategy_free(s);
    nc_zc_free(zc);
    session_close(&ss);
    nc_campaign_result r;
    memset(&r, 0, sizeof r);
    if (!st)
        st = finish(ctx, db, run, &cfg, &r);
    if (!st && res)
        *res = r;
    return st;
}

nc_status nc_campaign_start(nc_ctx *ctx, nc_store *db,
                            const nc_campaign_cfg *cfg,
                            const nc_campaign_progress *prog, int64_t *run,
                            nc_campaign_result *res)
{
    int64_t id;
    nc_status st = nc_campaign_create(ctx, db, cfg, &id);
    if (st)
        return st;
    if (run)
        *run = id;
    return nc_campaign_continue(ctx, db, id, prog, -1, res);
}

nc_status nc_campaign_resume(nc_ctx *ctx, nc_store *db, int64_t run,
                             const nc_campaign_progress *prog,
                             nc_campaign_result *res)
{
    return nc_campaign_continue(ctx, db, run, prog, -1, res);
}
