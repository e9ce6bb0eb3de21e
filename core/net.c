/*
 * net.c — building a net and asking about it: the node list (nc_net_new,
 * nc_net_add and the builder shorthands), the accessors and the graph
 * queries. Finalize's buffer plan is in net_buf.c, running in net_run.c;
 * net_int.h holds the structures they share.
 */
#include "core/net_int.h"

#include <stdlib.h>
#include <string.h>

nc_net *nc_net_new(void)
{
    nc_net *net = calloc(1, sizeof *net);
    if (net) {
        net->output = net->loss = -1;
        net->threads = 1;
    }
    return net;
}

void nc_net_set_threads(nc_net *net, int threads)
{
    net->threads = threads > 1 ? threads : 1;
}

void nc_net_free(nc_net *net)
{
    if (!net)
        return;
    nc_net_relu_thaw(net);
    free(net->nodes);
    free(net->params);
    free(net->grads);
    free(net->state);
    free(net->work);
    free(net->arena);   /* NULL when the arena is the caller's */
    nc_pool_free(net->pool);
    free(net);
}

int nc_net_node_push(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a,
                     int n_in, const int *in, nc_shape out)
{
    if (net->n_nodes == net->cap) {
        int cap = net->cap ? 2 * net->cap : 64;
        nc_node *nn = realloc(net->nodes, (size_t)cap * sizeof *nn);
        if (!nn) {
            nc_fail(ctx, NC_ERR_NOMEM, "net: out of memory adding a node");
            return -1;
        }
        net->nodes = nn;
        net->cap = cap;
    }
    nc_node *nd = &net->nodes[net->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->kind = k;
    if (a)
        nd->a = *a;
    nd->n_in = n_in;
    for (int i = 0; i < n_in; i++)
        nd->in[i] = in[i];
    nd->out = out;
    nd->tag = -1;
    return net->n_nodes++;
}

int nc_net_input(nc_ctx *ctx, nc_net *net, nc_shape s)
{
    if (net->finalized) {
        nc_fail(ctx, NC_ERR_STATE, "net: cannot add nodes after finalize");
        return -1;
    }
    if (s.c < 1 || s.h < 1 || s.w < 1) {
        nc_fail(ctx, NC_ERR_INVAL, "net: input shape %dx%dx%d is empty", s.c, s.h, s.w);
        return -1;
    }
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == NC_OP_INPUT) {
            nc_fail(ctx, NC_ERR_INVAL, "net: only one input node is supported");
            return -1;
        }
    return nc_net_node_push(ctx, net, NC_OP_INPUT, NULL, 0, NULL, s);
}

int nc_net_add(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a,
               int n_in, const int *in)
{
    const nc_op_def *d = nc_op_get(k);
    if (net->finalized) {
        nc_fail(ctx, NC_ERR_STATE, "net: cannot add nodes after finalize");
        return -1;
    }
    if (!d || k == NC_OP_INPUT || k == NC_OP_SOFTMAX_XENT) {
        nc_fail(ctx, NC_ERR_INVAL, "net: op kind %d cannot be added", (int)k);
        return -1;
    }
    if (n_in < d->min_in || n_in > d->max_in) {
        nc_fail(ctx, NC_ERR_INVAL, "net: %s takes %d..%d inputs, got %d",
                d->name, d->min_in, d->max_in, n_in);
        return -1;
    }
    nc_shape shp[NC_MAX_IN];
    for (int i = 0; i < n_in; i++) {
        if (in[i] < 0)
            return -1; /* an earlier builder call failed; its message stands */
        if (in[i] >= net->n_nodes) {
            nc_fail(ctx, NC_ERR_INVAL, "net: %s input %d is node %d, which does "
                    "not exist yet", d->name, i, in[i]);
            return -1;
        }
        shp[i] = net->nodes[in[i]].out;
    }
    nc_attr zero = { 0 };
    nc_shape out;
    if (d->shape(ctx, a ? a : &zero, n_in, shp, &out) != NC_OK) {
        nc_ctx_prefix(ctx, "%s (node %d)", d->name, net->n_nodes);
        return -1;
    }
    return nc_net_node_push(ctx, net, k, a, n_in, in, out);
}

static int net_add1(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a, int in)
{
    if (in < 0)
        return -1;
    return nc_net_add(ctx, net, k, a, 1, &in);
}

int nc_net_conv(nc_ctx *ctx, nc_net *net, int in, int cout, int k, int stride,
                int pad, int groups, int bias)
{
    nc_attr a = { .cout = cout, .k = k, .stride = stride, .pad = pad,
                  .groups = groups, .bias = bias };
    return net_add1(ctx, net, NC_OP_CONV2D, &a, in);
}

int nc_net_linear(nc_ctx *ctx, nc_net *net, int in, int cout, int bias)
{
    nc_attr a = { .cout = cout, .bias = bias };
    return net_add1(ctx, net, NC_OP_LINEAR, &a, in);
}

int nc_net_bn(nc_ctx *ctx, nc_net *net, int in, int affine)
{
    nc_attr a = { .affine = affine, .momentum = 0.1f, .eps = 1e-5f };
    return net_add1(ctx, net, NC_OP_BATCHNORM, &a, in);
}

int nc_net_relu(nc_ctx *ctx, nc_net *net, int in)
{
    return net_add1(ctx, net, NC_OP_RELU, NULL, in);
}

int nc_net_maxpool(nc_ctx *ctx, nc_net *net, int in, int k, int stride, int pad)
{
    nc_attr a = { .k = k, .stride = stride, .pad = pad };
    return net_add1(ctx, net, NC_OP_MAXPOOL, &a, in);
}

int nc_net_avgpool(nc_ctx *ctx, nc_net *net, int in, int k, int stride, int pad,
                   int count_pad)
{
    nc_attr a = { .k = k, .stride = stride, .pad = pad, .count_pad = count_pad };
    return net_add1(ctx, net, NC_OP_AVGPOOL, &a, in);
}

int nc_net_gap(nc_ctx *ctx, nc_net *net, int in)
{
    return net_add1(ctx, net, NC_OP_GAP, NULL, in);
}

int nc_net_flatten(nc_ctx *ctx, nc_net *net, int in)
{
    return net_add1(ctx, net, NC_OP_FLATTEN, NULL, in);
}

int nc_net_sum(nc_ctx *ctx, nc_net *net, int n_in, const int *in)
{
    return nc_net_add(ctx, net, NC_OP_SUM, NULL, n_in, in);
}

int nc_net_zero(nc_ctx *ctx, nc_net *net, int in, int stride)
{
    nc_attr a = { .stride = stride };
    return net_add1(ctx, net, NC_OP_ZERO, &a, in);
}

int nc_net_identity(nc_ctx *ctx, nc_net *net, int in)
{
    return net_add1(ctx, net, NC_OP_IDENTITY, NULL, in);
}

int nc_net_mix(nc_ctx *ctx, nc_net *net, int n_in, const int *in, int alpha)
{
    nc_attr a = { .cout = n_in, .bias = alpha };
    return nc_net_add(ctx, net, NC_OP_MIX, &a, n_in, in);
}

const float *nc_net_logits(const nc_net *net)
{
    return net->output >= 0 ? net->nodes[net->output].y : NULL;
}

int nc_net_n_classes(const nc_net *net)
{
    return net->output >= 0 ? net->nodes[net->output].out.c : 0;
}

nc_shape nc_net_input_shape(const nc_net *net)
{
    nc_shape z = { 0, 0, 0 };
    return net->n_nodes ? net->nodes[0].out : z;
}

int nc_net_n_max(const nc_net *net) { return net->n_max; }
size_t nc_net_n_params(const nc_net *net) { return net->np; }
float *nc_net_params(nc_net *net) { return net->params; }
float *nc_net_grads(nc_net *net) { return net->grads; }
size_t nc_net_n_state(const nc_net *net) { return net->ns; }
float *nc_net_state(nc_net *net) { return net->state; }
int nc_net_n_nodes(const nc_net *net) { return net->n_nodes; }

size_t nc_net_bytes(const nc_net *net)
{
    return (net->n_arena + (size_t)net->threads * net->n_work) * sizeof(float);
}

int nc_net_threads(const nc_net *net) { return net->threads; }
nc_pool *nc_net_pool(nc_net *net) { return net->pool; }

double nc_net_macs(const nc_net *net)
{
    double m = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        if (!d->macs)
            continue;
        nc_shape shp[NC_MAX_IN];
        net_in_shapes(net, nd, shp);
        m += d->macs(&nd->a, shp, nd->out);
    }
    return m;
}

nc_status nc_net_node(const nc_net *net, int i, nc_net_node_info *info)
{
    if (i < 0 || i >= net->n_nodes)
        return NC_ERR_RANGE;
    const nc_node *nd = &net->nodes[i];
    memset(info, 0, sizeof *info);
    info->kind = nd->kind;
    info->attr = nd->a;
    info->n_in = nd->n_in;
    for (int j = 0; j < nd->n_in; j++) {
        info->in[j] = nd->in[j];
        info->in_shape[j] = net->nodes[nd->in[j]].out;
    }
    info->out = nd->out;
    info->w_off = nd->w_off;
    info->n_w = nd->n_w;
    info->s_off = nd->s_off;
    info->n_s = nd->n_s;
    info->tag = nd->tag;
    return NC_OK;
}

nc_status nc_net_set_tag(nc_net *net, int i, int tag)
{
    if (!net || i < 0 || i >= net->n_nodes)
        return NC_ERR_RANGE;
    net->nodes[i].tag = tag;
    return NC_OK;
}

void nc_net_set_bn_momentum(nc_net *net, float momentum)
{
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == NC_OP_BATCHNORM)
            net->nodes[i].a.momentum = momentum;
}

nc_status nc_net_want_input_grad(nc_ctx *ctx, nc_net *net)
{
    if (net->finalized)
        return nc_fail(ctx, NC_ERR_STATE, "net: nc_net_want_input_grad must "
                       "come before finalize");
    net->want_input_grad = 1;
    return NC_OK;
}

int nc_net_output_node(const nc_net *net)
{
    return net->output;
}

int nc_net_input_reaches_output(const nc_net *net)
{
    if (!net->finalized)
        return -1;
    unsigned char *r = calloc((size_t)net->n_nodes, 1);
    if (!r)
        return -1;
    r[0] = 1;
    for (int i = 1; i <= net->output; i++) {
        const nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        if (!d->backward)
            continue; /* ZERO: its output does not depend on its input */
        for (int j = 0; j < nd->n_in && !r[i]; j++) {
            if (d->input_live && !d->input_live(&nd->a, net->params + nd->w_off,
                                                net->state + nd->s_off, j))
                continue;
            r[i] = r[nd->in[j]];
        }
    }
    int reach = r[net->output];
    free(r);
    return reach;
}
