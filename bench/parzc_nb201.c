/*
 * parzc_nb201 — how well the parametric zero-cost proxy (predictors/parzc.h)
 * ranks NAS-Bench-201 cells it was not fitted on, against plain synflow on
 * the same cells. The protocol is bench/predictors_nb201.c's, so the
 * figures compare with that table: for seed s (1..seeds) the 15,625 cells
 * are shuffled by (s, NC_PURPOSE_SPLIT); the first n_train (20, 50, 100,
 * 200, 500; nested) are the fitting set, with cifar10_valid as the target,
 * and the next 1,000 after the first 500 are the test set, the same for
 * every n_train and method. Scores: Kendall tau-b and Spearman rho against
 * the test cells' cifar10_valid, mean ± std over seeds. Degenerate cells
 * (synflow -inf / every slot 0) score -inf under both and are put below
 * every finite score (nc_proxy_floor_degenerate) before the rank metrics,
 * as in results/proxies_nb201.md.
 *
 *     build/bench/parzc_nb201 --layers layers.csv [--opts k=v,...]
 *                             [--seed-offset K] [csv] [seeds] [threads] [out.md]
 *     (defaults: ../shared/data/nb201/nb201.csv 20 2 results/parzc_nb201.md)
 *
 * --layers: a `nasc proxies --all --layers` CSV (columns index, arch,
 * synflow, synflow_l0..synflow_l21), rows matched by index and checked
 * against arch. --opts overrides nc_parzc_defaults() for both forms: keys
 * steps, lr, temp, l2. --seed-offset K shuffles with seeds K+1..K+seeds
 * instead of 1..seeds (bench/util/seed_offset.h).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "predictors/parzc.h"
#include "predictors/proxy.h"
#include "predictors/proxy_ensemble.h"
#include "supernet/nb201.h"
#include "bench/util/seed_offset.h"
#include "bench/util/zc_csv.h"
#include "predictors/rank.h"
#include "campaign/table.h"
#include "supernet/space.h"

enum { N_ARCH = 15625, N_TEST = 1000, N_SIZES = 5, D = NC_NB201_SLOTS,
       MAX_SEEDS = 1000, N_METH = 4 };
static const int SIZES[N_SIZES] = { 20, 50, 100, 200, 500 };
/* Method 0 is plain synflow (no fit; one value per seed, repeated). */
static const char *METH_NAME[N_METH] = { "synflow (plain)", "ParZC lse",
                                         "ParZC share", "ParZC logshare" };

typedef struct bench {
    const double *s;          /* N_ARCH x D per-slot synflow, by index */
    const double *syn;        /* N_ARCH synflow, -inf if degenerate */
    const double *y;          /* cifar10_valid */
    nc_parzc_opts opts;
    int seeds;
    uint64_t seed_off;        /* --seed-offset: seed i is seed_off + i + 1 */
    double *res;              /* [meth][size][seed][0 tau, 1 rho] */
    double *wsum;             /* [form][size][seed][D]: fitted weights */
    double secs[N_METH][N_SIZES];
    int next, failed;
    char msg[NC_MSG_MAX + 64];
    pthread_mutex_t mu;
} bench;

static double *res_at(bench *b, int m, int s, int seed)
{
    return b->res + (((size_t)m * N_SIZES + (size_t)s) * (size_t)b->seeds +
                     (size_t)seed) * 2;
}

static double *w_at(bench *b, int form, int s, int seed)
{
    return b->wsum + (((size_t)form * N_SIZES + (size_t)s) * (size_t)b->seeds +
                      (size_t)seed) * D;
}

static nc_status rank_scores(nc_ctx *ctx, const double *truth, double *pred,
                             double *out)
{
    double *fl = malloc(sizeof *fl * N_TEST);
    if (!fl)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_status st = nc_proxy_floor_degenerate(ctx, pred, N_TEST, fl);
    if (!st)
        st = nc_rank_kendall(ctx, truth, fl, N_TEST, &out[0]);
    if (!st)
        st = nc_rank_spearman(ctx, truth, fl, N_TEST, &out[1]);
    free(fl);
    return st;
}

/* One job = (method, size) over all seeds. */
static void run_job(bench *b, int job)
{
    int m = job / N_SIZES, si = job % N_SIZES, n = SIZES[si];
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double *Str = malloc(sizeof *Str * (size_t)n * D);
    double *Ste = malloc(sizeof *Ste * N_TEST * D);
    double *ytr = malloc(sizeof *ytr * (size_t)n), *yte = malloc(sizeof *yte * N_TEST);
    double *pr = malloc(sizeof *pr * N_TEST);
    uint32_t *perm = malloc(sizeof *perm * N_ARCH);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int seed = 0; seed < b->seeds && !b->failed; seed++) {
        nc_rng r = nc_rng_make(b->seed_off + (uint64_t)seed + 1, NC_STREAM(NC_PURPOSE_SPLIT, 0));
        for (uint32_t i = 0; i < N_ARCH; i++)
            perm[i] = i;
        nc_rng_shuffle_u32(&r, perm, N_ARCH);
        for (int i = 0; i < n; i++) {
            memcpy(Str + (size_t)i * D, b->s + (size_t)perm[i] * D, sizeof *Str * D);
            ytr[i] = b->y[perm[i]];
        }
        for (int i = 0; i < N_TEST; i++) {
            uint32_t a = perm[SIZES[N_SIZES - 1] + i];
            memcpy(Ste + (size_t)i * D, b->s + (size_t)a * D, sizeof *Ste * D);
            yte[i] = b->y[a];
            pr[i] = b->syn[a];
        }
        nc_status st = NC_OK;
        nc_parzc *pz = NULL;
        if (m > 0) {
            nc_parzc_opts o = b->opts;
            o.form = (nc_parzc_form)(m - 1);
            st = nc_parzc_new(&ctx, D, &o, &pz);
            if (!st)
                st = nc_parzc_fit(&ctx, pz, Str, (size_t)n, D, ytr);
            if (!st)
                st = nc_parzc_score(&ctx, pz, Ste, N_TEST, D, pr);
            if (!st)
                memcpy(w_at(b, m - 1, si, seed), nc_parzc_weights(pz), sizeof(double) * D);
        }
        if (!st)
            st = rank_scores(&ctx, yte, pr, res_at(b, m, si, seed));
        nc_parzc_free(pz);
        if (st) {
            pthread_mutex_lock(&b->mu);
            b->failed = 1;
            snprintf(b->msg, sizeof b->msg, "%s n=%d seed=%llu: %s", METH_NAME[m],
                     n, (unsigned long long)(b->seed_off + (uint64_t)seed + 1), ctx.msg);
            pthread_mutex_unlock(&b->mu);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    b->secs[m][si] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    free(Str), free(Ste), free(ytr), free(yte), free(pr), free(perm);
}

static void *worker(void *arg)
{
    bench *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int k = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (k >= N_METH * N_SIZES)
            return NULL;
        /* Largest fits first, for balance. */
        int m = k % N_METH, si = N_SIZES - 1 - k / N_METH;
        run_job(b, m * N_SIZES + si);
    }
}

static void mean_std(const double *v, size_t stride, int n, double *m, double *sd)
{
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++)
        sum += v[(size_t)i * stride];
    *m = sum / n;
    for (int i = 0; i < n; i++)
        sq += (v[(size_t)i * stride] - *m) * (v[(size_t)i * stride] - *m);
    *sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

static void table(FILE *f, bench *b, int which)
{
    fprintf(f, "| method |");
    for (int s = 0; s < N_SIZES; s++)
        fprintf(f, " n=%d |", SIZES[s]);
    fprintf(f, "\n|---|");
    for (int s = 0; s < N_SIZES; s++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (int m = 0; m < N_METH; m++) {
        fprintf(f, "| %s |", METH_NAME[m]);
        for (int s = 0; s < N_SIZES; s++) {
            double mu, sd;
            mean_std(res_at(b, m, s, 0) + which, 2, b->seeds, &mu, &sd);
            fprintf(f, " %.3f ± %.3f |", mu, sd);
        }
        fprintf(f, "\n");
    }
    /* Paired: per seed, ParZC minus plain on the same test cells. */
    for (int m = 1; m < N_METH; m++) {
        fprintf(f, "| %s − plain (paired) |", METH_NAME[m]);
        for (int s = 0; s < N_SIZES; s++) {
            double d[MAX_SEEDS], mu, sd;
            for (int i = 0; i < b->seeds; i++)
                d[i] = res_at(b, m, s, i)[which] - res_at(b, 0, s, i)[which];
            mean_std(d, 1, b->seeds, &mu, &sd);
            fprintf(f, " %+.3f ± %.3f |", mu, sd);
        }
        fprintf(f, "\n");
    }
}

static const char *slot_name(int t, char *buf, size_t n)
{
    if (t == NC_NB201_SLOT_STEM)
        return "stem";
    if (t == NC_NB201_SLOT_RED1)
        return "reduction 1";
    if (t == NC_NB201_SLOT_RED2)
        return "reduction 2";
    if (t == NC_NB201_SLOT_HEAD)
        return "classifier";
    int k = t - NC_NB201_SLOT_EDGE0;
    static const char *EDGE[6] = { "0->1", "0->2", "1->2", "0->3", "1->3", "2->3" };
    snprintf(buf, n, "stage %d edge %d (%s)", k / 6, k % 6, EDGE[k % 6]);
    return buf;
}

/* Reads the --layers CSV into s (N_ARCH x D) and syn (N_ARCH); checks that
 * every index appears once, its arch matches, and the slots add up to
 * synflow. */
static int load_layers(const char *path, double *s, double *syn)
{
    char names[1 + D][32];
    const char *cols[1 + D];
    snprintf(names[0], sizeof names[0], "synflow");
    for (int t = 0; t < D; t++)
        snprintf(names[1 + t], sizeof names[0], "synflow_l%d", t);
    for (int c = 0; c < 1 + D; c++)
        cols[c] = names[c];
    double *v = malloc(sizeof *v * N_ARCH * (1 + D));
    if (!v || nc_bench_zc_columns(path, 1 + D, cols, v)) {
        fprintf(stderr, "%s: need index, arch, synflow, synflow_l0..l%d "
                "(made with --layers?)\n", path, D - 1);
        free(v);
        return 1;
    }
    int bad = 0, ndeg = 0;
    for (int k = 0; k < N_ARCH && !bad; k++) {
        const double *r = v + (size_t)k * (1 + D);
        syn[k] = r[0];
        double sum = 0;
        for (int t = 0; t < D; t++) {
            s[k * D + t] = r[1 + t];
            sum += s[k * D + t];
        }
        if (isinf(syn[k])) {
            ndeg++;
            bad = sum != 0;
        } else {
            bad = !(fabs(sum - syn[k]) <= 1e-9 * syn[k]);
        }
        if (bad)
            fprintf(stderr, "%s: index %d: slots sum to %.17g, synflow %.17g\n",
                    path, k, sum, syn[k]);
    }
    free(v);
    if (!bad)
        fprintf(stderr, "layers: %d cells, %d degenerate\n", N_ARCH, ndeg);
    return bad;
}

static int parse_opts(const char *arg, nc_parzc_opts *o)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", arg);
    for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return 1;
        *eq = 0;
        double v = strtod(eq + 1, NULL);
        if (!strcmp(tok, "steps"))
            o->steps = (int)v;
        else if (!strcmp(tok, "lr"))
            o->lr = v;
        else if (!strcmp(tok, "temp"))
            o->temp = v;
        else if (!strcmp(tok, "l2"))
            o->l2 = v;
        else
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *layers = NULL, *opt_arg = NULL;
    nc_parzc_opts po = nc_parzc_defaults();
    uint64_t off;
    if (nc_bench_seed_offset("parzc_nb201", &argc, argv, &off))
        return 2;
    while (argc > 2 && !strncmp(argv[1], "--", 2)) {
        if (!strcmp(argv[1], "--layers")) {
            layers = argv[2];
        } else if (!strcmp(argv[1], "--opts")) {
            opt_arg = argv[2];
            if (parse_opts(argv[2], &po)) {
                fprintf(stderr, "parzc_nb201: --opts %s: need key=value,... with "
                        "keys steps, lr, temp, l2\n", argv[2]);
                return 2;
            }
        } else {
            fprintf(stderr, "parzc_nb201: unknown option %s\n", argv[1]);
            return 2;
        }
        argc -= 2, argv += 2;
    }
    const char *path = argc > 1 ? argv[1] : "../shared/data/nb201/nb201.csv";
    int seeds = argc > 2 ? atoi(argv[2]) : 20;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    const char *outp = argc > 4 ? argv[4] : "results/parzc_nb201.md";
    if (!layers || seeds < 1 || seeds > MAX_SEEDS || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: parzc_nb201 --layers FILE [--opts k=v,...] "
                "[--seed-offset K] [csv] "
                "[seeds 1..%d] [threads 1..64] [out.md]\n", MAX_SEEDS);
        return 2;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_parzc *probe;
    if (nc_parzc_new(&ctx, D, &po, &probe)) {
        fprintf(stderr, "parzc_nb201: %s\n", ctx.msg);
        return 2;
    }
    nc_parzc_free(probe);
    const nc_space *sp = nc_space_nb201();
    nc_table *t;
    if (nc_table_load(&ctx, path, "cifar10_valid", NULL, sp, &t)) {
        fprintf(stderr, "parzc_nb201: %s\n", ctx.msg);
        return 1;
    }
    double *y = malloc(sizeof *y * N_ARCH), *s = malloc(sizeof *s * N_ARCH * D);
    double *syn = malloc(sizeof *syn * N_ARCH);
    bench b = { .s = s, .syn = syn, .y = y, .opts = po, .seeds = seeds,
                .seed_off = off };
    b.res = calloc((size_t)N_METH * N_SIZES * (size_t)seeds * 2, sizeof *b.res);
    b.wsum = calloc((size_t)(N_METH - 1) * N_SIZES * (size_t)seeds * D, sizeof *b.wsum);
    if (!y || !s || !syn || !b.res || !b.wsum) {
        fprintf(stderr, "parzc_nb201: out of memory\n");
        return 1;
    }
    for (int k = 0; k < N_ARCH; k++) {
        nc_arch a;
        sp->nth(sp, k, &a);
        if (nc_table_lookup(&ctx, t, &a, &y[k], NULL)) {
            fprintf(stderr, "parzc_nb201: %s\n", ctx.msg);
            return 1;
        }
    }
    nc_table_free(t);
    if (load_layers(layers, s, syn))
        return 1;
    pthread_mutex_init(&b.mu, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, &b);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (b.failed) {
        fprintf(stderr, "parzc_nb201: %s\n", b.msg);
        return 1;
    }
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    FILE *f = fopen(outp, "w");
    if (!f) {
        perror(outp);
        return 1;
    }
    fprintf(f, "<!-- parzc_nb201 --layers %s%s%s --seed-offset %llu %s %d %d %s -->\n\n",
            layers, opt_arg ? " --opts " : "", opt_arg ? opt_arg : "",
            (unsigned long long)off, path, seeds, threads, outp);
    fprintf(f, "Options: steps %d, lr %g, temp %g, l2 %g; %d seeds (%llu..%llu); "
            "%.1f s wall on %d threads.\n\n", po.steps, po.lr, po.temp, po.l2, seeds,
            (unsigned long long)off + 1, (unsigned long long)off + (unsigned long long)seeds,
            wall, threads);
    fprintf(f, "### Kendall tau-b (test: 1,000 cells per seed, cifar10_valid)\n\n");
    table(f, &b, 0);
    fprintf(f, "\n### Spearman rho\n\n");
    table(f, &b, 1);
    fprintf(f, "\n### Fit time (all seeds, seconds)\n\n| method |");
    for (int si = 0; si < N_SIZES; si++)
        fprintf(f, " n=%d |", SIZES[si]);
    fprintf(f, "\n|---|");
    for (int si = 0; si < N_SIZES; si++)
        fprintf(f, "---|");
    for (int m = 1; m < N_METH; m++) {
        fprintf(f, "\n| %s |", METH_NAME[m]);
        for (int si = 0; si < N_SIZES; si++)
            fprintf(f, " %.1f |", b.secs[m][si]);
    }
    fprintf(f, "\n\n### Fitted weights at n=%d (mean ± std over seeds)\n\n"
            "| slot | lse w | share w | logshare w |\n|---|---|---|---|\n", SIZES[N_SIZES - 1]);
    for (int l = 0; l < D; l++) {
        char nb[64];
        fprintf(f, "| %d %s |", l, slot_name(l, nb, sizeof nb));
        for (int form = 0; form < N_METH - 1; form++) {
            double mu, sd;
            mean_std(w_at(&b, form, N_SIZES - 1, 0) + l, D, seeds, &mu, &sd);
            fprintf(f, " %+.2f ± %.2f |", mu, sd);
        }
        fprintf(f, "\n");
    }
    fclose(f);
    fprintf(stderr, "wrote %s (%.1f s)\n", outp, wall);
    free(y), free(s), free(syn), free(b.res), free(b.wsum);
    return 0;
}
