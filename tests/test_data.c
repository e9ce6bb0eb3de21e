/*
 * test_data.c — the CIFAR reader, the real Fashion-MNIST, split,
 * normalization and batching (the IDX reader is in test_idx.c).
 *
 * Every file a test reads is made here, in nc_test_tmpdir(), except the real
 * Fashion-MNIST, whose test is skipped when the package is not installed.
 * Error cases check both the status and that the message names the file and
 * the fault, since that message is all a user sees.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "tests/util/testutil.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* ---- helpers ----------------------------------------------------------- */

/* A data set whose every element is distinct and non-zero. */
static nc_dataset *counting_set(int n, int c, int h, int w)
{
    nc_dataset *ds = nc_dataset_new(n, c, h, w, 3);
    ck_assert_ptr_nonnull(ds);
    for (size_t k = 0; k < (size_t)n * c * h * w; k++)
        ds->x[k] = (float)(k + 1);
    for (int i = 0; i < n; i++)
        ds->y[i] = i % 3;
    return ds;
}

/* ---- data set basics --------------------------------------------------- */

START_TEST(default_dirs_and_free_null)
{
    ck_assert_str_eq(nc_dataset_default_dir("fashion-mnist"), FMNIST_DIR);
    ck_assert_ptr_nonnull(nc_dataset_default_dir("cifar10"));
    ck_assert_ptr_null(nc_dataset_default_dir("imagenet"));
    ck_assert_ptr_null(nc_dataset_default_dir(NULL));
    nc_dataset_free(NULL);
    nc_dataset *e = nc_dataset_new(0, 1, 2, 2, 2);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->n, 0);
    nc_dataset_free(e);
    ck_assert_ptr_null(nc_dataset_new(-1, 1, 2, 2, 2));
    ck_assert_ptr_null(nc_dataset_new(1, 0, 2, 2, 2));
    ck_assert_ptr_null(nc_dataset_new(0x7fffffff, 0x7fffffff, 0x7fffffff,
                                      0x7fffffff, 2));
}
END_TEST

/* ---- real Fashion-MNIST ------------------------------------------------ */

START_TEST(real_fashion_mnist)
{
    struct stat st;
    if (stat(FMNIST_DIR, &st) != 0) {
        printf("SKIP real_fashion_mnist: %s absent "
               "(install dataset-fashion-mnist)\n", FMNIST_DIR);
        return;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr = NULL, *te = NULL;
    ck_assert_msg(nc_dataset_load(&ctx, "fashion-mnist", NULL, NC_SPLIT_TRAIN,
                                  &tr) == NC_OK, "%s", ctx.msg);
    ck_assert_msg(nc_dataset_load(&ctx, "fashion-mnist", NULL, NC_SPLIT_TEST,
                                  &te) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(tr->n, 60000);
    ck_assert_int_eq(te->n, 10000);
    ck_assert_int_eq(tr->c, 1);
    ck_assert_int_eq(tr->h, 28);
    ck_assert_int_eq(tr->w, 28);
    ck_assert_int_eq(te->h, 28);
    ck_assert_int_eq(te->w, 28);
    ck_assert_int_eq(tr->n_classes, 10);
    ck_assert_int_eq(te->n_classes, 10);
    int htr[10] = { 0 }, hte[10] = { 0 };
    for (int i = 0; i < tr->n; i++) {
        ck_assert(tr->y[i] >= 0 && tr->y[i] < 10);
        htr[tr->y[i]]++;
    }
    for (int i = 0; i < te->n; i++) {
        ck_assert(te->y[i] >= 0 && te->y[i] < 10);
        hte[te->y[i]]++;
    }
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(htr[k], 6000);
        ck_assert_int_eq(hte[k], 1000);
    }
    /* The published statistics of the training images. */
    float mean, sd;
    nc_dataset_stats(tr, &mean, &sd);
    ck_assert_float_eq_tol(mean, 0.2860f, 0.0005f);
    ck_assert_float_eq_tol(sd, 0.3530f, 0.0005f);
    nc_dataset_free(tr);
    nc_dataset_free(te);
}
END_TEST

/* ---- CIFAR ------------------------------------------------------------- */

enum { REC_PIX = 3072 };

static unsigned char cpix(int rec, int i)
{
    return (unsigned char)(rec * 131 + i * 7);
}

/* count records with labels lab[]; nlab 1 (CIFAR-10) or 2 (CIFAR-100,
 * coarse = label / 5). rec0 numbers the records for the pixel pattern. */
static void write_cifar(const char *path, int nlab, int count, int rec0,
                        const int *lab)
{
    size_t rsz = (size_t)nlab + REC_PIX;
    unsigned char *b = malloc(rsz * (size_t)count);
    for (int r = 0; r < count; r++) {
        unsigned char *p = b + rsz * (size_t)r;
        if (nlab == 2)
            *p++ = (unsigned char)(lab[r] / 5);
        *p++ = (unsigned char)lab[r];
        for (int i = 0; i < REC_PIX; i++)
            p[i] = cpix(rec0 + r, i);
    }
    nc_test_write_bytes(path, b, rsz * (size_t)count, 0);
    free(b);
}

static void check_cifar_records(const nc_dataset *ds, int first, int count,
                                int rec0, const int *lab)
{
    for (int r = 0; r < count; r++) {
        ck_assert_int_eq(ds->y[first + r], lab[r]);
        const float *x = ds->x + (size_t)(first + r) * REC_PIX;
        for (int i = 0; i < REC_PIX; i += 97)
            ck_assert_float_eq(x[i], (float)cpix(rec0 + r, i) / 255.0f);
        ck_assert_float_eq(x[REC_PIX - 1],
                           (float)cpix(rec0 + r, REC_PIX - 1) / 255.0f);
    }
}

START_TEST(cifar10_read)
{
    const char *a = nc_test_tpath("c10-a.bin"), *b = nc_test_tpath("c10-b.bin");
    const int la[3] = { 3, 0, 9 }, lb[2] = { 7, 1 };
    write_cifar(a, 1, 3, 0, la);
    write_cifar(b, 1, 2, 3, lb);
    const char *paths[2] = { a, b };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_cifar_load(&ctx, paths, 2, 10, &ds), NC_OK);
    ck_assert_int_eq(ds->n, 5);
    ck_assert_int_eq(ds->c, 3);
    ck_assert_int_eq(ds->h, 32);
    ck_assert_int_eq(ds->w, 32);
    ck_assert_int_eq(ds->n_classes, 10);
    check_cifar_records(ds, 0, 3, 0, la);
    check_cifar_records(ds, 3, 2, 3, lb);
    /* The G plane of a record begins 1024 pixels in. */
    ck_assert_float_eq(ds->x[REC_PIX + 1024], (float)cpix(1, 1024) / 255.0f);
    nc_dataset_free(ds);
}
END_TEST

START_TEST(cifar100_read)
{
    const char *a = nc_test_tpath("c100.bin");
    const int la[4] = { 99, 0, 42, 57 };
    write_cifar(a, 2, 4, 0, la);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 100, &ds), NC_OK);
    ck_assert_int_eq(ds->n, 4);
    ck_assert_int_eq(ds->n_classes, 100);
    check_cifar_records(ds, 0, 4, 0, la);
    nc_dataset_free(ds);
}
END_TEST

START_TEST(cifar_named)
{
    const char *d10 = nc_test_tpath("cifar10"), *d100 = nc_test_tpath("cifar100");
    char sub[1024], p[1100];
    ck_assert_int_eq(mkdir(d10, 0755), 0);
    ck_assert_int_eq(mkdir(d100, 0755), 0);
    /* CIFAR-10 as the tarball unpacks it, in a subdirectory. */
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", d10);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    for (int k = 1; k <= 5; k++) {
        int lab[2] = { k, k + 1 };
        snprintf(p, sizeof p, "%s/data_batch_%d.bin", sub, k);
        write_cifar(p, 1, 2, 2 * (k - 1), lab);
    }
    int tl[1] = { 4 };
    snprintf(p, sizeof p, "%s/test_batch.bin", sub);
    write_cifar(p, 1, 1, 100, tl);
    /* CIFAR-100 directly in its directory. */
    int l100[3] = { 5, 60, 99 };
    snprintf(p, sizeof p, "%s/train.bin", d100);
    write_cifar(p, 2, 3, 0, l100);
    snprintf(p, sizeof p, "%s/test.bin", d100);
    write_cifar(p, 2, 1, 7, l100);

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_msg(nc_dataset_load(&ctx, "cifar10", d10, NC_SPLIT_TRAIN, &ds)
                  == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(ds->n, 10);
    for (int k = 1; k <= 5; k++) {
        int lab[2] = { k, k + 1 };
        check_cifar_records(ds, 2 * (k - 1), 2, 2 * (k - 1), lab);
    }
    nc_dataset_free(ds);
    ck_assert_int_eq(nc_dataset_load(&ctx, "cifar10", d10, NC_SPLIT_TEST, &ds),
                     NC_OK);
    ck_assert_int_eq(ds->n, 1);
    check_cifar_records(ds, 0, 1, 100, tl);
    nc_dataset_free(ds);
    ck_assert_int_eq(nc_dataset_load(&ctx, "cifar100", d100, NC_SPLIT_TRAIN,
                                     &ds), NC_OK);
    ck_assert_int_eq(ds->n, 3);
    ck_assert_int_eq(ds->n_classes, 100);
    check_cifar_records(ds, 0, 3, 0, l100);
    nc_dataset_free(ds);

    /* One batch missing: named in the error. */
    snprintf(p, sizeof p, "%s/data_batch_4.bin", sub);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(nc_dataset_load(&ctx, "cifar10", d10, NC_SPLIT_TRAIN, &ds),
                     NC_ERR_IO);
    nc_test_expect_msg(&ctx, p);
}
END_TEST

START_TEST(cifar_errors)
{
    const char *a = nc_test_tpath("cbad.bin");
    const int lab[2] = { 1, 2 };
    write_cifar(a, 1, 2, 0, lab);
    size_t n;
    unsigned char *b = nc_test_read_whole(a, &n);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;

    /* Size not a multiple of the record. */
    nc_test_write_bytes(a, b, n - 100, 0);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 10, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, a);
    nc_test_expect_msg(&ctx, "not a non-zero multiple of the 3073-byte CIFAR-10 record");
    /* A CIFAR-10 file read as CIFAR-100 fails the same way. */
    nc_test_write_bytes(a, b, n, 0);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 100, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "3074-byte");
    /* Empty. */
    nc_test_write_bytes(a, b, 0, 0);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 10, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, a);
    nc_test_expect_msg(&ctx, "0 bytes");
    /* Label out of range, in the second record. */
    b[3073] = 10;
    nc_test_write_bytes(a, b, n, 0);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 10, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, a);
    nc_test_expect_msg(&ctx, "label 10 at record 1 out of range (10 classes)");
    /* Missing file, bad class count. */
    const char *miss = nc_test_tpath("cmissing.bin");
    ck_assert_int_eq(nc_cifar_load(&ctx, &miss, 1, 10, &ds), NC_ERR_IO);
    nc_test_expect_msg(&ctx, miss);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 7, &ds), NC_ERR_INVAL);
    ck_assert_ptr_null(ds);
    free(b);

    /* CIFAR-100 coarse label out of range. */
    const int l100[1] = { 99 };
    write_cifar(a, 2, 1, 0, l100);
    b = nc_test_read_whole(a, &n);
    b[0] = 20;
    nc_test_write_bytes(a, b, n, 0);
    ck_assert_int_eq(nc_cifar_load(&ctx, &a, 1, 100, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "coarse label 20");
    free(b);
}
END_TEST

/* ---- split, stats, normalize ------------------------------------------- */

START_TEST(split_deterministic_disjoint)
{
    nc_dataset *src = nc_dataset_new(100, 1, 1, 2, 3);
    for (int i = 0; i < 100; i++) {
        src->x[2 * i] = (float)i;
        src->x[2 * i + 1] = (float)(-i);
        src->y[i] = i % 3;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr, *va, *tr2, *va2, *tr3, *va3;
    ck_assert_int_eq(nc_dataset_split(&ctx, src, 30, 42, &tr, &va), NC_OK);
    ck_assert_int_eq(nc_dataset_split(&ctx, src, 30, 42, &tr2, &va2), NC_OK);
    ck_assert_int_eq(nc_dataset_split(&ctx, src, 30, 43, &tr3, &va3), NC_OK);
    ck_assert_int_eq(tr->n, 70);
    ck_assert_int_eq(va->n, 30);
    ck_assert_int_eq(va->c, 1);
    ck_assert_int_eq(va->w, 2);
    ck_assert_int_eq(va->n_classes, 3);
    ck_assert_mem_eq(tr->x, tr2->x, 140 * sizeof(float));
    ck_assert_mem_eq(va->x, va2->x, 60 * sizeof(float));
    ck_assert_mem_eq(va->y, va2->y, 30 * sizeof(int32_t));
    ck_assert(memcmp(va->x, va3->x, 60 * sizeof(float)) != 0);

    int seen[100] = { 0 };
    const nc_dataset *parts[2] = { tr, va };
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < parts[p]->n; i++) {
            int id = (int)parts[p]->x[2 * i];
            ck_assert(id >= 0 && id < 100);
            ck_assert_float_eq(parts[p]->x[2 * i + 1], (float)-id);
            ck_assert_int_eq(parts[p]->y[i], id % 3);
            seen[id]++;
        }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Shuffled, not the tail of the original order. */
    int tail = 1;
    for (int i = 0; i < 30; i++)
        tail &= (int)va->x[2 * i] == 70 + i;
    ck_assert(!tail);

    nc_dataset_free(tr);
    nc_dataset_free(va);
    nc_dataset_free(tr2);
    nc_dataset_free(va2);
    nc_dataset_free(tr3);
    nc_dataset_free(va3);

    ck_assert_int_eq(nc_dataset_split(&ctx, src, 0, 1, &tr, &va), NC_OK);
    ck_assert_int_eq(tr->n, 100);
    ck_assert_int_eq(va->n, 0);
    nc_dataset_free(tr);
    nc_dataset_free(va);
    ck_assert_int_eq(nc_dataset_split(&ctx, src, 101, 1, &tr, &va),
                     NC_ERR_INVAL);
    ck_assert_ptr_null(tr);
    ck_assert_ptr_null(va);
    nc_dataset_free(src);
}
END_TEST

START_TEST(stats_normalize)
{
    /* Channel 0: 0,1 | 2,3 (mean 1.5, std sqrt(1.25)); channel 1: all 5. */
    nc_dataset *ds = nc_dataset_new(2, 2, 1, 2, 2);
    const float x[8] = { 0, 1, 5, 5, 2, 3, 5, 5 };
    memcpy(ds->x, x, sizeof x);
    float mean[2], sd[2];
    nc_dataset_stats(ds, mean, sd);
    ck_assert_float_eq_tol(mean[0], 1.5f, 1e-6f);
    ck_assert_float_eq_tol(sd[0], sqrtf(1.25f), 1e-6f);
    ck_assert_float_eq_tol(mean[1], 5.0f, 1e-6f);
    ck_assert_float_eq_tol(sd[1], 0.0f, 1e-6f);
    nc_dataset_normalize(ds, mean, sd);
    ck_assert_float_eq_tol(ds->x[0], -1.5f / sqrtf(1.25f), 1e-6f);
    ck_assert_float_eq_tol(ds->x[5], 1.5f / sqrtf(1.25f), 1e-6f);
    for (int i = 0; i < 8; i++)
        ck_assert(isfinite(ds->x[i]));
    ck_assert_float_eq(ds->x[2], 0.0f);
    nc_dataset_stats(ds, mean, sd);
    ck_assert_float_eq_tol(mean[0], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(sd[0], 1.0f, 1e-6f);
    nc_dataset_free(ds);

    nc_dataset *e = nc_dataset_new(0, 1, 2, 2, 2);
    nc_dataset_stats(e, mean, sd);
    ck_assert_float_eq(mean[0], 0.0f);
    ck_assert_float_eq(sd[0], 1.0f);
    nc_dataset_free(e);
}
END_TEST

/* ---- batches ------------------------------------------------------------ */

START_TEST(batch_layout)
{
    const int c = 2, h = 3, w = 4;
    nc_dataset *ds = counting_set(5, c, h, w);
    const uint32_t idx[3] = { 3, 0, 4 };
    float x[3 * 2 * 3 * 4];
    int32_t y[3];
    nc_augment none = { 0, 0 };
    nc_rng r = nc_rng_make(1, NC_STREAM(NC_PURPOSE_AUGMENT, 0));
    for (int pass = 0; pass < 3; pass++) {
        memset(x, 0xff, sizeof x);
        /* No aug, inactive aug, or aug without rng: all plain gathers. */
        nc_batch_fill(ds, idx, 3, pass == 1 ? &none : NULL,
                      pass == 2 ? NULL : &r, x, y);
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(y[i], ds->y[idx[i]]);
            for (int ch = 0; ch < c; ch++)
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++)
                        ck_assert_float_eq(
                            x[((ch * 3 + i) * h + yy) * w + xx],
                            ds->x[(((size_t)idx[i] * c + ch) * h + yy) * w + xx]);
        }
    }
    /* Nothing was drawn. */
    ck_assert_uint_eq(r.counter, 0);
    nc_dataset_free(ds);
}
END_TEST

/* Builds the padded image, crops and mirrors: an independent reference. */
static void ref_augment(const nc_dataset *ds, const uint32_t *idx, int n,
                        const nc_augment *a, nc_rng *r, float *x, int *nflip,
                        int *nshift)
{
    const int c = ds->c, h = ds->h, w = ds->w, p = a->pad;
    const int ph = h + 2 * p, pw = w + 2 * p;
    float *pad = calloc((size_t)ph * pw, sizeof *pad);
    for (int i = 0; i < n; i++) {
        int oy = p, ox = p, fl = 0;
        if (p > 0) {
            oy = (int)nc_rng_below(r, 2 * p + 1);
            ox = (int)nc_rng_below(r, 2 * p + 1);
        }
        if (a->flip)
            fl = (int)(nc_rng_u32(r) >> 31);
        *nflip += fl;
        *nshift += oy != p || ox != p;
        for (int ch = 0; ch < c; ch++) {
            memset(pad, 0, (size_t)ph * pw * sizeof *pad);
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++)
                    pad[(yy + p) * pw + xx + p] =
                        ds->x[(((size_t)idx[i] * c + ch) * h + yy) * w + xx];
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++) {
                    int cx = fl ? w - 1 - xx : xx;
                    x[((ch * n + i) * h + yy) * w + xx] =
                        pad[(yy + oy) * pw + cx + ox];
                }
        }
    }
    free(pad);
}

START_TEST(batch_augment)
{
    const int c = 3, h = 5, w = 6, n = 64;
    nc_dataset *ds = counting_set(20, c, h, w);
    uint32_t idx[64];
    for (int i = 0; i < n; i++)
        idx[i] = (uint32_t)(i * 7 % 20);
    const size_t sz = (size_t)c * n * h * w;
    float *x1 = malloc(sz * sizeof *x1), *x2 = malloc(sz * sizeof *x2);
    float *xr = malloc(sz * sizeof *xr);
    const nc_augment augs[3] = { { 2, 1 }, { 0, 1 }, { 1, 0 } };
    for (int k = 0; k < 3; k++) {
        const nc_augment *a = &augs[k];
        nc_rng r1 = nc_rng_make(7, NC_STREAM(NC_PURPOSE_AUGMENT, 3));
        nc_rng r2 = r1, rr = r1;
        nc_batch_fill(ds, idx, n, a, &r1, x1, NULL);
        nc_batch_fill(ds, idx, n, a, &r2, x2, NULL);
        /* Same stream, same batch; and the stream is left where the
         * documented draws leave it. */
        ck_assert_mem_eq(x1, x2, sz * sizeof *x1);
        int nflip = 0, nshift = 0;
        ref_augment(ds, idx, n, a, &rr, xr, &nflip, &nshift);
        ck_assert_mem_eq(x1, xr, sz * sizeof *x1);
        ck_assert_uint_eq(r1.counter, rr.counter);
        ck_assert_int_eq(r1.used, rr.used);
        if (a->flip)
            ck_assert(nflip > 8 && nflip < n - 8);
        if (a->pad)
            ck_assert(nshift > 8);
        /* Another step's stream gives another batch. */
        nc_rng r3 = nc_rng_make(7, NC_STREAM(NC_PURPOSE_AUGMENT, 4));
        nc_batch_fill(ds, idx, n, a, &r3, x2, NULL);
        ck_assert(memcmp(x1, x2, sz * sizeof *x1) != 0);
    }

    /* Flip only: each sample is exactly itself or its mirror image. */
    nc_rng r = nc_rng_make(9, NC_STREAM(NC_PURPOSE_AUGMENT, 0));
    nc_augment fl = { 0, 1 };
    nc_batch_fill(ds, idx, n, &fl, &r, x1, NULL);
    int mirrored = 0;
    for (int i = 0; i < n; i++) {
        int same = 1, mirror = 1;
        for (int ch = 0; ch < c; ch++)
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++) {
                    float o = x1[((ch * n + i) * h + yy) * w + xx];
                    const float *s = ds->x + (((size_t)idx[i] * c + ch) * h + yy) * w;
                    same &= o == s[xx];
                    mirror &= o == s[w - 1 - xx];
                }
        ck_assert(same != mirror);   /* w even and values distinct */
        mirrored += mirror;
    }
    ck_assert(mirrored > 0 && mirrored < n);

    /* Crop only, pad 1: each sample is the source shifted by (dy, dx) in
     * [-1, 1]^2 with zeros shifted in, and some really are shifted. */
    nc_augment cr = { 1, 0 };
    nc_batch_fill(ds, idx, n, &cr, &r, x1, NULL);
    int shifted = 0;
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int dy = -1; dy <= 1 && !found; dy++)
            for (int dx = -1; dx <= 1 && !found; dx++) {
                int ok = 1;
                for (int ch = 0; ch < c; ch++)
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = 0; xx < w; xx++) {
                            int sy = yy + dy, sx = xx + dx;
                            float e = sy >= 0 && sy < h && sx >= 0 && sx < w
                                ? ds->x[(((size_t)idx[i] * c + ch) * h + sy) * w + sx]
                                : 0.0f;
                            ok &= x1[((ch * n + i) * h + yy) * w + xx] == e;
                        }
                if (ok) {
                    found = 1;
                    shifted += dy != 0 || dx != 0;
                }
            }
        ck_assert_msg(found, "sample %d is no shift of its source", i);
    }
    ck_assert(shifted > 0);
    free(x1);
    free(x2);
    free(xr);
    nc_dataset_free(ds);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *t = tcase_create("dataset");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, default_dirs_and_free_null);
    tcase_add_test(t, real_fashion_mnist);
    suite_add_tcase(s, t);

    t = tcase_create("cifar");
    tcase_add_test(t, cifar10_read);
    tcase_add_test(t, cifar100_read);
    tcase_add_test(t, cifar_named);
    tcase_add_test(t, cifar_errors);
    suite_add_tcase(s, t);

    t = tcase_create("transform");
    tcase_add_test(t, split_deterministic_disjoint);
    tcase_add_test(t, stats_normalize);
    tcase_add_test(t, batch_layout);
    tcase_add_test(t, batch_augment);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    SRunner *sr = srunner_create(data_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
