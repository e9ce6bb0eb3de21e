/*
 * mlp_reg.c — a small MLP regressor: d -> H -> H -> 1 with ReLU, trained on
 * the squared error of the standardized targets with Adam for a fixed
 * number of epochs (extended to a minimum number of steps, so 20 points are
 * not fitted with 20 steps). The sizes are tiny (a few thousand weights, at
 * most a few hundred points), so plain loops are fast enough and keep the
 * result bit-for-bit reproducible: initialization draws from
 * (seed, NC_PURPOSE_INIT) and the batch order of epoch e from
 * (seed, NC_STREAM(NC_PURPOSE_SHUFFLE, e)).
 */
#include "predictors/predictor_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

typedef struct mlp {
    int d, h;
    size_t np;      /* number of parameters */
    double *w;      /* W1 h x d, b1 h, W2 h x h, b2 h, w3 h, b3 1 */
} mlp;

static nc_status mlp_init(nc_ctx *ctx, nc_predictor *p)
{
    const nc_predictor_opts *o = &p->o;
    if (o->mlp_hidden < 1 || o->mlp_hidden > 4096)
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_hidden = %d, need 1..4096", o->mlp_hidden);
    if (o->mlp_epochs < 1 || o->mlp_epochs > 1000000)
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_epochs = %d, need 1..1000000", o->mlp_epochs);
    if (o->mlp_min_steps < 0 || o->mlp_min_steps > 100000000)
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_min_steps = %d, need 0..1e8", o->mlp_min_steps);
    if (o->mlp_batch < 1 || o->mlp_batch > 1000000)
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_batch = %d, need 1..1000000", o->mlp_batch);
    if (!(o->mlp_lr > 0 && o->mlp_lr < 10))
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_lr = %g, need 0 < lr < 10", o->mlp_lr);
    if (!(o->mlp_weight_decay >= 0 && o->mlp_weight_decay < 10))
        return nc_fail(ctx, NC_ERR_INVAL, "mlp_weight_decay = %g, need 0..10",
                       o->mlp_weight_decay);
    return NC_OK;
}

static void mlp_clear(nc_predictor *p)
{
    mlp *m = p->st;
    if (m)
        free(m->w);
    free(m);
    p->st = NULL;
}

/* Offsets of the parameter blocks. */
typedef struct lay {
    size_t w1, b1, w2, b2, w3, b3, n;
} lay;

static lay layout(int d, int h)
{
    lay l;
    size_t D = (size_t)d, H = (size_t)h;
    l.w1 = 0;
    l.b1 = l.w1 + H * D;
    l.w2 = l.b1 + H;
    l.b2 = l.w2 + H * H;
    l.w3 = l.b2 + H;
    l.b3 = l.w3 + H;
    l.n = l.b3 + 1;
    return l;
}

/* Forward pass of one row; a1, a2 receive the post-ReLU activations. */
static double forward(const double *w, lay l, int d, int h, const double *x,
                      double *a1, double *a2)
{
    for (int i = 0; i < h; i++) {
        double s = w[l.b1 + (size_t)i];
        const double *r = w + l.w1 + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++)
            s += r[j] * x[j];
        a1[i] = s > 0 ? s : 0;
    }
    for (int i = 0; i < h; i++) {
        double s = w[l.b2 + (size_t)i];
        const double *r = w + l.w2 + (size_t)i * (size_t)h;
        for (int j = 0; j < h; j++)
            s += r[j] * a1[j];
        a2[i] = s > 0 ? s : 0;
    }
    double s = w[l.b3];
    for (int j = 0; j < h; j++)
        s += w[l.w3 + (size_t)j] * a2[j];
    return s;
}

static nc_status mlp_fit(nc_ctx *ctx, nc_predictor *p, const double *Z,
                         size_t n, int d, const double *ys)
{
    const nc_predictor_opts *o = &p->o;
    int h = o->mlp_hidden;
    lay l = layout(d, h);
    mlp *m = calloc(1, sizeof *m);
    double *w = calloc(l.n, sizeof *w), *g = calloc(l.n, sizeof *g);
    double *am = calloc(l.n, sizeof *am), *av = calloc(l.n, sizeof *av);
    double *buf = malloc(sizeof *buf * 4 * (size_t)h);
    uint32_t *order = malloc(sizeof *order * n);
    if (!m || !w || !g || !am || !av || !buf || !order) {
        free(m), free(w), free(g), free(am), free(av), free(buf), free(order);
        return nc_fail(ctx, NC_ERR_NOMEM, "MLP of %zu parameters", l.n);
    }
    double *a1 = buf, *a2 = buf + h, *d1 = buf + 2 * h, *d2 = buf + 3 * h;
    /* He initialization for the ReLU layers, small output layer; biases 0. */
    nc_rng r = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_INIT, 0));
    for (size_t i = 0; i < (size_t)h * (size_t)d; i++)
        w[l.w1 + i] = nc_rng_normal(&r) * sqrt(2.0 / d);
    for (size_t i = 0; i < (size_t)h * (size_t)h; i++)
        w[l.w2 + i] = nc_rng_normal(&r) * sqrt(2.0 / h);
    for (int i = 0; i < h; i++)
        w[l.w3 + (size_t)i] = nc_rng_normal(&r) * sqrt(1.0 / h);

    size_t bs = (size_t)o->mlp_batch < n ? (size_t)o->mlp_batch : n;
    size_t per_epoch = (n + bs - 1) / bs;
    long epochs = o->mlp_epochs;
    long need = ((long)o->mlp_min_steps + (long)per_epoch - 1) / (long)per_epoch;
    if (need > epochs)
        epochs = need;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    long step = 0;
    for (long e = 0; e < epochs; e++) {
        nc_rng rs = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_SHUFFLE, (uint64_t)e));
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        nc_rng_shuffle_u32(&rs, order, (uint32_t)n);
        for (size_t s0 = 0; s0 < n; s0 += bs) {
            size_t s1 = s0 + bs < n ? s0 + bs : n;
            memset(g, 0, sizeof *g * l.n);
            double inv = 1.0 / (double)(s1 - s0);
            for (size_t t = s0; t < s1; t++) {
                const double *x = Z + (size_t)order[t] * (size_t)d;
                double out = forward(w, l, d, h, x, a1, a2);
                double dout = 2.0 * (out - ys[order[t]]) * inv;
                g[l.b3] += dout;
                for (int j = 0; j < h; j++) {
                    g[l.w3 + (size_t)j] += dout * a2[j];
                    d2[j] = a2[j] > 0 ? dout * w[l.w3 + (size_t)j] : 0;
                }
                for (int j = 0; j < h; j++)
                    d1[j] = 0;
                for (int i = 0; i < h; i++) {
                    if (d2[i] == 0)
                        continue;
                    g[l.b2 + (size_t)i] += d2[i];
                    double *gr = g + l.w2 + (size_t)i * (size_t)h;
                    const double *wr = w + l.w2 + (size_t)i * (size_t)h;
                    for (int j = 0; j < h; j++) {
                        gr[j] += d2[i] * a1[j];
                        d1[j] += d2[i] * wr[j];
                    }
                }
                for (int i = 0; i < h; i++) {
                    if (a1[i] <= 0 || d1[i] == 0)
                        continue;
                    g[l.b1 + (size_t)i] += d1[i];
                    double *gr = g + l.w1 + (size_t)i * (size_t)d;
                    for (int j = 0; j < d; j++)
                        gr[j] += d1[i] * x[j];
                }
            }
            step++;
            double c1 = 1.0 - pow(b1, (double)step), c2 = 1.0 - pow(b2, (double)step);
            for (size_t i = 0; i < l.n; i++) {
                double gi = g[i] + o->mlp_weight_decay * w[i];
                am[i] = b1 * am[i] + (1 - b1) * gi;
                av[i] = b2 * av[i] + (1 - b2) * gi * gi;
                w[i] -= o->mlp_lr * (am[i] / c1) / (sqrt(av[i] / c2) + eps);
            }
        }
    }
    free(g), free(am), free(av), free(buf), free(order);
    for (size_t i = 0; i < l.n; i++)
        if (!isfinite(w[i])) {
            free(m), free(w);
            return nc_fail(ctx, NC_ERR_NUMERIC,
                           "training diverged (a weight became non-finite); "
                           "lower mlp_lr");
        }
    m->d = d;
    m->h = h;
    m->np = l.n;
    m->w = w;
    p->st = m;
    return NC_OK;
}

static nc_status mlp_predict(nc_ctx *ctx, const nc_predictor *p, const double *Z,
                             size_t mrows, int d, double *ys)
{
    const mlp *m = p->st;
    double *buf = malloc(sizeof *buf * 2 * (size_t)m->h);
    if (!buf)
        return nc_fail(ctx, NC_ERR_NOMEM, "MLP activations");
    lay l = layout(d, m->h);
    for (size_t i = 0; i < mrows; i++)
        ys[i] = forward(m->w, l, d, m->h, Z + i * (size_t)d, buf, buf + m->h);
    free(buf);
    return NC_OK;
}

const nc_pred_vt nc_pred_mlp_vt = {
    .name = "mlp",
    .min_points = 4,
    .init = mlp_init,
    .fit = mlp_fit,
    .predict = mlp_predict,
    .clear = mlp_clear,
};
