/*
 * campaign_cfg.c — the campaign file (campaign/campaign.h): defaults, JSON in
 * and out, validation and loading. Parsing follows train/config.c: every
 * error names the field path so a user can fix the file without reading code.
 */
#include "campaign/campaign.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "predictors/predictor.h"
#include "predictors/proxy.h"
#include "supernet/space.h"

static const char *const STRATEGIES[] = { "random", "evolution", "nsga2", "local",
                                          "predictive", NULL };
static const char *const EVALUATORS[] = { "table", "inherited", "scratch", NULL };
static const char *const SUPERNETS[] = { "none", "spos", "sandwich", NULL };
static const char *const OBJECTIVES[] = { "accuracy", "params", "flops", "latency", NULL };

static const char *name_of(const char *const *names, int n, int k)
{
    return k >= 0 && k < n ? names[k] : "?";
}

const char *nc_campaign_strategy_name(nc_strategy_kind k) { return name_of(STRATEGIES, 5, (int)k); }
const char *nc_campaign_evaluator_name(nc_evaluator_kind k) { return name_of(EVALUATORS, 3, (int)k); }
const char *nc_campaign_supernet_name(nc_supernet_kind k) { return name_of(SUPERNETS, 3, (int)k); }
const char *nc_campaign_objective_name(nc_objective o) { return name_of(OBJECTIVES, 4, (int)o); }
int nc_campaign_objective_minimized(nc_objective o) { return o != NC_OBJ_ACCURACY; }

static nc_campaign_train train_defaults(int epochs)
{
    nc_campaign_train t = { epochs, 128, 0.05, 0.9, 5e-4 };
    return t;
}

nc_campaign_cfg nc_campaign_cfg_defaults(void)
{
    nc_campaign_cfg c;
    memset(&c, 0, sizeof c);
    strcpy(c.space, "nb201");
    strcpy(c.dataset, "cifar10");
    c.supernet = NC_SUPERNET_NONE;
    c.supernet_train = train_defaults(50);
    c.super = (nc_campaign_super){ .nb201_c = 16, .nb201_n = 5, .valid = 10000,
                                   .recal_samples = 2000 };
    c.strategy = NC_STRATEGY_EVOLUTION;
    c.population = 10;
    c.sample = 3;
    c.crossover = 0;
    nc_strategy_cfg pd = nc_strategy_defaults(NC_STRATEGY_PREDICTIVE);
    c.pred = (nc_campaign_predictive){ pd.predictor, pd.init, pd.candidates,
                                       pd.parents, pd.mutations, pd.random_frac,
                                       pd.zc_pool, pd.zc_feature, "synflow",
                                       pd.ucb_beta };
    c.evaluator = NC_EVAL_TABLE;
    strcpy(c.select_metric, "cifar10_valid");
    strcpy(c.report_metric, "cifar10_test");
    c.scratch_train = train_defaults(10);
    c.scratch_valid = 5000;
    c.n_obj = 1;
    c.obj[0] = NC_OBJ_ACCURACY;
    c.budget = 100;
    c.seed = 1;
    c.threads = 1;
    return c;
}

nc_strategy_cfg nc_campaign_strategy_cfg(const nc_campaign_cfg *c)
{
    nc_strategy_cfg s = nc_strategy_defaults(c->strategy);
    s.seed = c->seed;
    s.population = c->population;
    /* Strategies other than evolution ignore sample, but nc_strategy_new
     * checks it against the population all the same. */
    s.sample = c->sample < 1 ? 1 : c->sample > c->population ? c->population
                                                               : c->sample;
    s.crossover = c->crossover;
    s.predictor = c->pred.predictor;
    s.init = c->pred.init;
    s.candidates = c->pred.candidates;
    s.parents = c->pred.parents;
    s.mutations = c->pred.mutations;
    s.random_frac = c->pred.random_frac;
    s.zc_pool = c->pred.zc_pool;
    s.zc_feature = c->pred.zc_feature;
    s.ucb_beta = c->pred.ucb_beta;
    s.n_obj = c->n_obj;
    for (int i = 0; i < c->n_obj && i < NC_MAX_OBJ; i++)
        s.minimize[i] = nc_campaign_objective_minimized(c->obj[i]);
    return s;
}

/* ---- validation ----------------------------------------------------------- */

static nc_status check_int(nc_ctx *ctx, const char *field, long long v,
                           long long lo, long long hi)
{
    if (v < lo || v > hi)
        return nc_fail(ctx, NC_ERR_RANGE, "campaign: field '%s': %lld is outside "
                       "%lld..%lld", field, v, lo, hi);
    return NC_OK;
}

static nc_status check_dbl(nc_ctx *ctx, const char *field, double v, double lo,
                           double hi)
{
    if (!(v >= lo && v <= hi))
        return nc_fail(ctx, NC_ERR_RANGE, "campaign: field '%s': %g is outside "
                       "%g..%g", field, v, lo, hi);
    return NC_OK;
}

static nc_status check_train(nc_ctx *ctx, const char *obj,
                             const nc_campaign_train *t)
{
    char f[64];
    nc_status st;
    snprintf(f, sizeof f, "%s.epochs", obj);
    if ((st = check_int(ctx, f, t->epochs, 1, 100000)))
        return st;
    snprintf(f, sizeof f, "%s.batch", obj);
    if ((st = check_int(ctx, f, t->batch, 1, 65536)))
        return st;
    snprintf(f, sizeof f, "%s.lr", obj);
    if ((st = check_dbl(ctx, f, t->lr, 1e-12, 100)))
        return st;
    snprintf(f, sizeof f, "%s.momentum", obj);
    if ((st = check_dbl(ctx, f, t->momentum, 0, 0.9999)))
        return st;
    snprintf(f, sizeof f, "%s.weight_decay", obj);
    return check_dbl(ctx, f, t->weight_decay, 0, 1);
}

nc_status nc_campaign_cfg_validate(nc_ctx *ctx, const nc_campaign_cfg *c)
{
    nc_status st;
    if (!nc_space_find(c->space))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'space': unknown space "
                       "'%s' (known: %s)", c->space, nc_space_names());
    if (!nc_dataset_default_dir(c->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'dataset': unknown data "
                       "set '%s' (known: fashion-mnist, mnist, cifar10, cifar100)",
                       c->dataset);
    if ((int)c->supernet < 0 || (int)c->supernet > NC_SUPERNET_SANDWICH)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'supernet.kind': unknown "
                       "supernet (known: none, spos, sandwich)");
    if ((int)c->strategy < 0 || (int)c->strategy > NC_STRATEGY_PREDICTIVE)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.kind': unknown "
                       "strategy (known: random, evolution, nsga2, local, "
                       "predictive)");
    if ((int)c->evaluator < 0 || (int)c->evaluator > NC_EVAL_SCRATCH)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'evaluator.kind': "
                       "unknown evaluator (known: table, inherited, scratch)");
    if (c->supernet != NC_SUPERNET_NONE &&
        ((st = check_train(ctx, "supernet", &c->supernet_train)) ||
         (st = check_int(ctx, "supernet.nb201_c", c->super.nb201_c, 1, 256)) ||
         (st = check_int(ctx, "supernet.nb201_n", c->super.nb201_n, 1, 20)) ||
         (st = check_int(ctx, "supernet.train_samples", c->super.train_samples,
                         0, 10000000)) ||
         (st = check_int(ctx, "supernet.valid", c->super.valid, 1, 10000000)) ||
         (st = check_int(ctx, "supernet.recal_samples", c->super.recal_samples,
                         1, 10000000)) ||
         (st = check_int(ctx, "supernet.eval_samples", c->super.eval_samples,
                         0, 10000000))))
        return st;
    if ((st = check_int(ctx, "strategy.population", c->population, 1, 100000)) ||
        (c->strategy == NC_STRATEGY_EVOLUTION &&
         (st = check_int(ctx, "strategy.sample", c->sample, 1, c->population))) ||
        (st = check_dbl(ctx, "strategy.crossover", c->crossover, 0, 1)))
        return st;
    if (c->strategy == NC_STRATEGY_PREDICTIVE &&
        ((st = check_int(ctx, "strategy.predictor", c->pred.predictor, 0,
                         NC_PRED_N_KINDS - 1)) ||
         (st = check_int(ctx, "strategy.init", c->pred.init, 2, 100000)) ||
         (st = check_int(ctx, "strategy.candidates", c->pred.candidates, 1,
                         100000)) ||
         (st = check_int(ctx, "strategy.parents", c->pred.parents, 1, 10000)) ||
         (st = check_int(ctx, "strategy.mutations", c->pred.mutations, 1, 64)) ||
         (st = check_dbl(ctx, "strategy.random_frac", c->pred.random_frac, 0, 1)) ||
         (c->pred.zc_pool != 0 &&
          (st = check_int(ctx, "strategy.zc_pool", c->pred.zc_pool,
                          c->pred.init, 1000000))) ||
         (st = check_int(ctx, "strategy.zc_feature", c->pred.zc_feature, 0, 1)) ||
         (st = check_dbl(ctx, "strategy.ucb_beta", c->pred.ucb_beta, 0, 100))))
        return st;
    if (c->strategy == NC_STRATEGY_PREDICTIVE && c->pred.ucb_beta > 0 &&
        !nc_predictor_has_spread((nc_predictor_kind)c->pred.predictor))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.ucb_beta': "
                       "needs a predictor with a spread (gp, ensemble), not %s",
                       nc_predictor_name((nc_predictor_kind)c->pred.predictor));
    if (c->strategy == NC_STRATEGY_PREDICTIVE &&
        (c->pred.zc_pool || c->pred.zc_feature)) {
        const nc_proxy_info *pi = nc_proxy_find(c->pred.zc_proxy);
        if (!pi)
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.zc_proxy': "
                           "unknown proxy '%s' (known: %s)", c->pred.zc_proxy,
                           nc_proxy_names());
        if (pi->needs_x || pi->needs_labels || pi->needs_input_grad)
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.zc_proxy': "
                           "'%s' needs a batch of data; the search scores with a "
                           "data-free proxy (params, flops, synflow)",
                           c->pred.zc_proxy);
    }
    if (c->evaluator == NC_EVAL_TABLE) {
        /* The table evaluator has nothing to look up without its file and
         * columns; catching it here beats a failed campaign start. */
        if (!c->table_file[0])
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'evaluator.file': "
                           "the table evaluator needs a results file");
        if (!c->select_metric[0])
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'evaluator.select': "
                           "the table evaluator needs a metric column");
    }
    if (c->evaluator == NC_EVAL_INHERITED && c->supernet == NC_SUPERNET_NONE)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'evaluator.kind': the "
                       "inherited evaluator needs a supernet (supernet.kind spos "
                       "or sandwich)");
    if (c->evaluator == NC_EVAL_SCRATCH &&
        ((st = check_train(ctx, "evaluator", &c->scratch_train)) ||
         (st = check_int(ctx, "evaluator.valid", c->scratch_valid, 1, 10000000))))
        return st;
    if (c->evaluator != NC_EVAL_TABLE &&
        (!c->select_metric[0] || !c->report_metric[0]))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: fields 'evaluator.select' "
                       "and 'evaluator.report' name the metrics; they cannot "
                       "be empty");
    if ((st = check_int(ctx, "objectives", c->n_obj, 1, NC_MAX_OBJ)))
        return st;
    for (int i = 0; i < c->n_obj; i++) {
        if ((int)c->obj[i] < 0 || (int)c->obj[i] > NC_OBJ_LATENCY)
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'objectives[%d]': "
                           "unknown objective (known: accuracy, params, flops, "
                           "latency)", i);
        for (int j = 0; j < i; j++)
            if (c->obj[j] == c->obj[i])
                return nc_fail(ctx, NC_ERR_INVAL, "campaign: field "
                               "'objectives[%d]': '%s' is listed twice", i,
                               nc_campaign_objective_name(c->obj[i]));
    }
    for (int i = 0; i < c->n_obj; i++)
        if (c->obj[i] == NC_OBJ_LATENCY && strcmp(c->space, "mbv") != 0)
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'objectives[%d]': "
                           "the latency objective is predicted from a latency "
                           "table, which only the mbv space has (space is "
                           "'%s')", i, c->space);
    if ((st = check_int(ctx, "budget", c->budget, 1, 1000000000)) ||
        (st = check_int(ctx, "threads", c->threads, 1, 1024)))
        return st;
    return NC_OK;
}

/* ---- to JSON -------------------------------------------------------------- */

static cJSON *train_to_json(cJSON *o, const nc_campaign_train *t)
{
    cJSON_AddNumberToObject(o, "epochs", t->epochs);
    cJSON_AddNumberToObject(o, "batch", t->batch);
    cJSON_AddNumberToObject(o, "lr", t->lr);
    cJSON_AddNumberToObject(o, "momentum", t->momentum);
    cJSON_AddNumberToObject(o, "weight_decay", t->weight_decay);
    return o;
}

char *nc_campaign_cfg_to_json(const nc_campaign_cfg *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "space", c->space);
    cJSON_AddStringToObject(o, "dataset", c->dataset);
    cJSON_AddStringToObject(o, "data_dir", c->data_dir);
    cJSON *sn = cJSON_AddObjectToObject(o, "supernet");
    if (sn) {
        cJSON_AddStringToObject(sn, "kind", nc_campaign_supernet_name(c->supernet));
        train_to_json(sn, &c->supernet_train);
        cJSON_AddNumberToObject(sn, "nb201_c", c->super.nb201_c);
        cJSON_AddNumberToObject(sn, "nb201_n", c->super.nb201_n);
        cJSON_AddNumberToObject(sn, "train_samples", c->super.train_samples);
        cJSON_AddNumberToObject(sn, "valid", c->super.valid);
        cJSON_AddNumberToObject(sn, "recal_samples", c->super.recal_samples);
        cJSON_AddNumberToObject(sn, "eval_samples", c->super.eval_samples);
    }
    cJSON *s = cJSON_AddObjectToObject(o, "strategy");
    if (s) {
        cJSON_AddStringToObject(s, "kind", nc_campaign_strategy_name(c->strategy));
        cJSON_AddNumberToObject(s, "population", c->population);
        cJSON_AddNumberToObject(s, "sample", c->sample);
        cJSON_AddNumberToObject(s, "crossover", c->crossover);
        const char *pn = nc_predictor_name((nc_predictor_kind)c->pred.predictor);
        cJSON_AddStringToObject(s, "predictor", pn ? pn : "?");
        cJSON_AddNumberToObject(s, "init", c->pred.init);
        cJSON_AddNumberToObject(s, "candidates", c->pred.candidates);
        cJSON_AddNumberToObject(s, "parents", c->pred.parents);
        cJSON_AddNumberToObject(s, "mutations", c->pred.mutations);
        cJSON_AddNumberToObject(s, "random_frac", c->pred.random_frac);
        cJSON_AddNumberToObject(s, "zc_pool", c->pred.zc_pool);
        cJSON_AddBoolToObject(s, "zc_feature", c->pred.zc_feature);
        cJSON_AddStringToObject(s, "zc_proxy", c->pred.zc_proxy);
        cJSON_AddNumberToObject(s, "ucb_beta", c->pred.ucb_beta);
    }
    cJSON *e = cJSON_AddObjectToObject(o, "evaluator");
    if (e) {
        cJSON_AddStringToObject(e, "kind", nc_campaign_evaluator_name(c->evaluator));
        cJSON_AddStringToObject(e, "file", c->table_file);
        cJSON_AddStringToObject(e, "select", c->select_metric);
        cJSON_AddStringToObject(e, "report", c->report_metric);
        train_to_json(e, &c->scratch_train);
        cJSON_AddNumberToObject(e, "valid", c->scratch_valid);
    }
    cJSON *ob = cJSON_AddArrayToObject(o, "objectives");
    for (int i = 0; ob && i < c->n_obj && i < NC_MAX_OBJ; i++)
        cJSON_AddItemToArray(ob, cJSON_CreateString(nc_campaign_objective_name(c->obj[i])));
    cJSON_AddNumberToObject(o, "budget", (double)c->budget);
    char seed[32];
    /* A string, because a JSON number cannot carry every 64-bit seed. */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddStringToObject(o, "latency_table", c->latency_table);
    char *out = cJSON_Print(o);
    cJSON_Delete(o);
    return out;
}

/* ---- from JSON ------------------------------------------------------------ */

/* The field path of key k inside object path p ("" at the top). */
static const char *path_of(char *buf, size_t n, const char *p, const char *k)
{
    if (p[0])
        snprintf(buf, n, "%s.%s", p, k);
    else
        snprintf(buf, n, "%s", k);
    return buf;
}

/* Rejects keys of o that are not in allowed: a misspelt key would otherwise
 * fall back to its default without a word. */
static nc_status check_keys(nc_ctx *ctx, const cJSON *o, const char *p,
                            const char *const *allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = it->string && strcmp(it->string, *a) == 0;
        if (!ok) {
            char f[128], known[256] = "";
            for (const char *const *a = allowed; *a; a++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "", *a);
            }
            return nc_fail(ctx, NC_ERR_FORMAT, "campaign: unknown field '%s' "
                           "(known here: %s)",
                           path_of(f, sizeof f, p, it->string ? it->string : "?"),
                           known);
        }
    }
    return NC_OK;
}

/* Each getter leaves *dst alone when the key is absent and !required. */
static nc_status get_str(nc_ctx *ctx, const cJSON *o, const char *p,
                         const char *k, int required, char *dst, size_t n)
{
    char f[128];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return required ? nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field "
                                  "'%s'", path_of(f, sizeof f, p, k)) : NC_OK;
    if (!cJSON_IsString(v))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' must be a string",
                       path_of(f, sizeof f, p, k));
    if (strlen(v->valuestring) >= n)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' is longer than "
                       "%zu characters", path_of(f, sizeof f, p, k), n - 1);
    strcpy(dst, v->valuestring);
    return NC_OK;
}

static nc_status get_num(nc_ctx *ctx, const cJSON *o, const char *p,
                         const char *k, int required, double *dst)
{
    char f[128];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return required ? nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field "
                                  "'%s'", path_of(f, sizeof f, p, k)) : NC_OK;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' must be a number",
                       path_of(f, sizeof f, p, k));
    *dst = v->valuedouble;
    return NC_OK;
}

static nc_status get_i64(nc_ctx *ctx, const cJSON *o, const char *p,
                         const char *k, int required, int64_t *dst, double lim)
{
    char f[128];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return required ? nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field "
                                  "'%s'", path_of(f, sizeof f, p, k)) : NC_OK;
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || d < -lim || d > lim)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' must be an "
                       "integer", path_of(f, sizeof f, p, k));
    *dst = (int64_t)d;
    return NC_OK;
}

static nc_status get_int(nc_ctx *ctx, const cJSON *o, const char *p,
                         const char *k, int required, int *dst)
{
    int64_t v = *dst;
    nc_status st = get_i64(ctx, o, p, k, required, &v, 2147483647.0);
    if (!st)
        *dst = (int)v;
    return st;
}

/* strategy.predictor by the library's names (predictors/predictor.h), so a
 * new kind needs no list here. */
static nc_status get_predictor(nc_ctx *ctx, const cJSON *sg, int *dst)
{
    char s[NC_CAMPAIGN_NAME_MAX] = "";
    nc_status st = get_str(ctx, sg, "strategy", "predictor", 0, s, sizeof s);
    if (st || !cJSON_GetObjectItemCaseSensitive(sg, "predictor"))
        return st;
    nc_predictor_kind k;
    nc_ctx tmp;
    nc_ctx_init(&tmp);
    if (nc_predictor_find(&tmp, s, &k))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.predictor': "
                       "%s", tmp.msg);
    *dst = (int)k;
    return NC_OK;
}

/* true/false (or 0/1) into *dst as 1/0; absent leaves it alone. */
static nc_status get_flag(nc_ctx *ctx, const cJSON *o, const char *p,
                          const char *k, int *dst)
{
    char f[128];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return NC_OK;
    if (cJSON_IsBool(v)) {
        *dst = cJSON_IsTrue(v) ? 1 : 0;
        return NC_OK;
    }
    if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
        *dst = (int)v->valuedouble;
        return NC_OK;
    }
    return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' must be true or "
                   "false", path_of(f, sizeof f, p, k));
}

/* A name from names into *dst (its index). */
static nc_status get_enum(nc_ctx *ctx, const cJSON *o, const char *p,
                          const char *k, int required, const char *const *names,
                          int *dst)
{
    char s[NC_CAMPAIGN_NAME_MAX] = "", f[128];
    nc_status st = get_str(ctx, o, p, k, required, s, sizeof s);
    if (st || !cJSON_GetObjectItemCaseSensitive(o, k))
        return st;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *dst = i;
            return NC_OK;
        }
    char known[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t l = strlen(known);
        snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "", names[i]);
    }
    return nc_fail(ctx, NC_ERR_INVAL, "campaign: field '%s': unknown name '%s' "
                   "(known: %s)", path_of(f, sizeof f, p, k), s, known);
}

/* The sub-object k of o (NULL if absent), or a type error. */
static nc_status get_obj(nc_ctx *ctx, const cJSON *o, const char *k,
                         int required, const cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = NULL;
    if (!v)
        return required ? nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field "
                                  "'%s'", k) : NC_OK;
    if (!cJSON_IsObject(v))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field '%s' must be an "
                       "object", k);
    *out = v;
    return NC_OK;
}

static const char *const TRAIN_KEYS[] = { "epochs", "batch", "lr", "momentum",
                                          "weight_decay" };

static nc_status get_train(nc_ctx *ctx, const cJSON *o, const char *p,
                           nc_campaign_train *t)
{
    nc_status st;
    if ((st = get_int(ctx, o, p, TRAIN_KEYS[0], 0, &t->epochs)) ||
        (st = get_int(ctx, o, p, TRAIN_KEYS[1], 0, &t->batch)) ||
        (st = get_num(ctx, o, p, TRAIN_KEYS[2], 0, &t->lr)) ||
        (st = get_num(ctx, o, p, TRAIN_KEYS[3], 0, &t->momentum)) ||
        (st = get_num(ctx, o, p, TRAIN_KEYS[4], 0, &t->weight_decay)))
        return st;
    return NC_OK;
}

static nc_status parse_obj(nc_ctx *ctx, const cJSON *o, nc_campaign_cfg *c)
{
    static const char *const top[] = { "space", "dataset", "data_dir", "supernet",
        "strategy", "evaluator", "objectives", "budget", "seed", "threads",
        "latency_table", NULL };
    static const char *const sn_keys[] = { "kind", "epochs", "batch", "lr",
        "momentum", "weight_decay", "nb201_c", "nb201_n", "train_samples",
        "valid", "recal_samples", "eval_samples", NULL };
    static const char *const st_keys[] = { "kind", "population", "sample",
        "crossover", "predictor", "init", "candidates", "parents", "mutations",
        "random_frac", "zc_pool", "zc_feature", "zc_proxy", "ucb_beta", NULL };
    static const char *const ev_keys[] = { "kind", "file", "select", "report",
        "epochs", "batch", "lr", "momentum", "weight_decay", "valid", NULL };
    nc_status st;
    const cJSON *sn, *sg, *ev;
    int k;
    if ((st = check_keys(ctx, o, "", top)) ||
        (st = get_str(ctx, o, "", "space", 1, c->space, sizeof c->space)) ||
        (st = get_str(ctx, o, "", "dataset", 0, c->dataset, sizeof c->dataset)) ||
        (st = get_str(ctx, o, "", "data_dir", 0, c->data_dir, sizeof c->data_dir)))
        return st;

    if ((st = get_obj(ctx, o, "supernet", 0, &sn)))
        return st;
    if (sn) {
        k = (int)c->supernet;
        if ((st = check_keys(ctx, sn, "supernet", sn_keys)) ||
            (st = get_enum(ctx, sn, "supernet", "kind", 1, SUPERNETS, &k)) ||
            (st = get_train(ctx, sn, "supernet", &c->supernet_train)) ||
            (st = get_int(ctx, sn, "supernet", "nb201_c", 0, &c->super.nb201_c)) ||
            (st = get_int(ctx, sn, "supernet", "nb201_n", 0, &c->super.nb201_n)) ||
            (st = get_int(ctx, sn, "supernet", "train_samples", 0,
                          &c->super.train_samples)) ||
            (st = get_int(ctx, sn, "supernet", "valid", 0, &c->super.valid)) ||
            (st = get_int(ctx, sn, "supernet", "recal_samples", 0,
                          &c->super.recal_samples)) ||
            (st = get_int(ctx, sn, "supernet", "eval_samples", 0,
                          &c->super.eval_samples)))
            return st;
        c->supernet = (nc_supernet_kind)k;
    }

    if ((st = get_obj(ctx, o, "strategy", 1, &sg)))
        return st;
    k = (int)c->strategy;
    if ((st = check_keys(ctx, sg, "strategy", st_keys)) ||
        (st = get_enum(ctx, sg, "strategy", "kind", 1, STRATEGIES, &k)) ||
        (st = get_int(ctx, sg, "strategy", "population", 0, &c->population)) ||
        (st = get_int(ctx, sg, "strategy", "sample", 0, &c->sample)) ||
        (st = get_num(ctx, sg, "strategy", "crossover", 0, &c->crossover)) ||
        (st = get_predictor(ctx, sg, &c->pred.predictor)) ||
        (st = get_int(ctx, sg, "strategy", "init", 0, &c->pred.init)) ||
        (st = get_int(ctx, sg, "strategy", "candidates", 0, &c->pred.candidates)) ||
        (st = get_int(ctx, sg, "strategy", "parents", 0, &c->pred.parents)) ||
        (st = get_int(ctx, sg, "strategy", "mutations", 0, &c->pred.mutations)) ||
        (st = get_num(ctx, sg, "strategy", "random_frac", 0,
                      &c->pred.random_frac)) ||
        (st = get_int(ctx, sg, "strategy", "zc_pool", 0, &c->pred.zc_pool)) ||
        (st = get_flag(ctx, sg, "strategy", "zc_feature", &c->pred.zc_feature)) ||
        (st = get_str(ctx, sg, "strategy", "zc_proxy", 0, c->pred.zc_proxy,
                      sizeof c->pred.zc_proxy)) ||
        (st = get_num(ctx, sg, "strategy", "ucb_beta", 0, &c->pred.ucb_beta)))
        return st;
    c->strategy = (nc_strategy_kind)k;

    if ((st = get_obj(ctx, o, "evaluator", 1, &ev)))
        return st;
    k = (int)c->evaluator;
    if ((st = check_keys(ctx, ev, "evaluator", ev_keys)) ||
        (st = get_enum(ctx, ev, "evaluator", "kind", 1, EVALUATORS, &k)))
        return st;
    c->evaluator = (nc_evaluator_kind)k;
    if (c->evaluator != NC_EVAL_TABLE) {
        /* What the training evaluators measure; a file may rename them. */
        strcpy(c->select_metric, "valid_accuracy");
        strcpy(c->report_metric, "test_accuracy");
    }
    if ((st = get_str(ctx, ev, "evaluator", "file", c->evaluator == NC_EVAL_TABLE,
                      c->table_file, sizeof c->table_file)) ||
        (st = get_str(ctx, ev, "evaluator", "select", 0, c->select_metric,
                      sizeof c->select_metric)) ||
        (st = get_str(ctx, ev, "evaluator", "report", 0, c->report_metric,
                      sizeof c->report_metric)) ||
        (st = get_train(ctx, ev, "evaluator", &c->scratch_train)) ||
        (st = get_int(ctx, ev, "evaluator", "valid", 0, &c->scratch_valid)))
        return st;

    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(o, "objectives");
    if (!ob)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field 'objectives'");
    if (!cJSON_IsArray(ob))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field 'objectives' must be "
                       "an array of names");
    int n = cJSON_GetArraySize(ob);
    if (n < 1 || n > NC_MAX_OBJ)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field 'objectives' must "
                       "list 1..%d objectives, not %d", NC_MAX_OBJ, n);
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(ob, i);
        if (!cJSON_IsString(it))
            return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field 'objectives[%d]' "
                           "must be a string", i);
        int j = 0;
        while (OBJECTIVES[j] && strcmp(OBJECTIVES[j], it->valuestring) != 0)
            j++;
        if (!OBJECTIVES[j])
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'objectives[%d]': "
                           "unknown objective '%.64s' (known: accuracy, params, "
                           "flops, latency)", i, it->valuestring);
        c->obj[i] = (nc_objective)j;
    }
    c->n_obj = n;

    if ((st = get_i64(ctx, o, "", "budget", 1, &c->budget, 9007199254740991.0)) ||
        (st = get_int(ctx, o, "", "threads", 0, &c->threads)) ||
        (st = get_str(ctx, o, "", "latency_table", 0, c->latency_table,
                      sizeof c->latency_table)))
        return st;
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (sd) {
        /* Only a decimal string: strtoull alone would take "-1" or " 7". */
        const char *s = cJSON_IsString(sd) ? sd->valuestring : NULL;
        int ok = s && s[0] && strlen(s) <= 20 && strspn(s, "0123456789") == strlen(s);
        if (ok) {
            errno = 0;
            unsigned long long v = strtoull(s, NULL, 10);
            ok = errno == 0;
            c->seed = (uint64_t)v;
        }
        if (!ok)
            return nc_fail(ctx, NC_ERR_FORMAT, "campaign: field 'seed' must be a "
                           "string of decimal digits (a 64-bit unsigned integer)");
    }
    return NC_OK;
}

/* line:column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

nc_status nc_campaign_cfg_from_json(nc_ctx *ctx, const char *json,
                                    nc_campaign_cfg *c)
{
    *c = nc_campaign_cfg_defaults();
    if (!json)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: no JSON text");
    /* ParseWithOpts reports where parsing stopped without the process-wide
     * state cJSON_GetErrorPtr reads, so concurrent loads cannot mix up. */
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(json, &end, 1);
    if (!o) {
        size_t off = end && end >= json ? (size_t)(end - json) : 0;
        int line, col;
        line_col(json, off, &line, &col);
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign: invalid JSON at line %d, "
                       "column %d (byte %zu)", line, col, off);
    }
    nc_status st;
    if (!cJSON_IsObject(o))
        st = nc_fail(ctx, NC_ERR_FORMAT, "campaign: the document must be a JSON "
                     "object");
    else
        st = parse_obj(ctx, o, c);
    cJSON_Delete(o);
    return st;
}

nc_status nc_campaign_cfg_load(nc_ctx *ctx, const char *path, nc_campaign_cfg *c)
{
    *c = nc_campaign_cfg_defaults();
    FILE *f = fopen(path, "rb");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open campaign file: %s", path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return nc_fail(ctx, NC_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size > NC_CAMPAIGN_FILE_MAX) {
        fclose(f);
        return nc_fail(ctx, NC_ERR_RANGE, "%s: campaign file of %lld bytes exceeds "
                       "the %d-byte limit", path, (long long)sb.st_size,
                       NC_CAMPAIGN_FILE_MAX);
    }
    size_t n = (size_t)sb.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != n) {
        free(buf);
        return nc_fail(ctx, NC_ERR_IO, "%s: read failed", path);
    }
    buf[n] = 0;
    if (memchr(buf, 0, n)) {
        free(buf);
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: campaign file contains a NUL byte",
                       path);
    }
    nc_status st = nc_campaign_cfg_from_json(ctx, buf, c);
    free(buf);
    if (st)
        nc_ctx_prefix(ctx, "%s", path);
    return st;
}
