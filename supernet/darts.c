/*
 * darts.c — DARTS and DARTS-PT on the nb201 supernet (see darts.h): the
 * configuration, the architecture gradient and the run, unit by unit. The
 * run's checkpoint blob is in darts_pack.c.
 */
#include "supernet/darts_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sha256.h"

nc_darts_cfg nc_darts_defaults(void)
{
    nc_darts_cfg c = {
        .epochs = 10,
        .batch = 64,
        .w_lr = 0.025,
        .w_lr_min = 0.001,
        .w_momentum = 0.9,
        .w_wd = 3e-4,
        .w_clip = 5.0,
        .a_lr = 3e-4,
        .a_wd = 1e-3,
        .order = 1,
        .pt_epochs = 1,
        .eval_samples = 0,
        .nb201_c = 16,
        .nb201_n = 5,
        .seed = 1,
    };
    return c;
}

nc_status nc_darts_cfg_validate(nc_ctx *ctx, const nc_darts_cfg *c)
{
    if (c->epochs < 0 || c->epochs > 100000)
        return nc_fail(ctx, NC_ERR_RANGE, "darts: epochs %d outside 0..100000",
                       c->epochs);
    if (c->batch < 1 || c->batch > 4096)
        return nc_fail(ctx, NC_ERR_RANGE, "darts: batch %d outside 1..4096",
                       c->batch);
    if (!(c->w_lr > 0) || !(c->w_lr_min >= 0) || !(c->a_lr > 0) ||
        !(c->w_momentum >= 0 && c->w_momentum < 1) || !(c->w_wd >= 0) ||
        !(c->a_wd >= 0) || !(c->w_clip >= 0))
        return nc_fail(ctx, NC_ERR_RANGE, "darts: learning rates must be > 0, "
                       "momentum in [0,1), weight decay and clip >= 0");
    if (c->order != 1 && c->order != 2)
        return nc_fail(ctx, NC_ERR_RANGE, "darts: order %d must be 1 or 2",
                       c->order);
    if (c->pt_epochs < -1 || c->pt_epochs > 1000)
        return nc_fail(ctx, NC_ERR_RANGE, "darts: pt_epochs %d outside -1..1000",
                       c->pt_epochs);
    if (c->eval_samples < 0 || c->nb201_c < 1 || c->nb201_c > 256 ||
        c->nb201_n < 0 || c->nb201_n > 20)
        return nc_fail(ctx, NC_ERR_RANGE, "darts: eval_samples >= 0, C in "
                       "1..256 and N in 0..20 required");
    return NC_OK;
}

void nc_darts_argmax(const float alpha[A], nc_nb201_arch *a)
{
    for (int e = 0; e < E; e++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (alpha[e * K + k] > alpha[e * K + best])
                best = k;
        a->op[e] = (uint8_t)best;
    }
}

/* Forward and backward on one batch: gradients (cleared first) of its mean
 * loss. */
static nc_status grad_on(nc_ctx *ctx, nc_supernet *sn, const float *x,
                         const int32_t *y, int n, float *loss)
{
    float l;
    nc_supernet_zero_grad(sn);
    nc_status st = nc_supernet_forward(ctx, sn, x, y, n, 1, &l);
    if (!st)
        st = nc_supernet_backward(ctx, sn);
    if (!st && !isfinite(l))
        st = nc_fail(ctx, NC_ERR_NUMERIC, "darts: loss is %f (try a lower "
                     "learning rate)", (double)l);
    if (loss)
        *loss = l;
    return st;
}

nc_status nc_darts_alpha_grad(nc_ctx *ctx, nc_supernet *sn, int order,
                              double xi, double wd, const float *xt,
                              const int32_t *yt, int nt, const float *xv,
                              const int32_t *yv, int nv, float *scratch,
                              float grad[A])
{
    float alpha[A];
    nc_status st;
    if (order == 1) {
        if ((st = grad_on(ctx, sn, xv, yv, nv, NULL)))
            return st;
        return nc_supernet_nb201_alpha(ctx, sn, alpha, grad);
    }
    size_t np = nc_supernet_n_params(sn);
    float *w = nc_supernet_params(sn), *g = nc_supernet_grads(sn);
    float *w0 = scratch, *dw = scratch + np;
    if ((st = nc_supernet_nb201_alpha(ctx, sn, alpha, NULL)))
        return st;
    memcpy(w0, w, np * sizeof(float));
    /* w' = w - xi (dL_train/dw + wd w); alpha itself stays put. */
    if ((st = grad_on(ctx, sn, xt, yt, nt, NULL)))
        goto out;
    for (size_t i = 0; i < np; i++)
        w[i] = w0[i] - (float)xi * (g[i] + (float)wd * w0[i]);
    nc_supernet_nb201_set_alpha(ctx, sn, alpha);
    /* At w': the alpha gradient of L_val, and its weight gradient dw'. */
    float ga[A], gp[A], gm[A], dummy[A];
    if ((st = grad_on(ctx, sn, xv, yv, nv, NULL)) ||
        (st = nc_supernet_nb201_alpha(ctx, sn, dummy, ga)))
        goto out;
    memcpy(dw, g, np * sizeof(float));
    /* alpha's own entries are not weights: keep them out of the product. */
    nc_supernet_nb201_zero_alpha(sn, dw);
    double norm = 0;
    for (size_t i = 0; i < np; i++)
        norm += (double)dw[i] * dw[i];
    norm = sqrt(norm);
    float eps = norm > 0 ? (float)(0.01 / norm) : 0.0f;
    for (size_t i = 0; i < np; i++)
        w[i] = w0[i] + eps * dw[i];
    if ((st = grad_on(ctx, sn, xt, yt, nt, NULL)) ||
        (st = nc_supernet_nb201_alpha(ctx, sn, dummy, gp)))
        goto out;
    for (size_t i = 0; i < np; i++)
        w[i] = w0[i] - eps * dw[i];
    if ((st = grad_on(ctx, sn, xt, yt, nt, NULL)) ||
        (st = nc_supernet_nb201_alpha(ctx, sn, dummy, gm)))
        goto out;
    for (int i = 0; i < A; i++)
        grad[i] = eps > 0 ? ga[i] - (float)(xi * ((double)gp[i] - gm[i]) /
                                           (2.0 * eps))
                          : ga[i];
out:
    memcpy(w, w0, np * sizeof(float));
    return st;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Supernet accuracy on the first n_eval validation samples (eval mode). */
static nc_status eval_acc(nc_ctx *ctx, nc_darts *r, double *acc)
{
    long hits = 0;
    int b = r->c.batch;
    for (int off = 0; off < r->n_eval; off += b) {
        int n = r->n_eval - off < b ? r->n_eval - off : b;
        nc_batch_fill(r->valid, r->eidx + off, n, NULL, NULL, r->xv, r->yv);
        nc_status st = nc_supernet_forward(ctx, r->sn, r->xv, r->yv, n, 0, NULL);
        if (st)
            return st;
        hits += nc_supernet_count_correct(r->sn, r->yv, n);
    }
    *acc = (double)hits / r->n_eval;
    return NC_OK;
}

static void clip_grads(nc_supernet *sn, double max_norm)
{
    if (!(max_norm > 0))
        return;
    size_t np = nc_supernet_n_params(sn);
    float *g = nc_supernet_grads(sn);
    double s = 0;
    for (size_t i = 0; i < np; i++)
        s += (double)g[i] * g[i];
    double norm = sqrt(s);
    if (norm > max_norm) {
        float f = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < np; i++)
            g[i] *= f;
    }
}

/* One epoch: alpha steps (if search) interleaved with weight steps. The
 * learning rate follows one cosine over all search epochs; tuning epochs
 * use the final rate. Every random choice is a stream of the seed keyed by
 * the epoch, so an epoch run after a restore draws what it would have. */
static nc_status run_epoch(nc_ctx *ctx, nc_darts *r, int epoch, int search,
                           nc_darts_epoch *m, double *lr_out)
{
    const nc_darts_cfg *c = &r->c;
    int B = c->batch, nt = r->train->n, nv = r->valid->n;
    nc_rng sh = nc_rng_make(c->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, epoch));
    for (int i = 0; i < nt; i++)
        r->perm[i] = (uint32_t)i;
    nc_rng_shuffle_u32(&sh, r->perm, (uint32_t)nt);
    nc_rng vs = nc_rng_make(c->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, 1000000 + epoch));
    for (int i = 0; i < nv; i++)
        r->vperm[i] = (uint32_t)i;
    nc_rng_shuffle_u32(&vs, r->vperm, (uint32_t)nv);
    double lsum = 0, t0 = now_seconds();
    long hits = 0, seen = 0;
    nc_sched sc = { .kind = NC_SCHED_COSINE, .base_lr = (float)c->w_lr,
                    .min_lr = (float)c->w_lr_min, .total_steps = r->total_steps };
    float alpha[A], ga[A], lr = 0;
    for (int64_t s = 0; s < r->steps_per_epoch; s++) {
        int off = (int)(s * B), n = nt - off < B ? nt - off : B;
        nc_batch_fill(r->train, r->perm + off, n, NULL, NULL, r->x, r->y);
        lr = search ? nc_sched_lr(&sc, r->step) : nc_sched_lr(&sc, r->total_steps);
        nc_status st;
        if (search) {
            int voff = (int)((s * B) % nv), vn = nv - voff < B ? nv - voff : B;
            nc_batch_fill(r->valid, r->vperm + voff, vn, NULL, NULL, r->xv, r->yv);
            if ((st = nc_darts_alpha_grad(ctx, r->sn, c->order, lr, c->w_wd,
                                          r->x, r->y, n, r->xv, r->yv, vn,
                                          r->scratch, ga)) ||
                (st = nc_supernet_nb201_alpha(ctx, r->sn, alpha, NULL)))
                return st;
            nc_optim_step(r->aopt, alpha, ga, (float)c->a_lr);
            nc_supernet_nb201_set_alpha(ctx, r->sn, alpha);
        }
        float loss;
        if ((st = nc_supernet_nb201_alpha(ctx, r->sn, alpha, NULL)) ||
            (st = grad_on(ctx, r->sn, r->x, r->y, n, &loss)))
            return st;
        /* The weight step sees alpha's gradient too; alpha is put back
         * after it, so only the weights move. */
        clip_grads(r->sn, c->w_clip);
        nc_optim_step_pool(r->wopt, nc_supernet_pool(r->sn),
                           nc_supernet_params(r->sn), nc_supernet_grads(r->sn), lr);
        nc_supernet_nb201_set_alpha(ctx, r->sn, alpha);
        lsum += (double)loss * n;
        hits += nc_supernet_count_correct(r->sn, r->y, n);
        seen += n;
        if (search)
            r->step++;
        if (r->prog && r->prog->step)
            r->prog->step(r->prog->ud, epoch, s + 1, r->steps_per_epoch, loss);
    }
    m->epoch = epoch;
    m->phase = !search;
    m->train_loss = lsum / (double)seen;
    m->train_accuracy = (double)hits / (double)seen;
    nc_supernet_nb201_alpha(ctx, r->sn, m->alpha, NULL);
    nc_status st = eval_acc(ctx, r, &m->valid_accuracy);
    m->seconds = now_seconds() - t0;
    *lr_out = lr;
    return st;
}

/* Opens every gate of undecided edges (soft) and the chosen op of decided
 * ones (hard); `without` (edge * K + op, or -1) is shut. */
nc_status nc_darts_set_gates(nc_ctx *ctx, nc_supernet *sn, const int *decided,
                             int without)
{
    uint8_t mask[A], hard[E];
    for (int e = 0; e < E; e++) {
        hard[e] = decided[e] >= 0;
        for (int k = 0; k < K; k++)
            mask[e * K + k] = decided[e] < 0 || decided[e] == k;
    }
    if (without >= 0)
        mask[without] = 0;
    return nc_supernet_nb201_gates(ctx, sn, mask, hard);
}

/* DARTS-PT's decision on the next edge in its order: removes each op in
 * turn and keeps the one whose removal costs the most accuracy. Leaves the
 * gates set for tuning with the edge fixed. */
static nc_status decide(nc_ctx *ctx, nc_darts *r, nc_darts_event *ev)
{
    int i = r->n_decided, e = r->order[i];
    double base;
    nc_status st = nc_darts_set_gates(ctx, r->sn, r->decided, -1);
    if (st || (st = eval_acc(ctx, r, &base)))
        return st;
    double drop[K];
    int best = 0;
    double best_drop = -INFINITY;
    float al[A];
    nc_supernet_nb201_alpha(ctx, r->sn, al, NULL);
    for (int k = 0; k < K; k++) {
        double acc;
        if ((st = nc_darts_set_gates(ctx, r->sn, r->decided, e * K + k)) ||
            (st = eval_acc(ctx, r, &acc)))
            return st;
        drop[k] = base - acc;
        /* Ties (common on small evaluation sets) go to the larger alpha,
         * not to the lower op index, which would favour `none`. */
        if (drop[k] > best_drop ||
            (drop[k] == best_drop && al[e * K + k] > al[e * K + best])) {
            best_drop = drop[k];
            best = k;
        }
    }
    int dec[E];
    memcpy(dec, r->decided, sizeof dec);
    dec[e] = best;
    if ((st = nc_darts_set_gates(ctx, r->sn, dec, -1)))
        return st;
    /* Only now that nothing can fail does the position move. */
    r->decided[e] = best;
    r->pt_base[i] = base;
    for (int k = 0; k < K; k++)
        r->pt_drop[e * K + k] = drop[k];
    r->n_decided++;
    ev->unit = NC_DARTS_DECISION;
    ev->decision = i;
    ev->edge = e;
    ev->op = best;
    return NC_OK;
}

int nc_darts_epochs_total(const nc_darts_cfg *c)
{
    return c->epochs + (c->pt_epochs > 0 ? E * c->pt_epochs : 0);
}

int nc_darts_epochs_done(const nc_darts *d)
{
    return d->epoch;
}

const float *nc_darts_alpha_history(const nc_darts *d, int *n)
{
    *n = d->epoch;
    return d->hist;
}

void nc_darts_free(nc_darts *d)
{
    if (!d)
        return;
    nc_supernet_free(d->sn);
    nc_optim_free(d->wopt);
    nc_optim_free(d->aopt);
    free(d->x);
    free(d->xv);
    free(d->y);
    free(d->yv);
    free(d->perm);
    free(d->vperm);
    free(d->eidx);
    free(d->scratch);
    free(d->hist);
    free(d);
}

nc_status nc_darts_new(nc_ctx *ctx, const nc_darts_cfg *cfg, int threads,
                       const nc_dataset *train, const nc_dataset *valid,
                       nc_darts **out)
{
    *out = NULL;
    nc_status st = nc_darts_cfg_validate(ctx, cfg);
    if (st)
        return st;
    if (!train || !valid || train->n < 1 || valid->n < 1 ||
        train->c != valid->c || train->h != valid->h || train->w != valid->w)
        return nc_fail(ctx, NC_ERR_INVAL, "darts: needs non-empty training "
                       "and validation sets of the same shape");
    nc_darts *r = calloc(1, sizeof *r);
    if (!r)
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    r->c = *cfg;
    r->train = train;
    r->valid = valid;
    nc_supernet_opts o = nc_supernet_defaults();
    o.in = (nc_shape){ train->c, train->h, train->w };
    o.n_classes = train->n_classes;
    o.n_max = cfg->batch;
    o.nb201_c = cfg->nb201_c;
    o.nb201_n = cfg->nb201_n;
    o.nb201_affine = 0;
    o.nb201_alpha = 1;
    o.threads = threads;
    if ((st = nc_supernet_new(ctx, nc_space_nb201(), &o, &r->sn))) {
        nc_darts_free(r);
        return st;
    }
    nc_supernet_init(r->sn, cfg->seed);
    size_t np = nc_supernet_n_params(r->sn), xs = (size_t)cfg->batch *
                nc_shape_size(o.in);
    nc_optim_cfg wc = { .kind = NC_OPTIM_SGD, .momentum = (float)cfg->w_momentum,
                        .weight_decay = (float)cfg->w_wd };
    nc_optim_cfg ac = { .kind = NC_OPTIM_ADAM, .beta1 = 0.5f, .beta2 = 0.999f,
                        .weight_decay = (float)cfg->a_wd };
    r->wopt = nc_optim_new(&wc, np);
    r->aopt = nc_optim_new(&ac, A);
    r->x = malloc(xs * sizeof(float));
    r->xv = malloc(xs * sizeof(float));
    r->y = malloc((size_t)cfg->batch * sizeof(int32_t));
    r->yv = malloc((size_t)cfg->batch * sizeof(int32_t));
    r->perm = malloc((size_t)train->n * sizeof(uint32_t));
    r->vperm = malloc((size_t)valid->n * sizeof(uint32_t));
    r->n_eval = cfg->eval_samples > 0 && cfg->eval_samples < valid->n
              ? cfg->eval_samples : valid->n;
    r->eidx = malloc((size_t)r->n_eval * sizeof(uint32_t));
    r->scratch = cfg->order == 2 ? malloc(2 * np * sizeof(float)) : NULL;
    r->hist = malloc(((size_t)nc_darts_epochs_total(cfg) + 1) * A * sizeof(float));
    if (!r->wopt || !r->aopt || !r->x || !r->xv || !r->y || !r->yv ||
        !r->perm || !r->vperm || !r->eidx || !r->hist ||
        (cfg->order == 2 && !r->scratch)) {
        nc_darts_free(r);
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory");
    }
    for (int i = 0; i < r->n_eval; i++)
        r->eidx[i] = (uint32_t)i;
    for (int e = 0; e < E; e++)
        r->decided[e] = -1;
    for (int i = 0; i < A; i++)
        r->pt_drop[i] = NAN;
    r->supernet_accuracy = NAN;
    /* DARTS-PT's edge order, drawn once from the seed. */
    nc_rng rr = nc_rng_make(cfg->seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0x5054));
    uint32_t perm[E];
    for (int e = 0; e < E; e++)
        perm[e] = (uint32_t)e;
    nc_rng_shuffle_u32(&rr, perm, E);
    for (int i = 0; i < E; i++)
        r->order[i] = (int)perm[i];
    if ((st = nc_darts_set_gates(ctx, r->sn, r->decided, -1))) {
        nc_darts_free(r);
        return st;
    }
    r->steps_per_epoch = (train->n + cfg->batch - 1) / cfg->batch;
    r->total_steps = r->steps_per_epoch * cfg->epochs;
    *out = r;
    return NC_OK;
}

nc_status nc_darts_next(nc_ctx *ctx, nc_darts *d, const nc_darts_progress *prog,
                        nc_darts_event *ev)
{
    memset(ev, 0, sizeof *ev);
    const nc_darts_cfg *c = &d->c;
    double t0 = now_seconds();
    nc_status st = NC_OK;
    int search = d->epoch < c->epochs;
    /* The supernet's accuracy after search: measured once, on the way from
     * the search to what follows (deterministic, so a restore that lost it
     * measures the same). */
    if (!search && !d->have_sacc) {
        if ((st = nc_darts_set_gates(ctx, d->sn, d->decided, -1)) ||
            (st = eval_acc(ctx, d, &d->supernet_accuracy)))
            return st;
        d->have_sacc = 1;
    }
    int tune = !search && c->pt_epochs > 0 &&
               d->epoch - c->epochs < d->n_decided * c->pt_epochs;
    if (search || tune) {
        d->prog = prog;
        double lr;
        st = run_epoch(ctx, d, d->epoch + 1, search, &ev->epoch, &lr);
        d->prog = NULL;
        if (st)
            return st;
        memcpy(d->hist + (size_t)d->epoch * A, ev->epoch.alpha, sizeof ev->epoch.alpha);
        d->epoch++;
        ev->unit = NC_DARTS_EPOCH;
        ev->lr = lr;
    } else if (c->pt_epochs >= 0 && d->n_decided < E) {
        if ((st = decide(ctx, d, ev)))
            return st;
    } else {
        ev->unit = NC_DARTS_DONE;
        ev->w_steps = nc_optim_steps(d->wopt);
        return NC_OK;
    }
    d->units++;
    d->seconds += now_seconds() - t0;
    ev->w_steps = nc_optim_steps(d->wopt);
    return NC_OK;
}

void nc_darts_result_of(nc_darts *d, nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    nc_supernet_nb201_alpha(NULL, d->sn, res->alpha, NULL);
    nc_darts_argmax(res->alpha, &res->darts);
    for (int i = 0; i < E; i++)
        res->pt_order[i] = d->order[i];
    memcpy(res->pt_base, d->pt_base, sizeof res->pt_base);
    memcpy(res->pt_drop, d->pt_drop, sizeof res->pt_drop);
    for (int i = d->n_decided; i < E; i++)
        res->pt_base[i] = NAN;
    for (int e = 0; e < E; e++)
        res->pt.op[e] = (uint8_t)(d->decided[e] >= 0 ? d->decided[e] : 0);
    res->supernet_accuracy = d->supernet_accuracy;
    res->seconds = d->seconds;
    res->epochs = d->epoch;
    nc_sha256 s;
    uint8_t h[32];
    nc_sha256_init(&s);
    nc_sha256_update(&s, nc_supernet_params(d->sn),
                     nc_supernet_n_params(d->sn) * sizeof(float));
    nc_sha256_update(&s, nc_supernet_state(d->sn),
                     nc_supernet_n_state(d->sn) * sizeof(float));
    nc_sha256_final(&s, h);
    for (int i = 0; i < 32; i++) {
        static const char hx[] = "0123456789abcdef";
        res->weights_sha256[2 * i] = hx[h[i] >> 4];
        res->weights_sha256[2 * i + 1] = hx[h[i] & 15];
    }
    res->weights_sha256[64] = '\0';
}

nc_status nc_darts_run(nc_ctx *ctx, const nc_darts_cfg *cfg, int threads,
                       const nc_dataset *train, const nc_dataset *valid,
                       const nc_darts_progress *prog, nc_darts_result *res)
{
    memset(res, 0, sizeof *res);
    for (int i = 0; i < A; i++)
        res->pt_drop[i] = NAN;
    nc_darts *d;
    nc_status st = nc_darts_new(ctx, cfg, threads, train, valid, &d);
    while (!st) {
        nc_darts_event ev;
        if ((st = nc_darts_next(ctx, d, prog, &ev)) || ev.unit == NC_DARTS_DONE)
            break;
        if (ev.unit == NC_DARTS_EPOCH && prog && prog->epoch &&
            prog->epoch(prog->ud, &ev.epoch))
            st = nc_fail(ctx, NC_ERR_STATE, "darts: stopped after epoch %d",
                         ev.epoch.epoch);
        if (ev.unit == NC_DARTS_DECISION && prog && prog->decision &&
            prog->decision(prog->ud, ev.decision, ev.edge, ev.op))
            st = nc_fail(ctx, NC_ERR_STATE, "darts: stopped after DARTS-PT "
                         "decision %d", ev.decision + 1);
    }
    if (d)
        nc_darts_result_of(d, res);
    nc_darts_free(d);
    return st;
}
