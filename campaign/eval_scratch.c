/*
 * eval_scratch.c — the scratch evaluator (campaign/evaluator.h): each trial's
 * architecture is trained from scratch as an ordinary training run
 * (train/train.h) in the campaign's run log; the select metric is the
 * validation accuracy after the last epoch, the report metric the test
 * accuracy.
 *
 * Each trial's training run is a child run of the campaign (run/run.h,
 * nc_run_child) tagged "trial T" (the runs table's parent and tag): the
 * run layer starts it, or finds and continues it when a campaign killed
 * mid-trial is resumed, or only reads it when it ended. (Logs of schema
 * version 2 marked the campaign inside the training configuration; the
 * migration to version 3 turns that mark into parent and tag.)
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

static nc_status scratch_open(nc_ctx *ctx, nc_run *run,
                              const nc_campaign_cfg *cfg, const nc_space *sp,
                              void **state)
{
    (void)run;
    *state = NULL;
    scratch *s = calloc(1, sizeof *s);
    if (!s)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    *s = (scratch){ cfg, sp };
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

/* Metrics of done training run id, read back from the store whether it was
 * trained just now or by an earlier session: test accuracy and loss from
 * its result, validation accuracy and loss of its last epoch. */
static nc_status read_metrics(nc_ctx *ctx, nc_run *run, int64_t id,
                              const char *res, nc_eval_result *out)
{
    nc_status st;
    cJSON *o = res ? cJSON_Parse(res) : NULL;
    cJSON *acc = o ? cJSON_GetObjectItemCaseSensitive(o, "test_accuracy") : NULL;
    cJSON *loss = o ? cJSON_GetObjectItemCaseSensitive(o, "test_loss") : NULL;
    int ok = cJSON_IsNumber(acc) && cJSON_IsNumber(loss);
    double test_acc = ok ? acc->valuedouble : NAN;
    double test_loss = ok ? loss->valuedouble : NAN;
    cJSON_Delete(o);
    if (!ok)
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign %lld: training run %lld "
                       "has no test accuracy in its result", (long long)nc_run_id(run),
                       (long long)id);
    nc_epoch_metrics *ep = NULL;
    int ne = 0;
    if ((st = nc_run_child_epochs(ctx, run, id, &ep, &ne)))
        return st;
    double vacc = ne > 0 ? ep[ne - 1].valid_accuracy : NAN;
    double vloss = ne > 0 ? ep[ne - 1].valid_loss : NAN;
    free(ep);
    if (!isfinite(vacc) || !isfinite(vloss) || !isfinite(test_loss))
        return nc_fail(ctx, NC_ERR_FORMAT, "campaign %lld: training run %lld "
                       "has no validation metrics", (long long)nc_run_id(run),
                       (long long)id);
    out->select = vacc;
    out->report = test_acc;
    snprintf(out->extra, sizeof out->extra,
             "\"valid_loss\": %.17g, \"test_loss\": %.17g", vloss, test_loss);
    return NC_OK;
}

static nc_status scratch_evaluate(nc_ctx *ctx, void *state, nc_run *run,
                                  int64_t trial, const nc_arch *a,
                                  nc_eval_result *out)
{
    scratch *s = state;
    memset(out, 0, sizeof *out);
    out->select = out->report = NAN;
    char arch[NC_ARCH_STR_MAX];
    if (s->sp->format(s->sp, a, arch, sizeof arch) < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: cannot format the "
                       "architecture of trial %lld", (long long)trial);
    nc_train_cfg tc = train_cfg_of(s, trial, arch);
    nc_status st = nc_train_cfg_validate(ctx, &tc);
    if (st)
        return st;
    char *js = nc_train_cfg_to_json(&tc);
    if (!js)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    char tag[32];
    snprintf(tag, sizeof tag, "trial %lld", (long long)trial);
    nc_run_child_out c;
    st = nc_run_child(ctx, run, tag, "train", js, &c);
    free(js);
    if (st) {
        nc_ctx_prefix(ctx, "campaign %lld, trial %lld (training run %lld)",
                      (long long)nc_run_id(run), (long long)trial,
                      (long long)c.id);
    } else if (c.failed) {
        /* Diverged: deterministic, so failed for good. */
        out->failed = 1;
    } else {
        st = read_metrics(ctx, run, c.id, c.result, out);
    }
    free(c.result);
    return st;
}

const nc_evaluator_vt *nc_evaluator_scratch(void)
{
    static const nc_evaluator_vt vt = { .name = "scratch",
                                        .check = scratch_check,
                                        .open = scratch_open,
                                        .evaluate = scratch_evaluate,
                                        .close = scratch_close };
    return &vt;
}
