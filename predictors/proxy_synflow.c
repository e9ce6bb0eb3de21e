/*
 * proxy_synflow.c — synflow (Tanaka et al. 2020) as zero-cost-nas computes
 * it, in float with exact power-of-two scaling instead of double (why and
 * how: predictors/proxy.h), whole or split by node tag.
 */
#include "predictors/proxy_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    SYN_LOG2_C = -100,    /* input and bias scale 2^-100 */
    SYN_LOG2_C_MIN = -140 /* retries go down to here (denormal inputs) */
};

/* Takes absolute values of every parameter, makes every batch norm an exact
 * identity in eval mode, and scales conv/linear biases by 2^log2c. */
static void syn_linearize(nc_net *net, int log2c)
{
    float *w = nc_net_params(net), *st = nc_net_state(net);
    for (size_t k = 0; k < nc_net_n_params(net); k++)
        w[k] = fabsf(w[k]);
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info in;
        nc_net_node(net, i, &in);
        if (in.kind == NC_OP_BATCHNORM) {
            int c = in.out.c;
            float eps = in.attr.eps != 0.0f ? in.attr.eps : 1e-5f;
            for (int j = 0; j < c; j++) {
                if (in.n_w) {
                    w[in.w_off + j] = 1.0f;
                    w[in.w_off + c + j] = 0.0f;
                }
                st[in.s_off + j] = 0.0f;
                /* 1/sqrt(var + eps) rounds to exactly 1.0f. */
                st[in.s_off + c + j] = 1.0f - eps;
            }
        } else if ((in.kind == NC_OP_CONV2D || in.kind == NC_OP_LINEAR) &&
                   in.attr.bias) {
            size_t b0 = in.w_off + in.n_w - (size_t)in.attr.cout;
            for (int j = 0; j < in.attr.cout; j++)
                w[b0 + j] = ldexpf(w[b0 + j], log2c);
        }
    }
}

/* synflow into *raw and, when tsum is not NULL, its split by node tag
 * into tsum[0..n_tags) (nc_proxy_synflow_tags). The total is accumulated
 * term by term exactly as without the split, so it does not depend on
 * whether the split is asked for. */
static nc_status syn_run(nc_ctx *ctx, nc_net *net, int n_tags, double *tsum,
                         double *raw)
{
    size_t np = nc_net_n_params(net);
    nc_shape s = nc_net_input_shape(net);
    size_t d = nc_shape_size(s);
    int F = nc_net_n_classes(net);
    float *x = malloc((d + 1) * sizeof(float));
    float *dout = malloc(((size_t)F + 1) * sizeof(float));
    float *w0 = malloc((np + 1) * sizeof(float));
    nc_status st = NC_OK;
    if (!x || !dout || !w0) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(w0, nc_net_params(net), np * sizeof(float));
    double r = NAN;
    int log2c = SYN_LOG2_C;
    for (;;) {
        memcpy(nc_net_params(net), w0, np * sizeof(float));
        syn_linearize(net, log2c);
        for (size_t k = 0; k < d; k++)
            x[k] = ldexpf(1.0f, log2c);
        if ((st = nc_net_forward(ctx, net, x, NULL, 1, 0, NULL)))
            goto done;
        const float *z = nc_net_logits(net);
        r = 0;
        for (int k = 0; k < F; k++)
            r += z[k];
        if (isfinite(r) && r <= 1e37)
            break;
        if (log2c - 20 < SYN_LOG2_C_MIN) {
            st = nc_fail(ctx, NC_ERR_NUMERIC, "the net's gain from input to "
                         "logits exceeds float range even with input 2^%d",
                         log2c);
            goto done;
        }
        log2c -= 20;
    }
    if (r == 0) {
        *raw = 0; /* nothing reaches the logits: every product is zero */
        for (int t = 0; tsum && t < n_tags; t++)
            tsum[t] = 0;
        goto done;
    }
    /* Seed dR/dz = 2^-e with r = m 2^e, so that the product of activation
     * and gradient scales, c d, is about 1/r: gradients stay in range. */
    int e;
    frexp(r, &e);
    for (int k = 0; k < F; k++)
        dout[k] = ldexpf(1.0f, -e);
    nc_net_zero_grad(net);
    if ((st = nc_net_backward_from(ctx, net, dout)))
        goto done;
    const float *w = nc_net_params(net), *g = nc_net_grads(net);
    double sum = 0;
    size_t off, len;
    for (int t = 0; tsum && t < n_tags; t++)
        tsum[t] = 0;
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        if (!nc_proxy_weights(net, i, &off, &len))
            continue;
        int tag = -1;
        if (tsum) {
            nc_net_node_info in;
            nc_net_node(net, i, &in);
            tag = in.tag >= 0 && in.tag < n_tags ? in.tag : -1;
        }
        for (size_t k = off; k < off + len; k++) {
            double v = fabs((double)w[k] * g[k]);
            sum += v;
            if (tag >= 0)
                tsum[tag] += v;
        }
    }
    if (!isfinite(sum)) {
        st = nc_fail(ctx, NC_ERR_NUMERIC, "gradients overflow float range");
        goto done;
    }
    *raw = ldexp(sum, -log2c + e);   /* divide by c d = 2^(log2c - e) */
    for (int t = 0; tsum && t < n_tags; t++)
        tsum[t] = ldexp(tsum[t], -log2c + e);
done:
    if (w0)
        memcpy(nc_net_params(net), w0, np * sizeof(float));
    free(x);
    free(dout);
    free(w0);
    return st;
}

nc_status nc_proxy_synflow(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                           double *raw)
{
    (void)b;
    return syn_run(ctx, net, 0, NULL, raw);
}

/* The same steps as nc_proxy_score's (proxy.c) for a non-structural proxy:
 * check, keep, initialize, score, restore, degenerate rule; so *out is
 * what that call gives. */
nc_status nc_proxy_synflow_tags(nc_ctx *ctx, nc_net *net, uint64_t seed,
                                int n_tags, double *sums, nc_proxy_result *out)
{
    if (n_tags < 1 || !sums)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy synflow per tag: need at "
                       "least one tag and an output array (got %d, %s)",
                       n_tags, sums ? "an array" : "NULL");
    if (nc_net_output_node(net) < 0)
        return nc_fail(ctx, NC_ERR_STATE, "proxy synflow: the net is not "
                       "finalized");
    size_t np = nc_net_n_params(net), ns = nc_net_n_state(net);
    float *keep_w = malloc((np + 1) * sizeof(float));
    float *keep_s = malloc((ns + 1) * sizeof(float));
    double *t = malloc((size_t)n_tags * sizeof(double));
    if (!keep_w || !keep_s || !t) {
        free(keep_w);
        free(keep_s);
        free(t);
        return nc_fail(ctx, NC_ERR_NOMEM, "proxy synflow: out of memory");
    }
    memcpy(keep_w, nc_net_params(net), np * sizeof(float));
    memcpy(keep_s, nc_net_state(net), ns * sizeof(float));
    nc_proxy_result res = { 0, 0, 0 };
    nc_status st = nc_net_init_params(net, seed);
    if (!st)
        st = syn_run(ctx, net, n_tags, t, &res.raw);
    memcpy(nc_net_params(net), keep_w, np * sizeof(float));
    memcpy(nc_net_state(net), keep_s, ns * sizeof(float));
    free(keep_w);
    free(keep_s);
    if (st) {
        free(t);
        nc_ctx_prefix(ctx, "proxy synflow");
        return st;
    }
    res.score = res.raw;
    if (nc_net_input_reaches_output(net) == 0 || isnan(res.raw)) {
        res.score = -INFINITY;
        res.flags |= NC_PROXY_DEGENERATE;
    }
    memcpy(sums, t, (size_t)n_tags * sizeof(double));
    free(t);
    *out = res;
    return NC_OK;
}
