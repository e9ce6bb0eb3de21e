/*
 * cmd_inspect.c — `nasc inspect FILE`: what a model file holds: its
 * identity, input, size, MACs, sparsity, lineage and graph.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export/mfile.h"

static const char ABOUT[] =
    "Reads model file FILE (every check of the reader applies, so a damaged\n"
    "file is reported, not shown) and prints its SHA-256, input shape and\n"
    "normalization, classes, parameters (with how many are zero), MACs per\n"
    "sample, lineage, and the graph node by node.\n";

static const char JSON[] =
    "print one JSON line: file, sha256, bytes, input ([c, h, w]), mean and "
    "std (the input normalization per channel), classes, nodes, params, "
    "zeros (parameters equal to 0), sparsity (zeros / params), macs (per "
    "sample), lineage (the object the file holds), graph (per node: id, op, "
    "inputs, shape [c, h, w], params, tag, and its attributes: cout, k, "
    "stride, pad, groups, bias, affine, count_pad)";

/* A node's attributes in a few characters, for the table. */
static void attrs(const nc_net_node_info *nd, char *b, size_t n)
{
    const nc_attr *a = &nd->attr;
    b[0] = 0;
    switch (nd->kind) {
    case NC_OP_CONV2D:
        snprintf(b, n, "k%d s%d p%d%s%s", a->k, a->stride ? a->stride : 1,
                 a->pad, a->groups > 1 ? " g" : "", a->bias ? " +b" : "");
        if (a->groups > 1)
            snprintf(b + strlen(b), n - strlen(b), "%d", a->groups);
        break;
    case NC_OP_MAXPOOL:
    case NC_OP_AVGPOOL:
        snprintf(b, n, "k%d s%d p%d", a->k, a->stride ? a->stride : 1,
                 a->pad);
        break;
    case NC_OP_LINEAR:
        snprintf(b, n, "%s", a->bias ? "+b" : "");
        break;
    case NC_OP_BATCHNORM:
        snprintf(b, n, "%s", a->affine ? "affine" : "");
        break;
    default:
        break;
    }
}

static cJSON *graph_json(nc_net *net)
{
    cJSON *g = cJSON_CreateArray();
    for (int i = 0; g && i < nc_net_n_nodes(net); i++) {
        nc_net_node_info nd;
        nc_net_node(net, i, &nd);
        if (nd.kind == NC_OP_SOFTMAX_XENT)
            continue;
        cJSON *o = cJSON_CreateObject(), *in = cJSON_CreateArray();
        int shape[3] = { nd.out.c, nd.out.h, nd.out.w };
        for (int j = 0; in && j < nd.n_in; j++)
            cJSON_AddItemToArray(in, cJSON_CreateNumber(nd.in[j]));
        const nc_attr *a = &nd.attr;
        if (!o || !in || !cJSON_AddNumberToObject(o, "id", i) ||
            !cJSON_AddStringToObject(o, "op", nc_op_get(nd.kind)->name) ||
            !cJSON_AddItemToObject(o, "inputs", in) ||
            !cJSON_AddItemToObject(o, "shape", cJSON_CreateIntArray(shape, 3)) ||
            !cJSON_AddNumberToObject(o, "params", (double)nd.n_w) ||
            !cJSON_AddNumberToObject(o, "tag", nd.tag) ||
            !cJSON_AddNumberToObject(o, "cout", a->cout) ||
            !cJSON_AddNumberToObject(o, "k", a->k) ||
            !cJSON_AddNumberToObject(o, "stride", a->stride) ||
            !cJSON_AddNumberToObject(o, "pad", a->pad) ||
            !cJSON_AddNumberToObject(o, "groups", a->groups) ||
            !cJSON_AddNumberToObject(o, "bias", a->bias) ||
            !cJSON_AddNumberToObject(o, "affine", a->affine) ||
            !cJSON_AddNumberToObject(o, "count_pad", a->count_pad)) {
            cJSON_Delete(o);
            cJSON_Delete(g);
            return NULL;
        }
        cJSON_AddItemToArray(g, o);
    }
    return g;
}

static int run(const nc_cli_args *a, void *opts)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net;
    nc_mfile_norm norm;
    char *lin, sha[65];
    nc_status st = nc_mfile_load(&ctx, a->file, 1, 1, &net, &norm, &lin, sha);
    if (st)
        return nc_cli_fail(a->name, &ctx, st, NC_CLI_AT_FILE);
    struct stat sb;
    long long bytes = stat(a->file, &sb) == 0 ? (long long)sb.st_size : -1;
    size_t np = nc_net_n_params(net), zeros = 0;
    const float *w = nc_net_params(net);
    for (size_t i = 0; i < np; i++)
        zeros += w[i] == 0.0f;
    double sparsity = np ? (double)zeros / (double)np : 0;
    nc_shape in = nc_net_input_shape(net);
    int rc;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        int shape[3] = { in.c, in.h, in.w };
        cJSON *l = cJSON_Parse(lin), *g = graph_json(net);
        if (j && l && g && cJSON_AddStringToObject(j, "file", a->file) &&
            cJSON_AddStringToObject(j, "sha256", sha) &&
            cJSON_AddNumberToObject(j, "bytes", (double)bytes) &&
            cJSON_AddItemToObject(j, "input", cJSON_CreateIntArray(shape, 3)) &&
            cJSON_AddItemToObject(j, "mean", cJSON_CreateFloatArray(norm.mean,
                                                                   norm.c)) &&
            cJSON_AddItemToObject(j, "std", cJSON_CreateFloatArray(norm.std,
                                                                  norm.c)) &&
            cJSON_AddNumberToObject(j, "classes", nc_net_n_classes(net)) &&
            cJSON_AddNumberToObject(j, "nodes", nc_net_n_nodes(net) - 1) &&
            cJSON_AddNumberToObject(j, "params", (double)np) &&
            cJSON_AddNumberToObject(j, "zeros", (double)zeros) &&
            cJSON_AddNumberToObject(j, "sparsity", sparsity) &&
            cJSON_AddNumberToObject(j, "macs", nc_net_macs(net)) &&
            cJSON_AddItemToObject(j, "lineage", l)) {
            l = NULL;
            if (cJSON_AddItemToObject(j, "graph", g))
                g = NULL;
        }
        cJSON_Delete(l);
        if (g) {
            cJSON_Delete(g);
            cJSON_Delete(j);
            j = NULL;
        }
        rc = nc_cli_print_json(j);
    } else {
        printf("file      %s\n", a->file);
        printf("sha256    %s\n", sha);
        printf("bytes     %lld\n", bytes);
        printf("input     %dx%dx%d, normalized per channel:", in.c, in.h,
               in.w);
        for (int c = 0; c < norm.c; c++)
            printf(" (x - %.4f) / %.4f", norm.mean[c], norm.std[c]);
        printf("\nclasses   %d\n", nc_net_n_classes(net));
        printf("params    %zu (%zu zero, sparsity %.2f%%)\n", np, zeros,
               100.0 * sparsity);
        printf("MACs      %.0f per sample\n", nc_net_macs(net));
        printf("lineage   %s\n\n", lin);
        printf("  node  op            inputs        shape          params  "
               "attributes\n");
        for (int i = 0; i < nc_net_n_nodes(net); i++) {
            nc_net_node_info nd;
            nc_net_node(net, i, &nd);
            if (nd.kind == NC_OP_SOFTMAX_XENT)
                continue;
            char ins[64] = "-", sh[48], at[64];
            for (int k = 0, o = 0; k < nd.n_in && o < (int)sizeof ins - 8; k++)
                o += snprintf(ins + o, sizeof ins - o, "%s%d", k ? "," : "",
                              nd.in[k]);
            snprintf(sh, sizeof sh, "%dx%dx%d", nd.out.c, nd.out.h, nd.out.w);
            attrs(&nd, at, sizeof at);
            printf("  %4d  %-12s  %-12s  %-12s %8zu  %s%s\n", i,
                   nc_op_get(nd.kind)->name, ins, sh, nd.n_w, at,
                   i == nc_net_output_node(net) ? "  (output)" : "");
        }
        rc = nc_cli_flush();
    }
    free(lin);
    nc_net_free(net);
    return rc;
}

const nc_cli_cmd nc_cli_cmd_inspect = {
    .name = "inspect", .usage = "FILE [OPTIONS]",
    .summary = "show what a .nasc model file holds",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_JSON | NC_CLI_FILE,
    .run = run,
};
