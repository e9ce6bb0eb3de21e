/*
 * dataset.h — image classification data sets in memory, and batching.
 *
 * Readers: IDX (MNIST/Fashion-MNIST, gzipped or plain) and the CIFAR-10/100
 * binary format. Every reader validates magic numbers, dimensions and file
 * sizes before it allocates, and names the file and the problem on failure.
 * Images are kept as floats in [0,1], sample-major (n × c × h × w); batches
 * come out channel-major (CNHW) as the net expects (see core/op.h).
 *
 *     nc_dataset *tr, *te;
 *     if (nc_dataset_load(ctx, "fashion-mnist", NULL, NC_SPLIT_TRAIN, &tr)) ...
 *     float mean[3], std[3];
 *     nc_dataset_stats(tr, mean, std);
 *     nc_dataset_normalize(tr, mean, std);
 *     nc_batch_fill(tr, idx, 128, NULL, NULL, x, y);
 *     nc_dataset_free(tr);
 */
#ifndef NC_DATASET_H
#define NC_DATASET_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"

typedef struct nc_dataset {
    int n;            /* samples */
    int c, h, w;      /* per-sample shape */
    int n_classes;    /* labels are in [0, n_classes) */
    float *x;         /* n*c*h*w floats, sample-major; owned */
    int32_t *y;       /* n labels; owned */
} nc_dataset;

typedef enum nc_split { NC_SPLIT_TRAIN = 0, NC_SPLIT_TEST = 1 } nc_split;

/* Default directory of a named data set ("fashion-mnist" ->
 * /usr/share/datasets/fashion-mnist), or NULL if the name is unknown. */
const char *nc_dataset_default_dir(const char *name);

/* Loads split of the named data set ("fashion-mnist", "mnist", "cifar10",
 * "cifar100") from dir (NULL: the default dir). IDX files are found as
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; CIFAR-10 as
 * data_batch_{1..5}.bin / test_batch.bin, CIFAR-100 as train.bin / test.bin
 * (fine labels). On success *out is owned by the caller. Errors: NC_ERR_INVAL
 * (unknown name), NC_ERR_IO (missing/unreadable), NC_ERR_FORMAT (bad magic,
 * truncated, count mismatch, label out of range), NC_ERR_NOMEM. */
nc_status nc_dataset_load(nc_ctx *ctx, const char *name, const char *dir,
                          nc_split split, nc_dataset **out);

/* Reads one IDX image file and its label file (gzip or plain, detected by
 * content). Images become floats in [0,1] with c = 1. */
nc_status nc_idx_load(nc_ctx *ctx, const char *images_path,
                      const char *labels_path, nc_dataset **out);

/* Reads CIFAR binary files (each record: label byte(s) then 3072 pixels);
 * n_classes 10 (1 label byte) or 100 (coarse + fine byte; fine is used). */
nc_status nc_cifar_load(nc_ctx *ctx, const char *const *paths, int n_paths,
                        int n_classes, nc_dataset **out);

/* An empty data set with room for n samples of the shape, or NULL. */
nc_dataset *nc_dataset_new(int n, int c, int h, int w, int n_classes);
void nc_dataset_free(nc_dataset *ds);

/* Splits src into the last n_valid samples of a seeded permutation (valid)
 * and the rest (train), both newly allocated copies. */
nc_status nc_dataset_split(nc_ctx *ctx, const nc_dataset *src, int n_valid,
                           uint64_t seed, nc_dataset **train,
                           nc_dataset **valid);

/* Per-channel mean and standard deviation over all samples. */
void nc_dataset_stats(const nc_dataset *ds, float *mean, float *std);
/* x = (x - mean[c]) / std[c] in place. */
void nc_dataset_normalize(nc_dataset *ds, const float *mean, const float *std);

/* Random-crop-with-padding and horizontal flip, as in CIFAR training. */
typedef struct nc_augment {
    int pad;    /* zero padding before the random crop; 0: no crop */
    int flip;   /* 1: flip horizontally with probability 1/2 */
} nc_augment;

/* Gathers samples idx[0..n) into x (CNHW: c × n × h × w) and labels into y.
 * With aug non-NULL and active, draws crop offsets and flips from rng. */
void nc_batch_fill(const nc_dataset *ds, const uint32_t *idx, int n,
                   const nc_augment *aug, nc_rng *rng, float *x, int32_t *y);

#endif
