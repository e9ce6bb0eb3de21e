/*
 * net_int.h — what the files of the net share (core/net.c: building the
 * graph and asking about it; core/net_buf.c: finalize's buffer plan, the
 * arena and parameter init; core/net_run.c: forward, backward and ReLU
 * freezing). Not a public header: nc_net is opaque to its users.
 */
#ifndef NC_NET_INT_H
#define NC_NET_INT_H

#include "core/net.h"
#include "core/pool.h"

struct nc_arena {
    float *p;
    size_t n;                /* floats */
};

typedef struct nc_node {
    nc_op_kind kind;
    nc_attr a;
    int n_in;
    int in[NC_MAX_IN];
    nc_shape out;
    size_t w_off, n_w;       /* into net->params / net->grads */
    size_t s_off, n_s;       /* into net->state */
    size_t n_save;
    float *y, *dy, *save;    /* in the arena; dy NULL if no gradient flows */
    size_t y_off, dy_off, save_off;   /* the same as offsets into the arena
                                         (SIZE_MAX: none), for rebinding */
    int needs_grad;          /* a parameter lies at or before this node */
    int on_path;             /* a differentiable path leads to the loss */
    int last_use;            /* highest live node index whose backward adds
                                into this node's gradient: the first to run
                                (recomputed by every forward) */
    int live;                /* the last forward ran this node */
    int grad;                /* the backward of the last forward runs it */
    int tag;                 /* the builder's label (nc_net_set_tag), -1 */
    float *gate;             /* relu: frozen input (nc_net_relu_freeze), or
                                NULL; owned, frozen_n samples */
} nc_node;

struct nc_net {
    nc_node *nodes;
    int n_nodes, cap;
    int finalized;
    int output, loss;        /* logits node, loss node */
    int n_max;
    size_t np, ns, n_work, n_arena;
    float *params, *grads, *state, *work, *arena;
    nc_arena *shared;        /* caller's arena (then arena is NULL) */
    float *base;             /* the arena the node pointers point into */
    /* What the last forward saw, for backward. */
    int last_n, last_train;
    const int32_t *last_labels;
    int want_input_grad;     /* nc_net_want_input_grad was called */
    int grads_valid;         /* a backward ran since the last forward */
    int frozen_n;            /* batch size of the ReLU gates, 0: none */
    int threads;
    nc_pool *pool;           /* NULL when single-threaded */
};

/* Appends a node (kind k, attributes *a or all zero, inputs in[0..n_in),
 * output shape out) with no checks; its id, or -1 with NC_ERR_NOMEM in ctx.
 * nc_net_add checks before it; finalize appends the loss node with it. */
int nc_net_node_push(nc_ctx *ctx, nc_net *net, nc_op_kind k, const nc_attr *a,
                     int n_in, const int *in, nc_shape out);

/* A net in a shared arena follows it when another net has grown it; every
 * forward and backward calls this first. */
void nc_net_rebind(nc_net *net);

/* The output shapes of nd's inputs, into shp[0..nd->n_in). */
static inline void net_in_shapes(const nc_net *net, const nc_node *nd,
                                 nc_shape *shp)
{
    for (int i = 0; i < nd->n_in; i++)
        shp[i] = net->nodes[nd->in[i]].out;
}

#endif
