/*
 * proxies_nb201 — zero-cost proxies on random NAS-Bench-201 cells (C=16,
 * N=5, 3x32x32, 10 classes): time per architecture and Spearman rho with
 * cifar10_test from the benchmark table. Data-free proxies only (params,
 * flops, synflow), so no images are needed. Degenerate nets (score -inf)
 * are ranked below every finite score, tied among themselves.
 *
 *     build/bench/proxies_nb201 [--seed-offset K] [csv] [archs] [seed] [threads]
 *     (defaults: 0 ../shared/data/nb201/nb201.csv 300 1 1)
 *
 * --seed-offset K uses seed + K for the sample and the nets
 * (bench/util/seed_offset.h).
 *
 * Second mode: rank agreement of a `nasc proxies` CSV (any columns, NB201
 * official index in the first) with cifar10_test, one table row per score
 * column: Spearman rho and Kendall tau over every row, degenerate (-inf)
 * scores placed below every finite score of their column
 * (nc_proxy_floor_degenerate) and tied; and rho over the rows whose
 * flags field is empty (no proxy degenerate: the connected cells), the
 * same rows for every column, ensembles included, for comparison.
 *
 *     build/bench/proxies_nb201 --scores scores.csv [csv]
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "predictors/proxy.h"
#include "predictors/proxy_ensemble.h"
#include "predictors/rank.h"
#include "campaign/table.h"
#include "supernet/space.h"
#include "bench/util/seed_offset.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

enum { MAX_COLS = 32, LINE_MAX_ = 8192 };

/* Reads the scores CSV and prints the table of the second mode. */
static int score_file(const char *path, const char *csv)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *sp = nc_space_nb201();
    nc_table *t;
    if (nc_table_load(&ctx, csv, "cifar10_test", NULL, sp, &t)) {
        fprintf(stderr, "proxies_nb201: %s\n", ctx.msg);
        return 1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "proxies_nb201: cannot open %s\n", path);
        return 1;
    }
    static char line[LINE_MAX_];
    char *names[MAX_COLS];
    int nc = 0;
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "proxies_nb201: %s is empty\n", path);
        return 1;
    }
    line[strcspn(line, "\r\n")] = 0;
    /* index,arch,<scores...>,flags */
    char *tok = strtok(line, ",");
    for (int k = 0; tok; k++, tok = strtok(NULL, ","))
        if (k >= 2 && strcmp(tok, "flags") && nc < MAX_COLS)
            names[nc++] = strdup(tok);
    size_t n = 0, cap = 1024;
    double *acc = malloc(cap * sizeof *acc), *sc[MAX_COLS];
    unsigned char *clean = malloc(cap);
    for (int c = 0; c < nc; c++)
        sc[c] = malloc(cap * sizeof **sc);
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            acc = realloc(acc, cap * sizeof *acc);
            clean = realloc(clean, cap);
            for (int c = 0; c < nc; c++)
                sc[c] = realloc(sc[c], cap * sizeof **sc);
        }
        char *p = line, *end;
        long idx = strtol(p, &end, 10);
        nc_arch a;
        memset(&a, 0, sizeof a);
        sp->nth(sp, idx, &a);
        if (end == p || nc_table_lookup(&ctx, t, &a, &acc[n], NULL)) {
            fprintf(stderr, "proxies_nb201: %s: row %zu: no index\n", path,
                    n + 1);
            return 1;
        }
        p = strchr(end + 1, ',');   /* after arch */
        for (int c = 0; c < nc; c++) {
            sc[c][n] = strtod(p + 1, &end);
            p = end;
        }
        clean[n] = *p == ',' && (p[1] == '\n' || p[1] == '\r' || !p[1]);
        n++;
    }
    fclose(f);
    printf("%zu architectures from %s; degenerate = -inf, ranked below every "
           "finite score (tied)\n\n", n, path);
    size_t n_clean = 0;
    for (size_t i = 0; i < n; i++)
        n_clean += clean[i];
    printf("| score | Spearman rho | Kendall tau | degenerate | rho over the "
           "%zu connected |\n|---|---|---|---|---|\n", n_clean);
    double *tmp = malloc(n * sizeof *tmp), *acc2 = malloc(n * sizeof *acc2);
    for (int c = 0; c < nc; c++) {
        double rho, tau, rho2 = NAN;
        size_t m = 0, deg = 0;
        for (size_t i = 0; i < n; i++)
        {
            deg += !isfinite(sc[c][i]);
            if (clean[i]) {
                tmp[m] = sc[c][i];
                acc2[m++] = acc[i];
            }
        }
        if (m >= 2 && nc_rank_spearman(&ctx, tmp, acc2, m, &rho2))
            goto fail;
        if (nc_proxy_floor_degenerate(&ctx, sc[c], n, tmp) ||
            nc_rank_spearman(&ctx, tmp, acc, n, &rho) ||
            nc_rank_kendall(&ctx, tmp, acc, n, &tau))
            goto fail;
        printf("| %s | %.3f | %.3f | %zu | %.3f |\n", names[c], rho, tau, deg,
               rho2);
    }
    nc_table_free(t);
    return 0;
fail:
    fprintf(stderr, "proxies_nb201: %s\n", ctx.msg);
    return 1;
}

int main(int argc, char **argv)
{
    uint64_t off;
    if (nc_bench_seed_offset("proxies_nb201", &argc, argv, &off))
        return 2;
    if (argc > 2 && !strcmp(argv[1], "--scores"))
        return score_file(argv[2], argc > 3 ? argv[3]
                                            : "../shared/data/nb201/nb201.csv");
    const char *csv = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int n = argc > 2 ? atoi(argv[2]) : 300;
    uint64_t seed = (argc > 3 ? strtoull(argv[3], NULL, 10) : 1) + off;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    nc_blas_serial();
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
        if (y >= 0)
            nc_net_set_threads(net, threads);
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
           threads, 1e3 * tbuild / n);
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
