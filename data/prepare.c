/*
 * prepare.c — the three parts of a data set as a run uses them: training
 * and validation (a seeded split of the training file) and test, all
 * normalized with the statistics of the training part only, so nothing of
 * the validation or test data leaks into the inputs the net sees.
 */
#include "data/dataset.h"

nc_status nc_dataset_prepare(nc_ctx *ctx, const char *name, const char *dir,
                             int n_valid, uint64_t seed, nc_dataset **train,
                             nc_dataset **valid, nc_dataset **test)
{
    *train = *test = NULL;
    if (valid)
        *valid = NULL;
    nc_dataset *full = NULL;
    nc_status st = nc_dataset_load(ctx, name, dir, NC_SPLIT_TRAIN, &full);
    if (!st)
        st = nc_dataset_load(ctx, name, dir, NC_SPLIT_TEST, test);
    if (st)
        goto fail;
    if (n_valid > 0) {
        if (!valid || n_valid >= full->n) {
            st = nc_fail(ctx, NC_ERR_RANGE, "valid: %d validation samples leave "
                         "none of the %d training samples", n_valid, full->n);
            goto fail;
        }
        st = nc_dataset_split(ctx, full, n_valid, seed, train, valid);
        nc_dataset_free(full);
        full = NULL;
        if (st)
            goto fail;
    } else {
        *train = full;
        full = NULL;
    }
    if ((*train)->c > NC_DATASET_MAX_CHANNELS) {
        st = nc_fail(ctx, NC_ERR_RANGE, "dataset has %d channels; at most %d "
                     "are supported", (*train)->c, NC_DATASET_MAX_CHANNELS);
        goto fail;
    }
    float mean[NC_DATASET_MAX_CHANNELS], std[NC_DATASET_MAX_CHANNELS];
    nc_dataset_stats(*train, mean, std);
    for (int i = 0; i < (*train)->c; i++)
        if (!(std[i] > 1e-12f))
            std[i] = 1.0f;
    nc_dataset_normalize(*train, mean, std);
    nc_dataset_normalize(*test, mean, std);
    if (valid && *valid)
        nc_dataset_normalize(*valid, mean, std);
    return NC_OK;
fail:
    nc_dataset_free(full);
    nc_dataset_free(*train);
    nc_dataset_free(*test);
    *train = *test = NULL;
    if (valid) {
        nc_dataset_free(*valid);
        *valid = NULL;
    }
    return st;
}
