#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "run/run.h"
#include "core/net.h"
#include "core/optim.h"
#include "data/dataset.h"
#include "models/models.h"
#include "train/ckpt.h"

/* Everything one training session holds; built from the configuration alone,
 * so that a resumed session rebuilds exactly the same thing. */
typedef struct trainer {
    nc_train_cfg cfg;
    nc_dataset *train, *valid, *test;
    nc_net *net;
    nc_optim *opt;
    nc_sched sched;
    float *x;
    int32_t *y;
    uint32_t *perm;
    int64_t steps_per_epoch;
    const nc_train_progress *prog;
    int done;                  /* epochs done */
    int64_t step;              /* optimizer steps done */
    nc_epoch_metrics last;     /* of the last epoch unit */
} trainer;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void trainer_free(trainer *t)
{
    if (!t)
        return;
    nc_dataset_free(t->train);
    nc_dataset_free(t->valid);
    nc_dataset_free(t->test);
    nc_net_free(t->net);
    nc_optim_free(t->opt);
    free(t->x);
    free(t->y);
    free(t->perm);
    free(t);
}

static nc_status trainer_data(nc_ctx *ctx, trainer *t)
{
    const nc_train_cfg *c = &t->cfg;
    nc_status st = nc_dataset_prepare(ctx, c->dataset,
                                      c->data_dir[0] ? c->data_dir : NULL,
                                      c->valid, c->seed, &t->train, &t->valid,
                                      &t->test);
    /* The split's order is a seeded permutation when valid > 0, so a
     * prefix is a random subset; without a split it is the file's order. */
    if (!st && c->train_samples > 0 && c->train_samples < t->train->n)
        t->train->n = c->train_samples;
    return st;
}

static nc_status trainer_setup(nc_ctx *ctx, trainer *t, const nc_train_cfg *cfg)
{
    t->cfg = *cfg;
    nc_status st = nc_train_cfg_validate(ctx, cfg);
    if (st || (st = trainer_data(ctx, t)))
        return st;
    nc_model_opts mo = nc_model_defaults();
    /* The run's thread count, fixed at net build: it is part of what makes
     * the result bit-identical. */
    mo.threads = cfg->threads;
    mo.in = (nc_shape){ t->train->c, t->train->h, t->train->w };
    mo.n_classes = t->train->n_classes;
    mo.nb201_c = cfg->nb201_c;
    mo.nb201_n = cfg->nb201_n;
    st = nc_model_build(ctx, cfg->model, cfg->arch[0] ? cfg->arch : NULL, &mo,
                        cfg->batch, &t->net);
    if (st)
        return st;
    nc_net_init_params(t->net, cfg->seed);
    nc_optim_cfg oc = {
        .kind = strcmp(cfg->optimizer, "adam") == 0 ? NC_OPTIM_ADAM : NC_OPTIM_SGD,
        .momentum = (float)cfg->momentum,
        .nesterov = cfg->nesterov,
        .weight_decay = (float)cfg->weight_decay,
    };
    t->opt = nc_optim_new(&oc, nc_net_n_params(t->net));
    size_t xs = (size_t)cfg->batch * nc_shape_size(mo.in);
    t->x = malloc(xs * sizeof(float));
    t->y = malloc((size_t)cfg->batch * sizeof(int32_t));
    t->perm = malloc((size_t)t->train->n * sizeof(uint32_t));
    if (!t->opt || !t->x || !t->y || !t->perm)
        return nc_fail(ctx, NC_ERR_NOMEM, "training: out of memory");
    t->steps_per_epoch = (t->train->n + cfg->batch - 1) / cfg->batch;
    t->sched = (nc_sched){
        .kind = strcmp(cfg->schedule, "cosine") == 0 ? NC_SCHED_COSINE
              : strcmp(cfg->schedule, "step") == 0   ? NC_SCHED_STEP
                                                     : NC_SCHED_CONST,
        .base_lr = (float)cfg->lr,
        .warmup_steps = (int64_t)cfg->warmup_epochs * t->steps_per_epoch,
        .total_steps = (int64_t)cfg->epochs * t->steps_per_epoch,
        .step_size = (int64_t)cfg->step_epochs * t->steps_per_epoch,
        .gamma = (float)cfg->step_gamma,
    };
    return NC_OK;
}

/* Mean loss and accuracy of the net (eval mode) on a whole data set. */
static nc_status trainer_evaluate(nc_ctx *ctx, trainer *t, const nc_dataset *ds,
                                  double *loss, double *acc)
{
    double lsum = 0;
    long hits = 0;
    int b = t->cfg.batch;
    for (int i = 0; i < ds->n; i += b) {
        int n = ds->n - i < b ? ds->n - i : b;
        for (int j = 0; j < n; j++)
            t->perm[j] = (uint32_t)(i + j);
        nc_batch_fill(ds, t->perm, n, NULL, NULL, t->x, t->y);
        float l;
        nc_status st = nc_net_forward(ctx, t->net, t->x, t->y, n, 0, &l);
        if (st)
            return st;
        lsum += (double)l * n;
        hits += nc_net_count_correct(t->net, t->y, n);
    }
    *loss = lsum / ds->n;
    *acc = (double)hits / ds->n;
    return NC_OK;
}

/* One epoch (1-based) of training; the global step advances by one per batch. */
static nc_status trainer_epoch(nc_ctx *ctx, trainer *t, int epoch, int64_t *step,
                               const nc_train_progress *prog, nc_epoch_metrics *m)
{
    const nc_train_cfg *c = &t->cfg;
    nc_dataset *ds = t->train;
    for (int i = 0; i < ds->n; i++)
        t->perm[i] = (uint32_t)i;
    nc_rng shuf = nc_rng_make(c->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, epoch));
    nc_rng_shuffle_u32(&shuf, t->perm, (uint32_t)ds->n);
    nc_augment aug = { .pad = c->augment_pad, .flip = c->augment_flip };
    int use_aug = aug.pad > 0 || aug.flip;
    double lsum = 0, t0 = now_seconds();
    long hits = 0;
    for (int64_t s = 0; s < t->steps_per_epoch; s++) {
        int off = (int)(s * c->batch);
        int n = ds->n - off < c->batch ? ds->n - off : c->batch;
        nc_rng arng = nc_rng_make(c->seed, NC_STREAM(NC_PURPOSE_AUGMENT, *step));
        nc_batch_fill(ds, t->perm + off, n, use_aug ? &aug : NULL, &arng, t->x, t->y);
        float loss;
        nc_net_zero_grad(t->net);
        nc_status st = nc_net_forward(ctx, t->net, t->x, t->y, n, 1, &loss);
        if (!st)
            st = nc_net_backward(ctx, t->net);
        if (st)
            return st;
        if (!isfinite(loss))
            return nc_fail(ctx, NC_ERR_NUMERIC, "training diverged: loss is %f at "
                           "epoch %d, step %lld (try a lower --lr)", loss, epoch,
                           (long long)*step);
        m->lr = nc_sched_lr(&t->sched, *step);
        nc_optim_step_pool(t->opt, nc_net_pool(t->net), nc_net_params(t->net),
                           nc_net_grads(t->net),
                      (float)m->lr);
        (*step)++;
        lsum += (double)loss * n;
        hits += nc_net_count_correct(t->net, t->y, n);
        if (prog && prog->fn)
            prog->fn(prog->ud, epoch, c->epochs, s + 1, t->steps_per_epoch, loss,
                     now_seconds() - t0);
    }
    m->seconds = now_seconds() - t0;
    m->epoch = epoch;
    m->step = *step;
    m->train_loss = lsum / ds->n;
    m->train_accuracy = (double)hits / ds->n;
    m->valid_loss = m->valid_accuracy = NAN;
    if (t->valid)
        return trainer_evaluate(ctx, t, t->valid, &m->valid_loss, &m->valid_accuracy);
    return NC_OK;
}

char *nc_train_result_to_json(const nc_train_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "run", (double)r->run);
    cJSON_AddNumberToObject(o, "epochs", r->epochs_done);
    cJSON_AddNumberToObject(o, "test_accuracy", r->test_accuracy);
    cJSON_AddNumberToObject(o, "test_loss", r->test_loss);
    cJSON_AddNumberToObject(o, "train_seconds", r->train_seconds);
    cJSON_AddStringToObject(o, "weights_sha256", r->weights_sha256);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* ---- the job (run/run.h) ------------------------------------------------ */

static nc_status train_open(nc_ctx *ctx, const char *json, const void *hooks,
                            void **job)
{
    *job = NULL;
    nc_train_cfg cfg;
    nc_status st = nc_train_cfg_from_json(ctx, json, &cfg);
    if (st)
        return st;
    trainer *t = calloc(1, sizeof *t);
    if (!t)
        return nc_fail(ctx, NC_ERR_NOMEM, "training: out of memory");
    if ((st = trainer_setup(ctx, t, &cfg))) {
        trainer_free(t);
        return st;
    }
    t->prog = hooks;
    *job = t;
    return NC_OK;
}

static nc_status train_restore(nc_ctx *ctx, void *job, nc_run *run)
{
    trainer *t = job;
    void *blob;
    size_t len;
    nc_status st = nc_run_ckpt(ctx, run, &blob, &len, NULL);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        return NC_OK;
    }
    if (st)
        return st;
    st = nc_ckpt_unpack(ctx, blob, len, t->net, t->opt, &t->done, &t->step);
    free(blob);
    if (st)
        nc_ctx_prefix(ctx, "run %lld", (long long)nc_run_id(run));
    return st;
}

static nc_status train_step(nc_ctx *ctx, void *job, nc_run *run, nc_unit *u,
                            nc_step *what)
{
    (void)run;
    trainer *t = job;
    if (t->done >= t->cfg.epochs) {
        *what = NC_STEP_DONE;
        return NC_OK;
    }
    memset(&t->last, 0, sizeof t->last);
    nc_status st = trainer_epoch(ctx, t, t->done + 1, &t->step, t->prog,
                                 &t->last);
    if (st)
        return st;
    t->done++;
    u->epoch = &t->last;
    *what = NC_STEP_UNIT;
    return NC_OK;
}

static nc_status train_pack(nc_ctx *ctx, void *job, void **blob, size_t *len)
{
    trainer *t = job;
    return nc_ckpt_pack(ctx, t->net, t->opt, t->done, t->step, blob, len);
}

static nc_status train_result(nc_ctx *ctx, void *job, nc_run *run, void *out,
                              char **json)
{
    trainer *t = job;
    nc_train_result r;
    memset(&r, 0, sizeof r);
    r.run = nc_run_id(run);
    r.epochs_done = t->cfg.epochs;
    nc_status st = trainer_evaluate(ctx, t, t->test, &r.test_loss,
                                    &r.test_accuracy);
    if (st)
        return st;
    nc_net_weights_sha256(t->net, r.weights_sha256);
    nc_run_info info;
    if ((st = nc_run_info_get(ctx, run, &info)))
        return st;
    r.train_seconds = info.train_seconds;
    nc_run_info_clear(&info);
    if (!(*json = nc_train_result_to_json(&r)))
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    if (out)
        *(nc_train_result *)out = r;
    return NC_OK;
}

static void train_progress(const void *job, int64_t *done, int64_t *total)
{
    const trainer *t = job;
    *done = t->done;
    *total = t->cfg.epochs;
}

static void train_identity(const void *job, uint64_t *seed, int *threads)
{
    const trainer *t = job;
    *seed = t->cfg.seed;
    *threads = t->cfg.threads;
}

static void train_close(void *job)
{
    trainer_free(job);
}

const nc_job_vt nc_train_job = {
    .kind = "train", .open = train_open, .restore = train_restore,
    .step = train_step, .pack = train_pack, .result = train_result,
    .progress = train_progress, .identity = train_identity,
    .close = train_close,
};

nc_status nc_train_job_evaluate(nc_ctx *ctx, void *job, int valid,
                                double *accuracy, double *loss)
{
    trainer *t = job;
    if (t->done == 0)
        return nc_fail(ctx, NC_ERR_STATE, "no checkpoint yet (no epoch "
                       "finished); resume it first");
    if (valid && !t->valid)
        return nc_fail(ctx, NC_ERR_INVAL, "no validation split");
    return trainer_evaluate(ctx, t, valid ? t->valid : t->test, loss,
                            accuracy);
}

nc_net *nc_train_job_net(void *job, const nc_train_cfg **cfg,
                         int *epochs_done, const nc_dataset **train)
{
    trainer *t = job;
    *cfg = &t->cfg;
    *epochs_done = t->done;
    *train = t->train;
    return t->net;
}
