/*
 * ckpt.h — internal: a training checkpoint as one self-describing blob.
 *
 * Layout (little-endian): magic "NASCCKPT", u32 version, u32 epochs done,
 * i64 global step, i64 optimizer steps, u64 counts of parameter, state and
 * optimizer floats, then those three float arrays. The run log stores the
 * blob with its SHA-256; unpacking re-checks every size against the net.
 */
#ifndef NC_CKPT_H
#define NC_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/optim.h"

/* Packs net and optimizer state into a malloc'ed blob (*blob, *len; caller
 * frees). NC_ERR_NOMEM on failure. */
nc_status nc_ckpt_pack(nc_ctx *ctx, nc_net *net, nc_optim *opt, int epoch,
                       int64_t step, void **blob, size_t *len);

/* Restores net parameters and state, optimizer state and step count from
 * blob; NC_ERR_FORMAT (naming the mismatch) if it does not fit this net. */
nc_status nc_ckpt_unpack(nc_ctx *ctx, const void *blob, size_t len,
                         nc_net *net, nc_optim *opt, int *epoch, int64_t *step);

/* SHA-256 of the parameters followed by the state, as hex. */
void nc_net_weights_sha256(nc_net *net, char hex[65]);

#endif
