/*
 * test_latency.c — measured latency and the mbv layer-wise latency table:
 * measuring, building on a few architectures, predicting, a missing
 * configuration, and the CSV file (round trip and corrupt files).
 * Batch 1, one thread and few repeats keep it to a couple of seconds.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/latency.h"
#include "supernet/spaces.h"
#include "tests/util/testutil.h"

static const nc_shape IN = { 1, 28, 28 };
enum { CLASSES = 10, SEED = 7, REPEATS = 3 };

/* The first n architectures nc_latency_table_build samples from SEED. */
static void sample_archs(const nc_space *sp, int n, nc_arch *a)
{
    nc_rng r = nc_rng_make(SEED, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
    for (int i = 0; i < n; i++)
        sp->sample(sp, &r, &a[i]);
}

START_TEST(test_measure)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *sp = nc_space_mbv();
    nc_arch a;
    sample_archs(sp, 1, &a);
    double ms = -1;
    ck_assert_msg(nc_latency_measure(&ctx, sp, &a, IN, CLASSES, 1, 1, REPEATS,
                                     &ms) == NC_OK, "%s", ctx.msg);
    ck_assert(isfinite(ms) && ms > 0);
    ck_assert_int_eq(nc_latency_measure(&ctx, sp, &a, IN, CLASSES, 1, 1, 0,
                                        &ms), NC_ERR_INVAL);
}
END_TEST

START_TEST(test_table)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *sp = nc_space_mbv();
    nc_latency_table *t;
    ck_assert_msg(nc_latency_table_build(&ctx, sp, IN, CLASSES, 1, 1, REPEATS,
                                         3, SEED, &t) == NC_OK, "%s", ctx.msg);
    ck_assert_int_gt(t->n, 3);
    nc_arch a[3];
    sample_archs(sp, 3, a);
    for (int i = 0; i < 3; i++) {
        double ms = -1;
        ck_assert_msg(nc_latency_table_predict(&ctx, t, sp, &a[i], IN, CLASSES,
                                               &ms) == NC_OK, "%s", ctx.msg);
        ck_assert(isfinite(ms) && ms > 0);
    }

    /* An architecture whose stage 4 has a width/kernel pair none of the
     * three has: the table cannot know it. */
    nc_arch b = a[0];
    int found = 0;
    for (int w = 0; w < 3 && !found; w++)
        for (int k = 0; k < 3 && !found; k++) {
            b.g[7] = (uint8_t)w;
            b.g[11] = (uint8_t)k;
            int seen = 0;
            for (int i = 0; i < 3; i++)
                seen |= a[i].g[7] == w && a[i].g[11] == k;
            found = !seen;
        }
    ck_assert(found);
    double ms;
    ck_assert_int_eq(nc_latency_table_predict(&ctx, t, sp, &b, IN, CLASSES,
                                              &ms), NC_ERR_NOTFOUND);
    ck_assert_msg(strstr(ctx.msg, "ir:cin="), "%s", ctx.msg);

    /* Calibrating on two of the table's own architectures (same seed, so
     * the same draws) gives a positive finite scale. */
    ck_assert_msg(nc_latency_table_calibrate(&ctx, t, sp, IN, CLASSES,
                                             REPEATS, 2, SEED) == NC_OK, "%s",
                  ctx.msg);
    ck_assert(isfinite(t->scale) && t->scale > 0);

    /* Save and load give the same table. */
    char path[512];
    nc_test_path(path, sizeof path, "lat.csv");
    ck_assert_msg(nc_latency_table_save(&ctx, t, path) == NC_OK, "%s",
                  ctx.msg);
    nc_latency_table *u;
    ck_assert_msg(nc_latency_table_load(&ctx, path, &u) == NC_OK, "%s",
                  ctx.msg);
    ck_assert_int_eq(u->n, t->n);
    ck_assert_int_eq(u->batch, 1);
    ck_assert_int_eq(u->threads, 1);
    ck_assert_str_eq(u->space, "mbv");
    ck_assert(fabs(u->scale - t->scale) < 1e-5);
    for (int i = 0; i < t->n; i++) {
        const nc_latency_entry *e = nc_latency_table_find(u, &t->e[i].cfg);
        ck_assert_ptr_nonnull(e);
        ck_assert(fabs(e->ms - t->e[i].ms) < 1e-6);
    }
    double p1, p2;
    ck_assert(!nc_latency_table_predict(&ctx, t, sp, &a[1], IN, CLASSES, &p1));
    ck_assert(!nc_latency_table_predict(&ctx, u, sp, &a[1], IN, CLASSES, &p2));
    ck_assert(fabs(p1 - p2) < 1e-4);
    nc_latency_table_free(u);
    nc_latency_table_free(t);
}
END_TEST

static void expect_corrupt(const char *text, const char *needle)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_test_path(path, sizeof path, "bad.csv");
    ck_assert_int_eq(nc_test_write_file(path, text, strlen(text)), 0);
    nc_latency_table *t = (nc_latency_table *)1;
    ck_assert_int_eq(nc_latency_table_load(&ctx, path, &t), NC_ERR_FORMAT);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(ctx.msg, needle), "'%s' lacks '%s'", ctx.msg,
                  needle);
}

START_TEST(test_corrupt)
{
    const char *head = "# nasc latency table v1 space=mbv batch=1 threads=1 "
                       "scale=1\n"
                       "kind,cin,cout,expand,kernel,stride,h,w,residual,ms\n";
    char buf[1024];
    expect_corrupt("hello\n", "bad.csv:1:");
    expect_corrupt("# nasc latency table v1 space=mbv batch=1 threads=1 "
                   "scale=-2\n", "bad.csv:1:");
    expect_corrupt("# nasc latency table v1 space=mbv batch=1 threads=1 "
                   "scale=1\nkind,ms\n", "bad.csv:2:");
    snprintf(buf, sizeof buf, "%sstem,1,16,0,3,1,28,28,0,0.1\n"
             "ir,16,24,4,3,2,28,28,0\n", head);
    expect_corrupt(buf, "bad.csv:4:");
    snprintf(buf, sizeof buf, "%sconv,1,16,0,3,1,28,28,0,0.1\n", head);
    expect_corrupt(buf, "bad.csv:3: unknown kind");
    snprintf(buf, sizeof buf, "%sstem,1,16,0,3,1,28,28,0,nan\n", head);
    expect_corrupt(buf, "bad.csv:3: ms");
    snprintf(buf, sizeof buf, "%sstem,1,-16,0,3,1,28,28,0,0.1\n", head);
    expect_corrupt(buf, "bad.csv:3:");
    snprintf(buf, sizeof buf, "%sstem,1,16,0,3,1,28,28,0,0.1\n"
             "stem,1,16,0,3,1,28,28,0,0.2\n", head);
    expect_corrupt(buf, "bad.csv:4: duplicate");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("latency");
    TCase *tc = tcase_create("latency");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_measure);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_corrupt);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
