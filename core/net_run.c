/*
 * net_run.c — running a finalized net: forward over the nodes a result
 * needs (net_live), backward from the loss or from a given output
 * gradient, gradient clearing on the net's threads, ReLU gate freezing and
 * the per-node results of the last pass.
 */
#include "core/net_int.h"

#include <stdlib.h>
#include <string.h>

static void net_exec(nc_net *net, const nc_node *nd, nc_exec *e, int n, int train)
{
    memset(e, 0, sizeof *e);
    e->attr = &nd->a;
    e->n = n;
    e->train = train;
    e->threads = net->threads;
    e->pool = net->pool;
    e->n_in = nd->n_in;
    for (int j = 0; j < nd->n_in; j++) {
        const nc_node *src = &net->nodes[nd->in[j]];
        e->in[j] = src->out;
        e->x[j] = src->y;
        e->dx[j] = src->dy;
    }
    e->out = nd->out;
    e->y = nd->y;
    e->dy = nd->dy;
    e->w = net->params + nd->w_off;
    e->dw = nd->n_w ? net->grads + nd->w_off : NULL;
    e->state = net->state + nd->s_off;
    e->save = nd->save;
    e->work = net->work;
    e->n_work = net->n_work;
    e->labels = net->last_labels;
    e->gate = nd->gate;
}

/* Marks the nodes the value of node `last` depends on in the current
 * configuration (ops with input_live, such as mix, may leave inputs unread)
 * and, for each, the first backward that will add into its gradient. Dead
 * ends are skipped too: a built edge whose output nothing reads costs
 * nothing. */
static void net_live(nc_net *net, int last, int grad_root)
{
    for (int i = 0; i < net->n_nodes; i++) {
        net->nodes[i].live = 0;
        net->nodes[i].grad = 0;
        net->nodes[i].last_use = -1;
    }
    net->nodes[last].live = 1;
    net->nodes[last].grad = last == grad_root;
    for (int i = last; i >= 1; i--) {
        nc_node *nd = &net->nodes[i];
        if (!nd->live)
            continue;
        const nc_op_def *d = nc_op_get(nd->kind);
        /* A gradient reaches a node only through consumers whose backward
         * runs; one reached only through shut-out candidates gets none. */
        nd->grad = nd->grad && nd->needs_grad && d->backward;
        for (int j = 0; j < nd->n_in; j++) {
            if (d->input_live && !d->input_live(&nd->a, net->params + nd->w_off,
                                                net->state + nd->s_off, j))
                continue;
            nc_node *src = &net->nodes[nd->in[j]];
            src->live = 1;
            if (nd->grad && src->dy) {
                src->grad = 1;
                if (src->last_use < i)
                    src->last_use = i;
            }
        }
    }
}

nc_status nc_net_forward(nc_ctx *ctx, nc_net *net, const float *x,
                         const int32_t *labels, int n, int train, float *loss)
{
    if (!net->finalized)
        return nc_fail(ctx, NC_ERR_STATE, "net: forward before finalize");
    if (n < 1 || n > net->n_max)
        return nc_fail(ctx, NC_ERR_INVAL, "net: batch of %d outside 1..%d",
                       n, net->n_max);
    if (labels) {
        int nc = net->nodes[net->output].out.c;
        for (int i = 0; i < n; i++)
            if (labels[i] < 0 || labels[i] >= nc)
                return nc_fail(ctx, NC_ERR_RANGE, "net: label %d of sample %d "
                               "outside 0..%d", (int)labels[i], i, nc - 1);
    }
    if (net->frozen_n && n != net->frozen_n)
        return nc_fail(ctx, NC_ERR_STATE, "net: ReLUs are frozen at batch %d, "
                       "forward of %d", net->frozen_n, n);
    nc_net_rebind(net);
    net->last_n = n;
    net->last_train = train;
    net->last_labels = labels;
    /* The input node's buffer is the caller's array, never written. */
    net->nodes[0].y = (float *)x;
    int last = labels ? net->loss : net->output;
    net_live(net, last, net->loss);
    net->grads_valid = 0;
    nc_exec e;
    for (int i = 1; i <= last; i++) {
        nc_node *nd = &net->nodes[i];
        if (!nd->live)
            continue;
        net_exec(net, nd, &e, n, train);
        nc_op_get(nd->kind)->forward(&e);
    }
    if (labels && loss) {
        double s = 0;
        const float *l = net->nodes[net->loss].y;
        for (int i = 0; i < n; i++)
            s += l[i];
        *loss = (float)(s / n);
    }
    return NC_OK;
}

enum { ZERO_CHUNK = 1 << 16 };

typedef struct zero_job {
    float *p;
    size_t n;
} zero_job;

static void zero_chunk(void *arg, int task, int thread)
{
    (void)thread;
    zero_job *z = arg;
    size_t lo = (size_t)task * ZERO_CHUNK;
    size_t n = z->n - lo < ZERO_CHUNK ? z->n - lo : ZERO_CHUNK;
    memset(z->p + lo, 0, n * sizeof(float));
}

/* Clears p[0..n) on the net's threads. */
static void net_zero(nc_net *net, float *p, size_t n)
{
    zero_job z = { p, n };
    nc_pool_run(net->pool, (int)((n + ZERO_CHUNK - 1) / ZERO_CHUNK), zero_chunk, &z);
}

void nc_net_zero_grad(nc_net *net)
{
    if (net->grads && net->np)
        net_zero(net, net->grads, net->np);
}

/* Runs the backward of every node from root down, root's gradient already
 * in place. */
static void net_backward_run(nc_net *net, int root, int n)
{
    nc_exec e;
    for (int i = root; i >= 1; i--) {
        nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        if (!nd->grad)
            continue;
        /* Backward adds into input gradients; each is cleared just before
         * its first writer runs, while the buffer is about to be hot. */
        for (int j = 0; j < nd->n_in; j++) {
            nc_node *src = &net->nodes[nd->in[j]];
            if (src->dy && src->last_use == i)
                net_zero(net, src->dy, (size_t)n * nc_shape_size(src->out));
        }
        net_exec(net, nd, &e, n, net->last_train);
        d->backward(&e);
    }
    net->grads_valid = 1;
}

nc_status nc_net_backward(nc_ctx *ctx, nc_net *net)
{
    if (!net->finalized || !net->last_labels || !net->last_train)
        return nc_fail(ctx, NC_ERR_STATE, "net: backward needs a training "
                       "forward with labels first");
    int n = net->last_n;
    nc_net_rebind(net);
    nc_node *ln = &net->nodes[net->loss];
    if (!ln->dy)
        return NC_OK; /* nothing trainable */
    /* A backward_from since the forward re-rooted the gradient flags. */
    net_live(net, net->loss, net->loss);
    for (int i = 0; i < n; i++)
        ln->dy[i] = 1.0f / (float)n;
    net_backward_run(net, net->loss, n);
    return NC_OK;
}

nc_status nc_net_backward_from(nc_ctx *ctx, nc_net *net, const float *dout)
{
    if (!net->finalized || net->last_n < 1)
        return nc_fail(ctx, NC_ERR_STATE, "net: backward_from needs a forward "
                       "first");
    if (!dout)
        return nc_fail(ctx, NC_ERR_INVAL, "net: backward_from without an "
                       "output gradient");
    int n = net->last_n;
    nc_net_rebind(net);
    /* The last forward's liveness, with the gradient rooted at the logits
     * instead of the loss (the live set is the same minus the loss). */
    net_live(net, net->output, net->output);
    nc_node *on = &net->nodes[net->output];
    if (!on->dy || !on->grad) {
        net->grads_valid = 1;
        return NC_OK; /* nothing trainable, no input gradient wanted */
    }
    memcpy(on->dy, dout, (size_t)n * nc_shape_size(on->out) * sizeof(float));
    net_backward_run(net, net->output, n);
    return NC_OK;
}

nc_status nc_net_relu_freeze(nc_ctx *ctx, nc_net *net)
{
    if (!net->finalized || net->last_n < 1)
        return nc_fail(ctx, NC_ERR_STATE, "net: relu_freeze needs a forward "
                       "first");
    nc_net_relu_thaw(net);
    int n = net->last_n;
    for (int i = 1; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        if (nd->kind != NC_OP_RELU || !nd->live)
            continue;
        size_t m = (size_t)n * nc_shape_size(nd->out);
        nd->gate = malloc(m * sizeof *nd->gate);
        if (!nd->gate) {
            nc_net_relu_thaw(net);
            return nc_fail(ctx, NC_ERR_NOMEM, "net: out of memory for relu "
                           "gates");
        }
        memcpy(nd->gate, net->nodes[nd->in[0]].y, m * sizeof *nd->gate);
    }
    net->frozen_n = n;
    return NC_OK;
}

int nc_net_relu_frozen_n(const nc_net *net)
{
    return net->frozen_n;
}

void nc_net_relu_thaw(nc_net *net)
{
    if (!net)
        return;
    for (int i = 0; i < net->n_nodes; i++) {
        free(net->nodes[i].gate);
        net->nodes[i].gate = NULL;
    }
    net->frozen_n = 0;
}

int nc_net_count_correct(const nc_net *net, const int32_t *labels, int n)
{
    const float *z = nc_net_logits(net);
    int nc = nc_net_n_classes(net), hits = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < nc; c++)
            if (z[(size_t)c * n + i] > z[(size_t)best * n + i])
                best = c;
        hits += best == labels[i];
    }
    return hits;
}

const float *nc_net_node_output(const nc_net *net, int i)
{
    if (!net->finalized || net->last_n < 1 || i < 0 || i >= net->n_nodes ||
        !net->nodes[i].live)
        return NULL;
    return net->nodes[i].y;
}

const float *nc_net_node_grad(const nc_net *net, int i)
{
    if (!net->finalized || !net->grads_valid || i < 0 || i >= net->n_nodes ||
        !net->nodes[i].grad)
        return NULL;
    return net->nodes[i].dy;
}

