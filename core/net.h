/*
 * net.h — a network: a static DAG of op-table nodes, run in topological order.
 *
 * Nodes are added in order, each naming earlier nodes as inputs, so the order
 * of addition is a topological order. nc_net_finalize() appends the loss node
 * (softmax cross-entropy on the output node), lays all parameters out in one
 * flat buffer (with a parallel gradient buffer) and all running statistics in
 * one flat state buffer, and allocates every activation and scratch buffer
 * once for the largest batch: training steps never call malloc. A forward
 * runs only the nodes its result depends on: dead ends, and candidates a
 * mix node's gates shut out, are skipped (and so is their backward).
 *
 *     nc_net *net = nc_net_new();
 *     int x = nc_net_input(ctx, net, (nc_shape){1, 28, 28});
 *     int h = nc_net_relu(ctx, net, nc_net_linear(ctx, net,
 *                 nc_net_flatten(ctx, net, x), 128, 1));
 *     int y = nc_net_linear(ctx, net, h, 10, 1);
 *     if (nc_net_finalize(ctx, net, y, 128) || nc_net_init_params(net, seed))
 *         ...error in ctx->msg...
 *     nc_net_zero_grad(net);
 *     nc_net_forward(ctx, net, x_cnhw, labels, n, 1, &loss);
 *     nc_net_backward(ctx, net);          // grads in nc_net_grads(net)
 *     nc_net_free(net);
 *
 * Builder functions return the new node's id (>= 0), or -1 with the reason in
 * ctx; an input id of -1 propagates (returns -1 without a new message), so a
 * builder can check once at the end.
 */
#ifndef NC_NET_H
#define NC_NET_H

#include "core/op.h"

typedef struct nc_net nc_net;

/* An empty net, or NULL if out of memory. Free with nc_net_free. */
nc_net *nc_net_new(void);
/* Frees the net and every buffer it owns; accepts NULL. */
void nc_net_free(nc_net *net);

int nc_net_input(nc_ctx *ctx, nc_net *net, nc_shape s);
/* Adds a node of kind k with attributes *a (copied; NULL means all zero). */
int nc_net_add(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a,
               int n_in, const int *in);

int nc_net_conv(nc_ctx *ctx, nc_net *net, int in, int cout, int k, int stride,
                int pad, int groups, int bias);
int nc_net_linear(nc_ctx *ctx, nc_net *net, int in, int cout, int bias);
int nc_net_bn(nc_ctx *ctx, nc_net *net, int in, int affine);
int nc_net_relu(nc_ctx *ctx, nc_net *net, int in);
int nc_net_maxpool(nc_ctx *ctx, nc_net *net, int in, int k, int stride, int pad);
int nc_net_avgpool(nc_ctx *ctx, nc_net *net, int in, int k, int stride, int pad,
                   int count_pad);
int nc_net_gap(nc_ctx *ctx, nc_net *net, int in);
int nc_net_flatten(nc_ctx *ctx, nc_net *net, int in);
int nc_net_sum(nc_ctx *ctx, nc_net *net, int n_in, const int *in);
int nc_net_zero(nc_ctx *ctx, nc_net *net, int in, int stride);
int nc_net_identity(nc_ctx *ctx, nc_net *net, int in);
/* A supernet edge over n_in candidate outputs (core/ops/mix.c); alpha = 1
 * gives it DARTS architecture weights as parameters. Its gates live in the
 * node's state: mask[n_in] then a hard flag (nc_net_node gives s_off). */
int nc_net_mix(nc_ctx *ctx, nc_net *net, int n_in, const int *in, int alpha);

/* The threads the net runs its kernels on (its own pool; results are
 * bit-identical for a given thread count): set once, before
 * nc_net_finalize; 1 when never set. Values < 1 are taken as 1. */
void nc_net_set_threads(nc_net *net, int threads);

/* Ends building: `output` is the logits node (shape (F,1,1)); a loss node is
 * appended; buffers are allocated for batches of up to n_max. The net runs
 * its kernels on the threads set with nc_net_set_threads from then on. Parameters are zero until
 * nc_net_init_params. Errors: NC_ERR_INVAL (bad graph), NC_ERR_NOMEM. */
nc_status nc_net_finalize(nc_ctx *ctx, nc_net *net, int output, int n_max);

/* Activation memory that several nets use in turn (the subnets of a
 * supernet, of which one runs at a time): it grows to the largest net
 * finalized in it, so building one more net costs no fresh pages. Owned by
 * the caller; free it after every net in it. */
typedef struct nc_arena nc_arena;
nc_arena *nc_arena_new(void);
void nc_arena_free(nc_arena *a);
/* Floats the arena holds now. */
size_t nc_arena_floats(const nc_arena *a);

/* nc_net_finalize with activations in the caller's arena: the net's
 * activations, gradients and saved values are valid only from its own
 * forward to its own backward, since every net in the arena overwrites
 * them. Nets that share an arena must not run at the same time. */
nc_status nc_net_finalize_in(nc_ctx *ctx, nc_net *net, int output, int n_max,
                             nc_arena *arena);

/* Initializes every parameter and state buffer from (seed, node index), so
 * the result does not depend on anything but the graph and the seed. */
nc_status nc_net_init_params(nc_net *net, uint64_t seed);

/* Forward pass on x (CNHW, n <= n_max samples of the input shape). If labels
 * is non-NULL, *loss gets the mean cross-entropy (loss may be NULL). train
 * selects BN batch statistics and running-stat updates. */
nc_status nc_net_forward(nc_ctx *ctx, nc_net *net, const float *x,
                         const int32_t *labels, int n, int train, float *loss);

/* Backward pass for the last forward (which must have had labels and
 * train=1): ADDS d(mean loss)/d(params) into nc_net_grads. */
nc_status nc_net_backward(nc_ctx *ctx, nc_net *net);

/* Sets the gradient buffer to zero. */
void nc_net_zero_grad(nc_net *net);

/* Logits of the last forward, (F × n) in CNHW, owned by the net. */
const float *nc_net_logits(const nc_net *net);
/* Number of output classes F. */
int nc_net_n_classes(const nc_net *net);
nc_shape nc_net_input_shape(const nc_net *net);
int nc_net_n_max(const nc_net *net);

/* The flat buffers, owned by the net. */
size_t nc_net_n_params(const nc_net *net);
float *nc_net_params(nc_net *net);
float *nc_net_grads(nc_net *net);
size_t nc_net_n_state(const nc_net *net);
float *nc_net_state(nc_net *net);

/* Forward multiply-accumulates per sample, summed over nodes. */
double nc_net_macs(const nc_net *net);
int nc_net_n_nodes(const nc_net *net);
/* Threads the net's kernels run on (fixed at finalize). */
int nc_net_threads(const nc_net *net);
/* The net's thread pool (NULL when single-threaded), owned by the net; for
 * work that belongs to a training step, such as the optimizer update. */
struct nc_pool *nc_net_pool(nc_net *net);
/* Bytes of activation, gradient and scratch memory held by the net. */
size_t nc_net_bytes(const nc_net *net);

/* What one node is, for code that maps parameters between nets (weight
 * sharing, export). Offsets and sizes are in floats into nc_net_params /
 * nc_net_state. */
typedef struct nc_net_node_info {
    nc_op_kind kind;
    nc_attr attr;
    int n_in;
    int in[NC_MAX_IN];          /* input node ids */
    nc_shape in_shape[NC_MAX_IN];
    nc_shape out;
    size_t w_off, n_w;          /* parameters (0 before finalize) */
    size_t s_off, n_s;          /* state, e.g. BN running mean then var */
    int tag;                    /* nc_net_set_tag's label, -1 if none */
} nc_net_node_info;

/* Fills *info for node i (0..nc_net_n_nodes-1); NC_ERR_RANGE otherwise. */
nc_status nc_net_node(const nc_net *net, int i, nc_net_node_info *info);

/* Labels node i with an integer of the builder's choosing; every node
 * starts at -1. The net never reads tags: they only let measurements name
 * parts of a net across architectures (supernet/nb201.c tags the NB201
 * network's layers with their slot, which per-layer proxies sum over;
 * predictors/proxy.h). Allowed before and after finalize. NC_ERR_RANGE if
 * i is not a node (nothing changes). */
nc_status nc_net_set_tag(nc_net *net, int i, int tag);

/* Sets the running-statistics momentum of every batch-norm node (PyTorch
 * meaning; must be in (0, 1]). BN recalibration uses 1/(t+1) at batch t,
 * which makes the running stats the plain average over the batches seen. */
void nc_net_set_bn_momentum(nc_net *net, float momentum);

/* ---- Access for measurements on a net (zero-cost proxies) ----
 *
 * Proxies need more than the loss gradient: activations of chosen nodes,
 * their gradients, the gradient with respect to the input, and backward
 * passes seeded with an arbitrary output gradient. These calls give that
 * without exposing the node layout.
 *
 *     nc_net_want_input_grad(ctx, net);             // before finalize
 *     nc_net_finalize(ctx, net, y, 64);
 *     nc_net_forward(ctx, net, x, NULL, n, 1, NULL);
 *     nc_net_backward_from(ctx, net, ones);         // R = sum of logits
 *     const float *dx = nc_net_node_grad(net, 0);   // dR/dx, CNHW
 */

/* Asks finalize to give the input node a gradient buffer, so backward
 * passes also compute d/dx (jacob_cov needs it). Off by default because it
 * costs a buffer of the input's size and the first layer's input gradient.
 * Must come before finalize (NC_ERR_STATE after). */
nc_status nc_net_want_input_grad(nc_ctx *ctx, nc_net *net);

/* The logits node's id (-1 before finalize), for nc_net_node_output. */
int nc_net_output_node(const nc_net *net);

/* Node i's output of the last forward, (c × n) in CNHW for its shape
 * nc_net_node(...).out and that forward's batch n; owned by the net (node
 * 0's is the caller's input array). NULL if the last forward did not run
 * node i (dead ends, shut-out candidates, the loss without labels) or no
 * forward ran. Valid until the next forward of this net (or of any net in
 * the same arena). */
const float *nc_net_node_output(const nc_net *net, int i);

/* d(what the last backward differentiated)/d(node i's output), same layout
 * as nc_net_node_output; owned by the net. NULL unless a backward ran since
 * the last forward and its gradient reached node i through a differentiable
 * path (node 0 only with nc_net_want_input_grad; nodes before the first
 * parameter get none). Valid until the next forward. */
const float *nc_net_node_grad(const nc_net *net, int i);

/* Backward from an arbitrary gradient of the logits instead of the loss:
 * dout is d R/d logits, (F × n) CNHW for the last forward's n (R = the sum
 * of the logits is dout = 1). ADDS dR/d(params) into nc_net_grads like
 * nc_net_backward, and fills nc_net_node_grad. The last forward may be
 * with or without labels and in either mode (eval-mode BN differentiates
 * through its running statistics as constants). Errors: NC_ERR_STATE
 * without a forward, NC_ERR_INVAL if dout is NULL. */
nc_status nc_net_backward_from(nc_ctx *ctx, nc_net *net, const float *dout);

/* Freezes every ReLU's on/off pattern at the last forward: until
 * nc_net_relu_thaw, each ReLU passes x where its input at that forward was
 * > 0 and blocks it elsewhere, in forward and backward, so the net is
 * smooth in its weights around that point. This is how a second-order
 * proxy (grasp's Hessian-gradient product) gets the derivative autograd's
 * double backward computes: by differences of gradients with the pattern
 * fixed, instead of differences that jump wherever a unit flips. While
 * frozen, forwards must use the same batch size (NC_ERR_STATE otherwise).
 * Errors: NC_ERR_STATE without a forward, NC_ERR_NOMEM (then nothing is
 * frozen). The gates are owned by the net; nc_net_free thaws. */
nc_status nc_net_relu_freeze(nc_ctx *ctx, nc_net *net);
/* Back to plain ReLUs; frees the gates. NULL and an unfrozen net are fine. */
void nc_net_relu_thaw(nc_net *net);
/* The batch size the ReLUs are frozen at, 0 when not frozen. */
int nc_net_relu_frozen_n(const nc_net *net);

/* 1 if the logits can depend on the input in the current configuration: a
 * path from input to logits along which every op carries a signal (ZERO and
 * candidates a mix node's gates shut out carry none). 0 for a disconnected
 * NB201 cell (every path through it is `none`), whose logits are the same
 * for every input; -1 before finalize or out of memory. */
int nc_net_input_reaches_output(const nc_net *net);

/* Counts arg-max hits of the last forward's logits against labels[0..n). */
int nc_net_count_correct(const nc_net *net, const int32_t *labels, int n);

#endif
