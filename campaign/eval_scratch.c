/*
 * eval_scratch.c — the scratch evaluator (campaign/evaluator.h): each trial's
 * architecture is trained from scratch as an ordinary training run
 * (train/train.h) in the campaign's run log; the select metric is the
 * validation accuracy after the last epoch, the report metric the test
 * accuracy.
 *
 * Linking a trial to its training run without a schema change: the run's
 * config JSON is the training config plus a member
 * "campaign": {"run": R, "trial": T}, which train/ ignores when it reads the
 * config back. The evaluator creates that run itself (so its id is known
 * before any epoch is trained) and then trains it with nc_train_resume,
 * which starts a run without checkpoints from scratch and continues one
 * with checkpoints from the last. A campaign killed mid-trial thus finds,
 * on resume, the trial's run by that mark (the lowest id, should a kill
 * between creating and using a run ever leave two) and continues it.
 *
 * Determinism: the training seed is nc_eval_trial_seed(campaign seed,
 * trial) and the thread count is the campaign's, and training is
 * bit-reproducible at a given seed and thread count, so a trial's metrics
 * are a pure function of (campaign, trial, arch). The seed also draws the
 * validation split (train/ has one seed for everything), so each trial is
 * validated on its own held-out sample of the training set.
 */
#include "campaign/evaluator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "models/models.h"
#include "train/train.h"

typedef struct scratch {
    nc_store *db;
    int64_t run;
    const nc_campaign_cfg *cfg;
    const nc_space *sp;
} scratch;

/* The model name under which train/ builds an architecture of sp. */
static const char *model_of(const nc_space *sp)
{
    return sp->name;   /* nb201, mlp and mbv are model names too */
}

static nc_status scratch_check(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                               const nc_space *sp)
{
    if (!sp->build)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: the scratch evaluator "
                       "cannot build nets of space '%s'", sp->name);
    /* A sample architecture through the training config's own check, so a
     * space train/ cannot build is refused before the run exists. */
    nc_arch a;
    memset(&a, 0, sizeof a);
    nc_rng r = nc_rng_make(cfg->seed, 0);
    sp->sample(sp, &r, &a);
    char s[NC_ARCH_STR_MAX];
    if (sp->format(sp, &a, s, sizeof s) < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: cannot format an "
                       "architecture of space '%s'", sp->name);
    return nc_model_check(ctx, model_of(sp), s);
}

static nc_status scratch_open(nc_ctx *ctx, nc_store *db, int64_t run,
                              const nc_campaign_cfg *cfg, const nc_space *sp,
                              void **state)
{
    *state = NULL;
    scratch *s = calloc(1, sizeof *s);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    *s = (scratch){ db, run, cfg, sp };
    *state = s;
    return NC_OK;
}

static void scratch_close(void *state)
{
    free(state);
}

/* The training config of trial t on architecture string arch. */
static nc_train_cfg train_cfg_of(const scratch *s, int64_t t, const char *arch)
{
    const nc_campaign_cfg *c = s->cfg;
    nc_train_cfg tc = nc_train_cfg_defaults();
    snprintf(tc.model, sizeof tc.model, "%s", model_of(s->sp));
    snprintf(tc.arch, sizeof tc.arch, "%s", arch);
    snprintf(tc.dataset, sizeof tc.dataset, "%s", c->dataset);
    snprintf(tc.data_dir, sizeof tc.data_dir, "%s", c->data_dir);
    tc.epochs = c->scratch_train.epochs;
    tc.batch = c->scratch_train.batch;
    tc.lr = c->scratch_train.lr;
    tc.momentum = c->scratch_train.momentum;
    tc.nesterov = c->scratch_train.momentum > 0;
    tc.weight_decay = c->scratch_train.weight_decay;
    tc.valid = c->scratch_valid;
    tc.seed = nc_eval_trial_seed(c->seed, t);
    tc.threads = c->threads;
    return tc;
}

/* The trial a run's config marks, as (campaign run, trial); 0 if none. */
static int marked(const char *config_json, int64_t *run, int64_t *trial)
{
    cJSON *o = config_json ? cJSON_Parse(config_json) : NULL;
    cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, "campaign") : NULL;
    cJSON *r = m ? cJSON_GetObjectItemCaseSensitive(m, "run") : NULL;
    cJSON *t = m ? cJSON_GetObjectItemCaseSensitive(m, "trial") : NULL;
    int ok = cJSON_IsNumber(r) && cJSON_IsNumber(t);
    if (ok) {
        *run = (int64_t)r->valuedouble;
        *trial = (int64_t)t->valuedouble;
    }
    cJSON_Delete(o);
    return ok;
}

/* The training run of trial t, if an earlier attempt created one: *id and
 * its status ("running", "done", "failed") into status; *id 0 if none.
 * NC_ERR_STATE if that run trains another architecture (the campaign's
 * history no longer matches the store). */
static nc_status find_run(nc_ctx *ctx, const scratch *s, int64_t t,
                          const char *arch, int64_t *id, char *status,
                          size_t n)
{
    nc_run_info *runs = NULL;
    int nr = 0;
    *id = 0;
    nc_status st = nc_store_run_list(ctx, s->db, &runs, &nr);
    if (st)
        return st;
    for (int i = 0; i < nr && !*id; i++) {
        int64_t r, tt;
        if (strcmp(runs[i].kind, "train") != 0 ||
            !marked(runs[i].config_json, &r, &tt) || r != s->run || tt != t)
            continue;
        nc_train_cfg got;
        st = nc_train_cfg_from_json(ctx, runs[i].config_json, &got);
        if (!st && strcmp(got.arch, arch) != 0)
            st = nc_fail(ctx, NC_ERR_STATE, "campaign %lld: training run %lld "
                         "of trial %lld trains '%s', not the proposed '%s'",
                         (long long)s->run, (long long)runs[i].id, (long long)t,
                         got.arch, arch);
        if (st)
            break;
        *id = runs[i].id;
        snprintf(status, n, "%s", runs[i].status);
    }
    for (int i = 0; i < nr; i++)
        nc_run_info_clear(&runs[i]);
    free(runs);
    return st;
}

/* Creates the training run of trial t, marked as the campaign's. */
static nc_status create_run(nc_ctx *ctx, const scratch *s, int64_t t,
                            const nc_train_cfg *tc, int64_t *id)
{
    nc_status st = nc_train_cfg_validate(ctx, tc);
    if (st)
        return st;
    char *js = nc_train_cfg_to_json(tc);
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    js = NULL;
    cJSON *m = o ? cJSON_AddObjectToObject(o, "campaign") : NULL;
    if (m && cJSON_AddNumberToObject(m, "run", (double)s->run) &&
        cJSON_AddNumberToObject(m, "trial", (double)t))
        js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_run_info info = { .kind = "train", .config_json = js,
                         .code_version = NC_VERSION, .seed = tc->seed,
                         .threads = tc->threads };
    st = nc_store_run_create(ctx, s->db, &info, id);
    free(js);
    return st;
}

/* Metrics of done training run id, read back from the store whether it was
 * trained just now or by an earlier session: test accuracy and loss from
 * its result, validation accuracy and loss of its last epoch. */
static nc_status read_metrics(nc_ctx *ctx, const scratch *s, int64_t id,
                              nc_eval_result *out)
{
    char *res = NULL;
    nc_status st = nc_store_run_result(ctx, s->db, id, &res);
    if (st)
        return st;
    cJSON *o = res ? cJSON_Parse(res) : NULL;
    free(res);
    cJSON *acc = o ? cJSON_GetObjectItemCaseSensitive(o, "test_accuracy") : NULL;
    cJSON *loss = o ? cJSON_GetObjectItemCaseSensitive(o, "test_loss") : NULL;
    int ok = cJSON_IsNumber(acc) && cJSON_IsNumber(loss);
    double test_acc = ok ? acc->valuedouble : NAN;
    double test_loss = ok ? loss->valuedouble : NAN;
    cJSON_Delete(o);
    if (!ok)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign %lld: training run %lld "
                       "has no test accuracy in its result", (long long)s->run,
                       (long long)id);
    nc_epoch_metrics *ep = NULL;
    int ne = 0;
    if ((st = nc_store_epochs(ctx, s->db, id, &ep, &ne)))
        return st;
    double vacc = ne > 0 ? ep[ne - 1].valid_accuracy : NAN;
    double vloss = ne > 0 ? ep[ne - 1].valid_loss : NAN;
    free(ep);
    if (!isfinite(vacc) || !isfinite(vloss) || !isfinite(test_loss))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign %lld: training run %lld "
                       "has no validation metrics", (long long)s->run,
                       (long long)id);
    out->select = vacc;
    out->report = test_acc;
    snprintf(out->extra, sizeof out->extra,
             "\"valid_loss\": %.17g, \"test_loss\": %.17g", vloss, test_loss);
    return NC_OK;
}

static nc_status scratch_evaluate(nc_ctx *ctx, void *state, int64_t trial,
                                  const nc_arch *a, nc_eval_result *out)
{
    scratch *s = state;
    memset(out, 0, sizeof *out);
    out->select = out->report = NAN;
    char arch[NC_ARCH_STR_MAX];
    if (s->sp->format(s->sp, a, arch, sizeof arch) < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: cannot format the "
                       "architecture of trial %lld", (long long)trial);
    int64_t id = 0;
    char status[16] = "";
    nc_status st = find_run(ctx, s, trial, arch, &id, status, sizeof status);
    if (!st && !id) {
        nc_train_cfg tc = train_cfg_of(s, trial, arch);
        st = create_run(ctx, s, trial, &tc, &id);
        snprintf(status, sizeof status, "running");
    }
    if (st)
        return st;
    if (strcmp(status, "failed") == 0) {
        out->failed = 1;
        return NC_OK;
    }
    if (strcmp(status, "done") != 0) {
        /* train/ sets the thread count it was configured with on ctx; the
         * campaign's own setting is the same one. */
        nc_train_result res;
        st = nc_train_resume(ctx, s->db, id, NULL, &res);
        if (st == NC_ERR_NUMERIC) {
            /* Diverged: deterministic, so failed for good (train/ marked
             * the run failed, which a resumed campaign finds above). */
            nc_ctx_clear(ctx);
            out->failed = 1;
            return NC_OK;
        }
        if (st) {
            nc_ctx_prefix(ctx, "campaign %lld, trial %lld (training run %lld)",
                          (long long)s->run, (long long)trial, (long long)id);
            return st;
        }
    }
    return read_metrics(ctx, s, id, out);
}

const nc_evaluator_vt *nc_evaluator_scratch(void)
{
    static const nc_evaluator_vt vt = { "scratch", scratch_check, scratch_open,
                                        scratch_evaluate, scratch_close };
    return &vt;
}
