/*
 * bench_nasc — throughput of nasc's built-in models, the twin of
 * bench/torch_bench.py: same models, batch, step definition and timing.
 *
 *     build/bench/bench_nasc --model cnn --mode train --threads 2 --repeats 5
 *
 * A training step is forward + cross-entropy + backward + SGD (Nesterov,
 * weight decay) on a fixed random batch; inference is an eval-mode forward.
 * Prints one JSON object: samples/s per repeat, the median, and the GFLOP/s
 * the median implies (2 FLOPs per forward MAC; a training step counted as 3
 * forward passes, the convention bench/torch_bench.py uses).
 *
 * --seed-offset K adds K to the seeds of the weights (1) and of the batch
 * (0) (bench/util/seed_offset.h); timings should not depend on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "core/net.h"
#include "core/optim.h"
#include "models/models.h"
#include "bench/util/seed_offset.h"

static const char *const NB201_BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_1x1~2|";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_nasc --model mlp|cnn|nb201 --mode train|infer "
            "[--threads T] [--batch B] [--steps S] [--warmup W] [--repeats R] "
            "[--seed-offset K]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *mode = "train";
    int threads = 1, batch = 128, steps = 0, warmup = 3, repeats = 5;
    uint64_t off;
    if (nc_bench_seed_offset("bench_nasc", &argc, argv, &off))
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atoi(v);
        else if (!strcmp(a, "--repeats")) repeats = atoi(v);
        else return usage();
        i++;
    }
    int train = !strcmp(mode, "train");
    if (!model || threads < 1 || batch < 1 || repeats < 1 || repeats > 100 ||
        (!train && strcmp(mode, "infer")))
        return usage();
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_blas_serial();
    nc_model_opts mo = nc_model_defaults();
    mo.threads = threads;
    int is_nb201 = !strcmp(model, "nb201");
    if (is_nb201)
        mo.in = (nc_shape){ 3, 32, 32 };
    nc_net *net;
    if (nc_model_build(&ctx, model, is_nb201 ? NB201_BEST : NULL, &mo, batch, &net)) {
        fprintf(stderr, "bench_nasc: %s\n", ctx.msg);
        return 1;
    }
    nc_net_init_params(net, 1 + off);
    size_t nx = (size_t)batch * nc_shape_size(mo.in);
    float *x = malloc(nx * sizeof(float));
    int32_t *y = malloc((size_t)batch * sizeof(int32_t));
    nc_rng r = nc_rng_make(off, NC_STREAM(NC_PURPOSE_DATA, 0));
    for (size_t i = 0; i < nx; i++)
        x[i] = nc_rng_normal(&r);
    for (int i = 0; i < batch; i++)
        y[i] = (int32_t)nc_rng_below(&r, (uint32_t)mo.n_classes);
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f, .nesterov = 1,
                        .weight_decay = 5e-4f };
    nc_optim *opt = nc_optim_new(&oc, nc_net_n_params(net));
    if (!x || !y || !opt)
        return 1;

#define STEP()                                                               \
    do {                                                                     \
        if (train) {                                                         \
            nc_net_zero_grad(net);                                           \
            nc_net_forward(&ctx, net, x, y, batch, 1, NULL);                 \
            nc_net_backward(&ctx, net);                                      \
            nc_optim_step_pool(opt, nc_net_pool(net), nc_net_params(net), nc_net_grads(net), 0.01f); \
        } else {                                                             \
            nc_net_forward(&ctx, net, x, NULL, batch, 0, NULL);              \
        }                                                                    \
    } while (0)

    for (int i = 0; i < warmup; i++)
        STEP();
    if (steps <= 0) {
        /* Calibrate to about 2 s per repeat, like torch_bench.py. */
        double t0 = now();
        int k = 0;
        while (now() - t0 < 0.5) {
            STEP();
            k++;
        }
        steps = (int)ceil(k * 2.0 / (now() - t0));
        if (steps < 1)
            steps = 1;
    }
    double sps[100];
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now();
        for (int i = 0; i < steps; i++)
            STEP();
        sps[rep] = (double)steps * batch / (now() - t0);
    }
    double sorted[100];
    memcpy(sorted, sps, sizeof(double) * repeats);
    qsort(sorted, repeats, sizeof(double), cmp_double);
    double med = repeats % 2 ? sorted[repeats / 2]
                             : 0.5 * (sorted[repeats / 2 - 1] + sorted[repeats / 2]);
    double macs = nc_net_macs(net);
    double gflops = med * 2.0 * macs * (train ? 3.0 : 1.0) / 1e9;
    printf("{\"framework\":\"nasc\",\"model\":\"%s\",\"mode\":\"%s\",\"threads\":%d,"
           "\"batch\":%d,\"steps\":%d,\"macs_per_sample\":%.0f,\"samples_per_s\":[",
           model, mode, threads, batch, steps, macs);
    for (int i = 0; i < repeats; i++)
        printf("%s%.1f", i ? "," : "", sps[i]);
    printf("],\"median_samples_per_s\":%.1f,\"gflops\":%.1f}\n", med, gflops);
    nc_optim_free(opt);
    nc_net_free(net);
    free(x);
    free(y);
    return 0;
}
