/*
 * latency.h — measured inference latency of a space's nets, and a layer-wise
 * latency table that predicts the latency of mbv architectures without
 * building them.
 *
 * nc_latency_measure builds the stand-alone net of one architecture and times
 * eval-mode forward passes. A latency table holds one measured median per
 * distinct mbv "layer configuration" (stem, each inverted-residual block
 * keyed by its shapes and choices, head); predicting an architecture sums the
 * entries of its layers, so a search can rank thousands of candidates by
 * latency after measuring a few hundred small nets once.
 *
 *     nc_shape in = { 1, 28, 28 };
 *     nc_latency_table *t;
 *     if (nc_latency_table_build(ctx, sp, in, 10, 1, 1, 101, 0, 0, &t) ||
 *         nc_latency_table_calibrate(ctx, t, sp, in, 10, 101, 10, 99) ||
 *         nc_latency_table_save(ctx, t, "lat.csv"))
 *         ...error in ctx->msg...
 *     double ms;
 *     nc_latency_table_predict(ctx, t, sp, &arch, in, 10, &ms);
 *     nc_latency_table_free(t);
 *
 * How a block is measured (why the sum matches a whole net): a net cannot
 * time single nodes, so each block config is measured as a tiny net "input
 * of the block's input shape -> block -> GAP -> linear" and the measured
 * median of the tail net "input of the block's output shape -> GAP -> linear"
 * is subtracted. The subtraction also removes the fixed per-forward overhead
 * (dispatch, loss node bookkeeping) that a whole net pays once; the stem
 * entry is measured the same way, and the head entry (head conv + GAP +
 * linear) is measured whole, so the sum carries that overhead exactly once.
 * Differences below the noise can make a block's estimate negative; it is
 * clamped to 0. Blocks timed alone stay warm in cache, so the plain sum
 * tends to under-predict; nc_latency_table_calibrate fits one scale factor
 * for that (results/latency_mbv.md has the measured error).
 *
 * Only the mbv space is supported by the table (NC_ERR_INVAL otherwise);
 * nc_latency_measure works for every space with a builder. Timings depend on
 * the machine, batch and thread count, which the table records and
 * nc_latency_table_load checks are present (not that they match the caller).
 */
#ifndef NC_LATENCY_H
#define NC_LATENCY_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/op.h"
#include "supernet/space.h"

enum { NC_LATENCY_KEY_MAX = 160 };

/* One layer configuration. kind: "stem", "ir" (inverted residual) or
 * "head"; cin/h/w: input channels and spatial size; cout: output channels
 * (classes for "head"); expand, kernel, stride, residual: the block's
 * choices (0 where a kind has none). */
typedef struct nc_latency_cfg {
    char kind[8];
    int cin, cout, expand, kernel, stride, h, w, residual;
} nc_latency_cfg;

typedef struct nc_latency_entry {
    nc_latency_cfg cfg;
    double ms;                  /* median milliseconds per forward pass */
} nc_latency_entry;

typedef struct nc_latency_table {
    char space[16];             /* "mbv" */
    int batch, threads;         /* what the entries were measured with */
    double scale;               /* predict = scale * sum of entries; 1 until
                                 * nc_latency_table_calibrate */
    int n, cap;
    nc_latency_entry *e;
} nc_latency_table;

/* Builds sp's net of *a for per-sample input `in` and n_classes, finalizes
 * it for batches of `batch` on `threads` threads, initializes parameters, runs a few warm-up passes,
 * then times `repeats` eval-mode forward passes of `batch` samples with
 * CLOCK_MONOTONIC and stores their median in *median_ms. Errors: NC_ERR_INVAL
 * (no builder, batch/threads/repeats < 1), build/finalize errors,
 * NC_ERR_NOMEM. */
nc_status nc_latency_measure(nc_ctx *ctx, const nc_space *sp,
                             const nc_arch *a, nc_shape in, int n_classes,
                             int batch, int threads, int repeats,
                             double *median_ms);

/* Writes the layer configurations of mbv architecture *a on input `in`
 * into cfg[0..*n) (at most max; stem first, head last). NC_ERR_INVAL for a
 * space other than mbv or an invalid arch, NC_ERR_RANGE if max is too small
 * (16 always suffices). */
nc_status nc_latency_decompose(nc_ctx *ctx, const nc_space *sp,
                               const nc_arch *a, nc_shape in, int n_classes,
                               nc_latency_cfg *cfg, int max, int *n);

/* The canonical key of a configuration, e.g.
 * "ir:cin=16:cout=24:e=4:k=3:s=2:h=28:w=28:res=0" (for messages). */
void nc_latency_cfg_key(const nc_latency_cfg *c, char *buf, size_t n);

/* Measures every configuration of n_sample_archs random architectures
 * (drawn from seed), or, if n_sample_archs is 0, every distinct
 * configuration the mbv space has on this input (a few hundred: a set of
 * covering architectures, one per stage/previous width/width/kernel/expand,
 * each stage at depth 2 so both its first and its later blocks appear).
 * Each configuration is measured once with `repeats` timed passes. *out is
 * a new table (free with nc_latency_table_free) or NULL on failure. */
nc_status nc_latency_table_build(nc_ctx *ctx, const nc_space *sp, nc_shape in,
                                 int n_classes, int batch, int threads,
                                 int repeats, int n_sample_archs,
                                 uint64_t seed, nc_latency_table **out);

/* Fits t->scale = median over n_archs random architectures (drawn from
 * seed; use a seed other than the evaluation's) of measured / summed
 * latency. Why: a block timed alone keeps its weights and activations in
 * cache across repeats, while in a whole net the other layers evict them,
 * so the plain sum under-predicts by a roughly constant fraction on a given
 * machine. Errors: those of measuring; NC_ERR_INVAL for n_archs < 1. */
nc_status nc_latency_table_calibrate(nc_ctx *ctx, nc_latency_table *t,
                                     const nc_space *sp, nc_shape in,
                                     int n_classes, int repeats, int n_archs,
                                     uint64_t seed);

/* t->scale times the sum of the entries of *a's configurations. NC_ERR_NOTFOUND naming the
 * first missing configuration; NC_ERR_INVAL if the table's space is not sp. */
nc_status nc_latency_table_predict(nc_ctx *ctx, const nc_latency_table *t,
                                   const nc_space *sp, const nc_arch *a,
                                   nc_shape in, int n_classes, double *ms);

/* The entry of c, or NULL. */
const nc_latency_entry *nc_latency_table_find(const nc_latency_table *t,
                                              const nc_latency_cfg *c);

/* Saves as CSV text: a "# nasc latency table v1 space=S batch=B threads=T
 * scale=X" line, a column header, then one row per entry:
 * kind,cin,cout,expand,kernel,stride,h,w,residual,ms. NC_ERR_IO on failure. */
nc_status nc_latency_table_save(nc_ctx *ctx, const nc_latency_table *t,
                                const char *path);

/* Loads a file written by nc_latency_table_save. NC_ERR_IO if it cannot be
 * read; NC_ERR_FORMAT naming the path and line for a bad first line or
 * header, a row with the wrong number of fields, an unknown kind, a
 * non-integer or negative field, a non-finite or negative ms, or a
 * duplicate configuration. *out is NULL on failure. */
nc_status nc_latency_table_load(nc_ctx *ctx, const char *path,
                                nc_latency_table **out);

/* Frees the table; accepts NULL. */
void nc_latency_table_free(nc_latency_table *t);

#endif
