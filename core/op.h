/*
 * op.h — the op table: every layer kind nasc knows, one row each.
 *
 * A row gives an op's forward and backward kernels, its output shape, its
 * parameter/state/scratch sizes, its initializer and its FLOPs. A net
 * (core/net.h; built in net.c, laid out in net_buf.c, run in net_run.c) is
 * a DAG of nodes that looks its rows up here; tests check every row's
 * backward against finite differences (core/gradcheck.h).
 *
 * Memory layout of activations: "CNHW". A tensor of per-sample shape
 * (c, h, w) for a batch of n is stored channel-major:
 *     element (n_i, c_i, y, x) at ((c_i * n + n_i) * h + y) * w + x
 * so a channel is one contiguous block of n*h*w floats (batch norm reduces a
 * contiguous row; a convolution is one GEMM over the whole batch). A flat
 * feature vector of size F is the shape (F, 1, 1): stored F × n, so linear is
 * Y[out × n] = W[out × in] · X[in × n].
 *
 * Parameter layouts follow PyTorch, so weights can be compared and exported:
 *   conv2d : W[cout][cin/groups][k][k], then bias[cout] if attr.bias
 *   linear : W[cout][cin], then bias[cout] if attr.bias
 *   batchnorm: gamma[c], beta[c] if attr.affine; state: mean[c], var[c]
 *
 * Example (a forward call as net_run.c makes it):
 *     const nc_op_def *d = nc_op_get(NC_OP_RELU);
 *     nc_exec e = { .attr = &a, .n = 128, .n_in = 1, .in = {s}, .out = s,
 *                   .x = {x}, .y = y, .train = 1 };
 *     d->forward(&e);
 */
#ifndef NC_OP_H
#define NC_OP_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"

enum { NC_MAX_IN = 8 };

/* The values are stored in model files (docs/MODEL_FORMAT.md): new kinds go
 * at the end, and none is ever renumbered. */
typedef enum nc_op_kind {
    NC_OP_INPUT = 0,     /* the data; no kernels */
    NC_OP_CONV2D,        /* 1 input; k, stride, pad, groups, cout, bias */
    NC_OP_LINEAR,        /* 1 input of shape (F,1,1); cout, bias */
    NC_OP_BATCHNORM,     /* 1 input; affine, momentum, eps */
    NC_OP_RELU,          /* 1 input */
    NC_OP_MAXPOOL,       /* 1 input; k, stride, pad (padding never wins) */
    NC_OP_AVGPOOL,       /* 1 input; k, stride, pad, count_pad */
    NC_OP_GAP,           /* 1 input (c,h,w) -> (c,1,1) global average */
    NC_OP_SUM,           /* 1..NC_MAX_IN inputs of equal shape */
    NC_OP_ZERO,          /* 1 input; output zeros of the input's shape
                            (k/stride give the shape; no gradient flows) */
    NC_OP_IDENTITY,      /* 1 input; copy */
    NC_OP_FLATTEN,       /* 1 input (c,h,w) -> (c*h*w,1,1), PyTorch order */
    NC_OP_SOFTMAX_XENT,  /* 1 input of logits (F,1,1); output (1,1,1) per
                            sample: the cross-entropy with e->labels */
    NC_OP_MIX,           /* 1..NC_MAX_IN inputs of equal shape, cout = their
                            count, bias = 1 for DARTS weights alpha; the
                            weighted sum of a supernet edge (ops/mix.c) */
    NC_OP_COUNT
} nc_op_kind;

/* Per-sample shape; the batch size n is given at run time. */
typedef struct nc_shape {
    int c, h, w;
} nc_shape;

static inline size_t nc_shape_size(nc_shape s)
{
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* Attributes of a node; each op reads the fields its row lists. */
typedef struct nc_attr {
    int cout;        /* conv2d/linear: output channels or features */
    int k;           /* conv/pool: square kernel size */
    int stride;      /* conv/pool/zero: stride (0 is read as 1) */
    int pad;         /* conv/pool: zero padding on each side */
    int groups;      /* conv2d: groups (0 is read as 1; cin for depthwise) */
    int bias;        /* conv2d/linear: 1 if the op has a bias; mix: 1 if
                        it has architecture weights alpha */
    int affine;      /* batchnorm: 1 if gamma/beta are learned */
    int count_pad;   /* avgpool: 1 to divide by k*k (PyTorch's
                        count_include_pad), 0 to count real pixels only */
    float momentum;  /* batchnorm: running-stat momentum (PyTorch meaning:
                        new = (1-m)*old + m*batch); 0 is read as 0.1 */
    float eps;       /* batchnorm: 0 is read as 1e-5 */
} nc_attr;

/* Everything one kernel call sees. Sizes are in floats; pointers are owned by
 * the caller (the net's arena) and valid for the call only. */
typedef struct nc_exec {
    const nc_attr *attr;
    int n;                       /* batch size of this call */
    int train;                   /* 1: training (BN uses batch stats and
                                    updates running stats) */
    int threads;                 /* threads of pool (1 if pool is NULL) */
    struct nc_pool *pool;        /* fork-join pool for the kernel's own
                                    parallel loops (core/pool.h); NULL: run
                                    single-threaded. OpenBLAS is always
                                    single-threaded inside nasc: parallel
                                    GEMMs are split across the pool. */
    int n_in;
    nc_shape in[NC_MAX_IN];      /* per-sample input shapes */
    nc_shape out;                /* per-sample output shape */
    const float *x[NC_MAX_IN];   /* inputs, CNHW */
    float *dx[NC_MAX_IN];        /* d loss / d input: backward ADDS into
                                    these (+=); NULL: not needed */
    float *y;                    /* output: forward WRITES it (=) */
    const float *dy;             /* d loss / d output (backward) */
    float *w;                    /* parameters (n_params floats) */
    float *dw;                   /* gradient of w: backward ADDS (+=);
                                    NULL: parameters frozen */
    float *state;                /* non-trained state (BN running stats) */
    float *save;                 /* n_save floats kept from forward to
                                    backward of the same step */
    float *work;                 /* threads × n_work floats of scratch,
                                    shared by all nodes; thread t of the pool
                                    owns work + t * n_work. Contents are
                                    undefined on entry. */
    size_t n_work;               /* floats of scratch per thread (at least
                                    the op's n_work for the largest batch) */
    const int32_t *labels;       /* SOFTMAX_XENT: n class indices */
    const float *gate;           /* RELU: NULL, or frozen gates (n x out,
                                    nc_net_relu_freeze): the unit is on where
                                    gate > 0, whatever x is now */
} nc_exec;

typedef struct nc_op_def {
    const char *name;
    int min_in, max_in;
    /* Output shape from the inputs; NC_ERR_INVAL with a message if the
     * inputs or attributes do not fit. Required. */
    nc_status (*shape)(nc_ctx *ctx, const nc_attr *a, int n_in,
                       const nc_shape *in, nc_shape *out);
    /* Sizes in floats; NULL means 0. n is the largest batch size; n_work
     * is the scratch of ONE thread (the net provides one per pool thread)
     * and must not shrink as n grows. */
    size_t (*n_params)(const nc_attr *a, const nc_shape *in);
    size_t (*n_state)(const nc_attr *a, const nc_shape *in);
    size_t (*n_save)(const nc_attr *a, const nc_shape *in, nc_shape out, int n);
    size_t (*n_work)(const nc_attr *a, const nc_shape *in, nc_shape out, int n);
    /* Initializes parameters and state (PyTorch defaults). NULL: nothing. */
    void (*init)(const nc_attr *a, const nc_shape *in, float *w, float *state,
                 nc_rng *rng);
    void (*forward)(const nc_exec *e);
    /* NULL for ops without gradient (INPUT, ZERO). */
    void (*backward)(const nc_exec *e);
    /* Multiply-accumulates per sample of the forward pass (the convention of
     * NB201 and most NAS papers; 0 for ops without MACs). NULL means 0. */
    double (*macs)(const nc_attr *a, const nc_shape *in, nc_shape out);
    /* 0 if input j is not read in the node's current configuration (given
     * its parameters w and state), so the net may skip the nodes that only
     * feed it. NULL: every input is read. */
    int (*input_live)(const nc_attr *a, const float *w, const float *state,
                      int j);
} nc_op_def;

/* The row of kind k, or NULL if k is out of range. */
const nc_op_def *nc_op_get(nc_op_kind k);
/* Looks a kind up by its row name ("conv2d", "relu", ...); -1 if unknown. */
int nc_op_find(const char *name);

#endif
