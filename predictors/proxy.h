/*
 * proxy.h — zero-cost proxies: scores of an untrained network that rank
 * architectures by how well they will train, at the cost of one or a few
 * forward/backward passes instead of a training run.
 *
 * One call scores a finalized net by proxy name. The net is initialized from
 * `seed` (nc_net_init_params) for the measurement, and its parameters and
 * state are put back as they were on entry; only its gradient buffer and
 * activations are overwritten. A score is therefore a pure function of
 * (graph, batch, seed, thread count of the net).
 *
 *     nc_net *net = nc_net_new();
 *     int x = nc_net_input(ctx, net, (nc_shape){3, 32, 32});
 *     nc_net_want_input_grad(ctx, net);          // jacob_cov needs it
 *     int y = sp->build(sp, ctx, net, x, &arch, 10);
 *     nc_net_finalize(ctx, net, y, 128);
 *     nc_proxy_batch b = { xs, labels, 64, {3, 32, 32} };
 *     nc_proxy_result r;
 *     if (nc_proxy_score(ctx, "synflow", net, &b, seed, &r)) ...ctx->msg...
 *     // r.score: higher predicts better; -inf for degenerate nets
 *
 * What each proxy computes (W = the weights of conv2d and linear nodes,
 * biases and batch-norm parameters excluded, as the reference code
 * zero-cost-nas of Abdelfattah et al., ICLR 2021, does; L = mean
 * cross-entropy of the batch; "train BN" = batch statistics, as the
 * reference's freshly built nets are in train mode):
 *
 *   params    nc_net_n_params: every parameter, dead edges included (the
 *             benchmark's count). No batch.
 *   flops     nc_net_macs: multiply-accumulates per sample, the benchmark's
 *             "FLOPs" convention, dead edges included. No batch.
 *   synflow   Tanaka et al. 2020 as in the reference: every parameter
 *             replaced by its absolute value, batch norm removed (the
 *             reference scores synflow on a copy built with bn=False; here
 *             each BN node is made an exact identity: gamma 1, beta 0,
 *             running mean 0, running variance 1 - eps, eval mode), input
 *             one sample of all ones, R = sum of the logits,
 *             score = sum over W of |w * dR/dw|. The batch is not read.
 *             Precision: the reference runs in double because R overflows
 *             float on deep nets (NB201 C=16 N=5 with all-conv3x3 cells
 *             reaches about 1e48). Here the net is positively homogeneous
 *             of degree 1 in (input, biases) once weights are positive and
 *             BN is gone, so the input and biases are scaled by c = 2^-100
 *             and the logit gradient is seeded with d = 2^-e (R = m 2^e):
 *             every activation is exactly c times, every gradient exactly
 *             d times, its unscaled value (powers of two), both inside
 *             float range for gains up to about 1e68; the score is summed
 *             in double and divided by c*d. A net whose gain exceeds that
 *             range fails with NC_ERR_NUMERIC.
 *   snip      Lee et al. 2019: sum over W of |w * dL/dw|, one batch, train
 *             BN (reference batch 64).
 *   grad_norm sum over conv/linear layers of the L2 norm of dL/dW_layer (the
 *             reference's per-layer norms, summed), one batch, train BN.
 *   grasp     Wang et al. 2020 as in the reference: sum over W of
 *             -w * (H g)_w, g = dL/dW, H the Hessian of L in W. There is no
 *             double backward here, so H g is a central difference of
 *             gradients: (dL/dW(W + e g) - dL/dW(W - e g)) / 2e with
 *             e = rel |W| / |g|, taken with every ReLU's on/off pattern
 *             frozen at W (nc_net_relu_freeze), which is what autograd's
 *             double backward differentiates. Unfrozen, each unit the step
 *             flips adds a jump that does not shrink with the step (the
 *             value moved several-fold per decade of step and changed
 *             sign). The right step depends on the net's curvature along
 *             g (1e-3 suits softmax regression; C=16 N=5 cells settle only
 *             between 3e-5 and 1e-6), so rel descends from 1e-3 by factors
 *             of 3 until successive estimates agree to 1e-4 or their
 *             change, once shrinking, grows again (float rounding), at
 *             most 10 steps: 4 to 20 gradient passes. The tests check it against the exact
 *             H g of softmax regression and for convergence on a
 *             conv/BN/ReLU net. Train BN.
 *   fisher    Turner et al. 2020 as in the reference: for every conv/linear
 *             output activation a (before BN) with gradient dL/da, per
 *             channel k: 0.5 * mean over samples of (sum over positions of
 *             a * dL/da)^2, summed over channels and layers. Train BN.
 *   jacob_cov Mellor et al. (v1) as in the reference: J = d(sum of the
 *             logits)/dx, one row per sample (train BN, so rows see the
 *             batch statistics, as the reference's do); C = correlation
 *             matrix of the rows; eigenvalues v of C (Jacobi, double);
 *             score = -sum(log(v + 1e-5) + 1/(v + 1e-5)). Needs
 *             nc_net_want_input_grad before finalize (NC_ERR_STATE
 *             otherwise) and labels are not read.
 *   naswot    Mellor et al. 2021: every ReLU unit gives each sample a
 *             binary code (output > 0); K[i][j] = number of units on which
 *             samples i and j agree, summed over every ReLU node the
 *             forward runs; score = log|det K| (LU, double). Train BN, no
 *             labels, paper batch 128. Nodes the net never runs (edges
 *             whose output reaches nothing) are not counted, whereas the
 *             reference's PyTorch net runs and counts them; this only
 *             affects cells with dead edges.
 *   gradsign  Zhang & Jia 2022: per-sample gradients g_i = dl(x_i)/dW, one
 *             sample per backward (train BN over that sample's positions,
 *             as a PyTorch batch of one); score = sum over W of
 *             |sum over i of sign(g_i)|. Costs n forward/backward passes.
 *
 * Degenerate nets. When no signal path joins input and logits
 * (nc_net_input_reaches_output = 0: a disconnected NB201 cell, every path
 * through it `none`), the logits are the same for every input and the net
 * cannot learn; every data- or gradient-based proxy is then meaningless
 * (synflow 0, jacob_cov NaN from zero-variance rows, the others
 * constants). Such a net, and any proxy value that comes out NaN, gets
 * score = -INFINITY and the flag NC_PROXY_DEGENERATE: it ranks last under
 * every proxy (ties among themselves), sorts without NaN trouble, and the
 * paper's own value stays in `raw`. params and flops are structural and are
 * never degenerate. Rank metrics (predictors/rank.h) refuse non-finite
 * values: map -inf below the smallest finite score first
 * (nc_proxy_floor_degenerate in proxy_ensemble.h; the ensembles there do it
 * themselves).
 */
#ifndef NC_PROXY_H
#define NC_PROXY_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"

/* A batch of data for the data-dependent proxies; the caller owns it. */
typedef struct nc_proxy_batch {
    const float *x;          /* n samples of `shape`, CNHW (core/op.h) */
    const int32_t *labels;   /* n class labels, or NULL if none */
    int n;                   /* 1..nc_net_n_max(net) */
    nc_shape shape;          /* per-sample shape; must be the net's input */
} nc_proxy_batch;

enum { NC_PROXY_DEGENERATE = 1 };

typedef struct nc_proxy_result {
    double score;    /* higher predicts better; -INFINITY if degenerate */
    double raw;      /* the definition's value, whatever it is (NaN too) */
    unsigned flags;  /* NC_PROXY_DEGENERATE */
} nc_proxy_result;

/* What a proxy needs, so callers (CLI, benches) can prepare batches. */
typedef struct nc_proxy_info {
    const char *name;
    int needs_x;          /* reads batch->x */
    int needs_labels;     /* reads batch->labels */
    int needs_input_grad; /* the net must have nc_net_want_input_grad */
    int batch;            /* the batch size its reference uses (0: none) */
} nc_proxy_info;

/* Number of proxies, and the i-th in registry order (NULL out of range);
 * the table is static. */
int nc_proxy_count(void);
const nc_proxy_info *nc_proxy_at(int i);
/* The proxy of that name, or NULL. */
const nc_proxy_info *nc_proxy_find(const char *name);
/* "params, flops, synflow, ...": static storage, for messages. */
const char *nc_proxy_names(void);

/* Scores a finalized net with proxy `name` (see above), initialized from
 * seed for the purpose and restored afterwards. batch may be NULL for
 * params, flops and synflow. Errors: NC_ERR_INVAL (unknown name, listing the
 * known ones; batch missing, labels missing where needed, shape or size not
 * fitting the net), NC_ERR_STATE (net not finalized; jacob_cov without the
 * input gradient), NC_ERR_RANGE (a label outside the classes),
 * NC_ERR_NUMERIC (synflow's gain beyond float range), NC_ERR_NOMEM. On
 * error *out is untouched and the net's parameters and state are as on
 * entry. */
nc_status nc_proxy_score(nc_ctx *ctx, const char *name, nc_net *net,
                         const nc_proxy_batch *batch, uint64_t seed,
                         nc_proxy_result *out);

/* ---- synflow per layer (ParZC's statistics, predictors/parzc.h) ----
 *
 * synflow is a sum over weights, so it splits exactly by the layer each
 * weight belongs to. Layers are named by node tags (nc_net_set_tag), which
 * the builder sets; for a per-layer value to mean the same thing across
 * architectures the tags must name fixed positions: the NB201 builder
 * tags its network with 22 slots (NC_NB201_SLOT_* in supernet/nb201.h:
 * stem, edge e of the cells of stage s summed over the stage, the two
 * reductions, the classifier). A slot's sum is 0 when its op has no
 * weights (none, skip_connect, avg_pool_3x3) or its weights get no
 * gradient (an edge whose output reaches nothing).
 */

/* synflow split by node tag. *out gets exactly (bit for bit) what
 * nc_proxy_score(ctx, "synflow", net, NULL, seed, out) gives, and sums[t]
 * (t = 0..n_tags-1) the part of out->raw that comes from the W of nodes
 * tagged t: the same |w * dR/dw| terms under the same power-of-two
 * scaling, so when every conv/linear node has a tag in range the sums add
 * up to out->raw (to double rounding of the order of addition, about
 * 1e-15 relative). Weights of nodes tagged outside 0..n_tags-1 count in
 * out->raw only. For a degenerate net *out is as nc_proxy_score's (-inf,
 * NC_PROXY_DEGENERATE) and sums hold the definition's values, 0 when
 * nothing reaches the logits. The caller owns sums (n_tags doubles).
 * Same initialize-and-restore contract and errors as nc_proxy_score, plus
 * NC_ERR_INVAL for n_tags < 1 or sums NULL; on error *out and sums are
 * untouched. */
nc_status nc_proxy_synflow_tags(nc_ctx *ctx, nc_net *net, uint64_t seed,
                                int n_tags, double *sums, nc_proxy_result *out);

#endif
