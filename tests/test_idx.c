/*
 * test_idx.c — the IDX (MNIST / Fashion-MNIST) reader: plain and gzip round
 * trips, the named loader, and every way a file can be wrong.
 *
 * Every file a test reads is made here, in nc_test_tmpdir(). Error cases
 * check both the status and that the message names the file and the fault,
 * since that message is all a user sees.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "tests/util/testutil.h"

/* ---- helpers ----------------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Deterministic pixel bytes that cover 0 and 255. */
static unsigned char pix(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

/* An image file claiming n x h x w with data_bytes bytes of pixels. */
static void write_images(const char *path, int gz, uint32_t magic, uint32_t n,
                         uint32_t h, uint32_t w, size_t data_bytes)
{
    unsigned char *b = malloc(16 + data_bytes);
    put_be32(b, magic);
    put_be32(b + 4, n);
    put_be32(b + 8, h);
    put_be32(b + 12, w);
    for (size_t i = 0; i < data_bytes; i++)
        b[16 + i] = pix(i);
    nc_test_write_bytes(path, b, 16 + data_bytes, gz);
    free(b);
}

static void write_labels(const char *path, int gz, uint32_t magic, uint32_t n,
                         const unsigned char *lab, size_t nlab)
{
    unsigned char *b = malloc(8 + nlab);
    put_be32(b, magic);
    put_be32(b + 4, n);
    memcpy(b + 8, lab, nlab);
    nc_test_write_bytes(path, b, 8 + nlab, gz);
    free(b);
}

static void write_good_labels(const char *path, int gz, uint32_t n)
{
    unsigned char *lab = malloc(n);
    for (uint32_t i = 0; i < n; i++)
        lab[i] = (unsigned char)(i % 10);
    write_labels(path, gz, 0x801, n, lab, n);
    free(lab);
}

/* ---- IDX round trips --------------------------------------------------- */

static void check_roundtrip(int gz_img, int gz_lab, const char *tag)
{
    char in[64], ln[64];
    snprintf(in, sizeof in, "rt-%s-img", tag);
    snprintf(ln, sizeof ln, "rt-%s-lab", tag);
    const char *ip = nc_test_tpath(in), *lp = nc_test_tpath(ln);
    const unsigned char lab[3] = { 0, 4, 2 };
    write_images(ip, gz_img, 0x803, 3, 4, 5, 60);
    write_labels(lp, gz_lab, 0x801, 3, lab, 3);

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_OK);
    ck_assert_int_eq(ds->n, 3);
    ck_assert_int_eq(ds->c, 1);
    ck_assert_int_eq(ds->h, 4);
    ck_assert_int_eq(ds->w, 5);
    ck_assert_int_eq(ds->n_classes, 5);
    for (int i = 0; i < 60; i++)
        ck_assert_float_eq(ds->x[i], (float)pix((size_t)i) / 255.0f);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ds->y[i], lab[i]);
    nc_dataset_free(ds);
}

START_TEST(idx_plain_roundtrip) { check_roundtrip(0, 0, "plain"); }
END_TEST

START_TEST(idx_gz_roundtrip) { check_roundtrip(1, 1, "gz"); }
END_TEST

START_TEST(idx_mixed_roundtrip) { check_roundtrip(1, 0, "mixed"); }
END_TEST

START_TEST(idx_extremes_and_min_classes)
{
    const char *ip = nc_test_tpath("ext-img"), *lp = nc_test_tpath("ext-lab");
    unsigned char b[16 + 2] = { 0 };
    put_be32(b, 0x803);
    put_be32(b + 4, 2);
    put_be32(b + 8, 1);
    put_be32(b + 12, 1);
    b[16] = 0;
    b[17] = 255;
    nc_test_write_bytes(ip, b, sizeof b, 0);
    const unsigned char lab[2] = { 0, 0 };
    write_labels(lp, 0, 0x801, 2, lab, 2);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_OK);
    ck_assert(ds->x[0] == 0.0f);
    ck_assert(ds->x[1] == 1.0f);
    /* One label value still makes a classification problem of 2. */
    ck_assert_int_eq(ds->n_classes, 2);
    nc_dataset_free(ds);
}
END_TEST

/* The named loader finds .gz first, falls back to plain, and fixes 10. */
START_TEST(named_idx_files)
{
    const char *d = nc_test_tpath("named");
    ck_assert_int_eq(mkdir(d, 0755), 0);
    char p[1024];
    const unsigned char lab[3] = { 0, 4, 2 };
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", d);
    write_images(p, 1, 0x803, 3, 4, 5, 60);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", d);
    write_labels(p, 1, 0x801, 3, lab, 3);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", d);
    write_images(p, 0, 0x803, 2, 4, 5, 40);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", d);
    write_labels(p, 0, 0x801, 2, lab, 2);

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr = NULL, *te = NULL;
    ck_assert_int_eq(nc_dataset_load(&ctx, "fashion-mnist", d, NC_SPLIT_TRAIN,
                                     &tr), NC_OK);
    ck_assert_int_eq(tr->n, 3);
    ck_assert_int_eq(tr->n_classes, 10);
    ck_assert_int_eq(nc_dataset_load(&ctx, "mnist", d, NC_SPLIT_TEST, &te),
                     NC_OK);
    ck_assert_int_eq(te->n, 2);
    ck_assert_int_eq(te->n_classes, 10);
    ck_assert_float_eq(te->x[39], (float)pix(39) / 255.0f);
    nc_dataset_free(tr);
    nc_dataset_free(te);
}
END_TEST

/* ---- IDX errors -------------------------------------------------------- */

START_TEST(err_unknown_name_and_missing_dir)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = (nc_dataset *)&ctx;   /* must be reset to NULL */
    ck_assert_int_eq(nc_dataset_load(&ctx, "imagenet", NULL, NC_SPLIT_TRAIN,
                                     &ds), NC_ERR_INVAL);
    ck_assert_ptr_null(ds);
    nc_test_expect_msg(&ctx, "imagenet");
    nc_test_expect_msg(&ctx, "fashion-mnist");
    nc_test_expect_msg(&ctx, "cifar100");

    ck_assert_int_eq(nc_dataset_load(&ctx, "fashion-mnist", "/nonexistent/fm",
                                     NC_SPLIT_TRAIN, &ds), NC_ERR_IO);
    nc_test_expect_msg(&ctx, "data directory /nonexistent/fm does not exist");
    nc_test_expect_msg(&ctx, "dataset-fashion-mnist");
    nc_test_expect_msg(&ctx, "--data-dir");
    ck_assert_int_eq(nc_dataset_load(&ctx, "cifar10", "/nonexistent/c10",
                                     NC_SPLIT_TEST, &ds), NC_ERR_IO);
    nc_test_expect_msg(&ctx, "/nonexistent/c10");
}
END_TEST

START_TEST(err_missing_file)
{
    const char *d = nc_test_tpath("emptydir");
    ck_assert_int_eq(mkdir(d, 0755), 0);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_dataset_load(&ctx, "fashion-mnist", d, NC_SPLIT_TRAIN,
                                     &ds), NC_ERR_IO);
    nc_test_expect_msg(&ctx, d);
    nc_test_expect_msg(&ctx, "train-images-idx3-ubyte");
    ck_assert_int_eq(nc_dataset_load(&ctx, "cifar100", d, NC_SPLIT_TEST, &ds),
                     NC_ERR_IO);
    nc_test_expect_msg(&ctx, "test.bin");

    /* Direct load of a missing path. */
    const char *lp = nc_test_tpath("ml-lab");
    write_good_labels(lp, 0, 3);
    ck_assert_int_eq(nc_idx_load(&ctx, nc_test_tpath("no-such-img"), lp, &ds),
                     NC_ERR_IO);
    nc_test_expect_msg(&ctx, "no-such-img");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(err_bad_magic)
{
    const char *ip = nc_test_tpath("bm-img"), *lp = nc_test_tpath("bm-lab");
    write_images(ip, 0, 0x1234, 3, 4, 5, 60);
    write_good_labels(lp, 0, 3);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "bad magic 0x00001234 (expected 0x00000803, an IDX image "
                     "file)");
    ck_assert_ptr_null(ds);

    /* The pair swapped: the hint says so. */
    write_images(ip, 0, 0x803, 3, 4, 5, 60);
    ck_assert_int_eq(nc_idx_load(&ctx, lp, ip, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, lp);
    nc_test_expect_msg(&ctx, "bad magic 0x00000801 (expected 0x00000803");
    nc_test_expect_msg(&ctx, "other file of the pair");

    /* A bad label magic, gzipped. */
    const char *lg = nc_test_tpath("bm-lab.gz");
    unsigned char lab[3] = { 0, 1, 2 };
    write_labels(lg, 1, 0x803, 3, lab, 3);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lg, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, lg);
    nc_test_expect_msg(&ctx, "expected 0x00000801, an IDX label file");
}
END_TEST

START_TEST(err_truncated_plain)
{
    const char *ip = nc_test_tpath("tp-img"), *lp = nc_test_tpath("tp-lab");
    write_images(ip, 0, 0x803, 3, 4, 5, 10);
    write_good_labels(lp, 0, 3);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "truncated: expected 60 bytes of image data, got 10");

    /* Shorter than the header itself. */
    nc_test_write_bytes(ip, "\0\0\x08\x03\0", 5, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "truncated");

    /* Labels short too. */
    write_images(ip, 0, 0x803, 3, 4, 5, 60);
    unsigned char lab[2] = { 0, 1 };
    write_labels(lp, 0, 0x801, 3, lab, 2);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, lp);
    nc_test_expect_msg(&ctx, "expected 3 bytes of label data, got 2");
}
END_TEST

START_TEST(err_trailing_plain)
{
    const char *ip = nc_test_tpath("tr-img"), *lp = nc_test_tpath("tr-lab");
    write_images(ip, 0, 0x803, 3, 4, 5, 64);
    write_good_labels(lp, 0, 3);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "4 bytes of trailing data");
}
END_TEST

enum { BIG_N = 50, BIG_HW = 28, BIG_BYTES = BIG_N * BIG_HW * BIG_HW };

START_TEST(err_truncated_gz)
{
    const char *ip = nc_test_tpath("tg-img.gz"), *lp = nc_test_tpath("tg-lab.gz");
    write_good_labels(lp, 1, BIG_N);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;

    /* A well-formed gzip stream with too little data in it. */
    write_images(ip, 1, 0x803, BIG_N, BIG_HW, BIG_HW, 10 * BIG_HW * BIG_HW);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "truncated: expected 39200 bytes of image data, got 7840");

    /* The compressed file cut short. */
    write_images(ip, 1, 0x803, BIG_N, BIG_HW, BIG_HW, BIG_BYTES);
    size_t n;
    unsigned char *b = nc_test_read_whole(ip, &n);
    nc_test_write_bytes(ip, b, n * 6 / 10, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "truncated: expected 39200 bytes of image data, got ");
    nc_test_expect_msg(&ctx, "gzip stream ends early");

    /* All the data, but not the CRC and length trailer. */
    nc_test_write_bytes(ip, b, n - 8, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "truncated gzip stream");
    free(b);
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(err_corrupt_gz)
{
    const char *ip = nc_test_tpath("cg-img.gz"), *lp = nc_test_tpath("cg-lab");
    write_good_labels(lp, 0, BIG_N);
    write_images(ip, 1, 0x803, BIG_N, BIG_HW, BIG_HW, BIG_BYTES);
    size_t n;
    unsigned char *b = nc_test_read_whole(ip, &n);
    unsigned char *c = malloc(n);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;

    /* Garbage in the middle of the deflate data. */
    memcpy(c, b, n);
    memset(c + n / 2, 0xa5, 32);
    nc_test_write_bytes(ip, c, n, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "corrupt gzip stream");

    /* A wrong CRC: the data decompresses, the check at the end fails. */
    memcpy(c, b, n);
    c[n - 8] ^= 0x55;
    nc_test_write_bytes(ip, c, n, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "corrupt gzip stream");

    /* Broken right after the gzip magic: the header itself is bad. */
    memcpy(c, b, n);
    c[2] = 0x77;   /* compression method: not deflate */
    nc_test_write_bytes(ip, c, n, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "corrupt gzip stream");
    free(b);
    free(c);
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(err_count_mismatch)
{
    const char *ip = nc_test_tpath("cm-img.gz"), *lp = nc_test_tpath("cm-lab.gz");
    write_images(ip, 1, 0x803, 3, 4, 5, 60);
    write_good_labels(lp, 1, 4);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, lp);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "4 labels");
    nc_test_expect_msg(&ctx, "3 images");
}
END_TEST

START_TEST(err_label_range)
{
    const char *d = nc_test_tpath("lr");
    ck_assert_int_eq(mkdir(d, 0755), 0);
    char ip[1024], lp[1024];
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte", d);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte", d);
    write_images(ip, 0, 0x803, 3, 4, 5, 60);
    const unsigned char lab[3] = { 1, 9, 10 };
    write_labels(lp, 0, 0x801, 3, lab, 3);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    ck_assert_int_eq(nc_dataset_load(&ctx, "fashion-mnist", d, NC_SPLIT_TRAIN,
                                     &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, lp);
    nc_test_expect_msg(&ctx, "label 10 at index 2 out of range (10 classes)");
    ck_assert_int_eq(nc_idx_load_classes(&ctx, ip, lp, 11, &ds), NC_OK);
    ck_assert_int_eq(ds->n_classes, 11);
    nc_dataset_free(ds);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_OK);
    ck_assert_int_eq(ds->n_classes, 11);
    nc_dataset_free(ds);
}
END_TEST

START_TEST(err_zero_dims)
{
    const char *ip = nc_test_tpath("zd-img"), *lp = nc_test_tpath("zd-lab");
    write_good_labels(lp, 0, 3);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *ds = NULL;
    write_images(ip, 0, 0x803, 3, 0, 5, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, ip);
    nc_test_expect_msg(&ctx, "dimensions 3 x 0 x 5");
    write_images(ip, 1, 0x803, 0, 4, 5, 0);
    write_good_labels(lp, 0, 0);
    ck_assert_int_eq(nc_idx_load(&ctx, ip, lp, &ds), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "dimensions 0 x 4 x 5");
    ck_assert_ptr_null(ds);
}
END_TEST

/* Headers that would need gigabytes: each must fail before it allocates.
 * Outside ASan (which reserves terabytes of address space) the child runs
 * under an address-space limit, so a reader that tried would get NOMEM. */
START_TEST(err_absurd_dims)
{
    const char *ip = nc_test_tpath("ad-img"), *igz = nc_test_tpath("ad-img.gz");
    const char *lp = nc_test_tpath("ad-lab");
    write_good_labels(lp, 0, 3);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
#ifndef __SANITIZE_ADDRESS__
        long pages = 0, page = sysconf(_SC_PAGESIZE);
        FILE *f = fopen("/proc/self/statm", "r");
        if (f) {
            if (fscanf(f, "%ld", &pages) != 1)
                pages = 0;
            fclose(f);
        }
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)pages * page + (512L << 20);
        if (pages > 0)
            setrlimit(RLIMIT_AS, &rl);
#endif
        nc_ctx ctx;
        nc_ctx_init(&ctx);
        nc_dataset *ds = NULL;
        int bad = 0;
        /* 2^31 rows: past the per-dimension limit. */
        write_images(ip, 0, 0x803, 3, 0x80000000u, 5, 60);
        bad |= nc_idx_load(&ctx, ip, lp, &ds) != NC_ERR_FORMAT ||
               !strstr(ctx.msg, "implausible dimensions 3 x 2147483648 x 5") ||
               !strstr(ctx.msg, ip);
        /* Each dimension allowed, the product not. */
        write_images(ip, 0, 0x803, 10000000, 4096, 4096, 60);
        bad |= (nc_idx_load(&ctx, ip, lp, &ds) != NC_ERR_FORMAT ||
                !strstr(ctx.msg, "implausible")) << 1;
        /* Plausible 3.9 GB, in a tiny plain file. */
        write_images(ip, 0, 0x803, 5000000, 28, 28, 60);
        write_good_labels(lp, 0, 5000000);
        bad |= (nc_idx_load(&ctx, ip, lp, &ds) != NC_ERR_FORMAT ||
                !strstr(ctx.msg, "truncated: expected 3920000000 bytes")) << 2;
        /* The same in a tiny gzip file. */
        write_images(igz, 1, 0x803, 5000000, 28, 28, 60);
        bad |= (nc_idx_load(&ctx, igz, lp, &ds) != NC_ERR_FORMAT ||
                !strstr(ctx.msg, "truncated") ||
                !strstr(ctx.msg, igz)) << 3;
        if (bad)
            fprintf(stderr, "err_absurd_dims: failures 0x%x, last: %s\n", bad,
                    ctx.msg);
        _exit(bad);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

static Suite *idx_suite(void)
{
    Suite *s = suite_create("idx");
    TCase *t = tcase_create("idx");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, idx_plain_roundtrip);
    tcase_add_test(t, idx_gz_roundtrip);
    tcase_add_test(t, idx_mixed_roundtrip);
    tcase_add_test(t, idx_extremes_and_min_classes);
    tcase_add_test(t, named_idx_files);
    suite_add_tcase(s, t);

    t = tcase_create("idx_errors");
    tcase_add_test(t, err_unknown_name_and_missing_dir);
    tcase_add_test(t, err_missing_file);
    tcase_add_test(t, err_bad_magic);
    tcase_add_test(t, err_truncated_plain);
    tcase_add_test(t, err_trailing_plain);
    tcase_add_test(t, err_truncated_gz);
    tcase_add_test(t, err_corrupt_gz);
    tcase_add_test(t, err_count_mismatch);
    tcase_add_test(t, err_label_range);
    tcase_add_test(t, err_zero_dims);
    tcase_add_test(t, err_absurd_dims);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    SRunner *sr = srunner_create(idx_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
