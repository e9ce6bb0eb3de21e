/*
 * mask.h — unstructured pruning: which weights of a net are kept.
 *
 * A mask has one byte per parameter of a finalized net (1 kept, 0 pruned)
 * and knows which parameters may be pruned at all: the weights of conv2d
 * and linear nodes, never their biases, BN's gamma/beta or a mix node's
 * alpha. Training keeps pruned weights at zero by applying the mask after
 * every optimizer step (nc_mask_apply), so momentum cannot revive them.
 *
 *     nc_mask *m = nc_mask_new(net);
 *     if (!m) ...out of memory...
 *     // 90% of all prunable weights, smallest magnitude first
 *     // (prune/magnitude.h):
 *     nc_prune_magnitude(ctx, m, nc_net_params(net), 0.9,
 *                        NC_PRUNE_GLOBAL, 0);
 *     nc_mask_apply(m, nc_net_params(net));
 *     ...train, calling nc_mask_apply after each step...
 *     nc_mask_free(m);
 *
 * Who prunes (prune/magnitude.h) only clears bytes: a pruned weight stays
 * pruned.
 */
#ifndef NC_PRUNE_MASK_H
#define NC_PRUNE_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "core/net.h"

typedef struct nc_mask nc_mask;

/* A mask keeping every parameter of the finalized net, or NULL if out of
 * memory or the net is not finalized. The caller frees it (nc_mask_free). */
nc_mask *nc_mask_new(const nc_net *net);
void nc_mask_free(nc_mask *m);

/* Parameters in all (the net's n_params); prunable ones; pruned ones. */
size_t nc_mask_size(const nc_mask *m);
size_t nc_mask_prunable(const nc_mask *m);
size_t nc_mask_pruned(const nc_mask *m);

/* The layers whose weights may be pruned (conv2d and linear nodes, in
 * graph order): layer i is node *node, weights [*off, *off + *n) of the
 * parameter buffer. Returns the number of layers; i out of range gives 0
 * and leaves the outputs alone. */
int nc_mask_layers(const nc_mask *m);
int nc_mask_layer(const nc_mask *m, int i, int *node, size_t *off, size_t *n);

/* The bytes: keep[j] is 1 when parameter j is kept. Owned by the mask. */
const uint8_t *nc_mask_keep(const nc_mask *m);

/* Zeros every pruned parameter of params (the net's buffer, or a gradient
 * or optimizer buffer of the same layout). */
void nc_mask_apply(const nc_mask *m, float *params);

/* SHA-256 (hex) of the keep bytes: the identity of a pruning, for logs. */
void nc_mask_sha256(const nc_mask *m, char hex[65]);

#endif
