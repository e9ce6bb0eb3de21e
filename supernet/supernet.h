/*
 * supernet.h — weight-sharing supernets: one set of shared weights from which
 * every architecture of a search space is a subnet.
 *
 * A supernet owns one flat parameter buffer (with a parallel gradient
 * buffer) and one flat BN-state buffer. Activating an architecture makes
 * forward/backward run that subnet on the shared weights; backward ADDS the
 * subnet's gradients into the shared gradient buffer, so an optimizer over
 * nc_supernet_params/grads trains the supernet. How a subnet maps onto the
 * shared weights is the space's business:
 *   nb201: one net holds every candidate op of every edge, joined by mix
 *          nodes (core/ops/mix.c); activating an architecture sets the mix
 *          gates, and the net skips the ops no gate lets through.
 *   mbv:   once-for-all style: a subnet's conv takes the first output and
 *          input channels and the centre of the kernel of the largest
 *          layer; its BN the first channels.
 *
 *     nc_supernet_opts o = nc_supernet_defaults();
 *     o.in = (nc_shape){ 1, 28, 28 };
 *     nc_supernet *sn;
 *     if (nc_supernet_new(ctx, nc_space_find("nb201"), &o, &sn)) ...ctx->msg...
 *     nc_supernet_init(sn, seed);
 *     nc_optim *opt = nc_optim_new(&oc, nc_supernet_n_params(sn));
 *     for each batch:
 *         nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, step));
 *         nc_supernet_train_step(ctx, sn, NC_SUPER_SPOS, &r, x, y, n, &loss);
 *         nc_optim_step(opt, nc_supernet_params(sn), nc_supernet_grads(sn), lr);
 *     nc_supernet_set_arch(ctx, sn, &arch);
 *     nc_supernet_recalibrate(ctx, sn, train, idx, 2000, 128, xbuf, ybuf);
 *     nc_supernet_evaluate(ctx, sn, valid, 128, xbuf, ybuf, &acc, &loss);
 *     nc_supernet_free(sn);
 */
#ifndef NC_SUPERNET_H
#define NC_SUPERNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "supernet/nb201.h"
#include "supernet/space.h"

typedef struct nc_supernet nc_supernet;

/* How a training step picks its paths. */
typedef enum nc_super_rule {
    NC_SUPER_SPOS = 0,    /* one architecture drawn uniformly */
    NC_SUPER_SANDWICH     /* largest, smallest and two uniform draws; their
                             gradients are summed (BigNAS's rule) */
} nc_super_rule;

typedef struct nc_supernet_opts {
    nc_shape in;          /* per-sample input shape */
    int n_classes;
    int n_max;            /* largest batch */
    int nb201_c;          /* nb201 skeleton: first-stage width (16 in the */
    int nb201_n;          /* benchmark) and cells per stage (5) */
    int nb201_affine;     /* nb201: 1 if the edge ops' BN has gamma/beta
                             (NB201 trains with 1; DARTS searches with 0) */
    int nb201_alpha;      /* nb201: 1 to give every edge DARTS architecture
                             weights (parameters of the mix nodes) */
    int threads;          /* threads of its nets (nc_net_set_threads; 1) */
} nc_supernet_opts;

/* 1x28x28 inputs, 10 classes, batch 128, nb201 C=16 N=5 affine, no α. */
nc_supernet_opts nc_supernet_defaults(void);

/* A supernet for space sp (nb201 or mbv). NC_ERR_INVAL for a space without
 * a supernet or options that do not fit it; NC_ERR_NOMEM. *out is owned by
 * the caller (nc_supernet_free). Parameters are zero until nc_supernet_init;
 * no architecture is active until nc_supernet_set_arch. */
nc_status nc_supernet_new(nc_ctx *ctx, const nc_space *sp,
                          const nc_supernet_opts *o, nc_supernet **out);
/* Frees the supernet and everything it owns; accepts NULL. */
void nc_supernet_free(nc_supernet *sn);

const nc_space *nc_supernet_space(const nc_supernet *sn);
/* Initializes the shared parameters and BN state from seed alone. */
void nc_supernet_init(nc_supernet *sn, uint64_t seed);

/* The shared buffers, owned by the supernet. */
size_t nc_supernet_n_params(const nc_supernet *sn);
float *nc_supernet_params(nc_supernet *sn);
float *nc_supernet_grads(nc_supernet *sn);
size_t nc_supernet_n_state(const nc_supernet *sn);
float *nc_supernet_state(nc_supernet *sn);
void nc_supernet_zero_grad(nc_supernet *sn);
/* Thread pool of the supernet's kernels (NULL when single-threaded), for
 * the optimizer update. */
struct nc_pool *nc_supernet_pool(nc_supernet *sn);

/* The largest and the smallest architecture (sandwich rule): for nb201
 * every edge nor_conv_3x3, and every edge skip_connect (the smallest with
 * a path from input to output); for mbv every choice at its maximum and at
 * its minimum. */
void nc_supernet_largest(const nc_supernet *sn, nc_arch *a);
void nc_supernet_smallest(const nc_supernet *sn, nc_arch *a);

/* Activates architecture a (must be valid for the space): forward/backward
 * calls run it until the next call. Cheap for nb201; for mbv it copies the
 * subnet's slice of the shared weights in, so call it again after an
 * optimizer step before the next forward. */
nc_status nc_supernet_set_arch(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a);

/* As nc_net_forward on the active subnet. */
nc_status nc_supernet_forward(nc_ctx *ctx, nc_supernet *sn, const float *x,
                              const int32_t *labels, int n, int train,
                              float *loss);
/* Backward of the last training forward: ADDS into nc_supernet_grads. */
nc_status nc_supernet_backward(nc_ctx *ctx, nc_supernet *sn);
/* Arg-max hits of the last forward against labels[0..n). */
int nc_supernet_count_correct(const nc_supernet *sn, const int32_t *labels,
                              int n);

/* One training step on batch (x, y, n): clears the gradients, draws paths
 * by rule from r, and for each activates it, runs forward and backward
 * (gradients summed). *loss (may be NULL) gets the mean loss of the paths.
 * The caller then applies its optimizer. NC_ERR_NUMERIC if a loss is not
 * finite. */
nc_status nc_supernet_train_step(nc_ctx *ctx, nc_supernet *sn,
                                 nc_super_rule rule, nc_rng *r,
                                 const float *x, const int32_t *y, int n,
                                 float *loss);

/* BN recalibration of the active subnet: resets the running statistics and
 * sets them to the plain average of the batch statistics over the samples
 * idx[0..n) of ds, taken in batches of `batch` in train mode (no
 * gradients). x and y are caller scratch for one batch
 * (batch * sample size floats, batch labels). */
nc_status nc_supernet_recalibrate(nc_ctx *ctx, nc_supernet *sn,
                                  const nc_dataset *ds, const uint32_t *idx,
                                  int n, int batch, float *x, int32_t *y);

/* Accuracy (fraction) and mean loss of the active subnet in eval mode over
 * the whole of ds, in batches of `batch`, with caller scratch x, y. */
nc_status nc_supernet_evaluate(nc_ctx *ctx, nc_supernet *sn,
                               const nc_dataset *ds, int batch, float *x,
                               int32_t *y, double *accuracy, double *loss);

/* The net that runs the active subnet (owned by the supernet; valid until
 * the next set_arch): for its logits and node layout. */
nc_net *nc_supernet_net(nc_supernet *sn);

/* ---- nb201 only: gates and DARTS architecture weights -------------------
 * Edge e's ops are indexed k = 0..4 in nb201.h's op order; arrays are
 * [edge * 5 + op]. Every cell shares one set of gates and one set of
 * architecture weights alpha. NC_ERR_INVAL for another space (and, for the
 * alpha calls, for a supernet built without nb201_alpha). */

/* Sets every edge's gates: mask[e*5+k] != 0 lets op k through; hard[e] != 0
 * gives the open ops weight 1 (a chosen op), else they get their softmax(α)
 * weights (DARTS; DARTS-PT's "without op k" shuts one gate). An edge needs
 * an open op; soft edges with several open ops need alpha. Activates the
 * supernet (nc_supernet_set_arch is the all-hard, one-op case). */
nc_status nc_supernet_nb201_gates(nc_ctx *ctx, nc_supernet *sn,
                                  const uint8_t mask[NC_NB201_N_EDGES *
                                                     NC_NB201_N_OPS],
                                  const uint8_t hard[NC_NB201_N_EDGES]);

/* Copies alpha out (cell 0's, which all cells share); with grad non-NULL
 * also the gradient of alpha, summed over the cells from the shared
 * gradient buffer. ctx may be NULL. */
nc_status nc_supernet_nb201_alpha(nc_ctx *ctx, nc_supernet *sn,
                                  float alpha[NC_NB201_N_EDGES * NC_NB201_N_OPS],
                                  float *grad);
/* Writes alpha into every cell. ctx may be NULL. */
nc_status nc_supernet_nb201_set_alpha(nc_ctx *ctx, nc_supernet *sn,
                                      const float alpha[NC_NB201_N_EDGES *
                                                        NC_NB201_N_OPS]);

/* Sets the alpha entries of buf, an array laid out like the parameters
 * (a gradient, a direction), to 0; does nothing without alpha. */
void nc_supernet_nb201_zero_alpha(nc_supernet *sn, float *buf);

#endif
