/*
 * eval_inherited.c — the inherited-weights evaluator (campaign/evaluator.h):
 * open() trains one weight-sharing supernet of the campaign's space
 * (supernet/supernet.h) by single-path (SPOS) or sandwich sampling; each
 * trial then activates its architecture on the shared weights, recalibrates
 * the BN statistics on training samples and scores accuracy on held-out
 * validation samples (select metric "valid_acc"; no report metric: the
 * supernet is a ranking device, stand-alone training gives test accuracy).
 *
 * Resumable: every supernet epoch is committed to the campaign's run as an
 * epoch row (train loss, seconds) with a checkpoint of the shared weights,
 * BN state and optimizer state, so a campaign killed during supernet
 * training restarts from its last finished epoch. Every random choice is a
 * stream of the campaign seed (shuffle by epoch, paths by step), so the
 * restarted training reaches the same weights bit for bit, and a trial's
 * score depends only on the weights and its architecture: the calibration
 * samples are the same for every trial, and recalibration resets the
 * statistics first.
 */
#include "campaign/evaluator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/optim.h"
#include "data/dataset.h"
#include "supernet/supernet.h"

typedef struct inherited {
    const nc_campaign_cfg *cfg;
    const nc_space *sp;
    nc_dataset *train, *valid, *test;
    nc_supernet *sn;
    nc_optim *opt;
    float *x;
    int32_t *y;
    uint32_t *perm;
    int n_recal;
    int done;                  /* supernet epochs trained */
    int recal_ready;           /* perm holds the calibration order */
    nc_epoch_metrics m;        /* the last epoch unit's row */
} inherited;

/* Path-sampling streams: the sampling purpose with bit 41 set, apart from
 * the strategies' (indices below 2^40) and the trial seeds' (bit 40). */
static nc_rng path_rng(uint64_t seed, int64_t step)
{
    return nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE,
                                       (UINT64_C(1) << 41) + (uint64_t)step));
}

static nc_status inh_check(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                           const nc_space *sp)
{
    if (strcmp(sp->name, "nb201") != 0 && strcmp(sp->name, "mbv") != 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: the inherited evaluator "
                       "needs a space with a supernet (nb201, mbv), not '%s'",
                       sp->name);
    if (cfg->supernet == NC_SUPERNET_NONE)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: the inherited evaluator "
                       "needs supernet.kind spos or sandwich");
    return NC_OK;
}

static void inh_close(void *state)
{
    inherited *h = state;
    if (!h)
        return;
    nc_dataset_free(h->train);
    nc_dataset_free(h->valid);
    nc_dataset_free(h->test);
    nc_supernet_free(h->sn);
    nc_optim_free(h->opt);
    free(h->x);
    free(h->y);
    free(h->perm);
    free(h);
}

/* Checkpoint blob: "NCSUPNT1", u32 epochs done, u32 0, i64 optimizer
 * steps, u64 counts of parameter, state and optimizer floats, the floats. */
static const char MAGIC[8] = { 'N', 'C', 'S', 'U', 'P', 'N', 'T', '1' };
enum { HDR = 8 + 4 + 4 + 8 + 3 * 8 };

static nc_status pack(nc_ctx *ctx, inherited *h, int epoch, void **blob,
                      size_t *len)
{
    uint64_t n[3] = { nc_supernet_n_params(h->sn), nc_supernet_n_state(h->sn),
                      nc_optim_state_len(h->opt) };
    size_t total = HDR + (size_t)(n[0] + n[1] + n[2]) * sizeof(float);
    unsigned char *b = malloc(total);
    if (!b)
        return nc_fail(ctx, NC_ERR_NOMEM, "supernet: out of memory packing a "
                       "checkpoint");
    uint32_t e = (uint32_t)epoch, z = 0;
    int64_t steps = nc_optim_steps(h->opt);
    unsigned char *p = b;
    memcpy(p, MAGIC, 8), p += 8;
    memcpy(p, &e, 4), p += 4;
    memcpy(p, &z, 4), p += 4;
    memcpy(p, &steps, 8), p += 8;
    memcpy(p, n, 24), p += 24;
    memcpy(p, nc_supernet_params(h->sn), n[0] * sizeof(float)), p += n[0] * sizeof(float);
    memcpy(p, nc_supernet_state(h->sn), n[1] * sizeof(float)), p += n[1] * sizeof(float);
    memcpy(p, nc_optim_state(h->opt), n[2] * sizeof(float));
    *blob = b;
    *len = total;
    return NC_OK;
}

static nc_status unpack(nc_ctx *ctx, inherited *h, const unsigned char *b,
                        size_t len, int *epoch)
{
    uint64_t n[3], want[3] = { nc_supernet_n_params(h->sn),
                               nc_supernet_n_state(h->sn),
                               nc_optim_state_len(h->opt) };
    uint32_t e;
    int64_t steps;
    if (len < HDR || memcmp(b, MAGIC, 8) != 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "supernet checkpoint: bad magic or "
                       "%zu bytes (header is %d)", len, HDR);
    memcpy(&e, b + 8, 4);
    memcpy(&steps, b + 16, 8);
    memcpy(n, b + 24, 24);
    for (int i = 0; i < 3; i++)
        if (n[i] != want[i])
            return nc_fail(ctx, NC_ERR_FORMAT, "supernet checkpoint: %s count "
                           "%llu, this supernet has %llu",
                           i == 0 ? "parameter" : i == 1 ? "state" : "optimizer",
                           (unsigned long long)n[i], (unsigned long long)want[i]);
    if (len != HDR + (size_t)(n[0] + n[1] + n[2]) * sizeof(float))
        return nc_fail(ctx, NC_ERR_FORMAT, "supernet checkpoint: %zu bytes do "
                       "not match its counts", len);
    const unsigned char *p = b + HDR;
    memcpy(nc_supernet_params(h->sn), p, n[0] * sizeof(float)), p += n[0] * sizeof(float);
    memcpy(nc_supernet_state(h->sn), p, n[1] * sizeof(float)), p += n[1] * sizeof(float);
    memcpy(nc_optim_state(h->opt), p, n[2] * sizeof(float));
    nc_optim_set_steps(h->opt, steps);
    *epoch = (int)e;
    return NC_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One supernet epoch (the next one) as a unit of the campaign; the unit's
 * state is the supernet checkpoint (inh_pack). */
static nc_status inh_prepare(nc_ctx *ctx, void *state, nc_unit *u,
                             nc_step *what)
{
    inherited *h = state;
    const nc_campaign_cfg *c = h->cfg;
    const nc_campaign_train *t = &c->supernet_train;
    if (h->done >= t->epochs) {
        *what = NC_STEP_DONE;
        return NC_OK;
    }
    int epoch = h->done + 1;
    nc_dataset *ds = h->train;
    int64_t spe = (ds->n + t->batch - 1) / t->batch;
    nc_sched sc = { .kind = NC_SCHED_COSINE, .base_lr = (float)t->lr,
                    .total_steps = spe * t->epochs };
    nc_super_rule rule = c->supernet == NC_SUPERNET_SANDWICH ? NC_SUPER_SANDWICH
                                                             : NC_SUPER_SPOS;
    double t0 = now_seconds(), lsum = 0;
    for (int i = 0; i < ds->n; i++)
        h->perm[i] = (uint32_t)i;
    nc_rng sh = nc_rng_make(c->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, epoch));
    nc_rng_shuffle_u32(&sh, h->perm, (uint32_t)ds->n);
    int64_t step = (int64_t)(epoch - 1) * spe;
    float lr = 0;
    for (int64_t s = 0; s < spe; s++, step++) {
        int off = (int)(s * t->batch);
        int n = ds->n - off < t->batch ? ds->n - off : t->batch;
        nc_batch_fill(ds, h->perm + off, n, NULL, NULL, h->x, h->y);
        nc_rng r = path_rng(c->seed, step);
        float loss;
        nc_status st = nc_supernet_train_step(ctx, h->sn, rule, &r, h->x, h->y,
                                              n, &loss);
        if (st) {
            nc_ctx_prefix(ctx, "supernet epoch %d", epoch);
            return st;
        }
        lr = nc_sched_lr(&sc, step);
        nc_optim_step_pool(h->opt, nc_supernet_pool(h->sn),
                           nc_supernet_params(h->sn),
                           nc_supernet_grads(h->sn), lr);
        lsum += (double)loss * n;
    }
    h->m = (nc_epoch_metrics){
        .epoch = epoch, .step = step, .lr = lr,
        .train_loss = lsum / ds->n, .train_accuracy = NAN,
        .valid_loss = NAN, .valid_accuracy = NAN,
        .seconds = now_seconds() - t0,
    };
    h->done = epoch;
    h->recal_ready = 0;
    u->epoch = &h->m;
    *what = NC_STEP_UNIT;
    return NC_OK;
}

static nc_status inh_pack(nc_ctx *ctx, void *state, void **blob, size_t *len)
{
    inherited *h = state;
    return pack(ctx, h, h->done, blob, len);
}

static void inh_units(const void *state, int64_t *done, int64_t *total)
{
    const inherited *h = state;
    *done = h->done;
    *total = h->cfg->supernet_train.epochs;
}

/* The supernet as the campaign's newest checkpoint holds it. */
static nc_status restore(nc_ctx *ctx, nc_run *run, inherited *h)
{
    void *blob = NULL;
    size_t len = 0;
    nc_status st = nc_run_ckpt(ctx, run, &blob, &len, NULL);
    if (st == NC_ERR_NOTFOUND) {
        nc_ctx_clear(ctx);
        return NC_OK;
    }
    if (!st)
        st = unpack(ctx, h, blob, len, &h->done);
    free(blob);
    return st;
}

static nc_status inh_open(nc_ctx *ctx, nc_run *run,
                          const nc_campaign_cfg *cfg, const nc_space *sp,
                          void **state)
{
    *state = NULL;
    inherited *h = calloc(1, sizeof *h);
    if (!h)
        return nc_fail(ctx, NC_ERR_NOMEM, "campaign: out of memory");
    h->cfg = cfg;
    h->sp = sp;
    const nc_campaign_super *su = &cfg->super;
    nc_status st = nc_dataset_prepare(ctx, cfg->dataset,
                                      cfg->data_dir[0] ? cfg->data_dir : NULL,
                                      su->valid, cfg->seed, &h->train,
                                      &h->valid, &h->test);
    if (st)
        goto fail;
    /* A prefix of the split's seeded permutation is a random subset. */
    if (su->train_samples > 0 && su->train_samples < h->train->n)
        h->train->n = su->train_samples;
    if (su->eval_samples > 0 && su->eval_samples < h->valid->n)
        h->valid->n = su->eval_samples;
    nc_supernet_opts o = nc_supernet_defaults();
    o.threads = cfg->threads;
    o.in = (nc_shape){ h->train->c, h->train->h, h->train->w };
    o.n_classes = h->train->n_classes;
    o.n_max = cfg->supernet_train.batch;
    o.nb201_c = su->nb201_c;
    o.nb201_n = su->nb201_n;
    if ((st = nc_supernet_new(ctx, sp, &o, &h->sn)))
        goto fail;
    nc_supernet_init(h->sn, cfg->seed);
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD,
                        .momentum = (float)cfg->supernet_train.momentum,
                        .nesterov = cfg->supernet_train.momentum > 0,
                        .weight_decay = (float)cfg->supernet_train.weight_decay };
    h->opt = nc_optim_new(&oc, nc_supernet_n_params(h->sn));
    h->x = malloc((size_t)o.n_max * nc_shape_size(o.in) * sizeof(float));
    h->y = malloc((size_t)o.n_max * sizeof(int32_t));
    h->perm = malloc((size_t)h->train->n * sizeof(uint32_t));
    if (!h->opt || !h->x || !h->y || !h->perm) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "campaign: out of memory");
        goto fail;
    }
    if ((st = restore(ctx, run, h)))
        goto fail;
    *state = h;
    return NC_OK;
fail:
    inh_close(h);
    return st;
}

/* The calibration samples: the first of one seeded permutation of the
 * training part, the same for every trial. */
static void recal_order(inherited *h)
{
    const nc_campaign_super *su = &h->cfg->super;
    h->n_recal = su->recal_samples < h->train->n ? su->recal_samples
                                                 : h->train->n;
    for (int i = 0; i < h->train->n; i++)
        h->perm[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(h->cfg->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, 0));
    nc_rng_shuffle_u32(&r, h->perm, (uint32_t)h->train->n);
    h->recal_ready = 1;
}

static nc_status inh_evaluate(nc_ctx *ctx, void *state, nc_run *run,
                              int64_t trial, const nc_arch *a,
                              nc_eval_result *out)
{
    (void)run;
    (void)trial;
    inherited *h = state;
    if (h->done < h->cfg->supernet_train.epochs)
        return nc_fail(ctx, NC_ERR_STATE, "campaign: the supernet is trained "
                       "for %d of %d epochs", h->done,
                       h->cfg->supernet_train.epochs);
    if (!h->recal_ready)
        recal_order(h);
    int b = h->cfg->supernet_train.batch;
    double acc, loss;
    nc_status st = nc_supernet_set_arch(ctx, h->sn, a);
    if (!st)
        st = nc_supernet_recalibrate(ctx, h->sn, h->train, h->perm, h->n_recal,
                                     b, h->x, h->y);
    if (!st)
        st = nc_supernet_evaluate(ctx, h->sn, h->valid, b, h->x, h->y, &acc,
                                  &loss);
    if (st)
        return st;
    memset(out, 0, sizeof *out);
    out->select = acc;
    out->report = NAN;
    snprintf(out->extra, sizeof out->extra, "\"valid_loss\": %.9g", loss);
    return NC_OK;
}

static const nc_evaluator_vt INHERITED = {
    .name = "inherited",
    .check = inh_check,
    .open = inh_open,
    .prepare = inh_prepare,
    .pack = inh_pack,
    .units = inh_units,
    .evaluate = inh_evaluate,
    .close = inh_close,
};

const nc_evaluator_vt *nc_evaluator_inherited(void)
{
    return &INHERITED;
}
