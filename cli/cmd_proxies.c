/*
 * cmd_proxies.c — `nasc proxies`: zero-cost proxy scores (predictors/proxy.h)
 * and their ensembles (predictors/proxy_ensemble.h) for a list of
 * architectures, written as CSV. The scoring itself, over --workers
 * threads, is predictors/proxy_batch.h's; every score is a function of
 * (arch, seed, data batch) alone, so the CSV is the same for any --workers.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pool.h"
#include "predictors/proxy.h"
#include "predictors/proxy_batch.h"
#include "predictors/proxy_ensemble.h"
#include "supernet/arch_list.h"
#include "supernet/nb201.h"
#include "supernet/space.h"

static const char CMD[] = "proxies";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with one JSON line: out, space, archs (how many), "
    "columns, dataset, batch (the largest data batch drawn), "
    "workers, seed, seconds (wall time of the scoring and "
    "ensembles), degenerate (count per column), layers (slot "
    "columns written: 22 with --layers, else 0)";

enum { MAX_COLS = 16, N_CLASSES = 10, MAX_BATCH = 1024,
       N_SLOTS = NC_NB201_SLOTS };

typedef struct opts {
    char space[32], proxy[512], dataset[32], mean_of[512];
    char archs[NC_PATH_MAX], data_dir[NC_PATH_MAX], out[NC_PATH_MAX];
    int all, sample, batch, c, n, workers, layers;
    uint64_t seed;
    int json;   /* --json, for the progress line and the summary */
} opts;

#define OFF(m) offsetof(opts, m)
static const nc_cfg_field FIELDS[] = {
    { .key = "proxy", .type = NC_CFG_STR, .off = OFF(proxy), .size = 512,
      .opt = "--proxy", .metavar = "LIST",
      .help = "comma-separated proxies and ensembles (required)" },
    { .key = "all", .type = NC_CFG_FLAG, .off = OFF(all), .opt = "--all",
      .opt_value = "1",
      .help = "every architecture of an enumerable space (NB201: all "
              "15,625, in official index order)" },
    { .key = "sample", .type = NC_CFG_INT, .off = OFF(sample), .lo = 1,
      .hi = NC_ARCH_LIST_MAX, .opt = "--sample", .metavar = "N",
      .help = "N distinct architectures drawn uniformly from --seed (the "
              "first N of one random permutation, so a larger N extends a "
              "smaller one)" },
    { .key = "archs", .type = NC_CFG_STR, .off = OFF(archs),
      .size = NC_PATH_MAX, .opt = "--archs", .metavar = "FILE",
      .help = "one architecture per line: its string form or, for NB201, "
              "its official index; blank lines and lines starting with '#' "
              "are skipped" },
    { .key = "space", .type = NC_CFG_STR, .off = OFF(space), .size = 32,
      .def_str = "nb201", .opt = "--space", .metavar = "NAME",
      .help = "search space" },
    { .key = "seed", .type = NC_CFG_SEED, .off = OFF(seed), .def = 1,
      .opt = "--seed", .metavar = "S",
      .help = "seeds the sample, the data batch and every net's "
              "initialization" },
    { .key = "dataset", .type = NC_CFG_STR, .off = OFF(dataset), .size = 32,
      .def_str = "fashion-mnist", .opt = "--dataset", .metavar = "NAME",
      .help = "data for the data-dependent proxies (snip, grasp, grad_norm, "
              "fisher, jacob_cov, naswot, gradsign): fashion-mnist "
              "(default), mnist, cifar10, cifar100 or noise. Images are drawn "
              "from the training split, zero-padded (black) to the net's "
              "input size (28x28 -> 32x32), grey channels repeated to 3, "
              "then normalized per channel with the mean and standard "
              "deviation of the padded training set. noise: N(0,1) pixels, "
              "labels uniform in 0..9." },
    { .key = "data_dir", .type = NC_CFG_STR, .off = OFF(data_dir),
      .size = NC_PATH_MAX, .opt = "--data-dir", .metavar = "DIR",
      .help = "where the data set is (default: its usual place)" },
    { .key = "batch", .type = NC_CFG_INT, .off = OFF(batch), .lo = 1,
      .hi = MAX_BATCH, .opt = "--batch", .metavar = "B",
      .help = "samples per data-dependent proxy (default: each proxy's "
              "reference batch, 64; naswot 128). The batches are nested: the "
              "first B of one draw." },
    { .key = "nb201_c", .type = NC_CFG_INT, .off = OFF(c), .lo = 1,
      .hi = 1024, .def = 16, .opt = "--nb201-c", .metavar = "C",
      .help = "NB201 first-stage width" },
    { .key = "nb201_n", .type = NC_CFG_INT, .off = OFF(n), .lo = 0,
      .hi = 100, .def = 5, .opt = "--nb201-n", .metavar = "N",
      .help = "NB201 cells per stage" },
    { .key = "workers", .type = NC_CFG_INT, .off = OFF(workers), .lo = 1,
      .hi = 1024, .opt = "--workers", .metavar = "W",
      .help = "worker threads, one architecture each at a time; the CSV "
              "does not depend on W" },
    { .key = "mean_rank_of", .type = NC_CFG_STR, .off = OFF(mean_of),
      .size = 512, .opt = "--mean-rank-of", .metavar = "LIST",
      .help = "the proxies mean_rank averages over (default: every listed "
              "proxy)" },
    { .key = "layers", .type = NC_CFG_FLAG, .off = OFF(layers),
      .opt = "--layers", .opt_value = "1",
      .help = "(nb201 only) also write synflow split by layer slot, columns "
              "synflow_l0..synflow_l21 after the proxies: 0 stem; 1 + 6s + e "
              "edge e of the cells of stage s (summed over the stage's "
              "cells); 19, 20 the reductions; 21 the classifier. They sum to "
              "synflow; a degenerate net's are its raw values (0), with "
              "'synflow_layers' in flags." },
    { .key = "out", .type = NC_CFG_STR, .off = OFF(out), .size = NC_PATH_MAX,
      .opt = "--out", .metavar = "FILE", .help = "the CSV to write (required)" },
};
#undef OFF
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

static void about(FILE *f)
{
    fprintf(f,
        "Scores architectures of a search space with zero-cost proxies: each\n"
        "architecture's stand-alone net (NB201: the benchmark's CIFAR network,\n"
        "input 3x32x32, 10 classes) is built, initialized from --seed and\n"
        "scored at initialization. Writes one CSV row per architecture, in list\n"
        "order: index (the official NB201 index; empty for spaces without\n"
        "one), arch, one column per proxy, flags. Higher scores predict better\n"
        "accuracy. A degenerate net (no path from input to logits: a\n"
        "disconnected NB201 cell) or a NaN value is written as -inf, so it\n"
        "sorts below every finite score, and its proxy is named in flags as\n"
        "'degenerate:NAME;NAME'. params and flops are never degenerate.\n"
        "Give exactly one of --all, --sample N and --archs FILE.\n"
        "\n"
        "Proxies: %s.\n"
        "Ensembles (over the scored set, rank based, so their values depend on\n"
        "the set): vote = Copeland count of the pairwise majority vote of\n"
        "synflow, jacob_cov and snip (Abdelfattah et al. 2021; those three are\n"
        "scored and written too if not listed); mean_rank = mean of per-proxy\n"
        "ranks (1 = worst) over --mean-rank-of, by default every listed proxy.\n",
        nc_proxy_names());
}

/* What to compute: the output columns (base proxies then ensembles in the
 * order given, vote's missing members appended to the base ones). */
typedef struct plan {
    int n_cols;
    const char *col[MAX_COLS];
    int is_ens[MAX_COLS];
    int n_base;                 /* columns 0..n_base-1 are base proxies */
    int base_batch[MAX_COLS];   /* samples for each base proxy (0: none) */
    int mean_of[MAX_COLS], n_mean_of;   /* base columns mean_rank uses */
    int vote_of[3];
    int need_x, n_max;
} plan;

/* What the options must say together; prints and returns the usage exit
 * code, 0 if they fit. */
static int check_args(const opts *o)
{
    if (!o->proxy[0])
        return nc_cli_usage(CMD, "missing --proxy LIST (known: %s; ensembles: "
                            "%s)", nc_proxy_names(), nc_proxy_ensemble_names());
    if (!o->out[0])
        return nc_cli_usage(CMD, "missing --out FILE (where to write the CSV)");
    if ((o->all != 0) + (o->sample != 0) + (o->archs[0] != 0) != 1)
        return nc_cli_usage(CMD, "give exactly one of --all, --sample N and "
                            "--archs FILE");
    return 0;
}

/* The column of that name, or -1. */
static int col_find(const plan *p, const char *name)
{
    for (int i = 0; i < p->n_cols; i++)
        if (!strcmp(p->col[i], name))
            return i;
    return -1;
}

/* Next comma-separated item of *s into buf; 0 at the end. */
static int next_item(const char **s, char *buf, size_t n)
{
    if (!**s)
        return 0;
    const char *e = strchr(*s, ',');
    size_t len = e ? (size_t)(e - *s) : strlen(*s);
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), *s);
    *s += len + (e != NULL);
    return 1;
}

/* Adds base proxy `name` as a column (before the ensembles); its name
 * points into the registry's static table. */
static void add_base(plan *p, const nc_proxy_info *info, int batch)
{
    int at = p->n_base++;
    memmove(&p->col[at + 1], &p->col[at], (p->n_cols - at) * sizeof p->col[0]);
    memmove(&p->is_ens[at + 1], &p->is_ens[at],
            (p->n_cols - at) * sizeof p->is_ens[0]);
    p->n_cols++;
    p->col[at] = info->name;
    p->is_ens[at] = 0;
    p->base_batch[at] = info->needs_x ? (batch ? batch : info->batch) : 0;
}

/* Turns --proxy and --mean-rank-of into the columns to compute; prints
 * and returns the usage exit code for an unknown, repeated or misplaced
 * name, 0 on success. */
static int make_plan(const opts *o, plan *p)
{
    memset(p, 0, sizeof *p);
    char item[64];
    const char *s = o->proxy;
    while (next_item(&s, item, sizeof item)) {
        const nc_proxy_info *info = nc_proxy_find(item);
        int ens = nc_proxy_is_ensemble(item);
        if (!info && !ens)
            return nc_cli_usage(CMD, "--proxy: unknown proxy '%s' (known: %s; "
                                "ensembles: %s)", item, nc_proxy_names(),
                                nc_proxy_ensemble_names());
        if (col_find(p, item) >= 0)
            return nc_cli_usage(CMD, "--proxy: '%s' is listed twice", item);
        if (p->n_cols >= MAX_COLS - 3)
            return nc_cli_usage(CMD, "--proxy: too many proxies");
        if (info) {
            add_base(p, info, o->batch);
        } else {
            p->col[p->n_cols] = !strcmp(item, "vote") ? "vote" : "mean_rank";
            p->is_ens[p->n_cols++] = 1;
        }
    }
    if (p->n_cols == 0)
        return nc_cli_usage(CMD, "--proxy: expected a list of proxies, got '%s'",
                            o->proxy);
    int listed_base = p->n_base;
    if (col_find(p, "vote") >= 0) {
        s = NC_PROXY_VOTE_MEMBERS;
        for (int m = 0; next_item(&s, item, sizeof item); m++) {
            if (col_find(p, item) < 0)
                add_base(p, nc_proxy_find(item), o->batch);
            p->vote_of[m] = col_find(p, item);
        }
    }
    if (col_find(p, "mean_rank") >= 0) {
        if (o->mean_of[0]) {
            s = o->mean_of;
            while (next_item(&s, item, sizeof item)) {
                int c = col_find(p, item);
                if (c < 0 || c >= p->n_base)
                    return nc_cli_usage(CMD, "--mean-rank-of: '%s' is not one "
                                        "of the proxies scored", item);
                for (int i = 0; i < p->n_mean_of; i++)
                    if (p->mean_of[i] == c)
                        return nc_cli_usage(CMD, "--mean-rank-of: '%s' is "
                                            "listed twice", item);
                p->mean_of[p->n_mean_of++] = c;
            }
        } else {
            for (int c = 0; c < listed_base; c++)
                p->mean_of[p->n_mean_of++] = c;
        }
        if (p->n_mean_of == 0)
            return nc_cli_usage(CMD, "--proxy: mean_rank needs proxies to "
                                "average over (list some, or give "
                                "--mean-rank-of)");
    } else if (o->mean_of[0]) {
        return nc_cli_usage(CMD, "--mean-rank-of without mean_rank in --proxy");
    }
    p->n_max = 1;
    for (int c = 0; c < p->n_base; c++) {
        const nc_proxy_info *info = nc_proxy_find(p->col[c]);
        p->need_x |= info->needs_x;
        if (p->base_batch[c] > p->n_max)
            p->n_max = p->base_batch[c];
    }
    return 0;
}

/* The architectures to score, in output order (supernet/arch_list.h), into
 * *out (the caller frees it). */
static nc_status list_archs(nc_ctx *ctx, const opts *o, const nc_space *sp,
                            nc_arch **out, int *n)
{
    nc_status st;
    if (o->archs[0])
        return nc_arch_list_read(ctx, sp, o->archs, out, n);
    if (o->all) {
        if ((st = nc_arch_list_all(ctx, sp, out, n)))
            nc_ctx_prefix(ctx, "--all");
        return st;
    }
    if ((st = nc_arch_list_sample(ctx, sp, o->sample, o->seed, out)))
        nc_ctx_prefix(ctx, "--sample");
    *n = o->sample;
    return st;
}

/* The scoring. */

/* The results, read by the ensembles, the CSV and the summary. */
typedef struct work {
    const opts *o;
    const plan *p;
    const nc_space *sp;
    const nc_arch *archs;
    int n;
    int batch;                        /* the largest data batch read */
    double *score;                    /* score[c * n + i] */
    unsigned *flags;                  /* flags[c * n + i], base columns */
    unsigned char *degen;             /* degen[c * n + i] */
    double *layer;                    /* --layers: layer[i * N_SLOTS + t] */
    unsigned *layer_flags;            /* --layers: per architecture */
    double t0, last;                  /* the progress line's clock */
} work;

/* The NB201 net at --nb201-c and --nb201-n (an nc_proxy_build_fn). */
static int build_nb201(void *user, nc_ctx *ctx, nc_net *net, int x,
                       const nc_arch *a, int n_classes)
{
    const opts *o = user;
    nc_nb201_arch b;
    memcpy(b.op, a->g, NC_NB201_N_EDGES);
    return nc_nb201_build(ctx, net, x, &b, o->c, o->n, n_classes);
}

/* The progress line on stderr, at most twice a second. */
static void progress(void *user, size_t done, size_t n)
{
    work *w = user;
    if (nc_cli_now() - w->last > 0.5) {
        w->last = nc_cli_now();
        fprintf(stderr, "\rnasc proxies: %zu/%zu architectures, %.0f s", done,
                n, w->last - w->t0);
    }
}

/* Scores every architecture with the base proxies (predictors/
 * proxy_batch.h) on the data batch, over --workers threads. */
static nc_status score_all(nc_ctx *ctx, work *w, nc_shape in)
{
    const opts *o = w->o;
    const plan *p = w->p;
    nc_proxy_data data = { 0 };
    float *bx[MAX_COLS] = { 0 };
    nc_proxy_batch batch[MAX_COLS];
    const nc_proxy_batch *bp[MAX_COLS] = { 0 };
    int classes = N_CLASSES;
    nc_status st = NC_OK;
    if (p->need_x) {
        st = nc_proxy_data_load(ctx, o->dataset,
                                o->data_dir[0] ? o->data_dir : NULL, in,
                                p->n_max, o->seed, &data);
        if (st)
            nc_ctx_prefix(ctx, "--dataset");
        classes = data.n_classes;
    }
    for (int c = 0; !st && c < p->n_base; c++) {
        if (!p->base_batch[c])
            continue;
        st = nc_proxy_data_batch(ctx, &data, p->base_batch[c], &bx[c],
                                 &batch[c]);
        bp[c] = &batch[c];
        if (p->base_batch[c] > w->batch)
            w->batch = p->base_batch[c];
    }
    nc_pool *pool = NULL;
    if (!st) {
        int nb201 = !strcmp(w->sp->name, "nb201");
        nc_proxy_job job = {
            .sp = w->sp, .archs = w->archs, .n = (size_t)w->n, .in = in,
            .n_classes = classes, .build = nb201 ? build_nb201 : NULL,
            .build_user = (void *)o, .proxies = p->col,
            .n_proxies = p->n_base, .data = bp, .seed = o->seed,
            .n_tags = o->layers ? N_SLOTS : 0,
            .progress = isatty(2) && !o->json ? progress : NULL,
            .progress_user = w };
        nc_proxy_job_out out = { w->score, w->flags, w->layer, w->layer_flags,
                                 NULL };
        w->t0 = nc_cli_now();
        pool = nc_pool_new(o->workers);
        st = nc_proxy_score_archs(ctx, &job, pool, &out);
        if (job.progress)
            fputc('\n', stderr);
    }
    for (int c = 0; !st && c < p->n_base; c++)
        for (int i = 0; i < w->n; i++) {
            size_t k = (size_t)c * w->n + i;
            w->degen[k] = (w->flags[k] & NC_PROXY_DEGENERATE)
                          || isinf(w->score[k]);
        }
    nc_pool_free(pool);
    for (int c = 0; c < MAX_COLS; c++)
        free(bx[c]);
    nc_proxy_data_free(&data);
    return st;
}

/* The ensembles, from the base columns, for the whole set. */
static nc_status ensembles(nc_ctx *ctx, work *w)
{
    const plan *p = w->p;
    for (int c = p->n_base; c < p->n_cols; c++) {
        const double *m[MAX_COLS];
        int k = 0;
        if (!strcmp(p->col[c], "vote"))
            for (; k < 3; k++)
                m[k] = w->score + (size_t)p->vote_of[k] * w->n;
        else
            for (; k < p->n_mean_of; k++)
                m[k] = w->score + (size_t)p->mean_of[k] * w->n;
        nc_status st = nc_proxy_ensemble(ctx, p->col[c], m, k, (size_t)w->n,
                                         w->score + (size_t)c * w->n);
        if (st)
            return st;
    }
    return NC_OK;
}

/* ",<score>": round-trip precision, infinities spelled as Python and
 * pandas read them. */
static void put_score(FILE *f, double v)
{
    if (isinf(v))
        fputs(v < 0 ? ",-inf" : ",inf", f);
    else
        fprintf(f, ",%.17g", v);
}

/* The CSV of the help text, rows in list order, the arch quoted if the
 * space's string form needs it. */
static nc_status write_csv(nc_ctx *ctx, const work *w, FILE *f)
{
    const plan *p = w->p;
    int nb201 = !strcmp(w->sp->name, "nb201");
    fputs("index,arch", f);
    for (int c = 0; c < p->n_cols; c++)
        fprintf(f, ",%s", p->col[c]);
    for (int t = 0; w->layer && t < N_SLOTS; t++)
        fprintf(f, ",synflow_l%d", t);
    fputs(",flags\n", f);
    for (int i = 0; i < w->n; i++) {
        char s[NC_ARCH_STR_MAX];
        w->sp->format(w->sp, &w->archs[i], s, sizeof s);
        if (nb201) {
            nc_nb201_arch b;
            memcpy(b.op, w->archs[i].g, NC_NB201_N_EDGES);
            fprintf(f, "%d,", nc_nb201_index(&b));
        } else {
            fputc(',', f);
        }
        if (strpbrk(s, ",\"\n")) {
            fputc('"', f);
            for (const char *q = s; *q; q++) {
                if (*q == '"')
                    fputc('"', f);
                fputc(*q, f);
            }
            fputc('"', f);
        } else {
            fputs(s, f);
        }
        for (int c = 0; c < p->n_cols; c++)
            put_score(f, w->score[(size_t)c * w->n + i]);
        for (int t = 0; w->layer && t < N_SLOTS; t++)
            put_score(f, w->layer[(size_t)i * N_SLOTS + t]);
        fputc(',', f);
        int first = 1;
        for (int c = 0; c < p->n_base; c++)
            if (w->degen[(size_t)c * w->n + i]) {
                fprintf(f, "%s%s", first ? "degenerate:" : ";", p->col[c]);
                first = 0;
            }
        if (w->layer && (w->layer_flags[i] & NC_PROXY_DEGENERATE))
            fprintf(f, "%ssynflow_layers", first ? "degenerate:" : ";");
        fputc('\n', f);
    }
    if (fflush(f) || ferror(f))
        return nc_fail(ctx, NC_ERR_IO, "cannot write %s", w->o->out);
    return NC_OK;
}

/* The summary on stdout (human, or --json); returns the exit code. */
static int print(const opts *o, const work *w, double secs)
{
    const plan *p = w->p;
    int degen[MAX_COLS] = { 0 };
    for (int c = 0; c < p->n_base; c++)
        for (int i = 0; i < w->n; i++)
            degen[c] += w->degen[(size_t)c * w->n + i];
    int batch = w->batch;
    const char *data = p->need_x ? o->dataset : "none";
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        if (j) {
            cJSON_AddStringToObject(j, "out", o->out);
            cJSON_AddStringToObject(j, "space", o->space);
            cJSON_AddNumberToObject(j, "archs", w->n);
            cJSON *cols = cJSON_AddArrayToObject(j, "columns");
            cJSON *dg = cJSON_CreateObject();
            for (int c = 0; c < p->n_cols; c++) {
                cJSON_AddItemToArray(cols, cJSON_CreateString(p->col[c]));
                cJSON_AddNumberToObject(dg, p->col[c], degen[c]);
            }
            cJSON_AddItemToObject(j, "degenerate", dg);
            cJSON_AddStringToObject(j, "dataset", data);
            cJSON_AddNumberToObject(j, "batch", batch);
            cJSON_AddNumberToObject(j, "workers", o->workers);
            cJSON_AddNumberToObject(j, "seed", (double)o->seed);
            cJSON_AddNumberToObject(j, "seconds", secs);
            cJSON_AddNumberToObject(j, "layers", w->layer ? N_SLOTS : 0);
        }
        return nc_cli_print_json(j);
    }
    printf("scored %d architectures of %s with %d column%s in %.1f s (%d "
           "worker%s, data %s), saved to %s\n", w->n, o->space, p->n_cols,
           p->n_cols == 1 ? "" : "s", secs, o->workers,
           o->workers == 1 ? "" : "s", data, o->out);
    for (int c = 0; c < p->n_base; c++)
        if (degen[c])
            printf("  %s: %d degenerate (written as -inf)\n", p->col[c],
                   degen[c]);
    return NC_EXIT_OK;
}

/* `nasc proxies`: options, architecture list, scores, ensembles, CSV; the
 * output file is opened before the work so that an unwritable path fails
 * at once. */
static int run(const nc_cli_args *a, void *opts_)
{
    opts *o = opts_;
    o->json = a->json;
    plan p;
    int r;
    if ((r = check_args(o)) || (r = make_plan(o, &p)))
        return r;
    const nc_space *sp = nc_space_find(o->space);
    if (!sp)
        return nc_cli_usage(CMD, "--space: unknown space '%s' (known: %s)",
                            o->space, nc_space_names());
    int nb201 = !strcmp(sp->name, "nb201");
    if ((nc_cli_given(a, "--nb201-c") || nc_cli_given(a, "--nb201-n")) &&
        !nb201)
        return nc_cli_usage(CMD, "--nb201-c and --nb201-n apply to --space "
                            "nb201 only");
    if (o->layers && !nb201)
        return nc_cli_usage(CMD, "--layers: space %s has no layer slots (only "
                            "nb201 does)", sp->name);
    nc_shape in = nb201 ? (nc_shape){ 3, 32, 32 } : (nc_shape){ 1, 28, 28 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_blas_serial();
    work w = { .o = o, .p = &p, .sp = sp };
    nc_arch *archs = NULL;
    FILE *f = NULL;
    nc_status st = list_archs(&ctx, o, sp, &archs, &w.n);
    w.archs = archs;
    if (!st && !(f = fopen(o->out, "w")))
        st = nc_fail(&ctx, NC_ERR_IO, "cannot write %s", o->out);
    if (!st) {
        size_t cells = (size_t)p.n_cols * w.n;
        w.score = malloc(cells * sizeof *w.score);
        w.flags = calloc(cells, sizeof *w.flags);
        w.degen = calloc(cells, 1);
        if (o->layers) {
            w.layer = calloc((size_t)w.n * N_SLOTS, sizeof *w.layer);
            w.layer_flags = calloc((size_t)w.n, sizeof *w.layer_flags);
        }
        if (!w.score || !w.flags || !w.degen
            || (o->layers && (!w.layer || !w.layer_flags)))
            st = nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
    }
    if (!st)
        st = score_all(&ctx, &w, in);
    if (!st)
        st = ensembles(&ctx, &w);
    double secs = nc_cli_now() - w.t0;
    if (!st)
        st = write_csv(&ctx, &w, f);
    if (f && fclose(f) && !st)
        st = nc_fail(&ctx, NC_ERR_IO, "cannot write %s", o->out);
    if (f && st)
        remove(o->out);   /* no half-written CSV left behind */
    r = st ? nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK) : print(o, &w, secs);
    free(archs);
    free(w.score);
    free(w.flags);
    free(w.degen);
    free(w.layer);
    free(w.layer_flags);
    return r;
}

const nc_cli_cmd nc_cli_cmd_proxies = {
    .name = "proxies",
    .usage = "--proxy LIST (--all | --sample N | --archs FILE) --out FILE\n"
             "                    [OPTIONS]",
    .summary = "score architectures with zero-cost proxies, as CSV",
    .about_fn = about, .json = JSON,
    .common = NC_CLI_JSON,
    .opts = &OPTS, .size = sizeof(opts),
    .threads_opt = "--workers", .run = run,
};
