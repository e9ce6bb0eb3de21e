/*
 * search_predictive — predictor-guided search (search/predictive.c) vs
 * regularized evolution vs random search on the NAS-Bench-201 table, in one
 * run: each query looks up cifar10_valid (what the search selects on); the
 * figure reported is cifar10_test of the best-so-far-by-valid architecture
 * after 50, 100 and 150 queries, mean ± std over seeds 1..n (K+1..K+n with
 * --seed-offset K, bench/util/seed_offset.h). Every query
 * counts, as in bench/search_tabular.c (predictive search never proposes a
 * told architecture while an untold candidate remains; the others may).
 * Also prints the mean wall time of one predictive ask after the warm-up.
 *
 *     build/bench/search_predictive [--seed-offset K] [--zc scores.csv]
 *         [--pool P] [--ucb B] [--evo P,S] [csv] [seeds]
 *         [predictor] [init] [candidates] [parents] [mutations] [random_frac]
 *     (defaults: offset 0, ../shared/data/nb201/nb201.csv 100, then the
 *      strategy's defaults: ridge 20 200 10 2 0.1)
 *
 * --evo P,S sets regularized evolution's population and tournament sample
 * (default the strategy's, 10,3), so that evolution tuned on one seed set
 * can be compared with predictive search tuned on the same set.
 *
 * --zc adds three rows of predictive search with zero-cost help (cfg.zc_pool
 * = P, default 1000, and/or cfg.zc_feature), scoring architectures by the
 * synflow column of a `nasc proxies --all` CSV (looked up by the official
 * index; "-inf" for degenerate cells), the same scores the campaign's
 * scorer (campaign/zc.c) computes on the C=16, N=5 net for 3x32x32 inputs.
 *
 * --ucb B adds two rows: predictive search with the GP ranking candidates
 * by its mean, and by mean + B * posterior deviation (cfg.ucb_beta).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>

#include "predictors/predictor.h"
#include "search/strategy.h"
#include "campaign/table.h"
#include "supernet/nb201.h"
#include "bench/util/seed_offset.h"
#include "bench/util/zc_csv.h"

enum { Q = 150, N_MARKS = 3, N_KINDS = 8, N_ARCH = 15625 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Synflow scores by official index, from a `nasc proxies --all` CSV. */
static double *load_zc(const char *path)
{
    static const char *const col[1] = { "synflow" };
    double *v = malloc(N_ARCH * sizeof *v);
    if (v && nc_bench_zc_columns(path, 1, col, v)) {
        free(v);
        return NULL;
    }
    return v;
}

/* nc_zc_fn over the loaded scores. */
static nc_status zc_lookup(void *user, nc_ctx *ctx, const nc_arch *a, size_t n,
                           double *score)
{
    const double *v = user;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        nc_nb201_arch b;
        memcpy(b.op, a[i].g, NC_NB201_N_EDGES);
        score[i] = v[nc_nb201_index(&b)];
    }
    return NC_OK;
}

/* One campaign of Q queries; rep[i] is the test accuracy of the
 * best-by-valid architecture after query i; *ask_s accumulates the time
 * spent in asks after the first `warm` trials. */
static int campaign(nc_ctx *ctx, const nc_table *t, const nc_space *sp,
                    nc_strategy_kind kind, const nc_strategy_cfg *cfg,
                    double *zc, double *rep, int warm, double *ask_s)
{
    nc_strategy *s;
    if (nc_strategy_new(ctx, kind, sp, cfg, &s))
        return -1;
    if (zc)
        nc_strategy_set_zc(s, zc_lookup, zc);
    double best_v = -INFINITY, best_t = 0;
    for (int i = 0; i < Q; i++) {
        nc_proposal p;
        double v, te, t0 = now_s();
        if (nc_strategy_ask(ctx, s, i, &p)) {
            nc_strategy_free(s);
            return -1;
        }
        if (i >= warm)
            *ask_s += now_s() - t0;
        if (nc_table_lookup(ctx, t, &p.arch, &v, &te) ||
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
    const char *zc_path = NULL;
    int pool = 1000;
    double ucb = 0;
    uint64_t off;
    if (nc_bench_seed_offset("search_predictive", &argc, argv, &off))
        return 2;
    nc_strategy_cfg ec = nc_strategy_defaults(NC_STRATEGY_EVOLUTION);
    while (argc > 2 && (!strcmp(argv[1], "--zc") || !strcmp(argv[1], "--pool") ||
                        !strcmp(argv[1], "--ucb") || !strcmp(argv[1], "--evo"))) {
        if (!strcmp(argv[1], "--zc")) {
            zc_path = argv[2];
        } else if (!strcmp(argv[1], "--ucb")) {
            ucb = atof(argv[2]);
        } else if (!strcmp(argv[1], "--evo")) {
            char tail;
            if (sscanf(argv[2], "%d,%d%c", &ec.population, &ec.sample, &tail) != 2 ||
                ec.population < 1 || ec.sample < 1) {
                fprintf(stderr, "search_predictive: --evo %s: need P,S (population, "
                                "sample), both >= 1\n", argv[2]);
                return 2;
            }
        } else {
            pool = atoi(argv[2]);
        }
        argc -= 2;
        argv += 2;
    }
    const char *path = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int seeds = argc > 2 ? atoi(argv[2]) : 100;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg pc = nc_strategy_defaults(NC_STRATEGY_PREDICTIVE);
    if (argc > 3) {
        nc_predictor_kind k;
        if (nc_predictor_find(&ctx, argv[3], &k)) {
            fprintf(stderr, "search_predictive: %s\n", ctx.msg);
            return 2;
        }
        pc.predictor = (int)k;
    }
    if (argc > 4)
        pc.init = atoi(argv[4]);
    if (argc > 5)
        pc.candidates = atoi(argv[5]);
    if (argc > 6)
        pc.parents = atoi(argv[6]);
    if (argc > 7)
        pc.mutations = atoi(argv[7]);
    if (argc > 8)
        pc.random_frac = atof(argv[8]);
    double *zc = NULL;
    if (zc_path && !(zc = load_zc(zc_path)))
        return 1;
    if (seeds < 1 || seeds > 100000) {
        fprintf(stderr, "usage: search_predictive [--seed-offset K] [--zc scores.csv] "
                        "[--pool P] [--ucb B] [--evo P,S] [csv] [seeds] [predictor] "
                        "[init] [candidates] [parents] [mutations] "
                        "[random_frac]\n");
        return 2;
    }
    const nc_space *sp = nc_space_find("nb201");
    nc_table *t;
    if (nc_table_load(&ctx, path, "cifar10_valid", "cifar10_test", sp, &t)) {
        fprintf(stderr, "search_predictive: %s\n", ctx.msg);
        return 1;
    }
    double opt_v, opt_t;
    nc_table_best(t, NULL, &opt_v, &opt_t);
    const int marks[N_MARKS] = { 50, 100, 150 };
    char zname[5][64];
    snprintf(zname[0], sizeof zname[0], "predictive + zc warm-up (pool %d)", pool);
    snprintf(zname[1], sizeof zname[1], "predictive + zc feature");
    snprintf(zname[2], sizeof zname[2], "predictive + zc warm-up + feature");
    snprintf(zname[3], sizeof zname[3], "predictive, gp (mean)");
    snprintf(zname[4], sizeof zname[4], "predictive, gp + UCB (beta %g)", ucb);
    const char *names[N_KINDS] = { "random", "evolution", "predictive",
                                   zname[0], zname[1], zname[2], zname[3], zname[4] };
    const nc_strategy_kind kinds[N_KINDS] = { NC_STRATEGY_RANDOM,
        NC_STRATEGY_EVOLUTION, NC_STRATEGY_PREDICTIVE, NC_STRATEGY_PREDICTIVE,
        NC_STRATEGY_PREDICTIVE, NC_STRATEGY_PREDICTIVE, NC_STRATEGY_PREDICTIVE,
        NC_STRATEGY_PREDICTIVE };
    double rep[Q], sum[N_KINDS][N_MARKS] = { { 0 } },
           sq[N_KINDS][N_MARKS] = { { 0 } }, ask_s = 0, t0 = now_s();
    for (int k = 0; k < N_KINDS; k++)
        for (int sd = 1; sd <= seeds; sd++) {
            if ((k >= 3 && k <= 5 && !zc) || (k >= 6 && !(ucb > 0)))
                break;
            nc_strategy_cfg cfg = k >= 2 ? pc : ec;
            cfg.seed = off + (uint64_t)sd;
            cfg.zc_pool = k == 3 || k == 5 ? pool : 0;
            cfg.zc_feature = k == 4 || k == 5;
            if (k >= 6) {
                cfg.predictor = NC_PRED_GP;
                cfg.ucb_beta = k == 7 ? ucb : 0;
            }
            double dummy = 0;
            if (campaign(&ctx, t, sp, kinds[k], &cfg, k >= 3 && k <= 5 ? zc : NULL, rep,
                         pc.init, k == 2 ? &ask_s : &dummy)) {
                fprintf(stderr, "search_predictive: %s\n", ctx.msg);
                return 1;
            }
            for (int m = 0; m < N_MARKS; m++) {
                double x = rep[marks[m] - 1];
                sum[k][m] += x;
                sq[k][m] += x * x;
            }
        }
    printf("NB201 CIFAR-10, select cifar10_valid, report cifar10_test; %d "
           "seeds", seeds);
    if (off)
        printf(" (%llu..%llu)", (unsigned long long)off + 1,
               (unsigned long long)off + (unsigned long long)seeds);
    printf("; evolution P=%d S=%d; predictive %s init %d candidates %d "
           "parents %d mutations %d random_frac %g\n", ec.population,
           ec.sample, nc_predictor_name((nc_predictor_kind)pc.predictor),
           pc.init, pc.candidates, pc.parents, pc.mutations, pc.random_frac);
    printf("table optimum by valid: valid %.3f test %.3f\n", opt_v, opt_t);
    printf("| strategy | %d queries | %d queries | %d queries |\n", marks[0],
           marks[1], marks[2]);
    printf("| --- | --- | --- | --- |\n");
    for (int k = 0; k < N_KINDS; k++) {
        if ((k >= 3 && k <= 5 && !zc) || (k >= 6 && !(ucb > 0)))
            continue;
        printf("| %s |", names[k]);
        for (int m = 0; m < N_MARKS; m++) {
            double mean = sum[k][m] / seeds;
            double var = seeds > 1 ? (sq[k][m] - seeds * mean * mean) / (seeds - 1)
                                   : 0;
            printf(" %.2f ± %.2f |", mean, sqrt(var > 0 ? var : 0));
        }
        printf("\n");
    }
    printf("predictive ask after the warm-up: %.2f ms mean; total %.1f s\n",
           1e3 * ask_s / ((double)seeds * (Q - pc.init)), now_s() - t0);
    nc_table_free(t);
    free(zc);
    return 0;
}
