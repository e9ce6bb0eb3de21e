/*
 * proxy.c — the proxy registry, argument checks, the initialize-and-restore
 * wrapper and the degenerate-net rule of predictors/proxy.h; params and
 * flops, which need no pass; helpers the proxy files share.
 */
#include "predictors/proxy_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static nc_status proxy_params(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                              double *raw)
{
    (void)ctx;
    (void)b;
    *raw = (double)nc_net_n_params(net);
    return NC_OK;
}

static nc_status proxy_flops(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                             double *raw)
{
    (void)ctx;
    (void)b;
    *raw = nc_net_macs(net);
    return NC_OK;
}

typedef struct proxy_row {
    nc_proxy_info info;
    nc_proxy_fn fn;
    int structural;      /* never degenerate */
} proxy_row;

/* Batch sizes: 64 is zero-cost-nas's default for its NB201 runs (and
 * GradSign's); 128 is the NASWOT paper's. */
static const proxy_row ROWS[] = {
    { { "params", 0, 0, 0, 0 }, proxy_params, 1 },
    { { "flops", 0, 0, 0, 0 }, proxy_flops, 1 },
    { { "synflow", 0, 0, 0, 1 }, nc_proxy_synflow, 0 },
    { { "snip", 1, 1, 0, 64 }, nc_proxy_snip, 0 },
    { { "grasp", 1, 1, 0, 64 }, nc_proxy_grasp, 0 },
    { { "grad_norm", 1, 1, 0, 64 }, nc_proxy_grad_norm, 0 },
    { { "fisher", 1, 1, 0, 64 }, nc_proxy_fisher, 0 },
    { { "jacob_cov", 1, 0, 1, 64 }, nc_proxy_jacob_cov, 0 },
    { { "naswot", 1, 0, 0, 128 }, nc_proxy_naswot, 0 },
    { { "gradsign", 1, 1, 0, 64 }, nc_proxy_gradsign, 0 },
};
enum { N_ROWS = sizeof ROWS / sizeof ROWS[0] };

int nc_proxy_count(void)
{
    return N_ROWS;
}

const nc_proxy_info *nc_proxy_at(int i)
{
    return i >= 0 && i < N_ROWS ? &ROWS[i].info : NULL;
}

static const proxy_row *proxy_row_find(const char *name)
{
    for (int i = 0; name && i < N_ROWS; i++)
        if (!strcmp(ROWS[i].info.name, name))
            return &ROWS[i];
    return NULL;
}

const nc_proxy_info *nc_proxy_find(const char *name)
{
    const proxy_row *r = proxy_row_find(name);
    return r ? &r->info : NULL;
}

const char *nc_proxy_names(void)
{
    return "params, flops, synflow, snip, grasp, grad_norm, fisher, "
           "jacob_cov, naswot, gradsign";
}

int nc_proxy_weights(const nc_net *net, int i, size_t *off, size_t *len)
{
    nc_net_node_info in;
    if (nc_net_node(net, i, &in) != NC_OK ||
        (in.kind != NC_OP_CONV2D && in.kind != NC_OP_LINEAR))
        return 0;
    size_t bias = in.attr.bias ? (size_t)in.attr.cout : 0;
    *off = in.w_off;
    *len = in.n_w - bias;
    return 1;
}

nc_status nc_proxy_loss_grad(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b)
{
    nc_net_zero_grad(net);
    nc_status st = nc_net_forward(ctx, net, b->x, b->labels, b->n, 1, NULL);
    return st ? st : nc_net_backward(ctx, net);
}

static nc_status proxy_check(nc_ctx *ctx, const proxy_row *r, nc_net *net,
                             const nc_proxy_batch *b)
{
    const char *nm = r->info.name;
    if (nc_net_output_node(net) < 0)
        return nc_fail(ctx, NC_ERR_STATE, "proxy %s: the net is not finalized", nm);
    if (!r->info.needs_x)
        return NC_OK;
    if (!b || !b->x)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy %s: needs a batch of data", nm);
    if (r->info.needs_labels && !b->labels)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy %s: needs labels", nm);
    nc_shape s = nc_net_input_shape(net);
    if (b->shape.c != s.c || b->shape.h != s.h || b->shape.w != s.w)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy %s: batch samples are %dx%dx%d "
                       "but the net takes %dx%dx%d", nm, b->shape.c, b->shape.h,
                       b->shape.w, s.c, s.h, s.w);
    if (b->n < 1 || b->n > nc_net_n_max(net))
        return nc_fail(ctx, NC_ERR_INVAL, "proxy %s: batch of %d outside "
                       "1..%d (the net's n_max)", nm, b->n, nc_net_n_max(net));
    if (!strcmp(nm, "naswot") && b->n < 2)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy naswot: needs at least 2 "
                       "samples");
    if (!strcmp(nm, "jacob_cov") && b->n < 2)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy jacob_cov: needs at least 2 "
                       "samples");
    return NC_OK;
}

nc_status nc_proxy_score(nc_ctx *ctx, const char *name, nc_net *net,
                         const nc_proxy_batch *batch, uint64_t seed,
                         nc_proxy_result *out)
{
    const proxy_row *r = proxy_row_find(name);
    if (!r)
        return nc_fail(ctx, NC_ERR_INVAL, "unknown proxy '%s' (known: %s)",
                       name ? name : "(null)", nc_proxy_names());
    nc_status st = proxy_check(ctx, r, net, batch);
    if (st)
        return st;
    nc_proxy_result res = { 0, 0, 0 };
    if (r->structural) {
        r->fn(ctx, net, batch, &res.raw);
        res.score = res.raw;
        *out = res;
        return NC_OK;
    }
    size_t np = nc_net_n_params(net), ns = nc_net_n_state(net);
    float *keep_w = malloc((np + 1) * sizeof(float));
    float *keep_s = malloc((ns + 1) * sizeof(float));
    if (!keep_w || !keep_s) {
        free(keep_w);
        free(keep_s);
        return nc_fail(ctx, NC_ERR_NOMEM, "proxy %s: out of memory", r->info.name);
    }
    memcpy(keep_w, nc_net_params(net), np * sizeof(float));
    memcpy(keep_s, nc_net_state(net), ns * sizeof(float));
    st = nc_net_init_params(net, seed);
    if (!st)
        st = r->fn(ctx, net, batch, &res.raw);
    memcpy(nc_net_params(net), keep_w, np * sizeof(float));
    memcpy(nc_net_state(net), keep_s, ns * sizeof(float));
    free(keep_w);
    free(keep_s);
    if (st) {
        nc_ctx_prefix(ctx, "proxy %s", r->info.name);
        return st;
    }
    int reach = nc_net_input_reaches_output(net);
    res.score = res.raw;
    if (reach == 0 || isnan(res.raw)) {
        res.score = -INFINITY;
        res.flags |= NC_PROXY_DEGENERATE;
    }
    *out = res;
    return NC_OK;
}
