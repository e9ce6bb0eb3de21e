#include "models/models.h"

#include <string.h>

#include "supernet/nb201.h"
#include "supernet/space.h"

nc_model_opts nc_model_defaults(void)
{
    nc_model_opts o = { .in = { 1, 28, 28 }, .n_classes = 10, .nb201_c = 16,
                        .nb201_n = 5, .threads = 1 };
    return o;
}

const char *nc_model_names(void)
{
    return "mlp, cnn, nb201, mbv";
}

/* The search space whose architecture string builds model `name` with
 * `arch`, or NULL for the fixed models. nb201 has its own path (its C and N
 * are options), and "mlp" without a string is the fixed 512-256 MLP, so only
 * a string decides between the two meanings of "mlp". */
static const nc_space *space_model(const char *name, const char *arch)
{
    if (strcmp(name, "mbv") == 0)
        return nc_space_find("mbv");
    if (strcmp(name, "mlp") == 0 && arch && *arch)
        return nc_space_find("mlp");
    return NULL;
}

nc_status nc_model_check(nc_ctx *ctx, const char *name, const char *arch)
{
    int has_arch = arch && *arch;
    if (!name || (strcmp(name, "mlp") && strcmp(name, "cnn") &&
                  strcmp(name, "nb201") && strcmp(name, "mbv")))
        return nc_fail(ctx, NC_ERR_INVAL, "model: unknown model '%s' (known: %s)",
                       name ? name : "", nc_model_names());
    if ((strcmp(name, "nb201") == 0 || strcmp(name, "mbv") == 0) && !has_arch)
        return nc_fail(ctx, NC_ERR_INVAL, "arch: model %s needs an "
                       "architecture string", name);
    if (strcmp(name, "cnn") == 0 && has_arch)
        return nc_fail(ctx, NC_ERR_INVAL, "arch: model %s takes no architecture "
                       "string", name);
    return NC_OK;
}

static int build_mlp(nc_ctx *ctx, nc_net *net, int x, int classes)
{
    int h = nc_net_flatten(ctx, net, x);
    h = nc_net_relu(ctx, net, nc_net_linear(ctx, net, h, 512, 1));
    h = nc_net_relu(ctx, net, nc_net_linear(ctx, net, h, 256, 1));
    return nc_net_linear(ctx, net, h, classes, 1);
}

static int build_cnn(nc_ctx *ctx, nc_net *net, int x, int classes)
{
    static const int width[2] = { 32, 64 };
    int h = x;
    for (int i = 0; i < 2; i++) {
        h = nc_net_conv(ctx, net, h, width[i], 3, 1, 1, 1, 1);
        h = nc_net_relu(ctx, net, nc_net_bn(ctx, net, h, 1));
        h = nc_net_maxpool(ctx, net, h, 2, 2, 0);
    }
    h = nc_net_flatten(ctx, net, h);
    h = nc_net_relu(ctx, net, nc_net_linear(ctx, net, h, 128, 1));
    return nc_net_linear(ctx, net, h, classes, 1);
}

nc_status nc_model_build(nc_ctx *ctx, const char *name, const char *arch,
                         const nc_model_opts *o, int n_max, nc_net **out)
{
    *out = NULL;
    if (!name)
        return nc_fail(ctx, NC_ERR_INVAL, "no model given (known: %s)", nc_model_names());
    int is_nb201 = strcmp(name, "nb201") == 0;
    const nc_space *sp = space_model(name, arch);
    if (!is_nb201 && !sp && strcmp(name, "mlp") && strcmp(name, "cnn"))
        return nc_fail(ctx, NC_ERR_INVAL, "unknown model '%s' (known: %s)",
                       name, nc_model_names());
    if (o->n_classes < 2)
        return nc_fail(ctx, NC_ERR_INVAL, "model %s: %d classes; need at least 2",
                       name, o->n_classes);
    nc_nb201_arch a;
    nc_arch sa;
    if (is_nb201) {
        if (!arch)
            return nc_fail(ctx, NC_ERR_INVAL, "model nb201 needs an architecture "
                           "string (--arch)");
        if (nc_nb201_parse(ctx, arch, &a) != NC_OK)
            return ctx->status;
        if (o->nb201_c < 1 || o->nb201_n < 1)
            return nc_fail(ctx, NC_ERR_INVAL, "model nb201: C=%d, N=%d; both must "
                           "be at least 1", o->nb201_c, o->nb201_n);
    } else if (sp) {
        if (!arch || !*arch)
            return nc_fail(ctx, NC_ERR_INVAL, "model %s needs an architecture "
                           "string (--arch)", name);
        memset(&sa, 0, sizeof sa);
        if (sp->parse(sp, ctx, arch, &sa) != NC_OK)
            return ctx->status;
    } else if (arch && *arch) {
        return nc_fail(ctx, NC_ERR_INVAL, "model %s takes no architecture string",
                       name);
    }
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    int x = nc_net_input(ctx, net, o->in);
    int y;
    if (is_nb201)
        y = x < 0 ? -1 : nc_nb201_build(ctx, net, x, &a, o->nb201_c, o->nb201_n,
                                        o->n_classes);
    else if (sp)
        y = x < 0 ? -1 : sp->build(sp, ctx, net, x, &sa, o->n_classes);
    else if (name[0] == 'm')
        y = build_mlp(ctx, net, x, o->n_classes);
    else
        y = build_cnn(ctx, net, x, o->n_classes);
    if (y >= 0)
        nc_net_set_threads(net, o->threads);
    nc_status st = y < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                         : nc_net_finalize(ctx, net, y, n_max);
    if (st) {
        nc_ctx_prefix(ctx, "model %s", name);
        nc_net_free(net);
        return st;
    }
    *out = net;
    return NC_OK;
}
