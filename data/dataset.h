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
#include "core/op.h"
#include "core/rng.h"

enum { NC_DATASET_MAX_CHANNELS = 16 };

typedef struct nc_dataset {
    int n;            /* samples */
    int c, h, w;      /* per-sample shape */
    int n_classes;    /* labels are in [0, n_classes) */
    float *x;         /* n*c*h*w floats, sample-major; owned */
    int32_t *y;       /* n labels; owned */
    /* The per-channel normalization nc_dataset_normalize applied last,
     * x = (raw - norm_mean[ch]) / norm_std[ch], for whoever must feed a
     * trained net the same way (a model file); 0 and 0 when none was. */
    float norm_mean[NC_DATASET_MAX_CHANNELS], norm_std[NC_DATASET_MAX_CHANNELS];
} nc_dataset;

typedef enum nc_split { NC_SPLIT_TRAIN = 0, NC_SPLIT_TEST = 1 } nc_split;

/* Default directory of a named data set ("fashion-mnist" ->
 * /usr/share/datasets/fashion-mnist; likewise mnist, cifar10, cifar100), or
 * NULL if the name is unknown. */
const char *nc_dataset_default_dir(const char *name);

/* The shape of one sample and the class count of a named data set, known
 * without reading it (fashion-mnist and mnist: 1x28x28, 10 classes; cifar10:
 * 3x32x32, 10; cifar100: 3x32x32, 100), so nets can be sized before data is
 * loaded. Returns 0, or -1 for an unknown name (outputs untouched). in and
 * n_classes may be NULL. */
int nc_dataset_facts(const char *name, nc_shape *in, int *n_classes);

/* Loads split of the named data set ("fashion-mnist", "mnist", "cifar10",
 * "cifar100") from dir (NULL: the default dir). IDX files are found as
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; CIFAR-10 as
 * data_batch_{1..5}.bin / test_batch.bin, CIFAR-100 as train.bin / test.bin
 * (fine labels); the .gz IDX name is tried first, and CIFAR files are also
 * looked for in the subdirectory the official tarball unpacks to
 * (cifar-10-batches-bin/, cifar-100-binary/). n_classes is 10 (100 for
 * cifar100) whatever labels occur. On success *out is owned by the caller;
 * on failure *out is NULL. Errors: NC_ERR_INVAL (unknown name, bad split),
 * NC_ERR_IO (missing directory or file, unreadable), NC_ERR_FORMAT (bad
 * magic, truncated, count mismatch, label out of range), NC_ERR_NOMEM. */
nc_status nc_dataset_load(nc_ctx *ctx, const char *name, const char *dir,
                          nc_split split, nc_dataset **out);

/* Limits an IDX header must meet before anything is allocated: a header
 * beyond them is corrupt or hostile, not a data set. */
enum {
    NC_IDX_MAX_N = 10000000,    /* samples */
    NC_IDX_MAX_DIM = 4096       /* rows, columns */
};
#define NC_IDX_MAX_BYTES ((uint64_t)1 << 32)   /* n * rows * cols */

/* Reads one IDX image file (magic 0x00000803: n, rows, cols) and its label
 * file (0x00000801: n), each gzip or plain, detected by content (1f 8b).
 * Images become floats in [0,1] with c = 1. n_classes is max label + 1, but at
 * least 2. Errors (the message names the file and the fault): NC_ERR_IO
 * (cannot open/read), NC_ERR_FORMAT (bad magic, zero or implausible dims,
 * truncated, trailing data in a plain file, corrupt gzip stream, image and
 * label counts differ), NC_ERR_NOMEM. Bytes after the end of a gzip stream
 * are ignored (zlib's rule); trailing bytes in a plain file are an error. */
nc_status nc_idx_load(nc_ctx *ctx, const char *images_path,
                      const char *labels_path, nc_dataset **out);
/* As nc_idx_load, with a fixed n_classes (> 0; a label >= n_classes is
 * NC_ERR_FORMAT); n_classes 0 infers it as nc_idx_load does. */
nc_status nc_idx_load_classes(nc_ctx *ctx, const char *images_path,
                              const char *labels_path, int n_classes,
                              nc_dataset **out);

/* Reads CIFAR binary files (each record: label byte(s) then 3072 pixels, the
 * R, G and B planes of 32x32) into one data set of c = 3, in path order;
 * n_classes 10 (1 label byte) or 100 (coarse + fine byte; fine is used, the
 * coarse one must be < 20). Files are plain (not gzip). Errors: NC_ERR_INVAL
 * (n_classes not 10/100, no paths), NC_ERR_IO, NC_ERR_FORMAT (empty file,
 * size not a multiple of the record, label out of range), NC_ERR_NOMEM. */
nc_status nc_cifar_load(nc_ctx *ctx, const char *const *paths, int n_paths,
                        int n_classes, nc_dataset **out);

/* A zero-filled data set with room for n >= 0 samples of the shape (c, h, w,
 * n_classes >= 1), or NULL (bad argument, size overflow, out of memory). */
nc_dataset *nc_dataset_new(int n, int c, int h, int w, int n_classes);
/* Frees ds and its arrays; NULL is allowed. */
void nc_dataset_free(nc_dataset *ds);

/* Splits src into the last n_valid samples (0 <= n_valid <= src->n) of a
 * permutation drawn from nc_rng stream (seed, NC_STREAM(NC_PURPOSE_SPLIT, 0))
 * (valid) and the rest (train), both newly allocated copies in permutation
 * order; the same seed gives the same split. On failure both outputs are
 * NULL. Errors: NC_ERR_INVAL, NC_ERR_NOMEM. */
nc_status nc_dataset_split(nc_ctx *ctx, const nc_dataset *src, int n_valid,
                           uint64_t seed, nc_dataset **train,
                           nc_dataset **valid);

/* Per-channel mean and (population) standard deviation over all samples,
 * into mean[0..c) and std[0..c); accumulated in double, two passes. An empty
 * set gives mean 0, std 1. */
void nc_dataset_stats(const nc_dataset *ds, float *mean, float *std);
/* x = (x - mean[c]) / std[c] in place; a std that is not > 0 (a constant
 * channel) counts as 1, so the result stays finite. Records what it applied
 * in norm_mean and norm_std (for the first NC_DATASET_MAX_CHANNELS
 * channels). */
void nc_dataset_normalize(nc_dataset *ds, const float *mean, const float *std);

/* Loads the named data set (as nc_dataset_load) and returns its parts:
 * train and valid are a split of the training file (the last n_valid
 * samples of a permutation drawn from seed, see nc_dataset_split; with
 * n_valid 0 valid may be NULL and *valid stays NULL), test the test file;
 * all three are normalized per channel with the mean and standard deviation
 * of the training part (a constant channel keeps std 1). The caller owns
 * the three (nc_dataset_free); on failure all are NULL. Errors: those of
 * loading and splitting; NC_ERR_RANGE naming "valid" if n_valid leaves no
 * training sample, or for more than NC_DATASET_MAX_CHANNELS channels. */
nc_status nc_dataset_prepare(nc_ctx *ctx, const char *name, const char *dir,
                             int n_valid, uint64_t seed, nc_dataset **train,
                             nc_dataset **valid, nc_dataset **test);

/* Random-crop-with-padding and horizontal flip, as in CIFAR training. */
typedef struct nc_augment {
    int pad;    /* zero padding before the random crop; 0: no crop */
    int flip;   /* 1: flip horizontally with probability 1/2 */
} nc_augment;

/* Gathers samples idx[0..n) (each < ds->n) into x (CNHW: c × n × h × w,
 * element (i, ch, yy, xx) at ((ch*n + i)*h + yy)*w + xx) and labels into y.
 * With aug non-NULL and active (pad > 0 or flip) and rng non-NULL, each
 * sample in turn draws from rng, in this order: the crop row offset oy and
 * column offset ox, each nc_rng_below(rng, 2*pad + 1) (only if pad > 0),
 * then the flip bit, the top bit of one nc_rng_u32 (only if flip). The crop
 * takes rows oy..oy+h-1 and columns ox..ox+w-1 of the sample padded by pad on
 * every side; the flip then mirrors the crop left-right. Padding is 0.0 in
 * whatever space x is in: after nc_dataset_normalize that is the channel
 * mean, not black. The same rng state gives the same batch. y may be NULL. */
void nc_batch_fill(const nc_dataset *ds, const uint32_t *idx, int n,
                   const nc_augment *aug, nc_rng *rng, float *x, int32_t *y);

#endif
