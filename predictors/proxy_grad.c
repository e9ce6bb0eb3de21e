/*
 * proxy_grad.c — the loss-gradient proxies: snip, grad_norm, fisher, grasp
 * and gradsign (definitions and choices in predictors/proxy.h). Sums are in
 * double: per-weight products are tiny and a net has millions of them.
 */
#include "predictors/proxy_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nc_status nc_proxy_snip(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                        double *raw)
{
    nc_status st = nc_proxy_loss_grad(ctx, net, b);
    if (st)
        return st;
    const float *w = nc_net_params(net), *g = nc_net_grads(net);
    double s = 0;
    size_t off, len;
    for (int i = 0; i < nc_net_n_nodes(net); i++)
        if (nc_proxy_weights(net, i, &off, &len))
            for (size_t k = off; k < off + len; k++)
                s += fabs((double)w[k] * g[k]);
    *raw = s;
    return NC_OK;
}

nc_status nc_proxy_grad_norm(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                             double *raw)
{
    nc_status st = nc_proxy_loss_grad(ctx, net, b);
    if (st)
        return st;
    const float *g = nc_net_grads(net);
    double s = 0;
    size_t off, len;
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        if (!nc_proxy_weights(net, i, &off, &len))
            continue;
        double q = 0;
        for (size_t k = off; k < off + len; k++)
            q += (double)g[k] * g[k];
        s += sqrt(q);
    }
    *raw = s;
    return NC_OK;
}

nc_status nc_proxy_fisher(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                          double *raw)
{
    nc_status st = nc_proxy_loss_grad(ctx, net, b);
    if (st)
        return st;
    int n = b->n;
    double s = 0;
    size_t off, len;
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        if (!nc_proxy_weights(net, i, &off, &len))
            continue;
        const float *a = nc_net_node_output(net, i), *g = nc_net_node_grad(net, i);
        if (!a || !g)
            continue; /* not run, or no gradient reaches it: 0, as in PyTorch */
        nc_net_node_info in;
        nc_net_node(net, i, &in);
        size_t hw = (size_t)in.out.h * in.out.w;
        for (int k = 0; k < in.out.c; k++) {
            double sq = 0;
            for (int j = 0; j < n; j++) {
                const float *ak = a + ((size_t)k * n + j) * hw;
                const float *gk = g + ((size_t)k * n + j) * hw;
                double d = 0;
                for (size_t p = 0; p < hw; p++)
                    d += (double)ak[p] * gk[p];
                sq += d * d;
            }
            s += 0.5 * sq / n;
        }
    }
    *raw = s;
    return NC_OK;
}

/* The weight entries of every conv/linear node, as a mask over params. */
static unsigned char *weight_mask(const nc_net *net)
{
    unsigned char *m = calloc(nc_net_n_params(net) + 1, 1);
    size_t off, len;
    for (int i = 0; m && i < nc_net_n_nodes(net); i++)
        if (nc_proxy_weights(net, i, &off, &len))
            memset(m + off, 1, len);
    return m;
}

/* Steps of grasp's descent: REL0 / 3^k for k < N_REL. */
#define GRASP_REL0 1e-3
enum { GRASP_N_REL = 10 };

/* sum over W of -w (H g)_w with H g by central differences of gradients,
 * ReLUs frozen at W, at the relative steps rels[0..n_rel). With one step
 * that is the estimate. With several (largest first) it descends: each
 * smaller step removes more of the truncation error (O(step^2) once the net
 * is smooth) until float rounding of the gradients takes over, seen as the
 * change between successive estimates growing again after it had been
 * shrinking; the estimate before that turn is the answer. The
 * right step depends on the net's curvature along g: 1e-3 is accurate for
 * softmax regression, C=16 N=5 cells need 1e-5 and below. */
static nc_status grasp_descent(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                               const double *rels, int n_rel, double *raw)
{
    size_t np = nc_net_n_params(net);
    float *w = nc_net_params(net), *g = nc_net_grads(net);
    float *w0 = malloc((np + 1) * sizeof(float));
    float *g0 = malloc((np + 1) * sizeof(float));
    float *gp = malloc((np + 1) * sizeof(float));
    unsigned char *m = weight_mask(net);
    nc_status st = NC_OK;
    if (!w0 || !g0 || !gp || !m) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(w0, w, np * sizeof(float));
    if ((st = nc_proxy_loss_grad(ctx, net, b)))
        goto done;
    memcpy(g0, g, np * sizeof(float));
    double nw = 0, ng = 0;
    for (size_t k = 0; k < np; k++)
        if (m[k]) {
            nw += (double)w0[k] * w0[k];
            ng += (double)g0[k] * g0[k];
        }
    if (ng == 0) {
        *raw = 0;   /* no gradient: H g = 0 */
        goto done;
    }
    if ((st = nc_net_relu_freeze(ctx, net)))
        goto done;
    double prev = NAN, prev_change = INFINITY, best = NAN;
    int shrinking = 0;      /* the changes have started to shrink */
    for (int lv = 0; lv < n_rel; lv++) {
        double e = rels[lv] * sqrt(nw) / sqrt(ng);
        for (int side = 0; side < 2; side++) {
            double sg = side ? -e : e;
            for (size_t k = 0; k < np; k++)
                w[k] = m[k] ? (float)(w0[k] + sg * g0[k]) : w0[k];
            if ((st = nc_proxy_loss_grad(ctx, net, b)))
                goto done;
            if (!side)
                memcpy(gp, g, np * sizeof(float));
        }
        double s = 0;
        for (size_t k = 0; k < np; k++)
            if (m[k])
                s += -(double)w0[k] * (((double)gp[k] - g[k]) / (2 * e));
        double change = fabs(s - prev);
        /* Large steps can be far from the asymptotic regime, where the
         * changes may grow before they shrink; growth after shrinking is
         * rounding taking over: keep the previous estimate. */
        if (shrinking && change > prev_change)
            break;
        if (lv >= 2 && change < prev_change)
            shrinking = 1;
        best = s;
        if (lv >= 1 && change <= 1e-4 * fabs(s))
            break;          /* settled */
        prev_change = lv >= 1 ? change : INFINITY;
        prev = s;
    }
    *raw = best;
done:
    nc_net_relu_thaw(net);
    if (w0)
        memcpy(w, w0, np * sizeof(float));
    free(w0);
    free(g0);
    free(gp);
    free(m);
    return st;
}

nc_status nc_proxy_grasp(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                         double *raw)
{
    double rels[GRASP_N_REL];
    for (int k = 0; k < GRASP_N_REL; k++)
        rels[k] = GRASP_REL0 / pow(3.0, k);
    return grasp_descent(ctx, net, b, rels, GRASP_N_REL, raw);
}

nc_status nc_proxy_grasp_step(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                              double rel, double *raw)
{
    return grasp_descent(ctx, net, b, &rel, 1, raw);
}

nc_status nc_proxy_gradsign(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                            double *raw)
{
    size_t np = nc_net_n_params(net);
    nc_shape s = b->shape;
    size_t hw = (size_t)s.h * s.w, d = (size_t)s.c * hw;
    int32_t *cnt = calloc(np + 1, sizeof *cnt);
    float *x1 = malloc((d + 1) * sizeof(float));
    unsigned char *m = weight_mask(net);
    nc_status st = NC_OK;
    if (!cnt || !x1 || !m) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const float *g = nc_net_grads(net);
    for (int i = 0; i < b->n; i++) {
        /* Sample i out of the CNHW batch: channel c is at (c n + i) hw. */
        for (int c = 0; c < s.c; c++)
            memcpy(x1 + (size_t)c * hw, b->x + ((size_t)c * b->n + i) * hw,
                   hw * sizeof(float));
        nc_proxy_batch one = { x1, b->labels + i, 1, s };
        if ((st = nc_proxy_loss_grad(ctx, net, &one)))
            goto done;
        for (size_t k = 0; k < np; k++)
            if (m[k])
                cnt[k] += (g[k] > 0) - (g[k] < 0);
    }
    double sum = 0;
    for (size_t k = 0; k < np; k++)
        sum += abs(cnt[k]);
    *raw = sum;
done:
    free(cnt);
    free(x1);
    free(m);
    return st;
}
