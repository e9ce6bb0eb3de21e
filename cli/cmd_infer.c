/*
 * cmd_infer.c — `nasc infer FILE`: a model file's accuracy on a data set's
 * test split and its measured inference latency.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "export/mfile.h"

static const char ABOUT[] =
    "Runs model file FILE on the test split of a data set, normalized as\n"
    "the file says, and reports accuracy and mean loss. Then it times the\n"
    "forward pass (eval mode) of one batch of test samples: two untimed\n"
    "passes, then --repeats timed ones. Latency is the median time per\n"
    "batch, and throughput is the batch size over that median. Give\n"
    "--threads to compare runs: the time depends on the thread count, and\n"
    "so do the last bits of the logits.\n";

static const char JSON[] =
    "print one JSON line: file, sha256, dataset, samples (test samples "
    "scored), accuracy (a fraction), loss (mean cross-entropy), batch, "
    "threads, repeats, latency_ms (median milliseconds per batch), "
    "latency_ms_min, latency_ms_max, samples_per_s (batch / median)";

typedef struct opts {
    char dataset[NC_NAME_MAX];
    char data_dir[NC_PATH_MAX];
    int batch, threads, repeats;
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "dataset", .type = NC_CFG_STR, .off = offsetof(opts, dataset),
      .size = NC_NAME_MAX, .def_str = "fashion-mnist", .opt = "--dataset",
      .metavar = "D", .help = "data set: fashion-mnist, mnist, cifar10 or "
                              "cifar100" },
    { .key = "data_dir", .type = NC_CFG_STR, .off = offsetof(opts, data_dir),
      .size = NC_PATH_MAX, .opt = "--data-dir", .metavar = "DIR",
      .help = "directory of the data files (default: the data set's own)" },
    { .key = "batch", .type = NC_CFG_INT, .off = offsetof(opts, batch),
      .lo = 1, .hi = 65536, .def = 128, .opt = "--batch", .metavar = "B",
      .help = "batch size of scoring and timing" },
    { .key = "threads", .type = NC_CFG_INT, .off = offsetof(opts, threads),
      .lo = 1, .hi = 1024, .def = 1, .opt = "--threads", .metavar = "T",
      .help = "threads of the net's kernels (default: the cores available)" },
    { .key = "repeats", .type = NC_CFG_INT, .off = offsetof(opts, repeats),
      .lo = 1, .hi = 100000, .def = 20, .opt = "--repeats", .metavar = "R",
      .help = "timed batches; the latency is their median" },
};
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct measured {
    int samples;
    double accuracy, loss;
    double ms_median, ms_min, ms_max;
} measured;

/* Scores the whole test set in batches, then times one batch. */
static nc_status measure(nc_ctx *ctx, nc_net *net, const nc_dataset *te,
                         const opts *o, measured *m)
{
    int b = o->batch < te->n ? o->batch : te->n;
    float *x = malloc((size_t)b * nc_shape_size(nc_net_input_shape(net)) *
                      sizeof *x);
    int32_t *y = malloc((size_t)b * sizeof *y);
    uint32_t *idx = malloc((size_t)b * sizeof *idx);
    double *t = malloc((size_t)o->repeats * sizeof *t);
    nc_status st = NC_OK;
    if (!x || !y || !idx || !t)
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    double lsum = 0;
    long hits = 0;
    for (int i = 0; !st && i < te->n; i += b) {
        int n = te->n - i < b ? te->n - i : b;
        for (int j = 0; j < n; j++)
            idx[j] = (uint32_t)(i + j);
        nc_batch_fill(te, idx, n, NULL, NULL, x, y);
        float l;
        if (!(st = nc_net_forward(ctx, net, x, y, n, 0, &l))) {
            lsum += (double)l * n;
            hits += nc_net_count_correct(net, y, n);
        }
    }
    if (!st) {
        for (int j = 0; j < b; j++)
            idx[j] = (uint32_t)j;
        nc_batch_fill(te, idx, b, NULL, NULL, x, y);
        for (int r = 0; !st && r < 2 + o->repeats; r++) {
            double t0 = nc_cli_now();
            st = nc_net_forward(ctx, net, x, NULL, b, 0, NULL);
            if (r >= 2)
                t[r - 2] = 1e3 * (nc_cli_now() - t0);
        }
    }
    if (!st) {
        qsort(t, (size_t)o->repeats, sizeof *t, cmp_double);
        int h = o->repeats / 2;
        *m = (measured){
            .samples = te->n, .accuracy = (double)hits / te->n,
            .loss = lsum / te->n, .ms_min = t[0],
            .ms_max = t[o->repeats - 1],
            .ms_median = o->repeats % 2 ? t[h] : 0.5 * (t[h - 1] + t[h]),
        };
    }
    free(x);
    free(y);
    free(idx);
    free(t);
    return st;
}

static int run(const nc_cli_args *a, void *opts_)
{
    const opts *o = opts_;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    if (!nc_dataset_default_dir(o->dataset))
        return nc_cli_usage(a->name, "--dataset: unknown data set '%s'",
                            o->dataset);
    nc_net *net;
    nc_mfile_norm norm;
    char sha[65];
    nc_status st = nc_mfile_load(&ctx, a->file, o->batch, o->threads, &net,
                                 &norm, NULL, sha);
    if (st)
        return nc_cli_fail(a->name, &ctx, st, NC_CLI_AT_FILE);
    nc_dataset *te = NULL;
    st = nc_dataset_load(&ctx, o->dataset, o->data_dir[0] ? o->data_dir : NULL,
                         NC_SPLIT_TEST, &te);
    nc_shape in = nc_net_input_shape(net);
    if (!st && (te->c != in.c || te->h != in.h || te->w != in.w ||
                te->n_classes > nc_net_n_classes(net) || te->n < 1))
        st = nc_fail(&ctx, NC_ERR_FORMAT, "%s: the model takes %dx%dx%d "
                     "inputs in %d classes; %s has %d samples of %dx%dx%d "
                     "in %d classes", a->file, in.c, in.h, in.w,
                     nc_net_n_classes(net), o->dataset, te->n, te->c, te->h,
                     te->w, te->n_classes);
    measured m;
    if (!st) {
        nc_dataset_normalize(te, norm.mean, norm.std);
        st = measure(&ctx, net, te, o, &m);
    }
    nc_dataset_free(te);
    nc_net_free(net);
    if (st)
        return nc_cli_fail(a->name, &ctx, st, NC_CLI_AT_WORK);
    int b = o->batch < m.samples ? o->batch : m.samples;
    double sps = m.ms_median > 0 ? 1e3 * b / m.ms_median : 0;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j && (!cJSON_AddStringToObject(j, "file", a->file) ||
                  !cJSON_AddStringToObject(j, "sha256", sha) ||
                  !cJSON_AddStringToObject(j, "dataset", o->dataset) ||
                  !cJSON_AddNumberToObject(j, "samples", m.samples) ||
                  !cJSON_AddNumberToObject(j, "accuracy", m.accuracy) ||
                  !cJSON_AddNumberToObject(j, "loss", m.loss) ||
                  !cJSON_AddNumberToObject(j, "batch", b) ||
                  !cJSON_AddNumberToObject(j, "threads", o->threads) ||
                  !cJSON_AddNumberToObject(j, "repeats", o->repeats) ||
                  !cJSON_AddNumberToObject(j, "latency_ms", m.ms_median) ||
                  !cJSON_AddNumberToObject(j, "latency_ms_min", m.ms_min) ||
                  !cJSON_AddNumberToObject(j, "latency_ms_max", m.ms_max) ||
                  !cJSON_AddNumberToObject(j, "samples_per_s", sps))) {
            cJSON_Delete(j);
            j = NULL;
        }
        return nc_cli_print_json(j);
    }
    printf("model        %s (sha256 %.16s...)\n", a->file, sha);
    printf("data         %s test split, %d samples\n", o->dataset, m.samples);
    printf("accuracy     %.2f%%\n", 100.0 * m.accuracy);
    printf("loss         %.4f\n", m.loss);
    printf("latency      %.3f ms per batch of %d (median of %d; min %.3f, "
           "max %.3f), %d thread%s\n", m.ms_median, b, o->repeats, m.ms_min,
           m.ms_max, o->threads, o->threads == 1 ? "" : "s");
    printf("throughput   %.0f samples/s\n", sps);
    return nc_cli_flush();
}

const nc_cli_cmd nc_cli_cmd_infer = {
    .name = "infer", .usage = "FILE [OPTIONS]",
    .summary = "accuracy and latency of a .nasc model file",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_JSON | NC_CLI_FILE,
    .opts = &OPTS, .size = sizeof(opts), .threads_opt = "--threads",
    .run = run,
};
