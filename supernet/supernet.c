/*
 * supernet.c — the public supernet calls: dispatch to the space's
 * implementation, plus what every space shares (path sampling rules, BN
 * recalibration, evaluation).
 */
#include "supernet/supernet_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nc_supernet_opts nc_supernet_defaults(void)
{
    nc_supernet_opts o = {
        .in = { 1, 28, 28 },
        .n_classes = 10,
        .n_max = 128,
        .nb201_c = 16,
        .nb201_n = 5,
        .nb201_affine = 1,
        .nb201_alpha = 0,
        .threads = 1,
    };
    return o;
}

nc_status nc_supernet_new(nc_ctx *ctx, const nc_space *sp,
                          const nc_supernet_opts *o, nc_supernet **out)
{
    *out = NULL;
    if (!sp)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: no search space");
    if (o->n_max < 1 || o->n_classes < 2 || o->in.c < 1 || o->in.h < 1 ||
        o->in.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: bad options (batch %d, "
                       "%d classes, input %dx%dx%d)", o->n_max, o->n_classes,
                       o->in.c, o->in.h, o->in.w);
    nc_status (*init)(nc_ctx *, nc_supernet *) = NULL;
    if (strcmp(sp->name, "nb201") == 0)
        init = nc_supernet_nb201_init;
    else if (strcmp(sp->name, "mbv") == 0)
        init = nc_supernet_mbv_init;
    else
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: space %s has no "
                       "weight-sharing supernet (nb201 and mbv have)", sp->name);
    nc_supernet *sn = calloc(1, sizeof *sn);
    if (!sn)
        return nc_fail(ctx, NC_ERR_NOMEM, "supernet: out of memory");
    sn->sp = sp;
    sn->o = *o;
    nc_status st = init(ctx, sn);
    if (st) {
        nc_supernet_free(sn);
        return st;
    }
    *out = sn;
    return NC_OK;
}

void nc_supernet_free(nc_supernet *sn)
{
    if (!sn)
        return;
    if (sn->ops && sn->ops->free)
        sn->ops->free(sn);
    free(sn);
}

const nc_space *nc_supernet_space(const nc_supernet *sn) { return sn->sp; }
size_t nc_supernet_n_params(const nc_supernet *sn) { return sn->np; }
float *nc_supernet_params(nc_supernet *sn) { return sn->params; }
float *nc_supernet_grads(nc_supernet *sn) { return sn->grads; }
size_t nc_supernet_n_state(const nc_supernet *sn) { return sn->ns; }
float *nc_supernet_state(nc_supernet *sn) { return sn->state; }
struct nc_pool *nc_supernet_pool(nc_supernet *sn) { return sn->pool; }

void nc_supernet_init(nc_supernet *sn, uint64_t seed)
{
    sn->ops->init(sn, seed);
}

void nc_supernet_zero_grad(nc_supernet *sn)
{
    if (sn->np)
        memset(sn->grads, 0, sn->np * sizeof(float));
}

void nc_supernet_largest(const nc_supernet *sn, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    sn->ops->largest(sn, a);
}

void nc_supernet_smallest(const nc_supernet *sn, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    sn->ops->smallest(sn, a);
}

nc_status nc_supernet_set_arch(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a)
{
    for (int i = 0; i < NC_ARCH_GENES; i++) {
        int lim = i < sn->sp->n_genes ? sn->sp->choices(sn->sp, i) : 1;
        if (a->g[i] >= lim)
            return nc_fail(ctx, NC_ERR_INVAL, "supernet: gene %d is %d; space "
                           "%s allows 0..%d", i, a->g[i], sn->sp->name, lim - 1);
    }
    nc_status st = sn->ops->set_arch(ctx, sn, a);
    sn->active = st == NC_OK;
    if (!st)
        sn->arch = *a;
    return st;
}

static nc_status need_arch(nc_ctx *ctx, const nc_supernet *sn)
{
    return sn->active ? NC_OK
                      : nc_fail(ctx, NC_ERR_STATE, "supernet: no architecture "
                                "is active (call nc_supernet_set_arch)");
}

nc_status nc_supernet_forward(nc_ctx *ctx, nc_supernet *sn, const float *x,
                              const int32_t *labels, int n, int train,
                              float *loss)
{
    nc_status st = need_arch(ctx, sn);
    return st ? st : sn->ops->forward(ctx, sn, x, labels, n, train, loss);
}

nc_status nc_supernet_backward(nc_ctx *ctx, nc_supernet *sn)
{
    nc_status st = need_arch(ctx, sn);
    return st ? st : sn->ops->backward(ctx, sn);
}

nc_net *nc_supernet_net(nc_supernet *sn)
{
    return sn->active ? sn->ops->net(sn) : NULL;
}

int nc_supernet_count_correct(const nc_supernet *sn, const int32_t *labels,
                              int n)
{
    nc_net *net = sn->active ? sn->ops->net((nc_supernet *)sn) : NULL;
    return net ? nc_net_count_correct(net, labels, n) : 0;
}

nc_status nc_supernet_train_step(nc_ctx *ctx, nc_supernet *sn,
                                 nc_super_rule rule, nc_rng *r,
                                 const float *x, const int32_t *y, int n,
                                 float *loss)
{
    nc_arch paths[4];
    int np = 0;
    if (rule == NC_SUPER_SANDWICH) {
        nc_supernet_largest(sn, &paths[np++]);
        nc_supernet_smallest(sn, &paths[np++]);
    }
    int n_random = rule == NC_SUPER_SANDWICH ? 2 : 1;
    for (int i = 0; i < n_random; i++) {
        memset(&paths[np], 0, sizeof paths[np]);
        sn->sp->sample(sn->sp, r, &paths[np++]);
    }
    nc_supernet_zero_grad(sn);
    double sum = 0;
    for (int i = 0; i < np; i++) {
        float l = 0;
        nc_status st = nc_supernet_set_arch(ctx, sn, &paths[i]);
        if (!st)
            st = sn->ops->forward(ctx, sn, x, y, n, 1, &l);
        if (!st)
            st = sn->ops->backward(ctx, sn);
        if (st)
            return st;
        if (!isfinite(l)) {
            char s[NC_ARCH_STR_MAX];
            sn->sp->format(sn->sp, &paths[i], s, sizeof s);
            return nc_fail(ctx, NC_ERR_NUMERIC, "supernet: loss is %f on path "
                           "%s (try a lower lr)", (double)l, s);
        }
        sum += l;
    }
    if (loss)
        *loss = (float)(sum / np);
    return NC_OK;
}

nc_status nc_supernet_recalibrate(nc_ctx *ctx, nc_supernet *sn,
                                  const nc_dataset *ds, const uint32_t *idx,
                                  int n, int batch, float *x, int32_t *y)
{
    nc_status st = need_arch(ctx, sn);
    if (st)
        return st;
    if (n < 1 || batch < 1 || batch > sn->o.n_max)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: recalibration on %d "
                       "samples in batches of %d (at most %d)", n, batch,
                       sn->o.n_max);
    sn->ops->bn_reset(sn);
    int t = 0;
    for (int off = 0; off < n && !st; off += batch, t++) {
        int b = n - off < batch ? n - off : batch;
        nc_batch_fill(ds, idx + off, b, NULL, NULL, x, y);
        sn->ops->bn_momentum(sn, 1.0f / (float)(t + 1));
        st = sn->ops->forward(ctx, sn, x, NULL, b, 1, NULL);
    }
    sn->ops->bn_momentum(sn, 0.1f);
    return st;
}

nc_status nc_supernet_evaluate(nc_ctx *ctx, nc_supernet *sn,
                               const nc_dataset *ds, int batch, float *x,
                               int32_t *y, double *accuracy, double *loss)
{
    nc_status st = need_arch(ctx, sn);
    if (st)
        return st;
    if (ds->n < 1 || batch < 1 || batch > sn->o.n_max)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: evaluation of %d samples "
                       "in batches of %d (at most %d)", ds->n, batch,
                       sn->o.n_max);
    uint32_t idx[1024];
    if (batch > 1024)
        batch = 1024;
    double lsum = 0;
    long hits = 0;
    for (int off = 0; off < ds->n; off += batch) {
        int b = ds->n - off < batch ? ds->n - off : batch;
        for (int j = 0; j < b; j++)
            idx[j] = (uint32_t)(off + j);
        nc_batch_fill(ds, idx, b, NULL, NULL, x, y);
        float l;
        st = sn->ops->forward(ctx, sn, x, y, b, 0, &l);
        if (st)
            return st;
        lsum += (double)l * b;
        hits += nc_net_count_correct(sn->ops->net(sn), y, b);
    }
    if (accuracy)
        *accuracy = (double)hits / ds->n;
    if (loss)
        *loss = lsum / ds->n;
    return NC_OK;
}
