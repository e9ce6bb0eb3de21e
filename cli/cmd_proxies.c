/*
 * cmd_proxies.c — `nasc proxies`: zero-cost proxy scores (predictors/proxy.h)
 * and their ensembles (predictors/proxy_ensemble.h) for a list of
 * architectures, written as CSV. Architectures are spread over a pool of
 * worker threads, one architecture at a time per worker, each with its own
 * context and a single-threaded net; every score is a function of (arch,
 * seed, data batch) alone, so the CSV is the same for any --workers.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/net.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "predictors/proxy.h"
#include "predictors/proxy_ensemble.h"
#include "supernet/nb201.h"
#include "supernet/space.h"

static const char CMD[] = "proxies";

enum {
    OPT_SPACE = 256, OPT_PROXY, OPT_ARCHS, OPT_ALL, OPT_SAMPLE, OPT_SEED,
    OPT_DATASET, OPT_DATA_DIR, OPT_BATCH, OPT_NB201_C, OPT_NB201_N,
    OPT_WORKERS, OPT_MEAN_RANK_OF, OPT_OUT, OPT_JSON, OPT_LAYERS
};

static const struct option LONGOPTS[] = {
    { "space", required_argument, NULL, OPT_SPACE },
    { "proxy", required_argument, NULL, OPT_PROXY },
    { "archs", required_argument, NULL, OPT_ARCHS },
    { "all", no_argument, NULL, OPT_ALL },
    { "sample", required_argument, NULL, OPT_SAMPLE },
    { "seed", required_argument, NULL, OPT_SEED },
    { "dataset", required_argument, NULL, OPT_DATASET },
    { "data-dir", required_argument, NULL, OPT_DATA_DIR },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "nb201-c", required_argument, NULL, OPT_NB201_C },
    { "nb201-n", required_argument, NULL, OPT_NB201_N },
    { "workers", required_argument, NULL, OPT_WORKERS },
    { "mean-rank-of", required_argument, NULL, OPT_MEAN_RANK_OF },
    { "out", required_argument, NULL, OPT_OUT },
    { "json", no_argument, NULL, OPT_JSON },
    { "layers", no_argument, NULL, OPT_LAYERS },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

enum { MAX_COLS = 16, N_CLASSES = 10, MAX_ARCHS = 10000000, MAX_BATCH = 1024,
       N_SLOTS = NC_NB201_SLOTS };

void nc_cli_proxies_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc proxies --proxy LIST (--all | --sample N | --archs FILE)\n"
        "                    --out FILE [OPTIONS]\n"
        "\n"
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
        "\n"
        "Proxies: %s.\n"
        "Ensembles (over the scored set, rank based, so their values depend on\n"
        "the set): vote = Copeland count of the pairwise majority vote of\n"
        "synflow, jacob_cov and snip (Abdelfattah et al. 2021; those three are\n"
        "scored and written too if not listed); mean_rank = mean of per-proxy\n"
        "ranks (1 = worst) over --mean-rank-of, by default every listed proxy.\n"
        "\n"
        "  --proxy LIST        comma-separated proxies and ensembles (required)\n"
        "  --all               every architecture of an enumerable space (NB201:\n"
        "                      all 15,625, in official index order)\n"
        "  --sample N          N distinct architectures drawn uniformly from\n"
        "                      --seed (the first N of one random permutation,\n"
        "                      so a larger N extends a smaller one)\n"
        "  --archs FILE        one architecture per line: its string form or,\n"
        "                      for NB201, its official index; blank lines and\n"
        "                      lines starting with '#' are skipped\n"
        "  --space NAME        search space (default nb201)\n"
        "  --seed S            seeds the sample, the data batch and every net's\n"
        "                      initialization (default 1)\n"
        "  --dataset NAME      data for the data-dependent proxies (snip, grasp,\n"
        "                      grad_norm, fisher, jacob_cov, naswot, gradsign):\n"
        "                      fashion-mnist (default), mnist, cifar10, cifar100\n"
        "                      or noise. Images are drawn from the training\n"
        "                      split, zero-padded (black) to the net's input\n"
        "                      size (28x28 -> 32x32), grey channels repeated to\n"
        "                      3, then normalized per channel with the mean and\n"
        "                      standard deviation of the padded training set.\n"
        "                      noise: N(0,1) pixels, labels uniform in 0..9.\n"
        "  --data-dir DIR      where the data set is (default: its usual place)\n"
        "  --batch B           samples per data-dependent proxy (default: each\n"
        "                      proxy's reference batch, 64; naswot 128). The\n"
        "                      batches are nested: the first B of one draw.\n"
        "  --nb201-c C         NB201 first-stage width (default 16)\n"
        "  --nb201-n N         NB201 cells per stage (default 5)\n"
        "  --workers W         worker threads, one architecture each at a time\n"
        "                      (default 1); the CSV does not depend on W\n"
        "  --mean-rank-of LIST the proxies mean_rank averages over\n"
        "  --layers            (nb201 only) also write synflow split by layer\n"
        "                      slot, columns synflow_l0..synflow_l21 after the\n"
        "                      proxies: 0 stem; 1 + 6s + e edge e of the cells\n"
        "                      of stage s (summed over the stage's cells); 19,\n"
        "                      20 the reductions; 21 the classifier. They sum\n"
        "                      to synflow; a degenerate net's are its raw\n"
        "                      values (0), with 'synflow_layers' in flags.\n"
        "  --out FILE          the CSV to write (required)\n"
        "  --json              end stdout with one JSON line: out, space,\n"
        "                      archs, columns, dataset, batch, workers, seed,\n"
        "                      seconds, degenerate (count per column), layers\n"
        "                      (slot columns written: 22 with --layers, else 0)\n"
        "  -h, --help          show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_proxy_names(), nc_cli_exit_codes_help);
}

typedef struct opts {
    char space[32], proxy[512], dataset[32], mean_of[512];
    const char *archs, *data_dir, *out;
    int all, sample, batch, c, n, workers, json, set_nb201, layers;
    uint64_t seed;
} opts;

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
    int need_x, need_igrad, n_max;
} plan;

static int parse_args(int argc, char **argv, opts *o, int *done)
{
    int ch, r = 0;
    *done = 0;
    optind = 0;
    opterr = 0;
    while (!r && (ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_SPACE:
            r = nc_cli_parse_str(CMD, "--space", optarg, o->space, sizeof o->space);
            break;
        case OPT_PROXY:
            r = nc_cli_parse_str(CMD, "--proxy", optarg, o->proxy, sizeof o->proxy);
            break;
        case OPT_MEAN_RANK_OF:
            r = nc_cli_parse_str(CMD, "--mean-rank-of", optarg, o->mean_of,
                                 sizeof o->mean_of);
            break;
        case OPT_DATASET:
            r = nc_cli_parse_str(CMD, "--dataset", optarg, o->dataset,
                                 sizeof o->dataset);
            break;
        case OPT_ARCHS: r = nc_cli_path_arg(CMD, "--archs", optarg, &o->archs); break;
        case OPT_DATA_DIR:
            r = nc_cli_path_arg(CMD, "--data-dir", optarg, &o->data_dir);
            break;
        case OPT_OUT: r = nc_cli_path_arg(CMD, "--out", optarg, &o->out); break;
        case OPT_ALL: o->all = 1; break;
        case OPT_SAMPLE:
            r = nc_cli_parse_int(CMD, "--sample", optarg, 1, MAX_ARCHS, &o->sample);
            break;
        case OPT_SEED: r = nc_cli_parse_u64(CMD, "--seed", optarg, &o->seed); break;
        case OPT_BATCH:
            r = nc_cli_parse_int(CMD, "--batch", optarg, 1, MAX_BATCH, &o->batch);
            break;
        case OPT_NB201_C:
            r = nc_cli_parse_int(CMD, "--nb201-c", optarg, 1, 1024, &o->c);
            o->set_nb201 = 1;
            break;
        case OPT_NB201_N:
            r = nc_cli_parse_int(CMD, "--nb201-n", optarg, 0, 100, &o->n);
            o->set_nb201 = 1;
            break;
        case OPT_WORKERS:
            r = nc_cli_parse_int(CMD, "--workers", optarg, 1, 1024, &o->workers);
            break;
        case OPT_JSON: o->json = 1; break;
        case OPT_LAYERS: o->layers = 1; break;
        case 'h':
            nc_cli_proxies_help(stdout);
            *done = 1;
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    if (r)
        return NC_EXIT_USAGE;
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->proxy[0])
        return nc_cli_usage(CMD, "missing --proxy LIST (known: %s; ensembles: "
                            "%s)", nc_proxy_names(), nc_proxy_ensemble_names());
    if (!o->out)
        return nc_cli_usage(CMD, "missing --out FILE (where to write the CSV)");
    if ((o->all != 0) + (o->sample != 0) + (o->archs != NULL) != 1)
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
        p->need_igrad |= info->needs_input_grad;
        if (p->base_batch[c] > p->n_max)
            p->n_max = p->base_batch[c];
    }
    return 0;
}

/* The architecture list. */

/* s without leading and trailing blanks (in place). */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* The architectures of --archs FILE into *out (the caller frees it). Bad
 * lines are NC_ERR_FORMAT naming file and line; NC_ERR_IO if unreadable. */
static nc_status read_archs(nc_ctx *ctx, const nc_space *sp, const char *path,
                            nc_arch **out, int *n_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "cannot open %s", path);
    int n = 0, cap = 0, line = 0;
    nc_arch *a = NULL;
    char buf[2 * NC_ARCH_STR_MAX];
    nc_status st = NC_OK;
    int64_t size = sp->size ? sp->size(sp) : 0;
    while (!st && fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: line too long", path, line);
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            nc_arch *b = cap <= MAX_ARCHS ? realloc(a, cap * sizeof *a) : NULL;
            if (!b) {
                st = nc_fail(ctx, NC_ERR_NOMEM, "%s: too many architectures",
                             path);
                break;
            }
            a = b;
        }
        memset(&a[n], 0, sizeof a[n]);
        char *end;
        long long k = strtoll(s, &end, 10);
        if (isdigit((unsigned char)*s) && *end == 0) {
            if (size <= 0)
                st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: space %s has no "
                             "index; give the architecture's string", path,
                             line, sp->name);
            else if (k < 0 || k >= size)
                st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: index %s is not in "
                             "0..%lld", path, line, s, (long long)size - 1);
            else
                sp->nth(sp, k, &a[n]);
        } else if (sp->parse(sp, ctx, s, &a[n])) {
            nc_ctx_prefix(ctx, "%s:%d", path, line);
            st = NC_ERR_FORMAT;
            ctx->status = st;
        }
        n++;
    }
    if (!st && ferror(f))
        st = nc_fail(ctx, NC_ERR_IO, "cannot read %s", path);
    if (!st && n == 0)
        st = nc_fail(ctx, NC_ERR_FORMAT, "%s: no architectures", path);
    fclose(f);
    if (st) {
        free(a);
        return st;
    }
    *out = a;
    *n_out = n;
    return NC_OK;
}

/* The architectures to score, in output order, into *out (the caller
 * frees it): --archs, --all (index order) or --sample (a prefix of one
 * permutation drawn from the seed, so the sample is without replacement for
 * an enumerable space; drawn independently, with replacement, otherwise). */
static nc_status list_archs(nc_ctx *ctx, const opts *o, const nc_space *sp,
                            nc_arch **out, int *n_out)
{
    if (o->archs)
        return read_archs(ctx, sp, o->archs, out, n_out);
    int64_t size = sp->size ? sp->size(sp) : 0;
    if (o->all && (size <= 0 || size > MAX_ARCHS))
        return nc_fail(ctx, NC_ERR_INVAL, "--all: space %s cannot be "
                       "enumerated; use --sample or --archs", sp->name);
    if (o->sample && size > 0 && o->sample > size)
        return nc_fail(ctx, NC_ERR_RANGE, "--sample: %d architectures, but "
                       "space %s has only %lld", o->sample, sp->name,
                       (long long)size);
    int n = o->all ? (int)size : o->sample;
    nc_arch *a = calloc((size_t)n, sizeof *a);
    uint32_t *perm = size > 0 && size <= MAX_ARCHS
                         ? malloc((size_t)size * sizeof *perm) : NULL;
    if (!a || (size > 0 && !perm)) {
        free(a);
        free(perm);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    if (perm) {
        for (int64_t k = 0; k < size; k++)
            perm[k] = (uint32_t)k;
        if (!o->all) {
            nc_rng r = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
            nc_rng_shuffle_u32(&r, perm, (uint32_t)size);
        }
        for (int i = 0; i < n; i++)
            sp->nth(sp, perm[i], &a[i]);
    } else {
        for (int i = 0; i < n; i++) {
            nc_rng r = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_SAMPLE, i));
            sp->sample(sp, &r, &a[i]);
        }
    }
    free(perm);
    *out = a;
    *n_out = n;
    return NC_OK;
}

/* The data batch. */

/* n samples of shape `in`, sample-major, with labels: the first n of one
 * permutation of the training split, padded, channel-repeated and
 * normalized as the help says; or noise. *classes gets the data set's. */
static nc_status make_samples(nc_ctx *ctx, const opts *o, nc_shape in, int n,
                              float *x, int32_t *y, int *classes)
{
    size_t per = (size_t)in.c * in.h * in.w;
    if (!strcmp(o->dataset, "noise")) {
        nc_rng r = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_DATA, 0));
        for (size_t k = 0; k < (size_t)n * per; k++)
            x[k] = nc_rng_normal(&r);
        nc_rng rl = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_DATA, 1));
        for (int i = 0; i < n; i++)
            y[i] = (int32_t)nc_rng_below(&rl, N_CLASSES);
        *classes = N_CLASSES;
        return NC_OK;
    }
    if (!nc_dataset_default_dir(o->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "--dataset: unknown data set '%s' "
                       "(known: fashion-mnist, mnist, cifar10, cifar100, "
                       "noise)", o->dataset);
    nc_dataset *ds;
    nc_status st = nc_dataset_load(ctx, o->dataset, o->data_dir,
                                   NC_SPLIT_TRAIN, &ds);
    if (st)
        return st;
    if ((ds->c != in.c && ds->c != 1) || ds->h > in.h || ds->w > in.w) {
        st = nc_fail(ctx, NC_ERR_INVAL, "--dataset: %s has %dx%dx%d images, "
                     "which do not fit the space's input %dx%dx%d (channels "
                     "must match or be 1, images at most the input size)",
                     o->dataset, ds->c, ds->h, ds->w, in.c, in.h, in.w);
    } else if (ds->n < n) {
        st = nc_fail(ctx, NC_ERR_INVAL, "--batch: %s has %d training images, "
                     "fewer than %d", o->dataset, ds->n, n);
    }
    float mean[NC_DATASET_MAX_CHANNELS], sd[NC_DATASET_MAX_CHANNELS];
    uint32_t *perm = st ? NULL : malloc((size_t)ds->n * sizeof *perm);
    if (!st && !perm)
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    if (st) {
        nc_dataset_free(ds);
        return st;
    }
    /* Statistics of the padded training set, from those of the unpadded
     * one: the padding adds zeros. */
    nc_dataset_stats(ds, mean, sd);
    double frac = (double)ds->h * ds->w / ((double)in.h * in.w);
    for (int c = 0; c < ds->c; c++) {
        double m = mean[c] * frac;
        double ex2 = ((double)sd[c] * sd[c] + (double)mean[c] * mean[c]) * frac;
        double v = ex2 - m * m;
        mean[c] = (float)m;
        sd[c] = v > 0 ? (float)sqrt(v) : 1.0f;
    }
    for (int i = 0; i < ds->n; i++)
        perm[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(o->seed, NC_STREAM(NC_PURPOSE_DATA, 0));
    nc_rng_shuffle_u32(&r, perm, (uint32_t)ds->n);
    int top = (in.h - ds->h) / 2, left = (in.w - ds->w) / 2;
    for (int i = 0; i < n; i++) {
        const float *src = ds->x + (size_t)perm[i] * ds->c * ds->h * ds->w;
        float *dst = x + (size_t)i * per;
        for (int c = 0; c < in.c; c++) {
            int sc = ds->c == 1 ? 0 : c;
            const float *s = src + (size_t)sc * ds->h * ds->w;
            for (int yy = 0; yy < in.h; yy++)
                for (int xx = 0; xx < in.w; xx++) {
                    int u = yy - top, v = xx - left;
                    float p = u >= 0 && u < ds->h && v >= 0 && v < ds->w
                                  ? s[u * ds->w + v] : 0.0f;
                    dst[((size_t)c * in.h + yy) * in.w + xx] =
                        (p - mean[sc]) / sd[sc];
                }
        }
        y[i] = ds->y[perm[i]];
    }
    *classes = ds->n_classes;
    free(perm);
    nc_dataset_free(ds);
    return NC_OK;
}

/* The work shared by the workers. */
typedef struct work {
    const opts *o;
    const plan *p;
    const nc_space *sp;
    nc_shape in;
    int classes;
    const nc_arch *archs;
    int n;
    nc_proxy_batch batch[MAX_COLS];   /* per base column; n 0 if unused */
    double *score;                    /* score[c * n + i] */
    unsigned char *degen;             /* degen[c * n + i] */
    double *layer;                    /* --layers: layer[i * N_SLOTS + t] */
    unsigned char *layer_degen;       /* --layers: per architecture */
    atomic_int next, stop, done;
    pthread_mutex_t mu;
    nc_ctx err;                       /* the first failure */
    int progress;                     /* draw a progress line */
    double t0;
} work;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* Builds architecture i's net and scores it with every base proxy. */
static nc_status score_one(nc_ctx *ctx, work *w, int i)
{
    const plan *p = w->p;
    const nc_arch *a = &w->archs[i];
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_status st = NC_OK;
    int x = nc_net_input(ctx, net, w->in);
    if (x >= 0 && p->need_igrad)
        st = nc_net_want_input_grad(ctx, net);
    int yout = -1;
    if (!st) {
        if (!strcmp(w->sp->name, "nb201")) {
            nc_nb201_arch b;
            memcpy(b.op, a->g, NC_NB201_N_EDGES);
            yout = nc_nb201_build(ctx, net, x, &b, w->o->c, w->o->n, w->classes);
        } else {
            yout = w->sp->build(w->sp, ctx, net, x, a, w->classes);
        }
        st = yout < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                      : nc_net_finalize(ctx, net, yout, p->n_max);
    }
    /* The split gives synflow's own result bit for bit (proxy.h), so a
     * synflow column reuses it instead of a second pass. */
    nc_proxy_result syn = { 0, 0, 0 };
    if (!st && w->layer) {
        st = nc_proxy_synflow_tags(ctx, net, w->o->seed, N_SLOTS,
                                   w->layer + (size_t)i * N_SLOTS, &syn);
        if (!st)
            w->layer_degen[i] = (syn.flags & NC_PROXY_DEGENERATE) != 0;
    }
    for (int c = 0; !st && c < p->n_base; c++) {
        nc_proxy_result r = syn;
        if (!w->layer || strcmp(p->col[c], "synflow"))
            st = nc_proxy_score(ctx, p->col[c], net,
                                w->batch[c].n ? &w->batch[c] : NULL,
                                w->o->seed, &r);
        if (!st) {
            w->score[(size_t)c * w->n + i] = r.score;
            w->degen[(size_t)c * w->n + i] =
                (r.flags & NC_PROXY_DEGENERATE) || isinf(r.score);
        }
    }
    nc_net_free(net);
    if (st) {
        char s[NC_ARCH_STR_MAX];
        w->sp->format(w->sp, a, s, sizeof s);
        nc_ctx_prefix(ctx, "%s", s);
    }
    return st;
}

/* One pool task: scores architectures taken from the shared counter until
 * none are left or another worker failed (its context is then kept in
 * w->err, first failure wins). Taking work dynamically balances cells of very
 * different cost; where a score lands depends only on its index. */
static void worker(void *arg, int task, int thread)
{
    (void)thread;
    work *w = arg;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double last = 0;
    int i;
    while (!atomic_load(&w->stop) && (i = atomic_fetch_add(&w->next, 1)) < w->n) {
        if (score_one(&ctx, w, i)) {
            pthread_mutex_lock(&w->mu);
            if (!atomic_load(&w->stop)) {
                w->err = ctx;
                atomic_store(&w->stop, 1);
            }
            pthread_mutex_unlock(&w->mu);
            return;
        }
        int d = atomic_fetch_add(&w->done, 1) + 1;
        if (task == 0 && w->progress && now() - last > 0.5) {
            last = now();
            fprintf(stderr, "\rnasc proxies: %d/%d architectures, %.0f s", d,
                    w->n, last - w->t0);
        }
    }
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
        if (w->layer && w->layer_degen[i])
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
    int batch = 0;
    for (int c = 0; c < p->n_base; c++)
        if (w->batch[c].n > batch)
            batch = w->batch[c].n;
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

/* `nasc proxies`: options, architecture list, data batch, the pool run,
 * ensembles, CSV; the output file is opened before the work so that an
 * unwritable path fails at once. */
int nc_cli_proxies(int argc, char **argv)
{
    opts o = { .c = 16, .n = 5, .workers = 1, .seed = 1 };
    strcpy(o.space, "nb201");
    strcpy(o.dataset, "fashion-mnist");
    plan p;
    int done, r = parse_args(argc, argv, &o, &done);
    if (r || done)
        return r;
    if ((r = make_plan(&o, &p)))
        return r;
    const nc_space *sp = nc_space_find(o.space);
    if (!sp)
        return nc_cli_usage(CMD, "--space: unknown space '%s' (known: %s)",
                            o.space, nc_space_names());
    int nb201 = !strcmp(sp->name, "nb201");
    if (o.set_nb201 && !nb201)
        return nc_cli_usage(CMD, "--nb201-c and --nb201-n apply to --space "
                            "nb201 only");
    if (o.layers && !nb201)
        return nc_cli_usage(CMD, "--layers: space %s has no layer slots (only "
                            "nb201 does)", sp->name);
    nc_shape in = nb201 ? (nc_shape){ 3, 32, 32 } : (nc_shape){ 1, 28, 28 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_ctx_apply_threads(&ctx);
    work w;
    memset(&w, 0, sizeof w);
    w.o = &o;
    w.p = &p;
    w.sp = sp;
    w.in = in;
    w.classes = N_CLASSES;
    pthread_mutex_init(&w.mu, NULL);
    nc_arch *archs = NULL;
    float *samples = NULL, *bx[MAX_COLS] = { 0 };
    int32_t *labels = NULL;
    FILE *f = NULL;
    nc_pool *pool = NULL;
    nc_cli_phase phase = NC_CLI_AT_WORK;
    nc_status st = list_archs(&ctx, &o, sp, &archs, &w.n);
    w.archs = archs;
    if (!st && !(f = fopen(o.out, "w")))
        st = nc_fail(&ctx, NC_ERR_IO, "cannot write %s", o.out);
    size_t per = (size_t)in.c * in.h * in.w;
    if (!st && p.need_x) {
        samples = malloc((size_t)p.n_max * per * sizeof *samples);
        labels = malloc((size_t)p.n_max * sizeof *labels);
        st = samples && labels ? make_samples(&ctx, &o, in, p.n_max, samples,
                                              labels, &w.classes)
                               : nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; !st && c < p.n_base; c++) {
        int B = p.base_batch[c];
        if (!B)
            continue;
        if (!(bx[c] = malloc((size_t)B * per * sizeof *bx[c]))) {
            st = nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
            break;
        }
        size_t hw = (size_t)in.h * in.w;
        for (int i = 0; i < B; i++)
            for (int ch = 0; ch < in.c; ch++)
                memcpy(bx[c] + ((size_t)ch * B + i) * hw,
                       samples + i * per + ch * hw, hw * sizeof *bx[c]);
        w.batch[c] = (nc_proxy_batch){ bx[c], labels, B, in };
    }
    if (!st) {
        w.score = malloc((size_t)p.n_cols * w.n * sizeof *w.score);
        w.degen = calloc((size_t)p.n_cols * w.n, 1);
        if (o.layers) {
            w.layer = calloc((size_t)w.n * N_SLOTS, sizeof *w.layer);
            w.layer_degen = calloc((size_t)w.n, 1);
        }
        if (!w.score || !w.degen || (o.layers && (!w.layer || !w.layer_degen)))
            st = nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
    }
    double t0 = now();
    if (!st) {
        w.t0 = t0;
        w.progress = isatty(2) && !o.json;
        pool = nc_pool_new(o.workers);
        nc_pool_run(pool, o.workers, worker, &w);
        if (w.progress)
            fputc('\n', stderr);
        if (atomic_load(&w.stop)) {
            ctx = w.err;
            st = ctx.status ? ctx.status : NC_ERR_INVAL;
        }
    }
    if (!st)
        st = ensembles(&ctx, &w);
    double secs = now() - t0;
    if (!st)
        st = write_csv(&ctx, &w, f);
    if (f && fclose(f) && !st)
        st = nc_fail(&ctx, NC_ERR_IO, "cannot write %s", o.out);
    if (f && st)
        remove(o.out);   /* no half-written CSV left behind */
    r = st ? nc_cli_fail(CMD, &ctx, st, phase) : print(&o, &w, secs);
    nc_pool_free(pool);
    for (int c = 0; c < MAX_COLS; c++)
        free(bx[c]);
    free(samples);
    free(labels);
    free(archs);
    free(w.score);
    free(w.degen);
    free(w.layer);
    free(w.layer_degen);
    pthread_mutex_destroy(&w.mu);
    return r;
}
