/*
 * proxies_nb201 — zero-cost proxies on random NAS-Bench-201 cells (C=16,
 * N=5, 3x32x32, 10 classes): time per architecture and Spearman rho with
 * cifar10_test from the benchmark table. Data-free proxies only (params,
 * flops, synflow), so no images are needed. Degenerate nets (score -inf)
 * are ranked below every finite score, tied among themselves.
 *
 *     build/bench/proxies_nb201 [csv] [archs] [seed] [threads]
 *     (defaults: ../shared/data/nb201/nb201.csv 300 1 1)
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "predictors/proxy.h"
#include "predictors/rank.h"
#include "search/table.h"
#include "supernet/space.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *csv = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int n = argc > 2 ? atoi(argv[2]) : 300;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    ctx.threads = argc > 4 ? atoi(argv[4]) : 1;
    nc_ctx_apply_threads(&ctx);
    const nc_space *sp = nc_space_nb201();
    nc_table *t;
    if (nc_table_load(&ctx, csv, "cifar10_test", NULL, sp, &t)) {
        fprintf(stderr, "proxies_nb201: %s\n", ctx.msg);
        return 1;
    }
    const char *names[] = { "params", "flops", "synflow" };
    enum { P = 3 };
    double *sc[P], *acc = malloc(n * sizeof *acc), tsec[P] = { 0 }, tbuild = 0;
    int degen[P] = { 0 };
    for (int p = 0; p < P; p++)
        sc[p] = malloc(n * sizeof **sc);
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
    for (int i = 0; i < n; i++) {
        nc_arch a;
        sp->sample(sp, &r, &a);
        if (nc_table_lookup(&ctx, t, &a, &acc[i], NULL))
            goto fail;
        double t0 = now();
        nc_net *net = nc_net_new();
        int x = nc_net_input(&ctx, net, (nc_shape){ 3, 32, 32 });
        int y = sp->build(sp, &ctx, net, x, &a, 10);
        if (y < 0 || nc_net_finalize(&ctx, net, y, 1))
            goto fail;
        tbuild += now() - t0;
        for (int p = 0; p < P; p++) {
            nc_proxy_result res;
            double t1 = now();
            if (nc_proxy_score(&ctx, names[p], net, NULL, seed, &res))
                goto fail;
            tsec[p] += now() - t1;
            sc[p][i] = res.score;
            degen[p] += (res.flags & NC_PROXY_DEGENERATE) != 0;
        }
        nc_net_free(net);
    }
    printf("NB201 C=16 N=5, 3x32x32, %d random cells (seed %llu), %d thread(s); "
           "build+finalize %.1f ms/arch\n\n", n, (unsigned long long)seed,
           ctx.threads, 1e3 * tbuild / n);
    printf("| proxy | Spearman rho vs cifar10_test | degenerate | ms/arch |\n");
    printf("|---|---|---|---|\n");
    for (int p = 0; p < P; p++) {
        /* Rank metrics refuse -inf: put degenerate nets below the rest. */
        double lo = INFINITY;
        for (int i = 0; i < n; i++)
            if (isfinite(sc[p][i]) && sc[p][i] < lo)
                lo = sc[p][i];
        for (int i = 0; i < n; i++)
            if (!isfinite(sc[p][i]))
                sc[p][i] = lo - 1 - fabs(lo);
        double rho;
        if (nc_rank_spearman(&ctx, sc[p], acc, (size_t)n, &rho))
            goto fail;
        printf("| %s | %.3f | %d | %.2f |\n", names[p], rho, degen[p],
               1e3 * tsec[p] / n);
    }
    nc_table_free(t);
    return 0;
fail:
    fprintf(stderr, "proxies_nb201: %s\n", ctx.msg);
    return 1;
}
