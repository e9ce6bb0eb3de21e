/*
 * predictors_nb201 — how well the learned predictors (predictors/predictor.h)
 * rank NAS-Bench-201 architectures they were not trained on. For each seed
 * the 15,625 cells are shuffled (seed, NC_PURPOSE_SPLIT); the first n_train
 * are the training set (nested across n_train) and the next 1,000 the test
 * set, the same for every predictor. Each predictor is fitted on
 * cifar10_valid and scored by Kendall tau-b and Spearman rho between its
 * predictions and the true cifar10_valid of the test cells; the table gives
 * mean ± std over the seeds, with and without opts.rank_target, for two
 * encodings:
 *   onehot — the space's own encoding, 6 edges x 5 ops (30 features);
 *   path   — onehot plus a path encoding (BANANAS-style): one indicator per
 *            op sequence of each of the 4 input->output paths whose ops are
 *            all live (not `none`): 4 + 16 + 16 + 64 = 100 more features.
 *
 *     build/bench/predictors_nb201 [csv] [seeds] [threads] [out.md]
 *     (defaults: ../shared/data/nb201/nb201.csv 20 2 results/predictors_nb201.md)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "predictors/predictor.h"
#include "predictors/rank.h"
#include "search/table.h"
#include "supernet/nb201.h"

enum { N_ARCH = 15625, N_TEST = 1000, N_SIZES = 5, N_KINDS = 4, N_ENC = 2,
       D_ONEHOT = 30, D_PATH = 130, MAX_SEEDS = 1000, N_TGT = 2 };
static const char *TGT_NAME[N_TGT] = { "raw", "rank" };
static const int SIZES[N_SIZES] = { 20, 50, 100, 200, 500 };
static const char *ENC_NAME[N_ENC] = { "onehot", "path" };
static const int ENC_D[N_ENC] = { D_ONEHOT, D_PATH };

typedef struct bench {
    const double *X[N_ENC];   /* N_ARCH x d per encoding */
    const double *y;          /* cifar10_valid */
    int seeds;
    /* results[enc][kind][size][seed][0 tau, 1 rho] */
    double *res;
    double secs[N_TGT][N_ENC][N_KINDS][N_SIZES];
    int next, failed;
    char msg[NC_MSG_MAX + 64];
    pthread_mutex_t mu;
} bench;

static double *res_at(bench *b, int tg, int e, int k, int s, int seed)
{
    return b->res + (((((size_t)tg * N_ENC + (size_t)e) * N_KINDS + (size_t)k) * N_SIZES + (size_t)s) *
                         (size_t)b->seeds + (size_t)seed) * 2;
}

/* Paths input (0) -> output (3) of the cell as edge lists (nb201.h order). */
static const int PATHS[4][3] = { { 3, -1, -1 }, { 0, 4, -1 }, { 1, 5, -1 }, { 0, 2, 5 } };
static const int PATH_LEN[4] = { 1, 2, 2, 3 };
static const int PATH_OFF[4] = { 0, 4, 20, 36 };

static void encode_path(const nc_space *sp, const nc_arch *a, double *f)
{
    float oh[D_ONEHOT];
    sp->encode(sp, a, oh);
    for (int j = 0; j < D_ONEHOT; j++)
        f[j] = oh[j];
    double *q = f + D_ONEHOT;
    memset(q, 0, sizeof *q * (D_PATH - D_ONEHOT));
    for (int p = 0; p < 4; p++) {
        int code = 0, live = 1;
        for (int t = 0; t < PATH_LEN[p]; t++) {
            int op = a->g[PATHS[p][t]];
            if (op == NC_NB201_NONE)
                live = 0;
            code = code * 4 + (op - 1);
        }
        if (live)
            q[PATH_OFF[p] + code] = 1;
    }
}

/* One job = (encoding, kind, size) over all seeds. */
static void run_job(bench *b, int job)
{
    int tg = job / (N_ENC * N_KINDS * N_SIZES);
    job %= N_ENC * N_KINDS * N_SIZES;
    int e = job / (N_KINDS * N_SIZES), k = (job / N_SIZES) % N_KINDS, s = job % N_SIZES;
    int d = ENC_D[e], n = SIZES[s];
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double *Xtr = malloc(sizeof *Xtr * (size_t)n * (size_t)d);
    double *Xte = malloc(sizeof *Xte * N_TEST * (size_t)d);
    double *ytr = malloc(sizeof *ytr * (size_t)n), *yte = malloc(sizeof *yte * N_TEST);
    double *pr = malloc(sizeof *pr * N_TEST);
    uint32_t *perm = malloc(sizeof *perm * N_ARCH);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int seed = 0; seed < b->seeds && !b->failed; seed++) {
        nc_rng r = nc_rng_make((uint64_t)seed + 1, NC_STREAM(NC_PURPOSE_SPLIT, 0));
        for (uint32_t i = 0; i < N_ARCH; i++)
            perm[i] = i;
        nc_rng_shuffle_u32(&r, perm, N_ARCH);
        for (int i = 0; i < n; i++) {
            memcpy(Xtr + (size_t)i * d, b->X[e] + (size_t)perm[i] * d, sizeof *Xtr * d);
            ytr[i] = b->y[perm[i]];
        }
        /* Test cells follow the largest training set, so the test set is
         * the same for every n_train of a seed. */
        for (int i = 0; i < N_TEST; i++) {
            uint32_t a = perm[SIZES[N_SIZES - 1] + i];
            memcpy(Xte + (size_t)i * d, b->X[e] + (size_t)a * d, sizeof *Xte * d);
            yte[i] = b->y[a];
        }
        nc_predictor_opts o = nc_predictor_defaults((nc_predictor_kind)k);
        o.seed = (uint64_t)seed + 1;
        o.rank_target = tg;
        nc_predictor *p = NULL;
        double *out = res_at(b, tg, e, k, s, seed);
        if (nc_predictor_new(&ctx, (nc_predictor_kind)k, &o, &p) ||
            nc_predictor_fit(&ctx, p, Xtr, (size_t)n, d, ytr) ||
            nc_predictor_predict(&ctx, p, Xte, N_TEST, d, pr) ||
            nc_rank_kendall(&ctx, yte, pr, N_TEST, &out[0]) ||
            nc_rank_spearman(&ctx, yte, pr, N_TEST, &out[1])) {
            pthread_mutex_lock(&b->mu);
            b->failed = 1;
            snprintf(b->msg, sizeof b->msg, "%s/%s n=%d seed=%d: %s",
                     nc_predictor_name((nc_predictor_kind)k), ENC_NAME[e], n,
                     seed + 1, ctx.msg);
            pthread_mutex_unlock(&b->mu);
        }
        nc_predictor_free(p);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    b->secs[tg][e][k][s] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    free(Xtr), free(Xte), free(ytr), free(yte), free(pr), free(perm);
}

static void *worker(void *arg)
{
    bench *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int job = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (job >= N_TGT * N_ENC * N_KINDS * N_SIZES)
            return NULL;
        run_job(b, job);
        fprintf(stderr, "job %d done\n", job);
    }
}

static void mean_std(bench *b, int tg, int e, int k, int s, int which, double *m, double *sd)
{
    double sum = 0, sq = 0;
    for (int i = 0; i < b->seeds; i++)
        sum += res_at(b, tg, e, k, s, i)[which];
    *m = sum / b->seeds;
    for (int i = 0; i < b->seeds; i++) {
        double v = res_at(b, tg, e, k, s, i)[which] - *m;
        sq += v * v;
    }
    *sd = b->seeds > 1 ? sqrt(sq / (b->seeds - 1)) : 0;
}

static void table(FILE *f, bench *b, int which)
{
    fprintf(f, "| predictor | encoding | target |");
    for (int s = 0; s < N_SIZES; s++)
        fprintf(f, " n=%d |", SIZES[s]);
    fprintf(f, "\n|---|---|---|");
    for (int s = 0; s < N_SIZES; s++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (int k = 0; k < N_KINDS; k++)
        for (int tg = 0; tg < N_TGT; tg++)
        for (int e = 0; e < N_ENC; e++) {
            fprintf(f, "| %s | %s | %s |", nc_predictor_name((nc_predictor_kind)k),
                    ENC_NAME[e], TGT_NAME[tg]);
            for (int s = 0; s < N_SIZES; s++) {
                double m, sd;
                mean_std(b, tg, e, k, s, which, &m, &sd);
                fprintf(f, " %.3f ± %.3f |", m, sd);
            }
            fprintf(f, "\n");
        }
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int seeds = argc > 2 ? atoi(argv[2]) : 20;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    const char *outp = argc > 4 ? argv[4] : "results/predictors_nb201.md";
    if (seeds < 1 || seeds > MAX_SEEDS || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: predictors_nb201 [csv] [seeds 1..%d] [threads 1..64] [out.md]\n",
                MAX_SEEDS);
        return 2;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_ctx_apply_threads(&ctx);
    const nc_space *sp = nc_space_nb201();
    nc_table *t;
    if (nc_table_load(&ctx, path, "cifar10_valid", NULL, sp, &t)) {
        fprintf(stderr, "predictors_nb201: %s\n", ctx.msg);
        return 1;
    }
    double *y = malloc(sizeof *y * N_ARCH);
    double *X0 = malloc(sizeof *X0 * N_ARCH * D_ONEHOT);
    double *X1 = malloc(sizeof *X1 * N_ARCH * D_PATH);
    bench b = { .X = { X0, X1 }, .y = y, .seeds = seeds };
    b.res = calloc((size_t)N_TGT * N_ENC * N_KINDS * N_SIZES * (size_t)seeds * 2, sizeof *b.res);
    if (!y || !X0 || !X1 || !b.res) {
        fprintf(stderr, "predictors_nb201: out of memory\n");
        return 1;
    }
    for (int k = 0; k < N_ARCH; k++) {
        nc_arch a;
        sp->nth(sp, k, &a);
        if (nc_table_lookup(&ctx, t, &a, &y[k], NULL)) {
            fprintf(stderr, "predictors_nb201: %s\n", ctx.msg);
            return 1;
        }
        encode_path(sp, &a, X1 + (size_t)k * D_PATH);
        memcpy(X0 + (size_t)k * D_ONEHOT, X1 + (size_t)k * D_PATH, sizeof *X0 * D_ONEHOT);
    }
    nc_table_free(t);
    pthread_mutex_init(&b.mu, NULL);
    pthread_t th[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, &b);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    if (b.failed) {
        fprintf(stderr, "predictors_nb201: %s\n", b.msg);
        return 1;
    }
    FILE *f = fopen(outp, "w");
    if (!f) {
        perror(outp);
        return 1;
    }
    fprintf(f, "# Learned predictors on NAS-Bench-201\n\n");
    fprintf(f, "Made with:\n\n    make build/bench/predictors_nb201 && "
               "build/bench/predictors_nb201 %s %d %d %s\n\n", path, seeds, threads, outp);
    fprintf(f, "Target cifar10_valid; %d seeds; per seed the 15,625 cells are shuffled, "
               "the first n_train train every predictor and the next %d are the test set "
               "(disjoint, the same for every predictor and n_train). Figures are "
               "mean ± std over seeds on the test set. Encodings: `onehot` = the space's "
               "6x5 one-hot (30 features); `path` = onehot + 100 live-path indicators "
               "(see bench/predictors_nb201.c). Targets: `raw` = fit cifar10_valid as is; `rank` = "
               "fit the normal scores of its ranks (opts.rank_target, the default). "
               "Otherwise nc_predictor_defaults().\n\n",
               seeds, N_TEST);
    fprintf(f, "## Kendall tau-b\n\n");
    table(f, &b, 0);
    fprintf(f, "\n## Spearman rho\n\n");
    table(f, &b, 1);
    fprintf(f, "\n## Wall time per cell (all seeds, seconds, %d threads shared)\n\n", threads);
    fprintf(f, "| predictor | encoding | target |");
    for (int s = 0; s < N_SIZES; s++)
        fprintf(f, " n=%d |", SIZES[s]);
    fprintf(f, "\n|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < N_KINDS; k++)
        for (int tg = 0; tg < N_TGT; tg++)
        for (int e = 0; e < N_ENC; e++) {
            fprintf(f, "| %s | %s | %s |", nc_predictor_name((nc_predictor_kind)k),
                    ENC_NAME[e], TGT_NAME[tg]);
            for (int s = 0; s < N_SIZES; s++)
                fprintf(f, " %.1f |", b.secs[tg][e][k][s]);
            fprintf(f, "\n");
        }
    fclose(f);
    free(y), free(X0), free(X1), free(b.res);
    return 0;
}
