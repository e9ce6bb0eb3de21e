/*
 * dataset.c — the in-memory data set: allocation, the named sets and where
 * their files live, the validation split, and normalization.
 */
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

enum { PATH_LEN = 4096 };

typedef enum set_kind { SET_IDX, SET_CIFAR10, SET_CIFAR100 } set_kind;

typedef struct named_set {
    const char *name;
    const char *dir;
    set_kind kind;
    const char *package;    /* the Debian package that installs it, if any */
    const char *subdir;     /* where the official tarball unpacks, if any */
    nc_shape in;            /* one sample: channels, height, width */
    int n_classes;
} named_set;

static const named_set SETS[] = {
    { "fashion-mnist", "/usr/share/datasets/fashion-mnist", SET_IDX,
      "dataset-fashion-mnist", NULL, { 1, 28, 28 }, 10 },
    { "mnist", "/usr/share/datasets/mnist", SET_IDX, NULL, NULL,
      { 1, 28, 28 }, 10 },
    { "cifar10", "/usr/share/datasets/cifar10", SET_CIFAR10, NULL,
      "cifar-10-batches-bin", { 3, 32, 32 }, 10 },
    { "cifar100", "/usr/share/datasets/cifar100", SET_CIFAR100, NULL,
      "cifar-100-binary", { 3, 32, 32 }, 100 },
};
enum { N_SETS = sizeof SETS / sizeof SETS[0] };

static const named_set *find_set(const char *name)
{
    for (int i = 0; name && i < N_SETS; i++)
        if (strcmp(SETS[i].name, name) == 0)
            return &SETS[i];
    return NULL;
}

const char *nc_dataset_default_dir(const char *name)
{
    const named_set *s = find_set(name);
    return s ? s->dir : NULL;
}

int nc_dataset_facts(const char *name, nc_shape *in, int *n_classes)
{
    const named_set *s = find_set(name);
    if (!s)
        return -1;
    if (in)
        *in = s->in;
    if (n_classes)
        *n_classes = s->n_classes;
    return 0;
}

/* A zeroed float array. A big one is put on transparent huge pages where
 * the kernel offers them: filling a data set of hundreds of megabytes then
 * takes a few hundred page faults instead of ~10^5, which was a third of the
 * time to load Fashion-MNIST. */
static float *alloc_pixels(size_t count)
{
    size_t bytes = count * sizeof(float);
#ifdef MADV_HUGEPAGE
    const size_t huge = (size_t)2 << 20;
    if (bytes >= 4 * huge) {
        void *p = NULL;
        size_t rounded = (bytes + huge - 1) / huge * huge;
        if (posix_memalign(&p, huge, rounded) != 0)
            return NULL;
        madvise(p, rounded, MADV_HUGEPAGE);   /* advice: failure is harmless */
        memset(p, 0, bytes);
        return p;
    }
#endif
    return calloc(count, sizeof(float));
}

nc_dataset *nc_dataset_new(int n, int c, int h, int w, int n_classes)
{
    if (n < 0 || c < 1 || h < 1 || w < 1 || n_classes < 1)
        return NULL;
    size_t per = (size_t)c * (size_t)h;   /* ints: cannot overflow size_t */
    if (per > SIZE_MAX / (size_t)w)
        return NULL;
    per *= (size_t)w;
    if (n > 0 && per > SIZE_MAX / sizeof(float) / (size_t)n)
        return NULL;
    nc_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->n = n;
    ds->c = c;
    ds->h = h;
    ds->w = w;
    ds->n_classes = n_classes;
    /* At least one element, so an empty set still has non-NULL arrays. */
    ds->x = alloc_pixels(n ? (size_t)n * per : 1);
    ds->y = calloc(n ? (size_t)n : 1, sizeof *ds->y);
    if (!ds->x || !ds->y) {
        nc_dataset_free(ds);
        return NULL;
    }
    return ds;
}

void nc_dataset_free(nc_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    free(ds);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static nc_status join(nc_ctx *ctx, char *buf, const char *a, const char *b,
                      const char *c)
{
    int r = snprintf(buf, PATH_LEN, "%s/%s%s", a, b, c ? c : "");
    if (r < 0 || r >= PATH_LEN)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: path too long", a);
    return NC_OK;
}

/* Finds dir/base.gz or else dir/base. */
static nc_status find_idx(nc_ctx *ctx, const char *dir, const char *base,
                          char *out)
{
    char plain[PATH_LEN];
    nc_status st = join(ctx, out, dir, base, ".gz");
    if (st || exists(out))
        return st;
    if ((st = join(ctx, plain, dir, base, NULL)))
        return st;
    if (exists(plain)) {
        memcpy(out, plain, sizeof plain);
        return NC_OK;
    }
    return nc_fail(ctx, NC_ERR_IO, "%s: no such file (nor %s)", out, plain);
}

static nc_status load_idx(nc_ctx *ctx, const char *dir, nc_split split,
                          nc_dataset **out)
{
    const char *pre = split == NC_SPLIT_TRAIN ? "train" : "t10k";
    char base[64], img[PATH_LEN], lab[PATH_LEN];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
    nc_status st = find_idx(ctx, dir, base, img);
    if (st)
        return st;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
    if ((st = find_idx(ctx, dir, base, lab)))
        return st;
    /* The named sets have 10 classes even if a file lacks some label. */
    return nc_idx_load_classes(ctx, img, lab, 10, out);
}

static nc_status load_cifar(nc_ctx *ctx, const named_set *s, const char *dir,
                            nc_split split, nc_dataset **out)
{
    static const char *const c10_train[] = {
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
        "data_batch_4.bin", "data_batch_5.bin",
    };
    static const char *const c10_test[] = { "test_batch.bin" };
    static const char *const c100_train[] = { "train.bin" };
    static const char *const c100_test[] = { "test.bin" };
    const char *const *names;
    int n;
    if (s->kind == SET_CIFAR10) {
        names = split == NC_SPLIT_TRAIN ? c10_train : c10_test;
        n = split == NC_SPLIT_TRAIN ? 5 : 1;
    } else {
        names = split == NC_SPLIT_TRAIN ? c100_train : c100_test;
        n = 1;
    }
    /* Use the tarball's subdirectory when dir itself lacks the files. */
    char sub[PATH_LEN], probe[PATH_LEN];
    const char *base = dir;
    nc_status st = join(ctx, probe, dir, names[0], NULL);
    if (st)
        return st;
    if (!exists(probe) && s->subdir) {
        if ((st = join(ctx, sub, dir, s->subdir, NULL)))
            return st;
        if ((st = join(ctx, probe, sub, names[0], NULL)))
            return st;
        if (exists(probe))
            base = sub;
    }
    char paths[5][PATH_LEN];
    const char *pp[5];
    for (int i = 0; i < n; i++) {
        if ((st = join(ctx, paths[i], base, names[i], NULL)))
            return st;
        if (!exists(paths[i]))
            return nc_fail(ctx, NC_ERR_IO, "%s: no such file", paths[i]);
        pp[i] = paths[i];
    }
    return nc_cifar_load(ctx, pp, n, s->kind == SET_CIFAR10 ? 10 : 100, out);
}

nc_status nc_dataset_load(nc_ctx *ctx, const char *name, const char *dir,
                          nc_split split, nc_dataset **out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_dataset_load: out is NULL");
    *out = NULL;
    const named_set *s = find_set(name);
    if (!s) {
        char known[256] = "";
        size_t len = 0;
        for (int i = 0; i < N_SETS; i++) {
            int r = snprintf(known + len, sizeof known - len, "%s%s",
                             i ? ", " : "", SETS[i].name);
            if (r > 0 && (size_t)r < sizeof known - len)
                len += (size_t)r;
        }
        return nc_fail(ctx, NC_ERR_INVAL, "unknown data set '%s' (known: %s)",
                       name ? name : "(null)", known);
    }
    if (split != NC_SPLIT_TRAIN && split != NC_SPLIT_TEST)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_dataset_load: bad split %d",
                       (int)split);
    if (!dir)
        dir = s->dir;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return nc_fail(ctx, NC_ERR_IO, "data directory %s: %s", dir,
                           strerror(errno));
        if (s->package)
            return nc_fail(ctx, NC_ERR_IO, "data directory %s does not exist "
                           "(install %s or pass --data-dir)", dir, s->package);
        return nc_fail(ctx, NC_ERR_IO, "data directory %s does not exist "
                       "(put the %s files there or pass --data-dir)", dir,
                       s->name);
    }
    if (!S_ISDIR(st.st_mode))
        return nc_fail(ctx, NC_ERR_IO, "data directory %s is not a directory",
                       dir);
    if (s->kind == SET_IDX)
        return load_idx(ctx, dir, split, out);
    return load_cifar(ctx, s, dir, split, out);
}

nc_status nc_dataset_split(nc_ctx *ctx, const nc_dataset *src, int n_valid,
                           uint64_t seed, nc_dataset **train,
                           nc_dataset **valid)
{
    if (!train || !valid)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_dataset_split: NULL output");
    *train = *valid = NULL;
    if (!src)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_dataset_split: NULL data set");
    if (n_valid < 0 || n_valid > src->n)
        return nc_fail(ctx, NC_ERR_INVAL, "validation size %d not in [0, %d]",
                       n_valid, src->n);
    int n_train = src->n - n_valid;
    uint32_t *perm = malloc((src->n ? (size_t)src->n : 1) * sizeof *perm);
    nc_dataset *tr = nc_dataset_new(n_train, src->c, src->h, src->w,
                                    src->n_classes);
    nc_dataset *va = nc_dataset_new(n_valid, src->c, src->h, src->w,
                                    src->n_classes);
    if (!perm || !tr || !va) {
        free(perm);
        nc_dataset_free(tr);
        nc_dataset_free(va);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory splitting %d samples",
                       src->n);
    }
    for (int i = 0; i < src->n; i++)
        perm[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SPLIT, 0));
    nc_rng_shuffle_u32(&r, perm, (uint32_t)src->n);
    size_t per = (size_t)src->c * src->h * src->w;
    for (int i = 0; i < src->n; i++) {
        nc_dataset *d = i < n_train ? tr : va;
        int j = i < n_train ? i : i - n_train;
        memcpy(d->x + (size_t)j * per, src->x + (size_t)perm[i] * per,
               per * sizeof *d->x);
        d->y[j] = src->y[perm[i]];
    }
    free(perm);
    *train = tr;
    *valid = va;
    return NC_OK;
}

void nc_dataset_stats(const nc_dataset *ds, float *mean, float *std)
{
    size_t hw = (size_t)ds->h * ds->w;
    double cnt = (double)ds->n * (double)hw;
    for (int c = 0; c < ds->c; c++) {
        if (ds->n == 0) {
            mean[c] = 0.0f;
            std[c] = 1.0f;
            continue;
        }
        /* Two passes: the sum of squared deviations stays accurate where
         * E[x^2] - E[x]^2 would cancel. Partial sums per plane keep the
         * inner loop short and the rounding error small. */
        double sum = 0.0;
        for (int i = 0; i < ds->n; i++) {
            const float *p = ds->x + ((size_t)i * ds->c + c) * hw;
            double s = 0.0;
            for (size_t k = 0; k < hw; k++)
                s += p[k];
            sum += s;
        }
        double m = sum / cnt;
        double ss = 0.0;
        for (int i = 0; i < ds->n; i++) {
            const float *p = ds->x + ((size_t)i * ds->c + c) * hw;
            double s = 0.0;
            for (size_t k = 0; k < hw; k++) {
                double d = p[k] - m;
                s += d * d;
            }
            ss += s;
        }
        mean[c] = (float)m;
        std[c] = (float)sqrt(ss / cnt);
    }
}

void nc_dataset_normalize(nc_dataset *ds, const float *mean, const float *std)
{
    size_t hw = (size_t)ds->h * ds->w;
    for (int c = 0; c < ds->c; c++) {
        float m = mean[c];
        float sd = std[c] > 0.0f ? std[c] : 1.0f;
        if (c < NC_DATASET_MAX_CHANNELS) {
            ds->norm_mean[c] = m;
            ds->norm_std[c] = sd;
        }
        for (int i = 0; i < ds->n; i++) {
            float *p = ds->x + ((size_t)i * ds->c + c) * hw;
            for (size_t k = 0; k < hw; k++)
                p[k] = (p[k] - m) / sd;
        }
    }
}
