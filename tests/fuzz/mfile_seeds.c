/*
 * mfile_seeds.c — writes the fuzzer's seed corpus: small model files of
 * every op kind the reader knows (conv with groups, BN, ReLU, both pools,
 * global average pool, sum, zero, identity, flatten, linear, a DARTS mix
 * node with alpha), each a few KiB so that mutations stay fast.
 *   usage: mfile_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "export/mfile.h"

static int save(nc_ctx *ctx, nc_net *net, int out, const char *dir,
                const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (nc_net_finalize(ctx, net, out, 2) || nc_net_init_params(net, 1) ||
        nc_mfile_save(ctx, path, net, NULL, "{\"seed\": true}", NULL)) {
        fprintf(stderr, "mfile_seeds: %s: %s\n", name, ctx->msg);
        return 1;
    }
    nc_net_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mfile_seeds DIR\n");
        return 2;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int bad = 0;

    nc_net *a = nc_net_new();
    int x = nc_net_input(&ctx, a, (nc_shape){ 2, 6, 6 });
    int c = nc_net_relu(&ctx, a, nc_net_bn(&ctx, a,
                        nc_net_conv(&ctx, a, x, 4, 3, 1, 1, 2, 0), 1));
    int p = nc_net_maxpool(&ctx, a, c, 2, 2, 0);
    int q = nc_net_avgpool(&ctx, a, c, 3, 2, 1, 0);
    int in2[2] = { p, q };
    int y = nc_net_linear(&ctx, a, nc_net_flatten(&ctx, a,
                          nc_net_sum(&ctx, a, 2, in2)), 3, 1);
    bad |= save(&ctx, a, y, argv[1], "conv_pools.nasc");

    nc_net *b = nc_net_new();
    x = nc_net_input(&ctx, b, (nc_shape){ 1, 4, 4 });
    c = nc_net_conv(&ctx, b, x, 2, 1, 1, 0, 1, 1);
    int e[3] = { nc_net_identity(&ctx, b, c), nc_net_zero(&ctx, b, c, 1),
                 nc_net_relu(&ctx, b, c) };
    int m = nc_net_mix(&ctx, b, 3, e, 1);
    y = nc_net_linear(&ctx, b, nc_net_gap(&ctx, b, m), 2, 0);
    bad |= save(&ctx, b, y, argv[1], "mix_gap.nasc");

    nc_net *d = nc_net_new();
    x = nc_net_input(&ctx, d, (nc_shape){ 5, 1, 1 });
    y = nc_net_linear(&ctx, d, nc_net_relu(&ctx, d,
                      nc_net_linear(&ctx, d, x, 4, 1)), 2, 1);
    bad |= save(&ctx, d, y, argv[1], "mlp.nasc");
    return bad;
}
