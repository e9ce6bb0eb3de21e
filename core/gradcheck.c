#include "core/gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elements checked per tensor: enough to catch indexing bugs anywhere in a
 * small tensor, bounded so that big tensors stay fast. */
enum { NC_GC_MAX_ELEMS = 96 };

typedef struct gc_op {
    const nc_op_def *d;
    nc_exec e;
    size_t nx[NC_MAX_IN], ny, nw, ns;
    float *state0;   /* state before the first forward, restored each time */
    float *r;        /* the fixed random weights of the scalar loss */
} gc_op;

static double gc_loss(gc_op *g)
{
    if (g->ns)
        memcpy(g->e.state, g->state0, g->ns * sizeof(float));
    g->d->forward(&g->e);
    double l = 0;
    for (size_t i = 0; i < g->ny; i++)
        l += (double)g->e.y[i] * g->r[i];
    return l;
}

static int gc_compare(nc_ctx *ctx, const char *what, size_t idx, double ana,
                      double num, double tol, double *max_err)
{
    double scale = fmax(1.0, fmax(fabs(ana), fabs(num)));
    double err = fabs(ana - num) / scale;
    if (!(err <= *max_err))
        *max_err = isnan(err) ? INFINITY : fmax(*max_err, err);
    if (err <= tol)
        return 0;
    nc_fail(ctx, NC_ERR_NUMERIC,
            "gradient check failed: %s[%zu]: analytic %.6g, numeric %.6g "
            "(scaled error %.3g > %.3g)", what, idx, ana, num, err, tol);
    return -1;
}

/* Perturbs v[i] by ±eps and returns the central difference of the loss. */
static double gc_numeric(gc_op *g, float *v, size_t i, float eps)
{
    float old = v[i];
    v[i] = old + eps;
    double lp = gc_loss(g);
    v[i] = old - eps;
    double lm = gc_loss(g);
    v[i] = old;
    return (lp - lm) / (2.0 * (double)eps);
}

static int gc_check_tensor(nc_ctx *ctx, gc_op *g, const char *what, float *v,
                           const float *grad, size_t n, nc_rng *rng,
                           double tol, double *max_err)
{
    const float eps = 1e-3f;
    size_t checks = n < NC_GC_MAX_ELEMS ? n : NC_GC_MAX_ELEMS;
    for (size_t t = 0; t < checks; t++) {
        size_t i = n <= NC_GC_MAX_ELEMS ? t : nc_rng_below(rng, (uint32_t)n);
        double num = gc_numeric(g, v, i, eps);
        if (gc_compare(ctx, what, i, grad[i], num, tol, max_err))
            return -1;
    }
    return 0;
}

nc_status nc_gradcheck_op(nc_ctx *ctx, nc_op_kind k, const nc_attr *a, int n_in,
                          const nc_shape *in, int n, int train,
                          const float *const *xs, uint64_t seed, double tol,
                          double *max_err)
{
    const nc_op_def *d = nc_op_get(k);
    if (!d || !d->forward || !d->backward)
        return nc_fail(ctx, NC_ERR_INVAL, "op %d has no backward to check", (int)k);
    if (n_in < d->min_in || n_in > d->max_in || n < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: bad input count %d or batch %d",
                       d->name, n_in, n);
    gc_op g = { .d = d };
    nc_shape out;
    nc_status st = d->shape(ctx, a, n_in, in, &out);
    if (st)
        return st;
    nc_rng rng = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, k));
    double worst = 0;
    st = NC_ERR_NOMEM;

    g.e.attr = a;
    g.e.n = n;
    g.e.train = train;
    g.e.threads = 1;
    g.e.n_in = n_in;
    g.e.out = out;
    g.ny = (size_t)n * nc_shape_size(out);
    g.nw = d->n_params ? d->n_params(a, in) : 0;
    g.ns = d->n_state ? d->n_state(a, in) : 0;
    size_t nsave = d->n_save ? d->n_save(a, in, out, n) : 0;
    size_t nwork = d->n_work ? d->n_work(a, in, out, n) : 0;

    float *xbuf[NC_MAX_IN] = { 0 }, *dxbuf[NC_MAX_IN] = { 0 };
    float *w = calloc(g.nw + 1, sizeof(float));
    float *dw = calloc(g.nw + 1, sizeof(float));
    float *y = calloc(g.ny + 1, sizeof(float));
    float *dy = calloc(g.ny + 1, sizeof(float));
    float *state = calloc(g.ns + 1, sizeof(float));
    g.state0 = calloc(g.ns + 1, sizeof(float));
    float *save = calloc(nsave + 1, sizeof(float));
    float *work = calloc(nwork + 1, sizeof(float));
    int32_t *labels = calloc((size_t)n, sizeof(int32_t));
    if (!w || !dw || !y || !dy || !state || !g.state0 || !save || !work || !labels)
        goto done;
    for (int i = 0; i < n_in; i++) {
        g.nx[i] = (size_t)n * nc_shape_size(in[i]);
        xbuf[i] = malloc(g.nx[i] * sizeof(float));
        dxbuf[i] = calloc(g.nx[i], sizeof(float));
        if (!xbuf[i] || !dxbuf[i])
            goto done;
        for (size_t j = 0; j < g.nx[i]; j++)
            xbuf[i][j] = xs && xs[i] ? xs[i][j] : nc_rng_normal(&rng);
        g.e.in[i] = in[i];
        g.e.x[i] = xbuf[i];
        g.e.dx[i] = dxbuf[i];
    }
    if (d->init)
        d->init(a, in, w, state, &rng);
    /* Move parameters off their init values (BN's gamma = 1, beta = 0) so a
     * gradient that ignores them cannot pass by accident. */
    for (size_t j = 0; j < g.nw; j++)
        w[j] += 0.3f * nc_rng_normal(&rng);
    if (g.ns)
        memcpy(g.state0, state, g.ns * sizeof(float));
    if (k == NC_OP_SOFTMAX_XENT)
        for (int i = 0; i < n; i++)
            labels[i] = (int32_t)nc_rng_below(&rng, (uint32_t)in[0].c);
    g.r = dy;
    for (size_t j = 0; j < g.ny; j++)
        dy[j] = nc_rng_normal(&rng);

    g.e.y = y;
    g.e.dy = dy;
    g.e.w = w;
    g.e.dw = dw;
    g.e.state = state;
    g.e.save = save;
    g.e.work = work;
    g.e.n_work = nwork;
    g.e.labels = labels;

    gc_loss(&g);
    d->backward(&g.e);

    char what[64];
    st = NC_ERR_NUMERIC;
    for (int i = 0; i < n_in; i++) {
        snprintf(what, sizeof what, "%s input %d", d->name, i);
        if (gc_check_tensor(ctx, &g, what, xbuf[i], dxbuf[i], g.nx[i], &rng,
                            tol, &worst))
            goto done;
    }
    snprintf(what, sizeof what, "%s params", d->name);
    if (g.nw && gc_check_tensor(ctx, &g, what, w, dw, g.nw, &rng, tol, &worst))
        goto done;
    st = NC_OK;
done:
    if (st == NC_ERR_NOMEM)
        nc_fail(ctx, st, "gradient check: out of memory");
    if (max_err)
        *max_err = worst;
    for (int i = 0; i < n_in; i++) {
        free(xbuf[i]);
        free(dxbuf[i]);
    }
    free(w); free(dw); free(y); free(dy); free(state); free(g.state0);
    free(save); free(work); free(labels);
    return st;
}

nc_status nc_gradcheck_net(nc_ctx *ctx, nc_net *net, const float *x,
                           const int32_t *labels, int n, int max_elems,
                           double tol, double *max_err)
{
    size_t np = nc_net_n_params(net), ns = nc_net_n_state(net);
    float *w = nc_net_params(net), *g = nc_net_grads(net);
    float *state0 = malloc((ns + 1) * sizeof(float));
    float *grad = malloc((np + 1) * sizeof(float));
    double worst = 0;
    nc_status st = NC_ERR_NOMEM;
    if (!state0 || !grad) {
        nc_fail(ctx, st, "gradient check: out of memory");
        goto done;
    }
    memcpy(state0, nc_net_state(net), ns * sizeof(float));
    float loss;
    nc_net_zero_grad(net);
    if ((st = nc_net_forward(ctx, net, x, labels, n, 1, &loss)) ||
        (st = nc_net_backward(ctx, net)))
        goto done;
    memcpy(grad, g, np * sizeof(float));
    nc_rng rng = nc_rng_make(0x9c, NC_STREAM(NC_PURPOSE_TEST, 0));
    const float eps = 1e-3f;
    for (int t = 0; t < max_elems && (size_t)t < np; t++) {
        size_t i = np <= (size_t)max_elems ? (size_t)t : nc_rng_below(&rng, (uint32_t)np);
        float old = w[i];
        float lp, lm;
        w[i] = old + eps;
        memcpy(nc_net_state(net), state0, ns * sizeof(float));
        if ((st = nc_net_forward(ctx, net, x, labels, n, 1, &lp)))
            goto done;
        w[i] = old - eps;
        memcpy(nc_net_state(net), state0, ns * sizeof(float));
        if ((st = nc_net_forward(ctx, net, x, labels, n, 1, &lm)))
            goto done;
        w[i] = old;
        double num = ((double)lp - (double)lm) / (2.0 * eps);
        if (gc_compare(ctx, "net params", i, grad[i], num, tol, &worst)) {
            st = NC_ERR_NUMERIC;
            goto done;
        }
    }
    st = NC_OK;
done:
    if (ns && state0 && st != NC_ERR_NOMEM)
        memcpy(nc_net_state(net), state0, ns * sizeof(float));
    if (max_err)
        *max_err = worst;
    free(state0);
    free(grad);
    return st;
}
