/*
 * test_proxy_batch.c — many architectures scored by proxies in one call
 * (predictors/proxy_batch.h): the same bits for one thread and three, the
 * values of scoring each net by hand, degenerate nets flagged, a failing
 * architecture reported per entry and by the lowest index whatever the
 * threads, bad jobs refused before any work; and the shared data batch
 * (nested draws, channel-major copies, bad requests).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/pool.h"
#include "core/rng.h"
#include "predictors/proxy.h"
#include "predictors/proxy_batch.h"
#include "supernet/nb201.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

enum { N = 9, NP = 4, B = 6, C = 4, CELLS = 1, SLOTS = NC_NB201_SLOTS };

static const nc_shape IN = { 3, 16, 16 };
static const char *const PROXIES[NP] = { "synflow", "params", "snip",
                                         "jacob_cov" };
static const char NONE[] = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

static const nc_space *nb(void)
{
    const nc_space *sp = nc_space_find("nb201");
    ck_assert_ptr_nonnull(sp);
    return sp;
}

/* The build hook: a small NB201 net, failing with NC_ERR_RANGE for the
 * architectures listed in user (a NULL-terminated list). */
typedef struct builder {
    const nc_arch *bad[4];
} builder;

static int build(void *user, nc_ctx *ctx, nc_net *net, int x, const nc_arch *a,
                 int n_classes)
{
    const builder *b = user;
    for (int k = 0; b && b->bad[k]; k++)
        if (nc_arch_equal(nb(), a, b->bad[k]))
            return nc_fail(ctx, NC_ERR_RANGE, "no such cell"), -1;
    nc_nb201_arch c;
    memcpy(c.op, a->g, NC_NB201_N_EDGES);
    return nc_nb201_build(ctx, net, x, &c, C, CELLS, n_classes);
}

/* N random cells, the all-none cell at index 4. */
static void archs(nc_arch *a)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_rng r = nc_rng_make(11, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int i = 0; i < N; i++)
        nb()->sample(nb(), &r, &a[i]);
    ck_assert_int_eq(nb()->parse(nb(), &ctx, NONE, &a[4]), NC_OK);
}

typedef struct results {
    double score[NP * N], tags[N * SLOTS];
    unsigned flags[NP * N], tag_flags[N];
    nc_status status[N];
    size_t progress_calls, progress_last;
} results;

static void on_progress(void *user, size_t done, size_t n)
{
    results *r = user;
    ck_assert_uint_eq(n, N);
    ck_assert_uint_gt(done, r->progress_last);
    r->progress_last = done;
    r->progress_calls++;
}

/* Scores a[0..N) over `threads` threads (1: no pool) into *r; returns the
 * call's status. */
static nc_status run(nc_ctx *ctx, const nc_arch *a, const nc_proxy_data *d,
                     builder *bld, int keep_going, int threads, results *r)
{
    float *bx;
    nc_proxy_batch batch;
    ck_assert_int_eq(nc_proxy_data_batch(ctx, d, B, &bx, &batch), NC_OK);
    const nc_proxy_batch *data[NP] = { NULL, NULL, &batch, &batch };
    nc_proxy_job job = { .sp = nb(), .archs = a, .n = N, .in = IN,
                         .n_classes = d->n_classes, .build = build,
                         .build_user = bld, .proxies = PROXIES,
                         .n_proxies = NP, .data = data, .seed = 3,
                         .n_tags = SLOTS, .keep_going = keep_going,
                         .progress = on_progress, .progress_user = r };
    nc_proxy_job_out out = { r->score, r->flags, r->tags, r->tag_flags,
                             r->status };
    memset(r, 0, sizeof *r);
    nc_pool *pool = nc_pool_new(threads);
    nc_status st = nc_proxy_score_archs(ctx, &job, pool, &out);
    nc_pool_free(pool);
    free(bx);
    return st;
}

/* proxy on a's net built by hand, as nc_proxy_score gives it. */
static nc_proxy_result by_hand(const nc_arch *a, const char *proxy,
                               const nc_proxy_batch *batch)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, IN);
    ck_assert_int_eq(nc_net_want_input_grad(&ctx, net), NC_OK);
    int y = build(NULL, &ctx, net, x, a, 10);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, B), NC_OK);
    nc_proxy_result r;
    ck_assert_msg(nc_proxy_score(&ctx, proxy, net, batch, 3, &r) == NC_OK,
                  "%s", ctx.msg);
    nc_net_free(net);
    return r;
}

START_TEST(test_threads_give_the_same_bits)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a[N];
    archs(a);
    nc_proxy_data d;
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "noise", NULL, IN, B, 5, &d),
                     NC_OK);
    static results r1, r3;
    ck_assert_msg(run(&ctx, a, &d, NULL, 0, 1, &r1) == NC_OK, "%s", ctx.msg);
    ck_assert_msg(run(&ctx, a, &d, NULL, 0, 3, &r3) == NC_OK, "%s", ctx.msg);
    ck_assert(memcmp(r1.score, r3.score, sizeof r1.score) == 0);
    ck_assert(memcmp(r1.flags, r3.flags, sizeof r1.flags) == 0);
    ck_assert(memcmp(r1.tags, r3.tags, sizeof r1.tags) == 0);
    ck_assert(memcmp(r1.tag_flags, r3.tag_flags, sizeof r1.tag_flags) == 0);
    /* One thread: called after every architecture. */
    ck_assert_uint_eq(r1.progress_calls, N);
    ck_assert_uint_eq(r1.progress_last, N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(r1.status[i], NC_OK);

    /* The values of each net scored by hand. */
    float *bx;
    nc_proxy_batch batch;
    ck_assert_int_eq(nc_proxy_data_batch(&ctx, &d, B, &bx, &batch), NC_OK);
    for (int i = 0; i < N; i++)
        for (int p = 0; p < NP; p++) {
            nc_proxy_result h = by_hand(&a[i], PROXIES[p],
                                        p >= 2 ? &batch : NULL);
            ck_assert_msg(memcmp(&h.score, &r1.score[p * N + i],
                                 sizeof h.score) == 0,
                          "%s of %d: %g by hand, %g", PROXIES[p], i, h.score,
                          r1.score[p * N + i]);
            ck_assert_uint_eq(h.flags, r1.flags[p * N + i]);
        }
    free(bx);

    /* The all-none cell: -inf and flagged, except the structural params;
     * its tag sums are the definition's zeros. Synflow's tags add up. */
    ck_assert(r1.score[0 * N + 4] == -INFINITY);
    ck_assert_uint_eq(r1.flags[0 * N + 4], NC_PROXY_DEGENERATE);
    ck_assert(r1.score[2 * N + 4] == -INFINITY);
    ck_assert(isfinite(r1.score[1 * N + 4]));
    ck_assert_uint_eq(r1.flags[1 * N + 4], 0);
    ck_assert_uint_eq(r1.tag_flags[4], NC_PROXY_DEGENERATE);
    for (int t = 0; t < SLOTS; t++)
        ck_assert(r1.tags[4 * SLOTS + t] == 0);
    for (int i = 0; i < N; i++) {
        if (i == 4)
            continue;
        double sum = 0;
        for (int t = 0; t < SLOTS; t++)
            sum += r1.tags[i * SLOTS + t];
        ck_assert_uint_eq(r1.flags[i], 0);
        ck_assert(fabs(sum - r1.score[i]) <= 1e-12 * r1.score[i]);
    }
    nc_proxy_data_free(&d);
    nc_proxy_data_free(&d);
}
END_TEST

START_TEST(test_failures_reported_per_entry)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a[N];
    archs(a);
    nc_proxy_data d;
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "noise", NULL, IN, B, 5, &d),
                     NC_OK);
    builder bld = { { &a[6], &a[2], NULL } };
    char s2[NC_ARCH_STR_MAX], want[NC_ARCH_STR_MAX + 32];
    nb()->format(nb(), &a[2], s2, sizeof s2);
    snprintf(want, sizeof want, "%s: no such cell", s2);
    static results r1, r3, k1, k3;

    /* Going on past failures: every other entry scored, each failure where
     * it happened, the lowest one returned. */
    ck_assert_int_eq(run(&ctx, a, &d, &bld, 1, 1, &k1), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, want);
    nc_ctx_clear(&ctx);
    ck_assert_int_eq(run(&ctx, a, &d, &bld, 1, 3, &k3), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, want);
    for (int i = 0; i < N; i++) {
        nc_status want_st = i == 2 || i == 6 ? NC_ERR_RANGE : NC_OK;
        ck_assert_int_eq(k1.status[i], want_st);
        ck_assert_int_eq(k3.status[i], want_st);
        for (int p = 0; p < NP; p++)
            ck_assert(want_st ? isnan(k1.score[p * N + i])
                              : !isnan(k1.score[p * N + i]));
        ck_assert(want_st ? isnan(k1.tags[i * SLOTS])
                          : k1.tags[i * SLOTS] >= 0);
    }
    ck_assert(memcmp(k1.score, k3.score, sizeof k1.score) == 0);

    /* Stopping at the first failure: the same one returned for one thread
     * and three; with one, nothing after it is started. */
    ck_assert_int_eq(run(&ctx, a, &d, &bld, 0, 1, &r1), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, want);
    ck_assert_int_eq(run(&ctx, a, &d, &bld, 0, 3, &r3), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, want);
    for (int i = 0; i < N; i++) {
        nc_status st = i < 2 ? NC_OK : i == 2 ? NC_ERR_RANGE : NC_ERR_STATE;
        ck_assert_int_eq(r1.status[i], st);
        /* Three threads may have started a few more. */
        if (i <= 2)
            ck_assert_int_eq(r3.status[i], st);
        else
            ck_assert(r3.status[i] == NC_OK || r3.status[i] == NC_ERR_STATE
                      || (i == 6 && r3.status[i] == NC_ERR_RANGE));
        ck_assert(r1.status[i] ? isnan(r1.score[i]) : !isnan(r1.score[i]));
    }
    ck_assert_uint_eq(r1.progress_last, 3);
    nc_proxy_data_free(&d);
}
END_TEST

START_TEST(test_bad_jobs_refused)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a[N];
    archs(a);
    double score[N];
    const char *names[1] = { "synflw" };
    nc_proxy_job job = { .sp = nb(), .archs = a, .n = N, .in = IN,
                         .n_classes = 10, .build = build, .proxies = names,
                         .n_proxies = 1, .seed = 1 };
    nc_proxy_job_out out = { .score = score };
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "unknown proxy 'synflw' (known: params");
    names[0] = "snip";
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "'snip' reads a batch of data, but none");
    names[0] = "params";
    nc_proxy_job_out none = { 0 };
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &none),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "score array missing");
    job.n_tags = 3;
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "tag array missing");
    job.n_tags = 0;
    job.n_classes = 0;
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "classes 0");
    job.n_classes = 10;
    /* The space's own build (the 16x16 input keeps it cheap), and n = 0. */
    job.build = NULL;
    job.n = 2;
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out), NC_OK);
    ck_assert(score[0] > 0 && score[1] > 0);
    job.n = 0;
    ck_assert_int_eq(nc_proxy_score_archs(&ctx, &job, NULL, &out), NC_OK);
}
END_TEST

START_TEST(test_data_batch)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_proxy_data d8, d3;
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "noise", NULL, IN, 8, 2, &d8),
                     NC_OK);
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "noise", NULL, IN, 3, 2, &d3),
                     NC_OK);
    ck_assert_int_eq(d8.n_classes, 10);
    ck_assert_int_eq(d8.n, 8);
    /* Nested draws: labels always; pixels for the noise of one stream. */
    ck_assert(memcmp(d8.labels, d3.labels, 3 * sizeof *d3.labels) == 0);
    size_t per = (size_t)IN.c * IN.h * IN.w, hw = (size_t)IN.h * IN.w;
    ck_assert(memcmp(d8.x, d3.x, 3 * per * sizeof *d3.x) == 0);
    for (int i = 0; i < 8; i++)
        ck_assert(d8.labels[i] >= 0 && d8.labels[i] < 10);

    /* Channel-major copy of the first b samples. */
    float *bx;
    nc_proxy_batch b;
    ck_assert_int_eq(nc_proxy_data_batch(&ctx, &d8, 5, &bx, &b), NC_OK);
    ck_assert_int_eq(b.n, 5);
    ck_assert_ptr_eq(b.x, bx);
    ck_assert_ptr_eq(b.labels, d8.labels);
    for (int i = 0; i < 5; i++)
        for (int c = 0; c < IN.c; c++)
            for (size_t k = 0; k < hw; k += 37)
                ck_assert(bx[((size_t)c * 5 + i) * hw + k]
                          == d8.x[i * per + c * hw + k]);
    free(bx);
    ck_assert_int_eq(nc_proxy_data_batch(&ctx, &d8, 9, &bx, &b), NC_ERR_INVAL);
    ck_assert_ptr_null(bx);
    ck_assert_int_eq(nc_proxy_data_batch(&ctx, &d8, 0, &bx, &b), NC_ERR_INVAL);

    nc_proxy_data bad;
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "cifar11", NULL, IN, 3, 2, &bad),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "unknown data set 'cifar11'");
    ck_assert_ptr_null(bad.x);
    ck_assert_int_eq(nc_proxy_data_load(&ctx, "noise", NULL, IN, 0, 2, &bad),
                     NC_ERR_INVAL);
    nc_proxy_data_free(&d8);
    nc_proxy_data_free(&d3);
    nc_proxy_data_free(NULL);
}
END_TEST

static Suite *proxy_batch_suite(void)
{
    Suite *s = suite_create("proxy_batch");
    TCase *tc = tcase_create("proxy_batch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_threads_give_the_same_bits);
    tcase_add_test(tc, test_failures_reported_per_entry);
    tcase_add_test(tc, test_bad_jobs_refused);
    tcase_add_test(tc, test_data_batch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(proxy_batch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
