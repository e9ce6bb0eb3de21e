/*
 * cifar.c — the CIFAR-10/100 binary format.
 *
 * A file is a bare sequence of fixed-size records, with no header: so the
 * only structural checks are that the size is a non-zero multiple of the
 * record size and that labels are in range. Every file is sized before
 * anything is allocated, so the total is known and read in one pass.
 */
#include "data/dataset.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    CIFAR_PIXELS = 3 * 32 * 32,
    CIFAR100_COARSE = 20
};

/* Size of a regular file, with a message naming it on failure. */
static nc_status file_size(nc_ctx *ctx, const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nc_fail(ctx, NC_ERR_IO, "%s: not a regular file", path);
    *size = (uint64_t)st.st_size;
    return NC_OK;
}

/* Reads the records of one file into ds from sample first on. */
static nc_status read_file(nc_ctx *ctx, const char *path, int nlab,
                           int n_classes, int first, int count, nc_dataset *ds)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    unsigned char rec[2 + CIFAR_PIXELS];
    size_t rsz = (size_t)nlab + CIFAR_PIXELS;
    nc_status st = NC_OK;
    for (int r = 0; r < count; r++) {
        if (fread(rec, 1, rsz, f) != rsz) {
            st = ferror(f) ? nc_fail(ctx, NC_ERR_IO, "%s: read error: %s",
                                     path, strerror(errno))
                           : nc_fail(ctx, NC_ERR_FORMAT, "%s: truncated at "
                                     "record %d (the file shrank while being "
                                     "read)", path, r);
            break;
        }
        /* A gzip file would start with 0x1f, an impossible label in both
         * formats: say so rather than report a bare bad label. */
        if (r == 0 && rec[0] == 0x1f && rec[1] == 0x8b) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s: gzip-compressed; CIFAR "
                         "binary files must be decompressed first", path);
            break;
        }
        int label = rec[nlab - 1];
        if (nlab == 2 && rec[0] >= CIFAR100_COARSE) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s: coarse label %d at record %d "
                         "out of range (%d superclasses)", path, rec[0], r,
                         CIFAR100_COARSE);
            break;
        }
        if (label >= n_classes) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s: label %d at record %d out of "
                         "range (%d classes)", path, label, r, n_classes);
            break;
        }
        /* The record's pixels are already the R, G, B planes in row order,
         * which is this sample's c × h × w block. */
        float *x = ds->x + (size_t)(first + r) * CIFAR_PIXELS;
        const unsigned char *p = rec + nlab;
        for (int i = 0; i < CIFAR_PIXELS; i++)
            x[i] = (float)p[i] / 255.0f;
        ds->y[first + r] = label;
    }
    fclose(f);
    return st;
}

nc_status nc_cifar_load(nc_ctx *ctx, const char *const *paths, int n_paths,
                        int n_classes, nc_dataset **out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_cifar_load: out is NULL");
    *out = NULL;
    if (n_classes != 10 && n_classes != 100)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_cifar_load: n_classes %d (CIFAR "
                       "has 10 or 100)", n_classes);
    if (!paths || n_paths < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_cifar_load: no files");
    int nlab = n_classes == 10 ? 1 : 2;
    uint64_t rsz = (uint64_t)nlab + CIFAR_PIXELS;

    /* Sizes first, so nothing is allocated for a set with a bad file. */
    int *counts = malloc((size_t)n_paths * sizeof *counts);
    if (!counts)
        return nc_fail(ctx, NC_ERR_NOMEM, "nc_cifar_load: out of memory");
    uint64_t total = 0;
    nc_status st = NC_OK;
    for (int i = 0; i < n_paths && st == NC_OK; i++) {
        uint64_t size = 0;
        st = file_size(ctx, paths[i], &size);
        if (st == NC_OK && (size == 0 || size % rsz != 0))
            st = nc_fail(ctx, NC_ERR_FORMAT,
                         "%s: %llu bytes, not a non-zero multiple of the "
                         "%llu-byte CIFAR-%d record (truncated, or not a "
                         "CIFAR-%d file)", paths[i], (unsigned long long)size,
                         (unsigned long long)rsz, n_classes, n_classes);
        total += size / rsz;
        if (st == NC_OK && total > INT_MAX)
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s: more than %d records in all",
                         paths[i], INT_MAX);
        counts[i] = st == NC_OK ? (int)(size / rsz) : 0;
    }
    nc_dataset *ds = NULL;
    if (st == NC_OK && !(ds = nc_dataset_new((int)total, 3, 32, 32, n_classes)))
        st = nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory for %llu CIFAR "
                     "images", paths[0], (unsigned long long)total);
    /* A file that shrank since it was sized fails as truncated; one that
     * grew is read only as far as it was sized. */
    for (int i = 0, first = 0; i < n_paths && st == NC_OK; i++) {
        st = read_file(ctx, paths[i], nlab, n_classes, first, counts[i], ds);
        first += counts[i];
    }
    free(counts);
    if (st) {
        nc_dataset_free(ds);
        return st;
    }
    *out = ds;
    return NC_OK;
}
