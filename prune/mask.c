/*
 * mask.c — which weights of a net are kept (prune/mask.h).
 */
#include "prune/mask.h"

#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

typedef struct layer {
    int node;
    size_t off, n;
} layer;

struct nc_mask {
    size_t size;        /* the net's parameters */
    uint8_t *keep;      /* size bytes */
    layer *layers;
    int n_layers;
};

void nc_mask_free(nc_mask *m)
{
    if (!m)
        return;
    free(m->keep);
    free(m->layers);
    free(m);
}

nc_mask *nc_mask_new(const nc_net *net)
{
    if (nc_net_output_node(net) < 0)
        return NULL;
    int nodes = nc_net_n_nodes(net);
    nc_mask *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->size = nc_net_n_params(net);
    m->keep = malloc(m->size ? m->size : 1);
    m->layers = malloc((size_t)nodes * sizeof *m->layers);
    if (!m->keep || !m->layers) {
        nc_mask_free(m);
        return NULL;
    }
    memset(m->keep, 1, m->size);
    for (int i = 0; i < nodes; i++) {
        nc_net_node_info nd;
        nc_net_node(net, i, &nd);
        if (nd.kind != NC_OP_CONV2D && nd.kind != NC_OP_LINEAR)
            continue;
        /* Weights first, then the bias (core/op.h's layouts). */
        size_t bias = nd.attr.bias ? (size_t)nd.attr.cout : 0;
        m->layers[m->n_layers++] = (layer){ i, nd.w_off, nd.n_w - bias };
    }
    return m;
}

size_t nc_mask_size(const nc_mask *m) { return m->size; }

size_t nc_mask_prunable(const nc_mask *m)
{
    size_t n = 0;
    for (int i = 0; i < m->n_layers; i++)
        n += m->layers[i].n;
    return n;
}

size_t nc_mask_pruned(const nc_mask *m)
{
    size_t n = 0;
    for (size_t j = 0; j < m->size; j++)
        n += !m->keep[j];
    return n;
}

int nc_mask_layers(const nc_mask *m) { return m->n_layers; }

int nc_mask_layer(const nc_mask *m, int i, int *node, size_t *off, size_t *n)
{
    if (i < 0 || i >= m->n_layers)
        return 0;
    *node = m->layers[i].node;
    *off = m->layers[i].off;
    *n = m->layers[i].n;
    return m->n_layers;
}

const uint8_t *nc_mask_keep(const nc_mask *m) { return m->keep; }

/* Only for prune/: the bytes to clear. */
uint8_t *nc_mask_keep_mut(nc_mask *m) { return m->keep; }

void nc_mask_apply(const nc_mask *m, float *params)
{
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        for (size_t j = l->off; j < l->off + l->n; j++)
            if (!m->keep[j])
                params[j] = 0.0f;
    }
}

void nc_mask_sha256(const nc_mask *m, char hex[65])
{
    nc_sha256_hex(m->keep, m->size, hex);
}
