/*
 * search_tabular — random search vs regularized evolution on the NAS-Bench-201
 * table: each query looks up cifar10_valid (what the search selects on); the
 * figure reported is cifar10_test of the best-so-far-by-valid architecture,
 * averaged over seeds 1..n_seeds. Every query counts, repeats included (a
 * repeated architecture is looked up again and still costs a query, as a
 * real evaluation would).
 *
 *     build/bench/search_tabular [--seed-offset K] [csv] [queries] [seeds]
 *                                [population] [sample]
 *     (defaults: 0 ../shared/data/nb201/nb201.csv 150 100 10 3)
 *
 * --seed-offset K runs seeds K+1..K+n_seeds (bench/util/seed_offset.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "search/strategy.h"
#include "campaign/table.h"
#include "bench/util/seed_offset.h"

enum { MAX_Q = 10000, N_MARKS = 3 };

/* One campaign; writes the test accuracy of the best-by-valid architecture
 * after each query into rep[0..q). */
static int campaign(nc_ctx *ctx, const nc_table *t, const nc_space *sp,
                    nc_strategy_kind kind, const nc_strategy_cfg *cfg, int q,
                    double *rep)
{
    nc_strategy *s;
    if (nc_strategy_new(ctx, kind, sp, cfg, &s))
        return -1;
    double best_v = -INFINITY, best_t = 0;
    for (int i = 0; i < q; i++) {
        nc_proposal p;
        double v, te;
        if (nc_strategy_ask(ctx, s, i, &p) ||
            nc_table_lookup(ctx, t, &p.arch, &v, &te) ||
            nc_strategy_tell(ctx, s, i, &p.arch, v)) {
            nc_strategy_free(s);
            return -1;
        }
        if (v > best_v) {
            best_v = v;
            best_t = te;
        }
        rep[i] = best_t;
    }
    nc_strategy_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t off;
    if (nc_bench_seed_offset("search_tabular", &argc, argv, &off))
        return 2;
    const char *path = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int q = argc > 2 ? atoi(argv[2]) : 150;
    int seeds = argc > 3 ? atoi(argv[3]) : 100;
    nc_strategy_cfg cfg = nc_strategy_defaults(NC_STRATEGY_EVOLUTION);
    if (argc > 4)
        cfg.population = atoi(argv[4]);
    if (argc > 5)
        cfg.sample = atoi(argv[5]);
    if (q < 1 || q > MAX_Q || seeds < 1 || seeds > 100000) {
        fprintf(stderr, "usage: search_tabular [--seed-offset K] [csv] [queries 1..%d] "
                        "[seeds] [population] [sample]\n", MAX_Q);
        return 2;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *sp = nc_space_find("nb201");
    nc_table *t;
    if (nc_table_load(&ctx, path, "cifar10_valid", "cifar10_test", sp, &t)) {
        fprintf(stderr, "search_tabular: %s\n", ctx.msg);
        return 1;
    }
    double opt_v, opt_t;
    nc_table_best(t, NULL, &opt_v, &opt_t);
    int marks[N_MARKS] = { q / 3, 2 * q / 3, q };
    const char *names[2] = { "random", "evolution" };
    nc_strategy_kind kinds[2] = { NC_STRATEGY_RANDOM, NC_STRATEGY_EVOLUTION };
    double *rep = malloc(sizeof(double) * (size_t)q);
    double sum[2][N_MARKS] = { { 0 } }, sq[2][N_MARKS] = { { 0 } };
    for (int k = 0; k < 2; k++)
        for (int sd = 1; sd <= seeds; sd++) {
            cfg.seed = off + (uint64_t)sd;
            if (campaign(&ctx, t, sp, kinds[k], &cfg, q, rep)) {
                fprintf(stderr, "search_tabular: %s\n", ctx.msg);
                return 1;
            }
            for (int m = 0; m < N_MARKS; m++) {
                double x = rep[marks[m] - 1];
                sum[k][m] += x;
                sq[k][m] += x * x;
            }
        }
    printf("NB201 CIFAR-10, select cifar10_valid, report cifar10_test; "
           "%d seeds", seeds);
    if (off)
        printf(" (%llu..%llu)", (unsigned long long)off + 1,
               (unsigned long long)off + (unsigned long long)seeds);
    printf("; evolution P=%d S=%d\n", cfg.population, cfg.sample);
    printf("table optimum by valid: valid %.3f test %.3f\n", opt_v, opt_t);
    printf("| strategy | %d queries | %d queries | %d queries |\n",
           marks[0], marks[1], marks[2]);
    printf("| --- | --- | --- | --- |\n");
    for (int k = 0; k < 2; k++) {
        printf("| %s |", names[k]);
        for (int m = 0; m < N_MARKS; m++) {
            double mean = sum[k][m] / seeds;
            double var = seeds > 1 ? (sq[k][m] - seeds * mean * mean) / (seeds - 1)
                                   : 0;
            printf(" %.2f ± %.2f |", mean, sqrt(var > 0 ? var : 0));
        }
        printf("\n");
    }
    free(rep);
    nc_table_free(t);
    return 0;
}
