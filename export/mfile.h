/*
 * mfile.h — the .nasc model file: a whole model (graph, weights, BN
 * statistics) and where it came from (its lineage), in one checked file
 * that runs elsewhere. The byte layout is docs/MODEL_FORMAT.md.
 *
 * A model file is written from a finalized net and read back into a new
 * net that computes the same function bit for bit (same graph, same
 * parameters and state, the reader's batch size and thread count):
 *
 *     char sha[65];
 *     nc_mfile_norm norm = { .c = 1, .mean = { 0.286f }, .std = { 0.353f } };
 *     if (nc_mfile_save(ctx, "m.nasc", net, &norm, "{\"run\": 3}", sha))
 *         ...error in ctx->msg...
 *     nc_net *copy;
 *     char *lineage;
 *     if (nc_mfile_load(ctx, "m.nasc", 128, 2, &copy, &norm, &lineage, sha))
 *         ...error in ctx->msg...
 *     ...nc_net_forward(ctx, copy, ...)...
 *     free(lineage);
 *     nc_net_free(copy);
 *
 * The reader trusts nothing in the file: the magic, version, length and
 * SHA-256 come first, then every count, size and offset is checked against
 * the bytes that hold it before anything is allocated, and the graph is
 * rebuilt through the net builder, whose shape checks apply. A damaged
 * file is NC_ERR_FORMAT (or NC_ERR_CHECKSUM when only the hash disagrees),
 * a newer one NC_ERR_VERSION, each with a message that names what and
 * where.
 */
#ifndef NC_EXPORT_MFILE_H
#define NC_EXPORT_MFILE_H

#include <stddef.h>

#include "core/net.h"

enum {
    NC_MFILE_VERSION = 1,           /* the version this code writes */
    NC_MFILE_HEADER = 56,           /* bytes before the first section */
    NC_MFILE_MAX_NODES = 1 << 16,
    /* Activations per sample, summed over the nodes: a bound on what a
     * rebuilt net may ask finalize for, whatever the file says. */
    NC_MFILE_MAX_ACT = 1 << 26,
    /* What finalize may allocate for the rebuilt net at the caller's batch
     * size and threads (activations, gradients, saved values, scratch):
     * 1 GiB of floats. */
    NC_MFILE_MAX_FLOATS = 1 << 28,
    NC_MFILE_MAX_CHANNELS = 16,
};

/* How raw inputs become what the net was trained on, per input channel:
 * x = (raw - mean[ch]) / std[ch], raw pixels in [0,1] (data/dataset.h). */
typedef struct nc_mfile_norm {
    int c;                                  /* the net's input channels */
    float mean[NC_MFILE_MAX_CHANNELS];
    float std[NC_MFILE_MAX_CHANNELS];       /* > 0 */
} nc_mfile_norm;

/* The file's bytes for a finalized net: header, graph, parameters, state,
 * the input normalization (NULL: none, mean 0 and std 1) and the lineage (a
 * JSON object as text; NULL or "" writes "{}"). *buf is malloc'd and the
 * caller frees it. Errors: NC_ERR_STATE (net not finalized), NC_ERR_INVAL
 * (lineage not a JSON object, norm not of the net's input channels or with
 * a std that is not > 0), NC_ERR_NOMEM. */
nc_status nc_mfile_encode(nc_ctx *ctx, nc_net *net, const nc_mfile_norm *norm,
                          const char *lineage, unsigned char **buf,
                          size_t *len);

/* A new net from the bytes of a model file, finalized for batches of up to
 * n_max on `threads` threads, with the file's parameters and state. On
 * success *net is the caller's (nc_net_free), *norm (if norm is non-NULL)
 * the input normalization and, if lineage is non-NULL, *lineage the file's
 * lineage JSON (malloc'd, the caller frees it). Nothing is returned on
 * failure. Never reads outside buf[0..len). */
nc_status nc_mfile_decode(nc_ctx *ctx, const unsigned char *buf, size_t len,
                          int n_max, int threads, nc_net **net,
                          nc_mfile_norm *norm, char **lineage);

/* Writes nc_mfile_encode's bytes to path through a temporary file in the
 * same directory, flushed and renamed into place, so that path holds the
 * old file or the whole new one, never part of one. sha256 (may be NULL)
 * gets the file's SHA-256 in hex: the model's identity in lineages and
 * logs. Errors as nc_mfile_encode, and NC_ERR_IO naming the path. */
nc_status nc_mfile_save(nc_ctx *ctx, const char *path, nc_net *net,
                        const nc_mfile_norm *norm, const char *lineage,
                        char sha256[65]);

/* Reads path and decodes it (nc_mfile_decode); sha256 (may be NULL) gets
 * the file's SHA-256. Messages start with the path. NC_ERR_IO if it cannot
 * be read, NC_ERR_FORMAT if it is not a whole model file. */
nc_status nc_mfile_load(nc_ctx *ctx, const char *path, int n_max, int threads,
                        nc_net **net, nc_mfile_norm *norm, char **lineage,
                        char sha256[65]);

#endif
