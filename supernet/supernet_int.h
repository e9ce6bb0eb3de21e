/*
 * supernet_int.h — internal: what a space's supernet implements
 * (supernet/super_nb201.c, supernet/super_mbv.c); supernet/supernet.c
 * dispatches the public calls through it.
 */
#ifndef NC_SUPERNET_INT_H
#define NC_SUPERNET_INT_H

#include "supernet/supernet.h"

typedef struct nc_supernet_ops {
    /* Activates a (validated by the caller against the space). */
    nc_status (*set_arch)(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a);
    /* Forward/backward of the active subnet (backward adds into sn->grads). */
    nc_status (*forward)(nc_ctx *ctx, nc_supernet *sn, const float *x,
                         const int32_t *labels, int n, int train, float *loss);
    nc_status (*backward)(nc_ctx *ctx, nc_supernet *sn);
    /* The net running the active subnet (NULL before set_arch). */
    nc_net *(*net)(nc_supernet *sn);
    /* Resets the BN running statistics the active subnet uses to mean 0,
     * variance 1, and sets its BN momentum (nc_net_set_bn_momentum). */
    void (*bn_reset)(nc_supernet *sn);
    void (*bn_momentum)(nc_supernet *sn, float m);
    /* Initializes sn->params and sn->state from seed. */
    void (*init)(nc_supernet *sn, uint64_t seed);
    void (*largest)(const nc_supernet *sn, nc_arch *a);
    void (*smallest)(const nc_supernet *sn, nc_arch *a);
    /* Frees sn->impl (the struct itself is freed by supernet.c). */
    void (*free)(nc_supernet *sn);
} nc_supernet_ops;

struct nc_supernet {
    const nc_supernet_ops *ops;
    const nc_space *sp;
    nc_supernet_opts o;
    /* The shared buffers: owned by impl (nb201: the mix net's own). */
    float *params, *grads, *state;
    size_t np, ns;
    struct nc_pool *pool;
    int active;                 /* 1 once an architecture is set */
    nc_arch arch;               /* the active architecture */
    void *impl;
};

/* Constructors: fill sn (allocated and zeroed by supernet.c, with sp and o
 * set) or fail with the reason in ctx. */
nc_status nc_supernet_nb201_init(nc_ctx *ctx, nc_supernet *sn);
nc_status nc_supernet_mbv_init(nc_ctx *ctx, nc_supernet *sn);

#endif
