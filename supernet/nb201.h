/*
 * nb201.h — the NAS-Bench-201 cell search space: the architecture type, its
 * string form, the benchmark's official index, and the network builder.
 *
 * A cell is a DAG of 4 nodes; node 0 is the cell input, node 3 its output,
 * and node j (1..3) sums one op applied to each earlier node. The 6 edges, in
 * the order the benchmark lists them, are
 *     (0->1), (0->2), (1->2), (0->3), (1->3), (2->3)
 * and each carries one of 5 ops, so the space holds 5^6 = 15,625 cells. The
 * string form is the benchmark's, e.g.
 *     |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|
 * (one `|op~input|` group per edge, nodes separated by `+`).
 *
 *     nc_nb201_arch a;
 *     if (nc_nb201_parse(ctx, "|nor_conv_3x3~0|+|...", &a)) ...ctx->msg...
 *     int bench_index = nc_nb201_index(&a);          // 0..15624
 *     nc_net *net = nc_net_new();
 *     int x = nc_net_input(ctx, net, (nc_shape){3, 32, 32});
 *     int y = nc_nb201_build(ctx, net, x, &a, 16, 5, 10);
 *     if (y < 0 || nc_net_finalize(ctx, net, y, 128)) ...ctx->msg...
 */
#ifndef NC_NB201_H
#define NC_NB201_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"

enum {
    NC_NB201_N_EDGES = 6,
    NC_NB201_N_OPS = 5,
    NC_NB201_N_ARCHS = 15625,   /* 5^6 */
    /* Buffer size for a formatted string, NUL included: the longest string
     * (every op name has 12 characters) is 95 characters. */
    NC_NB201_STR_MAX = 96
};

/* Op codes, in the benchmark's op order (which the index also uses). */
typedef enum nc_nb201_op {
    NC_NB201_NONE = 0,      /* none: the edge contributes nothing (zeros) */
    NC_NB201_SKIP,          /* skip_connect: identity */
    NC_NB201_CONV1X1,       /* nor_conv_1x1: ReLU -> conv 1x1 -> BN */
    NC_NB201_CONV3X3,       /* nor_conv_3x3: ReLU -> conv 3x3 -> BN */
    NC_NB201_AVGPOOL        /* avg_pool_3x3: stride 1, pad 1, pad not counted */
} nc_nb201_op;

/* op[e] is the op (an nc_nb201_op) on edge e, edges in the order above. */
typedef struct nc_nb201_arch {
    uint8_t op[NC_NB201_N_EDGES];
} nc_nb201_arch;

/* The benchmark's name of op ("nor_conv_3x3", ...), or NULL if out of range. */
const char *nc_nb201_op_name(int op);

/* Source and target node of edge e (0..5); -1 in both if e is out of range. */
void nc_nb201_edge_nodes(int e, int *from, int *to);

/* Parses the string form strictly: no spaces, edges in order, every node
 * with all its edges, nothing after the last '|'. On failure returns
 * NC_ERR_INVAL with a message naming what is wrong, the character offset and
 * the offending text; *out is then unchanged. */
nc_status nc_nb201_parse(nc_ctx *ctx, const char *s, nc_nb201_arch *out);

/* Writes the canonical string of *a into buf (size n, NUL-terminated if
 * n > 0, truncated if too small) and returns its full length, like snprintf:
 * a buffer of NC_NB201_STR_MAX always suffices. Returns -1 (and writes an
 * empty string) if an op is out of range. */
int nc_nb201_format(const nc_nb201_arch *a, char *buf, size_t n);

/* 1 if every op is in range, else 0. */
int nc_nb201_valid(const nc_nb201_arch *a);

/* The architecture's index in the official NAS-Bench-201 order (0..15624),
 * or -1 if an op is out of range. The official order is the benchmark's
 * enumeration shuffled by Python's random.seed(88); random.shuffle(...);
 * this module reproduces that shuffle, so the call costs about 0.1 ms. */
int nc_nb201_index(const nc_nb201_arch *a);

/* The architecture with official index `index`. NC_ERR_RANGE (and *out
 * unchanged) if index is not in 0..15624. Costs about 0.1 ms. */
nc_status nc_nb201_from_index(int index, nc_nb201_arch *out);

/* Bulk form of the two above, for work over the whole space:
 * order[index] = the dense code (see nc_nb201_code) of the architecture with
 * that official index. */
void nc_nb201_index_order(uint16_t order[NC_NB201_N_ARCHS]);

/* A dense code 0..15624 (base-5 digits, edge 0 most significant: the
 * benchmark's unshuffled enumeration), for arrays over the space; -1 if an op
 * is out of range. nc_nb201_from_code is its inverse (NC_ERR_RANGE if code is
 * out of range). */
int nc_nb201_code(const nc_nb201_arch *a);
nc_status nc_nb201_from_code(int code, nc_nb201_arch *out);

/* Number of edges of *a that carry op (an nc_nb201_op). */
int nc_nb201_count_op(const nc_nb201_arch *a, int op);

/* Appends the NAS-Bench-201 CIFAR network of *a to net, on node input_node
 * (shape (in_c, h, w)), and returns the logits node (n_classes, 1, 1), or -1
 * with the reason in ctx (an input_node of -1 propagates without a message).
 * C is the first stage's width (16 in the benchmark), N the cells per stage
 * (5; 0 is allowed and leaves only stem, reductions and head).
 *
 * Layout: stem conv 3x3 (no bias) + BN; N cells at C; reduction block to 2C;
 * N cells at 2C; reduction to 4C; N cells at 4C; BN, ReLU, global average
 * pool, linear with bias. The two reductions halve h and w, which must be
 * multiples of 4 (as in the benchmark's PyTorch code, where a reduction's
 * stride-2 conv and pooled shortcut must agree). Every edge is built, even
 * one whose output
 * cannot reach the cell output (as the benchmark's network does), so the
 * parameter count and MACs match the benchmark's figures. BN layers use
 * PyTorch's momentum 0.1 and eps 1e-5. */
int nc_nb201_build(nc_ctx *ctx, nc_net *net, int input_node,
                   const nc_nb201_arch *a, int C, int N, int n_classes);

/* Builds one cell at width C on node x and returns its output node (same
 * shape as x), or -1 with the reason in ctx. */
typedef int (*nc_nb201_cell_fn)(nc_ctx *ctx, nc_net *net, int x, int C,
                                void *ud);

/* The same network with every cell made by cell_fn (a supernet's cells
 * hold every candidate op; supernet/super_nb201.c). Same checks and
 * errors as nc_nb201_build. */
int nc_nb201_build_skeleton(nc_ctx *ctx, nc_net *net, int input_node, int C,
                            int N, int n_classes, nc_nb201_cell_fn cell_fn,
                            void *ud);

/* The parameter count of that network, from the channel sizes alone (no net
 * is built); 0 if an argument is invalid. Equals nc_net_n_params of the
 * finalized net; for C=16, N=5, in_c=3, 10 classes it is
 * 73,306 + 243,040 n(nor_conv_3x3) + 28,000 n(nor_conv_1x1). */
size_t nc_nb201_param_count(const nc_nb201_arch *a, int C, int N, int in_c,
                            int n_classes);

/* Slot tags the builders give the network's nodes (nc_net_set_tag), so
 * per-layer measurements (predictors/proxy.h's nc_proxy_synflow_tags,
 * ParZC) mean the same position in every architecture: the stem; edge e
 * (the order above) of the cells of stage s at NC_NB201_SLOT_EDGE0 + 6 s +
 * e, summed over the stage's cells; the two reduction blocks; the head.
 * Nodes of a cell node rather than an edge (sums, zeros), and the cells a
 * supernet's cell builder makes, keep tag -1. */
enum {
    NC_NB201_SLOTS = 22,
    NC_NB201_SLOT_STEM = 0,
    NC_NB201_SLOT_EDGE0 = 1,     /* + 6 * stage + edge */
    NC_NB201_SLOT_RED1 = 19,
    NC_NB201_SLOT_RED2 = 20,
    NC_NB201_SLOT_HEAD = 21
};

#endif
