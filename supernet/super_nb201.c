/*
 * super_nb201.c — the nb201 supernet: the NAS-Bench-201 skeleton whose
 * cells carry all five candidate ops on every edge, joined by one mix node
 * per edge (core/ops/mix.c).
 *
 * An edge from node `in`:  none -> zero(in); skip -> in itself;
 * nor_conv_1x1 / nor_conv_3x3 -> relu(in) (shared by both, as in the
 * stand-alone builder) -> conv -> BN; avg_pool_3x3 -> pool(in); the five
 * feed mix(5) in the op order of nb201.h, so gate k is op k. A cell node
 * sums its edges' mixes. Activating an architecture opens one gate per edge
 * in hard mode: the net then runs exactly the stand-alone cell's ops (the
 * others are skipped), on weights that every architecture shares. The mix
 * nodes' state (gates) is part of the supernet's state buffer, so it is
 * checkpointed with the BN statistics.
 */
#include "supernet/supernet_int.h"
#include "supernet/nb201.h"

#include <stdlib.h>
#include <string.h>

enum { E = NC_NB201_N_EDGES, K = NC_NB201_N_OPS };

typedef struct nb201_impl {
    nc_net *net;
    int n_cells;
    int *mix;        /* mix node ids, cell-major, edges in order */
    int cap;
    int affine;
    int alpha;
} nb201_impl;

static int add_mix_cell(nc_ctx *ctx, nc_net *net, int x, int C, void *ud)
{
    nb201_impl *im = ud;
    if (x < 0)
        return -1;
    if (im->n_cells * E + E > im->cap) {
        int cap = im->cap ? 2 * im->cap : 16 * E;
        int *m = realloc(im->mix, (size_t)cap * sizeof *m);
        if (!m) {
            nc_fail(ctx, NC_ERR_NOMEM, "supernet: out of memory");
            return -1;
        }
        im->mix = m;
        im->cap = cap;
    }
    int node[4] = { x, -1, -1, -1 }, relu[4] = { -1, -1, -1, -1 };
    int *mix = im->mix + im->n_cells * E;
    for (int e = 0, to = 1; to <= 3; to++) {
        int terms[3], nt = 0;
        for (int from = 0; from < to; from++, e++) {
            int in = node[from], c[K];
            if (relu[from] < 0)
                relu[from] = nc_net_relu(ctx, net, in);
            c[NC_NB201_NONE] = nc_net_zero(ctx, net, in, 1);
            c[NC_NB201_SKIP] = in;
            c[NC_NB201_CONV1X1] = nc_net_bn(ctx, net, nc_net_conv(ctx, net,
                                  relu[from], C, 1, 1, 0, 1, 0), im->affine);
            c[NC_NB201_CONV3X3] = nc_net_bn(ctx, net, nc_net_conv(ctx, net,
                                  relu[from], C, 3, 1, 1, 1, 0), im->affine);
            c[NC_NB201_AVGPOOL] = nc_net_avgpool(ctx, net, in, 3, 1, 1, 0);
            for (int k = 0; k < K; k++)
                if (c[k] < 0)
                    return -1;
            mix[e] = terms[nt++] = nc_net_mix(ctx, net, K, c, im->alpha);
        }
        node[to] = nt == 1 ? terms[0] : nc_net_sum(ctx, net, nt, terms);
    }
    im->n_cells++;
    return node[3];
}

static nb201_impl *impl(const nc_supernet *sn)
{
    return sn->impl;
}

/* Writes edge e's gates in every cell: mask[0..K) and the hard flag. */
static void gate_edge(nc_supernet *sn, int e, const float *mask, int hard)
{
    nb201_impl *im = impl(sn);
    float *state = nc_net_state(im->net);
    for (int c = 0; c < im->n_cells; c++) {
        nc_net_node_info info;
        nc_net_node(im->net, im->mix[c * E + e], &info);
        memcpy(state + info.s_off, mask, K * sizeof(float));
        state[info.s_off + K] = hard ? 1.0f : 0.0f;
    }
}

static nc_status nb_set_arch(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a)
{
    (void)ctx;
    for (int e = 0; e < E; e++) {
        float mask[K] = { 0 };
        mask[a->g[e]] = 1.0f;
        gate_edge(sn, e, mask, 1);
    }
    return NC_OK;
}

static nc_status nb_forward(nc_ctx *ctx, nc_supernet *sn, const float *x,
                            const int32_t *labels, int n, int train,
                            float *loss)
{
    return nc_net_forward(ctx, impl(sn)->net, x, labels, n, train, loss);
}

static nc_status nb_backward(nc_ctx *ctx, nc_supernet *sn)
{
    return nc_net_backward(ctx, impl(sn)->net);
}

static nc_net *nb_net(nc_supernet *sn)
{
    return impl(sn)->net;
}

static void nb_bn_reset(nc_supernet *sn)
{
    nc_net *net = impl(sn)->net;
    float *state = nc_net_state(net);
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info info;
        nc_net_node(net, i, &info);
        if (info.kind != NC_OP_BATCHNORM)
            continue;
        int c = info.out.c;
        for (int j = 0; j < c; j++) {
            state[info.s_off + (size_t)j] = 0.0f;
            state[info.s_off + (size_t)c + (size_t)j] = 1.0f;
        }
    }
}

static void nb_bn_momentum(nc_supernet *sn, float m)
{
    nc_net_set_bn_momentum(impl(sn)->net, m);
}

/* Initialization also resets the gates (they are state); keep the active
 * architecture's. */
static void nb_init(nc_supernet *sn, uint64_t seed)
{
    nc_net_init_params(impl(sn)->net, seed);
    if (impl(sn)->alpha) {
        /* One set of architecture weights for all cells (DARTS ties them):
         * every cell takes cell 0's initial draw. */
        float a[E * K];
        nc_supernet_nb201_alpha(NULL, sn, a, NULL);
        nc_supernet_nb201_set_alpha(NULL, sn, a);
    }
    if (sn->active)
        nb_set_arch(NULL, sn, &sn->arch);
}

static void nb_fill(nc_arch *a, int op)
{
    for (int e = 0; e < E; e++)
        a->g[e] = (uint8_t)op;
}

static void nb_largest(const nc_supernet *sn, nc_arch *a)
{
    (void)sn;
    nb_fill(a, NC_NB201_CONV3X3);
}

static void nb_smallest(const nc_supernet *sn, nc_arch *a)
{
    (void)sn;
    nb_fill(a, NC_NB201_SKIP);
}

static void nb_free(nc_supernet *sn)
{
    nb201_impl *im = impl(sn);
    if (!im)
        return;
    nc_net_free(im->net);
    free(im->mix);
    free(im);
}

static const nc_supernet_ops NB201_OPS = {
    .set_arch = nb_set_arch,
    .forward = nb_forward,
    .backward = nb_backward,
    .net = nb_net,
    .bn_reset = nb_bn_reset,
    .bn_momentum = nb_bn_momentum,
    .init = nb_init,
    .largest = nb_largest,
    .smallest = nb_smallest,
    .free = nb_free,
};

nc_status nc_supernet_nb201_init(nc_ctx *ctx, nc_supernet *sn)
{
    nb201_impl *im = calloc(1, sizeof *im);
    if (!im)
        return nc_fail(ctx, NC_ERR_NOMEM, "supernet: out of memory");
    sn->impl = im;
    sn->ops = &NB201_OPS;
    im->affine = sn->o.nb201_affine != 0;
    im->alpha = sn->o.nb201_alpha != 0;
    im->net = nc_net_new();
    if (!im->net)
        return nc_fail(ctx, NC_ERR_NOMEM, "supernet: out of memory");
    int x = nc_net_input(ctx, im->net, sn->o.in);
    int y = nc_nb201_build_skeleton(ctx, im->net, x, sn->o.nb201_c,
                                    sn->o.nb201_n, sn->o.n_classes,
                                    add_mix_cell, im);
    nc_net_set_threads(im->net, sn->o.threads);
    nc_status st = nc_net_finalize(ctx, im->net, y, sn->o.n_max);
    if (st) {
        nc_ctx_prefix(ctx, "nb201 supernet");
        return st;
    }
    sn->params = nc_net_params(im->net);
    sn->grads = nc_net_grads(im->net);
    sn->state = nc_net_state(im->net);
    sn->np = nc_net_n_params(im->net);
    sn->ns = nc_net_n_state(im->net);
    sn->pool = nc_net_pool(im->net);
    return NC_OK;
}

/* ---- nb201 gates and architecture weights (DARTS) ----------------------- */

static nc_status need_nb201(nc_ctx *ctx, const nc_supernet *sn, int alpha)
{
    if (!sn->sp || strcmp(sn->sp->name, "nb201") != 0)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: gates and architecture "
                       "weights exist for nb201 only, not %s",
                       sn->sp ? sn->sp->name : "?");
    if (alpha && !impl(sn)->alpha)
        return nc_fail(ctx, NC_ERR_INVAL, "supernet: built without "
                       "architecture weights (nb201_alpha = 0)");
    return NC_OK;
}

nc_status nc_supernet_nb201_gates(nc_ctx *ctx, nc_supernet *sn,
                                  const uint8_t mask[NC_NB201_N_EDGES *
                                                     NC_NB201_N_OPS],
                                  const uint8_t hard[NC_NB201_N_EDGES])
{
    nc_status st = need_nb201(ctx, sn, 0);
    if (st)
        return st;
    for (int e = 0; e < E; e++) {
        int open = 0, first = 0;
        for (int k = 0; k < K; k++)
            if (mask[e * K + k] && !open++)
                first = k;
        if (!open)
            return nc_fail(ctx, NC_ERR_INVAL, "supernet: edge %d has no open "
                           "op", e);
        if (!hard[e] && !impl(sn)->alpha && open > 1)
            return nc_fail(ctx, NC_ERR_INVAL, "supernet: soft edge %d needs "
                           "architecture weights (nb201_alpha = 0)", e);
        sn->arch.g[e] = (uint8_t)first;
    }
    for (int e = 0; e < E; e++) {
        float m[K];
        for (int k = 0; k < K; k++)
            m[k] = mask[e * K + k] ? 1.0f : 0.0f;
        gate_edge(sn, e, m, hard[e]);
    }
    sn->active = 1;
    return NC_OK;
}

nc_status nc_supernet_nb201_alpha(nc_ctx *ctx, nc_supernet *sn,
                                  float alpha[NC_NB201_N_EDGES * NC_NB201_N_OPS],
                                  float *grad)
{
    nc_status st = need_nb201(ctx, sn, 1);
    if (st)
        return st;
    nb201_impl *im = impl(sn);
    for (int e = 0; e < E; e++) {
        nc_net_node_info info;
        nc_net_node(im->net, im->mix[e], &info);
        memcpy(alpha + e * K, sn->params + info.w_off, K * sizeof(float));
        if (!grad)
            continue;
        for (int k = 0; k < K; k++)
            grad[e * K + k] = 0.0f;
        for (int c = 0; c < im->n_cells; c++) {
            nc_net_node(im->net, im->mix[c * E + e], &info);
            for (int k = 0; k < K; k++)
                grad[e * K + k] += sn->grads[info.w_off + (size_t)k];
        }
    }
    return NC_OK;
}

nc_status nc_supernet_nb201_set_alpha(nc_ctx *ctx, nc_supernet *sn,
                                      const float alpha[NC_NB201_N_EDGES *
                                                        NC_NB201_N_OPS])
{
    nc_status st = need_nb201(ctx, sn, 1);
    if (st)
        return st;
    nb201_impl *im = impl(sn);
    for (int c = 0; c < im->n_cells; c++)
        for (int e = 0; e < E; e++) {
            nc_net_node_info info;
            nc_net_node(im->net, im->mix[c * E + e], &info);
            memcpy(sn->params + info.w_off, alpha + e * K, K * sizeof(float));
        }
    return NC_OK;
}

void nc_supernet_nb201_zero_alpha(nc_supernet *sn, float *buf)
{
    if (need_nb201(NULL, sn, 1))
        return;
    nb201_impl *im = impl(sn);
    for (int i = 0; i < im->n_cells * E; i++) {
        nc_net_node_info info;
        nc_net_node(im->net, im->mix[i], &info);
        memset(buf + info.w_off, 0, K * sizeof(float));
    }
}
