/*
 * models.h — the built-in networks, by name.
 *
 *   mlp    784-512-256-10 (ReLU), for any input: flatten, 512, 256, classes
 *   cnn    conv3x3 32-BN-ReLU-maxpool2, conv3x3 64-BN-ReLU-maxpool2,
 *          linear 128-ReLU, linear classes
 *   nb201  the NAS-Bench-201 network of an architecture string (arch), with
 *          C channels in the first stage and N cells per stage
 *
 *     nc_model_opts mo = nc_model_defaults();
 *     mo.in = (nc_shape){1, 28, 28};
 *     nc_net *net;
 *     if (nc_model_build(ctx, "cnn", NULL, &mo, 128, &net)) ...
 *     nc_net_init_params(net, seed);
 */
#ifndef NC_MODELS_H
#define NC_MODELS_H

#include "core/net.h"

typedef struct nc_model_opts {
    nc_shape in;       /* per-sample input shape */
    int n_classes;
    int nb201_c;       /* nb201: first-stage channels (default 16) */
    int nb201_n;       /* nb201: cells per stage (default 5) */
} nc_model_opts;

nc_model_opts nc_model_defaults(void);

/* Builds and finalizes model `name` for batches of up to n_max; arch is the
 * architecture string for nb201 (ignored otherwise, may be NULL). Parameters
 * are not initialized. Errors: NC_ERR_INVAL (unknown model, missing or
 * malformed arch, input too small), NC_ERR_NOMEM. *out owned by the caller. */
nc_status nc_model_build(nc_ctx *ctx, const char *name, const char *arch,
                         const nc_model_opts *o, int n_max, nc_net **out);

/* Comma-separated names of the built-in models, for help texts. */
const char *nc_model_names(void);

#endif
