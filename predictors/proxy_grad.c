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

nc_status nc_proxy_grasp(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                         double *raw)
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
    /* Step e g with |e g| = 1e-3 |W|: small against the weights, large
     * against float rounding of the gradients. */
    double e = 1e-3 * sqrt(nw) / sqrt(ng);
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
        if (m[k]) {
            /* The step actually taken, after rounding the weights. */
            double hg = ((double)gp[k] - g[k]) / (2 * e);
            s += -(double)w0[k] * hg;
        }
    *raw = s;
done:
    if (w0)
        memcpy(w, w0, np * sizeof(float));
    free(w0);
    free(g0);
    free(gp);
    free(m);
    return st;
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
