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
 *     build/bench/predictors_nb201 [--proxies scores.csv] [--kinds ridge,gp,...]
 *                                  [--seed-offset K] [--xgb key=value,...]
 *                                  [--members gp,xgb,...]
 *                                  [csv] [seeds] [threads] [out.md]
 *     (defaults: ../shared/data/nb201/nb201.csv 20 2 results/predictors_nb201.md)
 *
 * --proxies reads a `nasc proxies --all` CSV (columns index, arch, synflow,
 * params, flops; each row matched to the cell by `index`, checked against
 * `arch`) and appends 3 zero-cost features to each encoding: log synflow,
 * log params, log flops. Degenerate cells (synflow "-inf", or 0) get log
 * synflow = (least finite log synflow) - 1, i.e. below every finite value.
 * The predictors standardize the features themselves. With --proxies only
 * the rank target is run and the encodings are onehot, onehot+zc, path,
 * path+zc (with and without the proxy features, same splits and seeds).
 * --extra FILE:col,... (with --proxies) appends more columns of another
 * `nasc proxies --all` CSV to the +zc encodings, as they are (e.g. naswot,
 * jacob_cov scored on a smaller net), degenerate values one below the
 * column's least finite.
 * --kinds restricts the predictor kinds (default: all five: ridge, gp, mlp,
 * ensemble, xgb). --seed-offset K runs seeds K+1..K+seeds instead of
 * 1..seeds (splits and model seeds; bench/util/seed_offset.h), for tuning on
 * splits that the reported tables do not use, or reporting on splits the
 * tuning did not see; --seed-base K, its earlier name, still works. --xgb overrides xgb options of nc_predictor_defaults(): keys
 * rounds, max_depth, eta, subsample, colsample, min_child_weight, lambda
 * (the xgb_ fields), e.g. --xgb rounds=500,eta=0.03. --members sets the
 * ensemble's members (default ridge,gp,mlp).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "predictors/predictor.h"
#include "predictors/rank.h"
#include "campaign/table.h"
#include "supernet/nb201.h"
#include "bench/util/seed_offset.h"
#include "bench/util/zc_csv.h"

enum { N_ARCH = 15625, N_TEST = 1000, N_SIZES = 5, N_KINDS = NC_PRED_N_KINDS, N_ENC = 4,
       D_ONEHOT = 30, D_PATH = 130, D_ZC3 = 3, D_EXTRA_MAX = 8, MAX_SEEDS = 1000,
       N_TGT = 2 };
/* Proxy features: the 3 of --proxies plus n_extra of --extra. */
static int n_extra, D_ZC = D_ZC3;
static char extra_col[D_EXTRA_MAX][64];
static const char *TGT_NAME[N_TGT] = { "raw", "rank" };
static const int SIZES[N_SIZES] = { 20, 50, 100, 200, 500 };
/* Encodings 2 and 3 are 0 and 1 plus the proxy features (--proxies). */
static const char *ENC_NAME[N_ENC] = { "onehot", "path", "onehot+zc", "path+zc" };
static int ENC_D[N_ENC] = { D_ONEHOT, D_PATH, D_ONEHOT + D_ZC3, D_PATH + D_ZC3 };
/* Which encodings / targets / kinds a run covers, in table order. */
static int enc_on[N_ENC] = { 1, 1, 0, 0 }, tgt_on[N_TGT] = { 1, 1 }, kind_on[N_KINDS];
/* --seed-offset (or --seed-base) and --xgb. */
static int seed_base;
static nc_predictor_opts xgb_over;
static char xgb_arg[256];
/* --members: the ensemble's members (n_members 0: the defaults). */
static int n_members;
static nc_predictor_kind members[NC_PRED_ENSEMBLE_MAX];
static char members_arg[256];
static const int ENC_ORDER[N_ENC] = { 0, 2, 1, 3 };

typedef struct bench {
    const double *X[N_ENC];   /* N_ARCH x d per encoding */
    const double *y;          /* cifar10_valid */
    int seeds;
    /* results[enc][kind][size][seed][0 tau, 1 rho] */
    double *res;
    double secs[N_TGT][N_ENC][N_KINDS][N_SIZES];
    int jobs[N_TGT * N_ENC * N_KINDS * N_SIZES], n_jobs;
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

/* The xgb_ fields of src into o (an xgb ensemble member sees them too). */
static void set_xgb(nc_predictor_opts *o, const nc_predictor_opts *src)
{
    o->xgb_rounds = src->xgb_rounds;
    o->xgb_max_depth = src->xgb_max_depth;
    o->xgb_eta = src->xgb_eta;
    o->xgb_subsample = src->xgb_subsample;
    o->xgb_colsample = src->xgb_colsample;
    o->xgb_min_child_weight = src->xgb_min_child_weight;
    o->xgb_lambda = src->xgb_lambda;
}

/* Parses --xgb key=value,... into o; 0 on success. */
static int parse_xgb(const char *arg, nc_predictor_opts *o)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", arg);
    for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '='), *end;
        if (!eq)
            return 1;
        *eq = 0;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end)
            return 1;
        int iv = v >= -1e9 && v <= 1e9 ? (int)v : -1; /* the library rejects -1 */
        if (!strcmp(tok, "rounds"))
            o->xgb_rounds = iv;
        else if (!strcmp(tok, "max_depth"))
            o->xgb_max_depth = iv;
        else if (!strcmp(tok, "eta"))
            o->xgb_eta = v;
        else if (!strcmp(tok, "subsample"))
            o->xgb_subsample = v;
        else if (!strcmp(tok, "colsample"))
            o->xgb_colsample = v;
        else if (!strcmp(tok, "min_child_weight"))
            o->xgb_min_child_weight = v;
        else if (!strcmp(tok, "lambda"))
            o->xgb_lambda = v;
        else
            return 1;
    }
    return 0;
}

/* One job = (encoding, kind, size) over all seeds. */
static void run_job(bench *b, int job)
{
    job = b->jobs[job];
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
        nc_rng r = nc_rng_make((uint64_t)(seed_base + seed) + 1, NC_STREAM(NC_PURPOSE_SPLIT, 0));
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
        set_xgb(&o, &xgb_over);
        if (n_members) {
            o.n_members = n_members;
            memcpy(o.members, members, sizeof members);
        }
        o.seed = (uint64_t)(seed_base + seed) + 1;
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
                     seed_base + seed + 1, ctx.msg);
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
        if (job >= b->n_jobs)
            return NULL;
        run_job(b, job);
        fprintf(stderr, "job %d done\n", job);
    }
}

/* A kind's name in the tables; the ensemble names its members if set. */
static const char *kind_label(int k)
{
    static char buf[300];
    if (k != NC_PRED_ENSEMBLE || !members_arg[0])
        return nc_predictor_name((nc_predictor_kind)k);
    snprintf(buf, sizeof buf, "ensemble(%s)", members_arg);
    return buf;
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
        for (int ei = 0; ei < N_ENC; ei++) {
            int e = ENC_ORDER[ei];
            if (!kind_on[k] || !tgt_on[tg] || !enc_on[e])
                continue;
            fprintf(f, "| %s | %s | %s |", kind_label(k), ENC_NAME[e], TGT_NAME[tg]);
            for (int s = 0; s < N_SIZES; s++) {
                double m, sd;
                mean_std(b, tg, e, k, s, which, &m, &sd);
                fprintf(f, " %.3f ± %.3f |", m, sd);
            }
            fprintf(f, "\n");
        }
}

/* Puts column col of zc (rows of D_ZC) that is not finite one below the
 * column's least finite value; returns that value, the count in *ndeg. */
static double floor_column(double *zc, int col, int *ndeg)
{
    double lo = INFINITY;
    *ndeg = 0;
    for (int k = 0; k < N_ARCH; k++)
        if (isfinite(zc[k * D_ZC + col]) && zc[k * D_ZC + col] < lo)
            lo = zc[k * D_ZC + col];
    for (int k = 0; k < N_ARCH; k++)
        if (!isfinite(zc[k * D_ZC + col]))
            zc[k * D_ZC + col] = lo - 1, (*ndeg)++;
    return lo - 1;
}

/* Reads the proxy CSV into zc (N_ARCH x D_ZC): log synflow, log params,
 * log flops; degenerate synflow (-inf or <= 0) -> least finite log - 1. */
static int load_proxies(const char *path, double *zc)
{
    static const char *const cols[D_ZC3] = { "synflow", "params", "flops" };
    double *v = malloc(sizeof *v * N_ARCH * D_ZC3);
    if (!v || nc_bench_zc_columns(path, D_ZC3, cols, v)) {
        free(v);
        return 1;
    }
    for (int k = 0; k < N_ARCH; k++) {
        double sf = v[k * D_ZC3], pa = v[k * D_ZC3 + 1], fl = v[k * D_ZC3 + 2];
        if (!(pa > 0) || !(fl > 0) || !isfinite(pa) || !isfinite(fl)) {
            fprintf(stderr, "%s: index %d: params/flops not positive\n", path, k);
            free(v);
            return 1;
        }
        zc[k * D_ZC + 0] = sf > 0 && isfinite(sf) ? log(sf) : -INFINITY;
        zc[k * D_ZC + 1] = log(pa);
        zc[k * D_ZC + 2] = log(fl);
    }
    free(v);
    int ndeg;
    double lo = floor_column(zc, 0, &ndeg);
    fprintf(stderr, "proxies: %d cells, %d degenerate (log synflow -> %.3f)\n", N_ARCH, ndeg, lo);
    return 0;
}

/* Appends the --extra columns of a `nasc proxies --all` CSV to zc (columns
 * 3..3+n_extra), as they are: naswot is already a log-determinant,
 * jacob_cov a sum of logs. Degenerate values (-inf) -> the column's least
 * finite - 1. */
static int load_extra(const char *path, double *zc)
{
    const char *cols[D_EXTRA_MAX];
    double *v = malloc(sizeof *v * N_ARCH * (size_t)n_extra);
    for (int j = 0; j < n_extra; j++)
        cols[j] = extra_col[j];
    if (!v || nc_bench_zc_columns(path, n_extra, cols, v)) {
        free(v);
        return 1;
    }
    for (int k = 0; k < N_ARCH; k++)
        for (int j = 0; j < n_extra; j++)
            zc[k * D_ZC + D_ZC3 + j] = v[k * n_extra + j];
    free(v);
    for (int j = 0; j < n_extra; j++) {
        int ndeg;
        double lo = floor_column(zc, D_ZC3 + j, &ndeg);
        fprintf(stderr, "extra %s: %d degenerate -> %.3f\n", extra_col[j], ndeg, lo);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *extra_path = NULL;
    const char *zc_path = NULL;
    for (int k = 0; k < N_KINDS; k++)
        kind_on[k] = 1;
    xgb_over = nc_predictor_defaults(NC_PRED_XGB);
    uint64_t off;
    if (nc_bench_seed_offset("predictors_nb201", &argc, argv, &off))
        return 2;
    if (off > 1000000) {
        fprintf(stderr, "predictors_nb201: --seed-offset %llu, need 0..1000000\n",
                (unsigned long long)off);
        return 2;
    }
    seed_base = (int)off;
    while (argc > 2 && !strncmp(argv[1], "--", 2)) {
        if (!strcmp(argv[1], "--proxies")) {
            zc_path = argv[2];
        } else if (!strcmp(argv[1], "--extra")) {
            static char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", argv[2]);
            char *colon = strrchr(tmp, ':');
            if (!colon) {
                fprintf(stderr, "predictors_nb201: --extra FILE:col,col\n");
                return 2;
            }
            *colon = 0;
            extra_path = tmp;
            for (char *tok = strtok(colon + 1, ","); tok; tok = strtok(NULL, ","))
                if (n_extra < D_EXTRA_MAX)
                    snprintf(extra_col[n_extra++], sizeof extra_col[0], "%s", tok);
            D_ZC = D_ZC3 + n_extra;
            ENC_D[2] = D_ONEHOT + D_ZC;
            ENC_D[3] = D_PATH + D_ZC;
        } else if (!strcmp(argv[1], "--seed-base")) {
            seed_base = atoi(argv[2]);
            if (seed_base < 0 || seed_base > 1000000) {
                fprintf(stderr, "predictors_nb201: --seed-base %s, need 0..1000000\n", argv[2]);
                return 2;
            }
        } else if (!strcmp(argv[1], "--members")) {
            nc_ctx c0;
            nc_ctx_init(&c0);
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s", argv[2]);
            snprintf(members_arg, sizeof members_arg, "%s", argv[2]);
            n_members = 0;
            for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
                nc_predictor_kind kk;
                if (n_members == NC_PRED_ENSEMBLE_MAX || nc_predictor_find(&c0, tok, &kk)) {
                    fprintf(stderr, "predictors_nb201: --members %s: %s\n", argv[2],
                            n_members == NC_PRED_ENSEMBLE_MAX ? "too many" : c0.msg);
                    return 2;
                }
                members[n_members++] = kk;
            }
        } else if (!strcmp(argv[1], "--xgb")) {
            if (parse_xgb(argv[2], &xgb_over)) {
                fprintf(stderr, "predictors_nb201: --xgb %s: need key=value,... with keys "
                        "rounds, max_depth, eta, subsample, colsample, min_child_weight, "
                        "lambda\n", argv[2]);
                return 2;
            }
            snprintf(xgb_arg, sizeof xgb_arg, "%s", argv[2]);
        } else if (!strcmp(argv[1], "--kinds")) {
            nc_ctx c0;
            nc_ctx_init(&c0);
            memset(kind_on, 0, sizeof kind_on);
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s", argv[2]);
            for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
                nc_predictor_kind kk;
                if (nc_predictor_find(&c0, tok, &kk)) {
                    fprintf(stderr, "predictors_nb201: %s\n", c0.msg);
                    return 2;
                }
                kind_on[kk] = 1;
            }
        } else {
            fprintf(stderr, "predictors_nb201: unknown option %s\n", argv[1]);
            return 2;
        }
        argc -= 2, argv += 2;
    }
    if (zc_path) {
        enc_on[2] = enc_on[3] = 1;
        tgt_on[0] = 0;
    }
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
    nc_blas_serial();
    const nc_space *sp = nc_space_nb201();
    nc_table *t;
    if (nc_table_load(&ctx, path, "cifar10_valid", NULL, sp, &t)) {
        fprintf(stderr, "predictors_nb201: %s\n", ctx.msg);
        return 1;
    }
    double *y = malloc(sizeof *y * N_ARCH);
    double *X0 = malloc(sizeof *X0 * N_ARCH * D_ONEHOT);
    double *X1 = malloc(sizeof *X1 * N_ARCH * D_PATH);
    double *X2 = malloc(sizeof *X2 * N_ARCH * (D_ONEHOT + D_ZC));
    double *X3 = malloc(sizeof *X3 * N_ARCH * (D_PATH + D_ZC));
    double *zc = calloc((size_t)N_ARCH * D_ZC, sizeof *zc);
    bench b = { .X = { X0, X1, X2, X3 }, .y = y, .seeds = seeds };
    b.res = calloc((size_t)N_TGT * N_ENC * N_KINDS * N_SIZES * (size_t)seeds * 2, sizeof *b.res);
    if (!y || !X0 || !X1 || !X2 || !X3 || !zc || !b.res) {
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
    if (zc_path && load_proxies(zc_path, zc))
        return 1;
    if (extra_path && (!zc_path || load_extra(extra_path, zc)))
        return 1;
    for (int k = 0; k < N_ARCH; k++) {
        double *r2 = X2 + (size_t)k * (D_ONEHOT + D_ZC), *r3 = X3 + (size_t)k * (D_PATH + D_ZC);
        memcpy(r2, X0 + (size_t)k * D_ONEHOT, sizeof *r2 * D_ONEHOT);
        memcpy(r2 + D_ONEHOT, zc + (size_t)k * D_ZC, sizeof *r2 * D_ZC);
        memcpy(r3, X1 + (size_t)k * D_PATH, sizeof *r3 * D_PATH);
        memcpy(r3 + D_PATH, zc + (size_t)k * D_ZC, sizeof *r3 * D_ZC);
    }
    /* Jobs in index order (tg, e, k, s), largest n_train first for balance. */
    for (int s = N_SIZES - 1; s >= 0; s--)
        for (int tg = 0; tg < N_TGT; tg++)
            for (int e = 0; e < N_ENC; e++)
                for (int k = 0; k < N_KINDS; k++)
                    if (tgt_on[tg] && enc_on[e] && kind_on[k])
                        b.jobs[b.n_jobs++] = ((tg * N_ENC + e) * N_KINDS + k) * N_SIZES + s;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    pthread_mutex_init(&b.mu, NULL);
    pthread_t th[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, &b);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    double wall = (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec);
    fprintf(stderr, "predictors_nb201: %d jobs in %.1f s wall\n", b.n_jobs, wall);
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
               "build/bench/predictors_nb201 ");
    if (zc_path)
        fprintf(f, "--proxies %s ", zc_path);
    if (extra_path) {
        fprintf(f, "--extra %s:", extra_path);
        for (int j = 0; j < n_extra; j++)
            fprintf(f, "%s%s", j ? "," : "", extra_col[j]);
        fprintf(f, " ");
    }
    int all = 1;
    for (int k = 0; k < N_KINDS; k++)
        all &= kind_on[k];
    if (seed_base)
        fprintf(f, "--seed-offset %d ", seed_base);
    if (xgb_arg[0])
        fprintf(f, "--xgb %s ", xgb_arg);
    if (members_arg[0])
        fprintf(f, "--members %s ", members_arg);
    if (!all) {
        fprintf(f, "--kinds ");
        for (int k = 0, first = 1; k < N_KINDS; k++)
            if (kind_on[k])
                fprintf(f, "%s%s", first ? "" : ",", nc_predictor_name((nc_predictor_kind)k)), first = 0;
        fprintf(f, " ");
    }
    fprintf(f, "%s %d %d %s\n\n(%d jobs, %.0f s wall.)\n\n", path, seeds, threads, outp, b.n_jobs, wall);
    fprintf(f, "Target cifar10_valid; %d seeds (%d..%d); per seed the 15,625 cells are shuffled, "
               "the first n_train train every predictor and the next %d are the test set "
               "(disjoint, the same for every predictor and n_train). Figures are "
               "mean ± std over seeds on the test set. Encodings: `onehot` = the space's "
               "6x5 one-hot (30 features); `path` = onehot + 100 live-path indicators "
               "(see bench/predictors_nb201.c); `+zc` = plus log synflow, log params, log flops "
               "from --proxies (degenerate cells: least finite log synflow - 1), then any "
               "--extra columns. Targets: `raw` = fit cifar10_valid as is; `rank` = "
               "fit the normal scores of its ranks (opts.rank_target, the default). "
               "Otherwise nc_predictor_defaults().\n\n",
               seeds, seed_base + 1, seed_base + seeds, N_TEST);
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
        for (int ei = 0; ei < N_ENC; ei++) {
            int e = ENC_ORDER[ei];
            if (!kind_on[k] || !tgt_on[tg] || !enc_on[e])
                continue;
            fprintf(f, "| %s | %s | %s |", kind_label(k), ENC_NAME[e], TGT_NAME[tg]);
            for (int s = 0; s < N_SIZES; s++)
                fprintf(f, " %.1f |", b.secs[tg][e][k][s]);
            fprintf(f, "\n");
        }
    fclose(f);
    free(y), free(X0), free(X1), free(X2), free(X3), free(zc), free(b.res);
    return 0;
}
