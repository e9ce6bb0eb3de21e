/*
 * campaign_cfg.c — the campaign file (campaign/campaign.h) as one field
 * table (core/cfgtab.h): defaults, ranges, JSON keys and nesting come from
 * the rows below; the rules that tie fields together (a strategy's sample
 * against its population, an evaluator's needs, objectives a space can
 * measure) are checked by hand after the table's pass. Every error names
 * the field path so a user can fix the file without reading code.
 */
#include "campaign/campaign.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>

#include "core/cfgtab.h"
#include "data/dataset.h"
#include "predictors/predictor.h"
#include "predictors/proxy.h"
#include "supernet/space.h"

static const char *const STRATEGIES[] = { "random", "evolution", "nsga2", "local",
                                          "predictive", NULL };
static const char *const EVALUATORS[] = { "table", "inherited", "scratch", NULL };
static const char *const SUPERNETS[] = { "none", "spos", "sandwich", NULL };
static const char *const OBJECTIVES[] = { "accuracy", "params", "flops", "latency", NULL };

/* The table reads and writes the kinds as ints. */
_Static_assert(sizeof(nc_strategy_kind) == sizeof(int) &&
               sizeof(nc_evaluator_kind) == sizeof(int) &&
               sizeof(nc_supernet_kind) == sizeof(int) &&
               sizeof(nc_objective) == sizeof(int), "enums are int-sized");

static const char *name_of(const char *const *names, int n, int k)
{
    return k >= 0 && k < n ? names[k] : "?";
}

const char *nc_campaign_strategy_name(nc_strategy_kind k) { return name_of(STRATEGIES, 5, (int)k); }
const char *nc_campaign_evaluator_name(nc_evaluator_kind k) { return name_of(EVALUATORS, 3, (int)k); }
const char *nc_campaign_supernet_name(nc_supernet_kind k) { return name_of(SUPERNETS, 3, (int)k); }
const char *nc_campaign_objective_name(nc_objective o) { return name_of(OBJECTIVES, 4, (int)o); }
int nc_campaign_objective_minimized(nc_objective o) { return o != NC_OBJ_ACCURACY; }

/* ---- the table ------------------------------------------------------------ */

#define OFF(m) offsetof(nc_campaign_cfg, m)
#define CFG(r) ((const nc_campaign_cfg *)(r))

/* Fields a setting reads only for some choices are checked only then. */
static int supernet_on(const void *r) { return CFG(r)->supernet != NC_SUPERNET_NONE; }
static int predictive(const void *r) { return CFG(r)->strategy == NC_STRATEGY_PREDICTIVE; }
static int scratch(const void *r) { return CFG(r)->evaluator == NC_EVAL_SCRATCH; }

/* strategy.predictor by the library's names (predictors/predictor.h), so a
 * new kind needs no list here. */
static const char *predictor_name(int k)
{
    return nc_predictor_name((nc_predictor_kind)k);
}

/* The training settings (nc_campaign_train at T) of the supernet and of the
 * scratch evaluator: the same keys, their own epochs. */
#define TRAIN_ROWS(T, EPOCHS, WHEN)                                           \
    { .key = "epochs", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL,          \
      .off = OFF(T.epochs), .lo = 1, .hi = 100000, .def = EPOCHS,             \
      .when = WHEN },                                                         \
    { .key = "batch", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL,           \
      .off = OFF(T.batch), .lo = 1, .hi = 65536, .def = 128, .when = WHEN },  \
    { .key = "lr", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL,           \
      .off = OFF(T.lr), .lo = 1e-12, .hi = 100, .def = 0.05, .when = WHEN },  \
    { .key = "momentum", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL,     \
      .off = OFF(T.momentum), .lo = 0, .hi = 0.9999, .def = 0.9,              \
      .when = WHEN },                                                         \
    { .key = "weight_decay", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL, \
      .off = OFF(T.weight_decay), .lo = 0, .hi = 1, .def = 5e-4,              \
      .when = WHEN }

/* An optional int field of c, checked in lo..hi when `when` holds. */
#define INT_ROW(K, M, LO, HI, DEF, WHEN)                                      \
    { .key = K, .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL, .off = OFF(M),  \
      .lo = LO, .hi = HI, .def = DEF, .when = WHEN }

/* The objects nest in the file only: their rows' offsets are all into
 * nc_campaign_cfg (the OBJECT rows sit at offset 0). */
static const nc_cfg_field SUPERNET_FIELDS[] = {
    { .key = "kind", .type = NC_CFG_ENUM, .off = OFF(supernet),
      .names = SUPERNETS, .noun = "supernet", .def = NC_SUPERNET_NONE },
    TRAIN_ROWS(supernet_train, 50, supernet_on),
    INT_ROW("nb201_c", super.nb201_c, 1, 256, 16, supernet_on),
    INT_ROW("nb201_n", super.nb201_n, 1, 20, 5, supernet_on),
    INT_ROW("train_samples", super.train_samples, 0, 10000000, 0, supernet_on),
    INT_ROW("valid", super.valid, 1, 10000000, 10000, supernet_on),
    INT_ROW("recal_samples", super.recal_samples, 1, 10000000, 2000,
            supernet_on),
    INT_ROW("eval_samples", super.eval_samples, 0, 10000000, 0, supernet_on),
};

/* The predictive strategy's defaults are nc_strategy_defaults()'s
 * (tests/test_cfgtab.c holds the two together). */
static const nc_cfg_field STRATEGY_FIELDS[] = {
    { .key = "kind", .type = NC_CFG_ENUM, .off = OFF(strategy),
      .names = STRATEGIES, .noun = "strategy", .def = NC_STRATEGY_EVOLUTION },
    INT_ROW("population", population, 1, 100000, 10, NULL),
    /* Only evolution reads sample, and its bound is the population. */
    { .key = "sample", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL | NC_CFG_ANY,
      .off = OFF(sample), .def = 3 },
    { .key = "crossover", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL,
      .off = OFF(crossover), .lo = 0, .hi = 1 },
    { .key = "predictor", .type = NC_CFG_ENUM, .flags = NC_CFG_OPTIONAL,
      .off = OFF(pred.predictor), .name_of = predictor_name,
      .noun = "predictor", .def = NC_PRED_RIDGE, .when = predictive },
    INT_ROW("init", pred.init, 2, 100000, 20, predictive),
    INT_ROW("candidates", pred.candidates, 1, 100000, 200, predictive),
    INT_ROW("parents", pred.parents, 1, 10000, 10, predictive),
    INT_ROW("mutations", pred.mutations, 1, 64, 2, predictive),
    { .key = "random_frac", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL,
      .off = OFF(pred.random_frac), .lo = 0, .hi = 1, .def = 0.1,
      .when = predictive },
    /* 0 (none) or at least init: checked by hand. */
    { .key = "zc_pool", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL | NC_CFG_ANY,
      .off = OFF(pred.zc_pool) },
    { .key = "zc_feature", .type = NC_CFG_FLAG, .flags = NC_CFG_OPTIONAL,
      .off = OFF(pred.zc_feature), .when = predictive },
    { .key = "zc_proxy", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(pred.zc_proxy), .size = NC_CAMPAIGN_NAME_MAX,
      .def_str = "synflow" },
    { .key = "ucb_beta", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL,
      .off = OFF(pred.ucb_beta), .lo = 0, .hi = 100, .when = predictive },
};

/* evaluator.file is required for the table evaluator, and select/report
 * default by the kind: after_read sees to both. */
static const nc_cfg_field EVALUATOR_FIELDS[] = {
    { .key = "kind", .type = NC_CFG_ENUM, .off = OFF(evaluator),
      .names = EVALUATORS, .noun = "evaluator", .def = NC_EVAL_TABLE },
    { .key = "file", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(table_file), .size = NC_CAMPAIGN_PATH_MAX },
    { .key = "select", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(select_metric), .size = NC_CAMPAIGN_NAME_MAX,
      .def_str = "cifar10_valid" },
    { .key = "report", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(report_metric), .size = NC_CAMPAIGN_NAME_MAX,
      .def_str = "cifar10_test" },
    TRAIN_ROWS(scratch_train, 10, scratch),
    INT_ROW("valid", scratch_valid, 1, 10000000, 5000, scratch),
};

static const nc_cfg_table SUPERNET = NC_CFG_TABLE(NULL, 1, SUPERNET_FIELDS);
static const nc_cfg_table STRATEGY = NC_CFG_TABLE(NULL, 1, STRATEGY_FIELDS);
static const nc_cfg_table EVALUATOR = NC_CFG_TABLE(NULL, 1, EVALUATOR_FIELDS);

/* In the order of the stored JSON, which run logs already hold. */
static const nc_cfg_field CAMPAIGN_FIELDS[] = {
    { .key = "space", .type = NC_CFG_STR, .off = OFF(space),
      .size = NC_CAMPAIGN_NAME_MAX, .def_str = "nb201" },
    { .key = "dataset", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(dataset), .size = NC_CAMPAIGN_NAME_MAX, .def_str = "cifar10" },
    { .key = "data_dir", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(data_dir), .size = NC_CAMPAIGN_PATH_MAX },
    { .key = "supernet", .type = NC_CFG_OBJECT, .flags = NC_CFG_OPTIONAL,
      .sub = &SUPERNET },
    { .key = "strategy", .type = NC_CFG_OBJECT, .sub = &STRATEGY },
    { .key = "evaluator", .type = NC_CFG_OBJECT, .sub = &EVALUATOR },
    { .key = "objectives", .type = NC_CFG_ENUM_LIST, .flags = NC_CFG_UNIQUE,
      .off = OFF(obj), .off_n = OFF(n_obj), .size = NC_MAX_OBJ, .lo = 1,
      .hi = NC_MAX_OBJ, .names = OBJECTIVES, .noun = "objective",
      .def_str = "accuracy" },
    { .key = "budget", .type = NC_CFG_INT64, .off = OFF(budget), .lo = 1,
      .hi = 1000000000, .def = 100 },
    { .key = "seed", .type = NC_CFG_SEED, .flags = NC_CFG_OPTIONAL,
      .off = OFF(seed), .def = 1 },
    INT_ROW("threads", threads, 1, 1024, 1, NULL),
    { .key = "latency_table", .type = NC_CFG_STR, .flags = NC_CFG_OPTIONAL,
      .off = OFF(latency_table), .size = NC_CAMPAIGN_PATH_MAX },
};

static const nc_cfg_table CAMPAIGN = NC_CFG_TABLE("campaign", 1,
                                                  CAMPAIGN_FIELDS);

const nc_cfg_table *nc_campaign_cfg_table(void)
{
    return &CAMPAIGN;
}

nc_campaign_cfg nc_campaign_cfg_defaults(void)
{
    nc_campaign_cfg c;
    memset(&c, 0, sizeof c);   /* padding too */
    nc_cfgtab_defaults(&CAMPAIGN, &c);
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

/* The predictive strategy's zero-cost and acquisition settings. */
static nc_status check_predictive(nc_ctx *ctx, const nc_campaign_cfg *c)
{
    nc_status st;
    if (c->pred.zc_pool != 0 &&
        (st = check_int(ctx, "strategy.zc_pool", c->pred.zc_pool, c->pred.init,
                        1000000)))
        return st;
    if (c->pred.ucb_beta > 0 &&
        !nc_predictor_has_spread((nc_predictor_kind)c->pred.predictor))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'strategy.ucb_beta': "
                       "needs a predictor with a spread (gp, ensemble), not %s",
                       nc_predictor_name((nc_predictor_kind)c->pred.predictor));
    if (c->pred.zc_pool || c->pred.zc_feature) {
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
    return NC_OK;
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
    if ((st = nc_cfgtab_validate(ctx, &CAMPAIGN, c)))
        return st;
    if (c->strategy == NC_STRATEGY_EVOLUTION &&
        (st = check_int(ctx, "strategy.sample", c->sample, 1, c->population)))
        return st;
    if (c->strategy == NC_STRATEGY_PREDICTIVE && (st = check_predictive(ctx, c)))
        return st;
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
    if (c->evaluator != NC_EVAL_TABLE &&
        (!c->select_metric[0] || !c->report_metric[0]))
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: fields 'evaluator.select' "
                       "and 'evaluator.report' name the metrics; they cannot "
                       "be empty");
    for (int i = 0; i < c->n_obj; i++)
        if (c->obj[i] == NC_OBJ_LATENCY && strcmp(c->space, "mbv") != 0)
            return nc_fail(ctx, NC_ERR_INVAL, "campaign: field 'objectives[%d]': "
                           "the latency objective is predicted from a latency "
                           "table, which only the mbv space has (space is "
                           "'%s')", i, c->space);
    return NC_OK;
}

/* ---- JSON ----------------------------------------------------------------- */

char *nc_campaign_cfg_to_json(const nc_campaign_cfg *c)
{
    return nc_cfgtab_to_json(&CAMPAIGN, c, 1);
}

/* What the table cannot say: evaluator.file is required by the table
 * evaluator only, and the training evaluators measure other metrics than
 * the table's columns (a file may rename them). */
static nc_status after_read(nc_ctx *ctx, const cJSON *doc, void *base)
{
    nc_campaign_cfg *c = base;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(doc, "evaluator");
    if (c->evaluator == NC_EVAL_TABLE) {
        if (!cJSON_GetObjectItemCaseSensitive(ev, "file"))
            return nc_fail(ctx, NC_ERR_FORMAT, "campaign: missing field "
                           "'evaluator.file'");
        return NC_OK;
    }
    if (!cJSON_GetObjectItemCaseSensitive(ev, "select"))
        snprintf(c->select_metric, sizeof c->select_metric, "valid_accuracy");
    if (!cJSON_GetObjectItemCaseSensitive(ev, "report"))
        snprintf(c->report_metric, sizeof c->report_metric, "test_accuracy");
    return NC_OK;
}

nc_status nc_campaign_cfg_from_json(nc_ctx *ctx, const char *json,
                                    nc_campaign_cfg *c)
{
    *c = nc_campaign_cfg_defaults();
    return nc_cfgtab_from_json(ctx, &CAMPAIGN, json, after_read, c);
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
