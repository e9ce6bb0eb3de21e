/*
 * models.h — the built-in networks, by name.
 *
 *   mlp    784-512-256-10 (ReLU), for any input: flatten, 512, 256, classes
 *   cnn    conv3x3 32-BN-ReLU-maxpool2, conv3x3 64-BN-ReLU-maxpool2,
 *          linear 128-ReLU, linear classes
 *   nb201  the NAS-Bench-201 network of an architecture string (arch), with
 *          C channels in the first stage and N cells per stage
 *   mlp    with an architecture string of the mlp search space
 *          ("mlp:d=2:w=64,32:act=relu"): that space's net instead
 *   mbv    the net of an mbv search-space architecture string
 *          (supernet/spaces.h), e.g. "mbv:d=1,1,1,1:w=16,24,40,64:k=3,3,3,3:e=3,3,3,3"
 *
 * The search-space models exist so that a campaign can train any proposed
 * architecture as an ordinary training run (campaign/eval_scratch.c): the run
 * config names model and arch, and a resumed run rebuilds the same net.
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
    int threads;       /* the net's threads (nc_net_set_threads; default 1) */
} nc_model_opts;

nc_model_opts nc_model_defaults(void);

/* Checks that model `name` exists and takes (nb201, mbv: needs; mlp: may
 * take; cnn: refuses) the architecture string arch (NULL or "" for none),
 * without parsing it: training configs are validated with this before data
 * is loaded. NC_ERR_INVAL with the messages "model: unknown model ..." or
 * "arch: model X needs/takes no architecture string". */
nc_status nc_model_check(nc_ctx *ctx, const char *name, const char *arch);

/* Builds and finalizes model `name` for batches of up to n_max; arch is the
 * architecture string for nb201 and mbv, and optionally for mlp (NULL or ""
 * for none). Parameters
 * are not initialized. Errors: NC_ERR_INVAL (unknown model, missing or
 * malformed arch, input too small), NC_ERR_NOMEM. *out owned by the caller. */
nc_status nc_model_build(nc_ctx *ctx, const char *name, const char *arch,
                         const nc_model_opts *o, int n_max, nc_net **out);

/* Comma-separated names of the built-in models, for help texts. */
const char *nc_model_names(void);

#endif
