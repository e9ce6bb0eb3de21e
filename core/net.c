#include "core/net.h"
#include "core/pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct nc_arena {
    float *p;
    size_t n;                /* floats */
};

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

typedef struct nc_node {
    nc_op_kind kind;
    nc_attr a;
    int n_in;
    int in[NC_MAX_IN];
    nc_shape out;
    size_t w_off, n_w;       /* into net->params / net->grads */
    size_t s_off, n_s;       /* into net->state */
    size_t n_save;
    float *y, *dy, *save;    /* in the arena; dy NULL if no gradient flows */
    size_t y_off, dy_off, save_off;   /* the same as offsets into the arena
                                         (SIZE_MAX: none), for rebinding */
    int needs_grad;          /* a parameter lies at or before this node */
    int on_path;             /* a differentiable path leads to the loss */
    int last_use;            /* highest live node index whose backward adds
                                into this node's gradient: the first to run
                                (recomputed by every forward) */
    int live;                /* the last forward ran this node */
    int grad;                /* the backward of the last forward runs it */
    int tag;                 /* the builder's label (nc_net_set_tag), -1 */
    float *gate;             /* relu: frozen input (nc_net_relu_freeze), or
                                NULL; owned, frozen_n samples */
} nc_node;

struct nc_net {
    nc_node *nodes;
    int n_nodes, cap;
    int finalized;
    int output, loss;        /* logits node, loss node */
    int n_max;
    size_t np, ns, n_work, n_arena;
    float *params, *grads, *state, *work, *arena;
    nc_arena *shared;        /* caller's arena (then arena is NULL) */
    float *base;             /* the arena the node pointers point into */
    /* What the last forward saw, for backward. */
    int last_n, last_train;
    const int32_t *last_labels;
    int want_input_grad;     /* nc_net_want_input_grad was called */
    int grads_valid;         /* a backward ran since the last forward */
    int frozen_n;            /* batch size of the ReLU gates, 0: none */
    int threads;
    nc_pool *pool;           /* NULL when single-threaded */
};

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

static int net_push(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a,
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
    return net_push(ctx, net, NC_OP_INPUT, NULL, 0, NULL, s);
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
    return net_push(ctx, net, k, a, n_in, in, out);
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

static void net_in_shapes(const nc_net *net, const nc_node *nd, nc_shape *shp)
{
    for (int i = 0; i < nd->n_in; i++)
        shp[i] = net->nodes[nd->in[i]].out;
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
static void net_rebind(nc_net *net)
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
    int loss = net_push(ctx, net, NC_OP_SOFTMAX_XENT, NULL, 1, &output, lossshape);
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
    net_rebind(net);
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
    net_rebind(net);
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
    net_rebind(net);
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
