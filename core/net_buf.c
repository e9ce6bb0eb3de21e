/*
 * net_buf.c — a net's memory: the activation arena (nc_arena, shareable
 * between nets that never run at once), finalize's plan (which nodes need a
 * gradient, every buffer's size and offset, one allocation for all) and
 * parameter initialization.
 */
#include "core/net_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { HUGE_PAGE = 2 << 20 };

/* n floats of activation memory, touched now so that the page faults of
 * first use (about 18 us per 4 KiB page on the virtual machines we measured)
 * do not land in the first training step. Huge pages, where the kernel
 * grants them, cut that cost and the TLB misses of large activations.
 * A memset after calloc would not do: compilers drop it as redundant. */
static float *arena_alloc(size_t n)
{
    size_t bytes = (n + 1) * sizeof(float);
    void *p = NULL;
    if (bytes >= HUGE_PAGE) {
        bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        if (posix_memalign(&p, HUGE_PAGE, bytes))
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
        volatile char *c = p;
        for (size_t i = 0; i < bytes; i += 4096)
            c[i] = 0;
        memset(p, 0, bytes);
        return p;
    }
    return calloc(n + 1, sizeof(float));
}

nc_arena *nc_arena_new(void)
{
    return calloc(1, sizeof(nc_arena));
}

void nc_arena_free(nc_arena *a)
{
    if (!a)
        return;
    free(a->p);
    free(a);
}

size_t nc_arena_floats(const nc_arena *a)
{
    return a ? a->n : 0;
}

/* Adds a + b into *sum, failing on size_t overflow. */
static int size_add(size_t *sum, size_t b)
{
    if (*sum > SIZE_MAX - b)
        return -1;
    *sum += b;
    return 0;
}

/* Points every node's buffers into base (offsets fixed at finalize). */
static void net_bind(nc_net *net, float *base)
{
    for (int i = 0; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        if (nd->y_off != SIZE_MAX)
            nd->y = base + nd->y_off;
        nd->dy = nd->dy_off != SIZE_MAX ? base + nd->dy_off : NULL;
        nd->save = nd->save_off != SIZE_MAX ? base + nd->save_off : NULL;
    }
    net->base = base;
}

/* A net in a shared arena follows it when another net has grown it. */
void nc_net_rebind(nc_net *net)
{
    if (net->shared && net->base != net->shared->p)
        net_bind(net, net->shared->p);
}

nc_status nc_net_finalize(nc_ctx *ctx, nc_net *net, int output, int n_max)
{
    return nc_net_finalize_in(ctx, net, output, n_max, NULL);
}

nc_status nc_net_finalize_in(nc_ctx *ctx, nc_net *net, int output, int n_max,
                             nc_arena *arena)
{
    if (net->finalized)
        return nc_fail(ctx, NC_ERR_STATE, "net: already finalized");
    if (output < 0)
        return ctx && ctx->status ? ctx->status
                                  : nc_fail(ctx, NC_ERR_INVAL, "net: no output node");
    if (output >= net->n_nodes || n_max < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "net: bad output node %d or batch %d",
                       output, n_max);
    if (net->n_nodes < 1 || net->nodes[0].kind != NC_OP_INPUT)
        return nc_fail(ctx, NC_ERR_INVAL, "net: node 0 must be the input");
    nc_shape o = net->nodes[output].out;
    if (o.h != 1 || o.w != 1 || o.c < 2)
        return nc_fail(ctx, NC_ERR_INVAL, "net: output node has shape %dx%dx%d; "
                       "expected (classes >= 2)x1x1", o.c, o.h, o.w);
    nc_attr none = { 0 };
    nc_shape lossshape;
    const nc_op_def *xd = nc_op_get(NC_OP_SOFTMAX_XENT);
    if (xd->shape(ctx, &none, 1, &o, &lossshape))
        return ctx->status;
    int loss = nc_net_node_push(ctx, net, NC_OP_SOFTMAX_XENT, NULL, 1, &output,
                                lossshape);
    if (loss < 0)
        return NC_ERR_NOMEM;
    net->output = output;
    net->loss = loss;
    net->n_max = n_max;

    /* Which nodes need a gradient: those at or after a parameter
     * (needs_grad) that also lie on a differentiable path to the loss
     * (on_path). Dead ends and the inputs of ZERO get none. */
    for (int i = 0; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        nc_shape shp[NC_MAX_IN];
        net_in_shapes(net, nd, shp);
        nd->n_w = d->n_params ? d->n_params(&nd->a, shp) : 0;
        nd->needs_grad = nd->n_w > 0;
        for (int j = 0; j < nd->n_in; j++)
            nd->needs_grad |= net->nodes[nd->in[j]].needs_grad;
        if (!d->backward)
            nd->needs_grad = 0;
        /* The input has no backward of its own, but with the opt-in its
         * consumers' backwards add d/dx into a buffer of its own. */
        if (i == 0 && net->want_input_grad)
            nd->needs_grad = 1;
        nd->on_path = i == loss;
        nd->last_use = -1;
    }
    for (int i = loss; i >= 1; i--) {
        nc_node *nd = &net->nodes[i];
        if (!nd->on_path || !nd->needs_grad)
            continue;
        for (int j = 0; j < nd->n_in; j++)
            net->nodes[nd->in[j]].on_path = 1;
    }
    size_t np = 0, ns = 0, nwork = 0, narena = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        nc_shape shp[NC_MAX_IN];
        net_in_shapes(net, nd, shp);
        nd->n_s = d->n_state ? d->n_state(&nd->a, shp) : 0;
        nd->n_save = d->n_save ? d->n_save(&nd->a, shp, nd->out, n_max) : 0;
        size_t wk = d->n_work ? d->n_work(&nd->a, shp, nd->out, n_max) : 0;
        nd->w_off = np;
        nd->s_off = ns;
        nd->needs_grad = nd->needs_grad && nd->on_path;
        size_t ny = (size_t)n_max * nc_shape_size(nd->out);
        if (size_add(&np, nd->n_w) || size_add(&ns, nd->n_s) ||
            (nd->kind != NC_OP_INPUT && size_add(&narena, ny)) ||
            (nd->needs_grad && size_add(&narena, ny)) ||
            size_add(&narena, nd->n_save))
            return nc_fail(ctx, NC_ERR_NOMEM, "net: buffer sizes overflow");
        if (wk > nwork)
            nwork = wk;
    }
    net->np = np;
    net->ns = ns;
    net->n_work = nwork;
    net->n_arena = narena;
    nc_blas_serial();
    if (net->threads > 1) {
        net->pool = nc_pool_new(net->threads);
        if (!net->pool)
            net->threads = 1;
    }
    net->params = calloc(np + 1, sizeof(float));
    net->grads = calloc(np + 1, sizeof(float));
    net->state = calloc(ns + 1, sizeof(float));
    net->work = malloc(((size_t)net->threads * nwork + 1) * sizeof(float));
    float *base = NULL;
    if (arena) {
        if (arena->n < narena) {
            float *p = arena_alloc(narena);
            if (p) {
                free(arena->p);
                arena->p = p;
                arena->n = narena;
            }
        }
        base = arena->n >= narena ? arena->p : NULL;
        net->shared = arena;
    } else {
        base = net->arena = arena_alloc(narena);
    }
    if (!net->params || !net->grads || !net->state || !net->work || !base)
        return nc_fail(ctx, NC_ERR_NOMEM, "net: out of memory allocating %.1f MiB "
                       "for %d nodes at batch %d",
                       (double)(narena + nwork + 2 * np) * 4 / 1048576.0,
                       net->n_nodes, n_max);
    size_t off = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        size_t ny = (size_t)n_max * nc_shape_size(nd->out);
        nd->y_off = nd->dy_off = nd->save_off = SIZE_MAX;
        if (nd->kind != NC_OP_INPUT) {
            nd->y_off = off;
            off += ny;
        }
        if (nd->needs_grad) {
            nd->dy_off = off;
            off += ny;
        }
        if (nd->n_save)
            nd->save_off = off;
        off += nd->n_save;
    }
    net_bind(net, base);
    net->finalized = 1;
    return NC_OK;
}

nc_status nc_net_init_params(nc_net *net, uint64_t seed)
{
    if (!net->finalized)
        return NC_ERR_STATE;
    for (int i = 0; i < net->n_nodes; i++) {
        nc_node *nd = &net->nodes[i];
        const nc_op_def *d = nc_op_get(nd->kind);
        if (!d->init || (!nd->n_w && !nd->n_s))
            continue;
        nc_shape shp[NC_MAX_IN];
        net_in_shapes(net, nd, shp);
        nc_rng rng = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_INIT, i));
        d->init(&nd->a, shp, net->params + nd->w_off, net->state + nd->s_off, &rng);
    }
    return NC_OK;
}
