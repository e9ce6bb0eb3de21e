/*
 * super_mbv.c — the once-for-all style weight-sharing supernet of the mbv
 * space (see supernet.h and spaces.h).
 *
 * Shared weights: the parameters and BN state of the LARGEST mbv net (every
 * stage depth 3, its widest width, kernel 7, expand 6), built with the
 * space's own builder and finalized at batch 1: that net only holds the
 * weights, so sn->params/grads/state are its buffers and their layout is the
 * stand-alone largest net's (tests and exporters rely on that).
 *
 * A subnet is the stand-alone net of its architecture, finalized at the
 * supernet's batch. Each of its parameter nodes corresponds to one node of
 * the largest net (stem and head directly; a block by stage and index in
 * the stage) and takes, as in Once-for-All:
 *   conv W[cout][cin/groups][k][k]: the first cout output channels, the
 *       first cin/groups input channels (depthwise: 1 of 1) and the centre
 *       k x k of the 7x7 kernel, offset (7-k)/2 — so a small kernel starts
 *       as the most important part of the big one;
 *   BN gamma/beta and running mean/var: the first channels;
 *   linear W[cout][cin]: the first input features.
 * The correspondence becomes a list of contiguous runs (segments), built
 * once per subnet; activating copies the runs in (gather) and backward adds
 * the subnet's gradient back along them (scatter-add), so the shared
 * gradient is exactly the sum over the paths of a step.
 *
 * BN running statistics: a training forward writes the subnet's updated
 * slice back to the shared state, as OFA's sliced running buffers do, so
 * the shared state tracks what training saw. Recalibration (bn_reset until
 * the next set_arch) keeps its statistics to the subnet: they belong to
 * that subnet alone and would only be overwritten by the next path anyway.
 *
 * Every subnet's activations live in one arena (nc_net_finalize_in) that
 * grows to the largest subnet built: first-touching fresh activation pages
 * cost seconds per step on our virtual machines. Built subnets are also
 * kept in a small LRU cache keyed by architecture; a hit only gathers.
 */
#include "supernet/supernet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supernet/spaces.h"

enum {
    CACHE = 4,             /* built subnets kept */
    MAX_DEPTH = 3,         /* blocks per stage of the largest net */
    STEM_NODES = 2,        /* parameter nodes: conv, BN */
    BLOCK_NODES = 6,       /* expand conv, BN, depthwise conv, BN,
                              project conv, BN */
    HEAD_NODES = 3         /* 1x1 conv, BN, linear */
};

/* sub[sub .. sub+n) corresponds to shared[shared .. shared+n). */
typedef struct seg {
    size_t sub, shared, n;
} seg;

typedef struct segs {
    seg *v;
    size_t n, cap, total;
} segs;

typedef struct entry {
    nc_arch arch;
    nc_net *net;           /* NULL: free slot */
    segs w, s;             /* parameter and state runs */
    uint64_t used;         /* LRU clock of the last activation */
} entry;

typedef struct mbv_impl {
    nc_net *max;           /* the largest net: holds the shared buffers */
    nc_arena *arena;       /* activations of every subnet: one runs at a
                              time, so they share one block, and a cache miss
                              costs a build but no fresh pages */
    entry cache[CACHE];
    entry *act;            /* the active subnet, NULL before set_arch */
    int recal;             /* 1 from bn_reset to the next set_arch */
    uint64_t clock;
} mbv_impl;

/* ---- segments -------------------------------------------------------------- */

/* Appends a run, merging it into the last one when both sides continue it
 * (1x1 convs and BN collapse to one run per output channel or less). */
static int seg_add(segs *l, size_t sub, size_t shared, size_t n)
{
    if (n == 0)
        return 0;
    l->total += n;
    if (l->n) {
        seg *p = &l->v[l->n - 1];
        if (p->sub + p->n == sub && p->shared + p->n == shared) {
            p->n += n;
            return 0;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        seg *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (seg){ sub, shared, n };
    return 0;
}

static void gather(const segs *l, float *sub, const float *shared)
{
    for (size_t i = 0; i < l->n; i++)
        memcpy(sub + l->v[i].sub, shared + l->v[i].shared,
               l->v[i].n * sizeof(float));
}

static void scatter_copy(const segs *l, const float *sub, float *shared)
{
    for (size_t i = 0; i < l->n; i++)
        memcpy(shared + l->v[i].shared, sub + l->v[i].sub,
               l->v[i].n * sizeof(float));
}

static void scatter_add(const segs *l, const float *sub, float *shared)
{
    for (size_t i = 0; i < l->n; i++) {
        const float *s = sub + l->v[i].sub;
        float *d = shared + l->v[i].shared;
        for (size_t j = 0; j < l->v[i].n; j++)
            d[j] += s[j];
    }
}

/* ---- the node correspondence ---------------------------------------------- */

/* Ids of the nodes with parameters or state, in order; their count. */
static int param_nodes(const nc_net *net, int *ids)
{
    int n = 0;
    nc_net_node_info in;
    for (int i = 0; nc_net_node(net, i, &in) == NC_OK; i++)
        if (in.n_w || in.n_s)
            ids[n++] = i;
    return n;
}

static int groups_of(const nc_attr *a)
{
    return a->groups > 1 ? a->groups : 1;
}

static const char *kind_name(nc_op_kind k)
{
    const nc_op_def *d = nc_op_get(k);
    return d ? d->name : "?";
}

/* Appends the runs of subnet node s (id si) inside largest-net node m (id
 * mi), or fails naming both when the layouts disagree. */
static nc_status map_node(nc_ctx *ctx, const nc_net_node_info *s, int si,
                          const nc_net_node_info *m, int mi, entry *e)
{
#define MISMATCH(...)                                                        \
    do {                                                                     \
        char why_[160];                                                      \
        snprintf(why_, sizeof why_, __VA_ARGS__);                            \
        return nc_fail(ctx, NC_ERR_STATE, "mbv supernet: subnet node %d "    \
                       "(%s) does not fit largest-net node %d (%s): %s", si, \
                       kind_name(s->kind), mi, kind_name(m->kind), why_);    \
    } while (0)
    if (s->kind != m->kind)
        MISMATCH("different op kinds");
    int bad = 0;
    switch (s->kind) {
    case NC_OP_CONV2D: {
        int k = s->attr.k, K = m->attr.k, off = (K - k) / 2;
        int cin = s->in_shape[0].c, cin_m = m->in_shape[0].c;
        int gs = groups_of(&s->attr), gm = groups_of(&m->attr);
        int dw = gs > 1;
        if (!(gs == 1 && gm == 1) && !(dw && gs == cin && gm == cin_m))
            MISMATCH("groups %d of %d channels vs %d of %d (only dense or "
                     "depthwise convs can share)", gs, cin, gm, cin_m);
        int ig = cin / gs, ig_m = cin_m / gm;
        int co = s->attr.cout, co_m = m->attr.cout;
        if (co > co_m || ig > ig_m || k > K || (K - k) % 2 ||
            s->attr.stride != m->attr.stride || s->attr.bias != m->attr.bias ||
            m->attr.pad - s->attr.pad != off)
            MISMATCH("conv %dx%d %d->%d stride %d pad %d is not a centre "
                     "slice of %dx%d %d->%d stride %d pad %d", k, k, cin, co,
                     s->attr.stride, s->attr.pad, K, K, cin_m, co_m,
                     m->attr.stride, m->attr.pad);
        size_t nw = (size_t)co * ig * k * k;
        if (s->n_w != nw + (s->attr.bias ? (size_t)co : 0) || s->n_s)
            MISMATCH("unexpected conv parameter layout");
        for (int o = 0; o < co; o++)
            for (int i = 0; i < ig; i++)
                for (int y = 0; y < k; y++)
                    bad |= seg_add(&e->w,
                                   s->w_off + (((size_t)o * ig + i) * k + y) * k,
                                   m->w_off + (((size_t)o * ig_m + i) * K +
                                               y + off) * K + off,
                                   (size_t)k);
        if (s->attr.bias)
            bad |= seg_add(&e->w, s->w_off + nw,
                           m->w_off + (size_t)co_m * ig_m * K * K, (size_t)co);
        break;
    }
    case NC_OP_LINEAR: {
        size_t cin = nc_shape_size(s->in_shape[0]);
        size_t cin_m = nc_shape_size(m->in_shape[0]);
        int co = s->attr.cout, co_m = m->attr.cout;
        if (co > co_m || cin > cin_m || s->attr.bias != m->attr.bias)
            MISMATCH("linear %zu->%d is not a slice of %zu->%d", cin, co,
                     cin_m, co_m);
        if (s->n_w != (size_t)co * cin + (s->attr.bias ? (size_t)co : 0) ||
            s->n_s)
            MISMATCH("unexpected linear parameter layout");
        for (int o = 0; o < co; o++)
            bad |= seg_add(&e->w, s->w_off + (size_t)o * cin,
                           m->w_off + (size_t)o * cin_m, cin);
        if (s->attr.bias)
            bad |= seg_add(&e->w, s->w_off + (size_t)co * cin,
                           m->w_off + (size_t)co_m * cin_m, (size_t)co);
        break;
    }
    case NC_OP_BATCHNORM: {
        size_t c = (size_t)s->in_shape[0].c, c_m = (size_t)m->in_shape[0].c;
        if (c > c_m || s->attr.affine != m->attr.affine)
            MISMATCH("batch norm of %zu channels is not a slice of %zu", c,
                     c_m);
        if (s->n_w != (s->attr.affine ? 2 * c : 0) || s->n_s != 2 * c)
            MISMATCH("unexpected batch-norm layout");
        /* gamma then beta; running mean then variance. */
        for (size_t h = 0; h < 2; h++) {
            if (s->attr.affine)
                bad |= seg_add(&e->w, s->w_off + h * c, m->w_off + h * c_m, c);
            bad |= seg_add(&e->s, s->s_off + h * c, m->s_off + h * c_m, c);
        }
        break;
    }
    default:
        MISMATCH("no rule to share the weights of this op");
    }
#undef MISMATCH
    return bad ? nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory")
               : NC_OK;
}

/* Builds e's runs: the subnet's parameter nodes in order are the stem's,
 * then BLOCK_NODES per block (stage by stage, depth g[stage]+1 as in
 * spaces.h), then the head's; the largest net has MAX_DEPTH blocks in
 * every stage. Every parameter and state float of the subnet must be
 * covered exactly once. */
static nc_status map_net(nc_ctx *ctx, const nc_net *max, const nc_arch *a,
                         entry *e)
{
    const nc_net *sub = e->net;
    int *ids = malloc(((size_t)nc_net_n_nodes(max) + nc_net_n_nodes(sub)) *
                      sizeof *ids);
    if (!ids)
        return nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory");
    int *sid = ids + nc_net_n_nodes(max);
    int nm = param_nodes(max, ids), ns = param_nodes(sub, sid);
    int blocks = 0;
    for (int st = 0; st < NC_MBV_STAGES; st++)
        blocks += a->g[st] + 1;
    nc_status r = NC_OK;
    if (nm != STEM_NODES + NC_MBV_STAGES * MAX_DEPTH * BLOCK_NODES +
                  HEAD_NODES ||
        ns != STEM_NODES + blocks * BLOCK_NODES + HEAD_NODES)
        r = nc_fail(ctx, NC_ERR_STATE, "mbv supernet: %d parameter nodes in "
                    "the subnet and %d in the largest net do not match the "
                    "mbv layout (stem %d, %d per block, head %d)", ns, nm,
                    STEM_NODES, BLOCK_NODES, HEAD_NODES);
    int j = 0;
    for (int part = 0; !r && part < 3; part++) {
        int reps = part == 1 ? blocks : 1;
        int st = 0, b = 0;
        for (int rep = 0; !r && rep < reps; rep++) {
            int len = part == 0 ? STEM_NODES
                      : part == 1 ? BLOCK_NODES : HEAD_NODES;
            int base = part == 0 ? 0
                       : part == 1 ? STEM_NODES +
                                         (st * MAX_DEPTH + b) * BLOCK_NODES
                                   : nm - HEAD_NODES;
            for (int t = 0; !r && t < len; t++, j++) {
                nc_net_node_info si, mi;
                nc_net_node(sub, sid[j], &si);
                nc_net_node(max, ids[base + t], &mi);
                r = map_node(ctx, &si, sid[j], &mi, ids[base + t], e);
            }
            if (part == 1 && ++b == a->g[st] + 1) {
                b = 0;
                st++;
            }
        }
    }
    if (!r && (e->w.total != nc_net_n_params(sub) ||
               e->s.total != nc_net_n_state(sub)))
        r = nc_fail(ctx, NC_ERR_STATE, "mbv supernet: the slices cover %zu "
                    "of %zu parameters and %zu of %zu state floats",
                    e->w.total, nc_net_n_params(sub), e->s.total,
                    nc_net_n_state(sub));
    free(ids);
    return r;
}

/* ---- the cache -------------------------------------------------------------- */

static void entry_clear(entry *e)
{
    nc_net_free(e->net);
    free(e->w.v);
    free(e->s.v);
    memset(e, 0, sizeof *e);
}

/* Builds the subnet of a into the empty slot e. */
static nc_status entry_build(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a,
                             entry *e)
{
    mbv_impl *m = sn->impl;
    e->arch = *a;
    e->net = nc_net_new();
    if (!e->net)
        return nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory");
    int y = sn->sp->build(sn->sp, ctx, e->net,
                          nc_net_input(ctx, e->net, sn->o.in), a,
                          sn->o.n_classes);
    nc_net_set_threads(e->net, sn->o.threads);
    nc_status st = y < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                         : nc_net_finalize_in(ctx, e->net, y, sn->o.n_max,
                                              m->arena);
    if (st)
        nc_ctx_prefix(ctx, "mbv supernet: subnet");
    else
        st = map_net(ctx, m->max, a, e);
    if (st)
        entry_clear(e);
    return st;
}

/* ---- ops -------------------------------------------------------------------- */

static void load(mbv_impl *m, nc_supernet *sn)
{
    entry *e = m->act;
    gather(&e->w, nc_net_params(e->net), sn->params);
    gather(&e->s, nc_net_state(e->net), sn->state);
}

static nc_status mbv_set_arch(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a)
{
    mbv_impl *m = sn->impl;
    entry *e = NULL, *victim = &m->cache[0];
    for (int i = 0; i < CACHE && !e; i++) {
        entry *c = &m->cache[i];
        if (c->net && nc_arch_equal(sn->sp, &c->arch, a))
            e = c;
        else if (!c->net || (victim->net && c->used < victim->used))
            victim = c;
    }
    m->act = NULL;
    m->recal = 0;
    if (!e) {
        /* Free before building: at batch 128 a subnet's activations are
         * hundreds of MB, so the old one should not coexist with the new. */
        entry_clear(victim);
        nc_status st = entry_build(ctx, sn, a, victim);
        if (st)
            return st;
        e = victim;
    }
    e->used = ++m->clock;
    m->act = e;
    load(m, sn);
    return NC_OK;
}

static nc_status mbv_forward(nc_ctx *ctx, nc_supernet *sn, const float *x,
                             const int32_t *labels, int n, int train,
                             float *loss)
{
    mbv_impl *m = sn->impl;
    nc_status st = nc_net_forward(ctx, m->act->net, x, labels, n, train, loss);
    if (!st && train && !m->recal)
        scatter_copy(&m->act->s, nc_net_state(m->act->net), sn->state);
    return st;
}

static nc_status mbv_backward(nc_ctx *ctx, nc_supernet *sn)
{
    mbv_impl *m = sn->impl;
    nc_net *net = m->act->net;
    /* The subnet's own buffer holds this backward alone; the sum over the
     * paths of a step lives in sn->grads. */
    nc_net_zero_grad(net);
    nc_status st = nc_net_backward(ctx, net);
    if (!st)
        scatter_add(&m->act->w, nc_net_grads(net), sn->grads);
    return st;
}

static nc_net *mbv_net(nc_supernet *sn)
{
    mbv_impl *m = sn->impl;
    return m->act ? m->act->net : NULL;
}

static void mbv_bn_reset(nc_supernet *sn)
{
    mbv_impl *m = sn->impl;
    if (!m->act)
        return;
    nc_net *net = m->act->net;
    float *state = nc_net_state(net);
    nc_net_node_info in;
    for (int i = 0; nc_net_node(net, i, &in) == NC_OK; i++) {
        if (in.kind != NC_OP_BATCHNORM)
            continue;
        size_t c = in.n_s / 2;
        for (size_t j = 0; j < c; j++) {
            state[in.s_off + j] = 0.0f;
            state[in.s_off + c + j] = 1.0f;
        }
    }
    m->recal = 1;
}

static void mbv_bn_momentum(nc_supernet *sn, float mom)
{
    mbv_impl *m = sn->impl;
    if (m->act)
        nc_net_set_bn_momentum(m->act->net, mom);
}

static void mbv_init(nc_supernet *sn, uint64_t seed)
{
    mbv_impl *m = sn->impl;
    nc_net_init_params(m->max, seed);
    /* The active subnet would otherwise run on the old weights. */
    if (m->act) {
        m->recal = 0;
        load(m, sn);
    }
}

static void mbv_largest(const nc_supernet *sn, nc_arch *a)
{
    for (int i = 0; i < sn->sp->n_genes; i++)
        a->g[i] = (uint8_t)(sn->sp->choices(sn->sp, i) - 1);
}

static void mbv_smallest(const nc_supernet *sn, nc_arch *a)
{
    for (int i = 0; i < sn->sp->n_genes; i++)
        a->g[i] = 0;
}

static void mbv_free(nc_supernet *sn)
{
    mbv_impl *m = sn->impl;
    if (!m)
        return;
    for (int i = 0; i < CACHE; i++)
        entry_clear(&m->cache[i]);
    nc_net_free(m->max);
    nc_arena_free(m->arena);
    free(m);
    sn->impl = NULL;
}

static const nc_supernet_ops MBV_OPS = {
    .set_arch = mbv_set_arch,
    .forward = mbv_forward,
    .backward = mbv_backward,
    .net = mbv_net,
    .bn_reset = mbv_bn_reset,
    .bn_momentum = mbv_bn_momentum,
    .init = mbv_init,
    .largest = mbv_largest,
    .smallest = mbv_smallest,
    .free = mbv_free,
};

nc_status nc_supernet_mbv_init(nc_ctx *ctx, nc_supernet *sn)
{
    mbv_impl *m = calloc(1, sizeof *m);
    if (!m)
        return nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory");
    sn->impl = m;
    sn->ops = &MBV_OPS;
    m->arena = nc_arena_new();
    if (!m->arena)
        return nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory");
    nc_arch big;
    memset(&big, 0, sizeof big);
    mbv_largest(sn, &big);
    m->max = nc_net_new();
    if (!m->max)
        return nc_fail(ctx, NC_ERR_NOMEM, "mbv supernet: out of memory");
    /* Batch 1: the largest net only holds the shared weights. Its thread
     * pool is the supernet's, for the optimizer update. */
    int y = sn->sp->build(sn->sp, ctx, m->max,
                          nc_net_input(ctx, m->max, sn->o.in), &big,
                          sn->o.n_classes);
    nc_status st = y < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                         : nc_net_finalize(ctx, m->max, y, 1);
    if (st) {
        nc_ctx_prefix(ctx, "mbv supernet: largest net");
        return st;
    }
    sn->params = nc_net_params(m->max);
    sn->grads = nc_net_grads(m->max);
    sn->state = nc_net_state(m->max);
    sn->np = nc_net_n_params(m->max);
    sn->ns = nc_net_n_state(m->max);
    sn->pool = nc_net_pool(m->max);
    return NC_OK;
}
