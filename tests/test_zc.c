/*
 * test_zc.c — zero-cost help in predictor-guided search: the warm-up starts
 * from the proxy's best of a pool, the proxy score as a predictor feature,
 * both restored exactly by replay and by a resumed campaign; the scorer of
 * campaign/zc.h gives nc_proxy_score's values, memoized, independent of its
 * thread count; bad settings and bad scores are refused with their reason.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"
#include "core/net.h"
#include "predictors/proxy.h"
#include "campaign/campaign.h"
#include "search/strategy.h"
#include "campaign/zc.h"
#include "supernet/nb201.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

static const nc_space *nb(void)
{
    const nc_space *sp = nc_space_find("nb201");
    ck_assert_ptr_nonnull(sp);
    return sp;
}


/* Test scorers: user points at a mode. */
enum { ZC_GOOD, ZC_BAD, ZC_NAN, ZC_FAIL };
typedef struct zuser {
    int mode;
    long calls, scored;
} zuser;

/* GOOD: the objective itself (a perfect proxy); BAD: its negation; NAN:
 * a NaN score; FAIL: a scorer error. Cells whose gene 0 is 0 score -inf
 * under GOOD, to exercise degenerate scores. */
static nc_status zc_fn(void *user, nc_ctx *ctx, const nc_arch *a, size_t n,
                       double *score)
{
    zuser *u = user;
    u->calls++;
    u->scored += (long)n;
    if (u->mode == ZC_FAIL)
        return nc_fail(ctx, NC_ERR_IO, "scorer broke");
    for (size_t i = 0; i < n; i++) {
        double v = nc_test_nb201_objective(&a[i]);
        score[i] = u->mode == ZC_GOOD ? (a[i].g[0] == 0 ? -INFINITY : v)
                 : u->mode == ZC_BAD ? -v : NAN;
    }
    return NC_OK;
}

static nc_strategy *make(uint64_t seed, int pool, int feature, zuser *u)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg cfg = nc_strategy_defaults(NC_STRATEGY_PREDICTIVE);
    cfg.seed = seed;
    cfg.init = 10;
    cfg.candidates = 100;
    cfg.zc_pool = pool;
    cfg.zc_feature = feature;
    nc_strategy *s = NULL;
    ck_assert_msg(nc_strategy_new(&ctx, NC_STRATEGY_PREDICTIVE, nb(), &cfg,
                                  &s) == NC_OK, "%s", ctx.msg);
    if (u)
        nc_strategy_set_zc(s, zc_fn, u);
    return s;
}

static void run(nc_strategy *s, int64_t from, int64_t n, nc_proposal *p)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (int64_t t = from; t < n; t++) {
        ck_assert_msg(nc_strategy_ask(&ctx, s, t, &p[t]) == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, t, &p[t].arch,
                                          nc_test_nb201_objective(&p[t].arch)), NC_OK);
    }
}

START_TEST(test_settings_checked)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg c = nc_strategy_defaults(NC_STRATEGY_PREDICTIVE);
    nc_strategy *s = NULL;
    c.zc_pool = c.init - 1;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_PREDICTIVE, nb(), &c, &s),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "zc_pool 19 out of range");
    c.zc_pool = 0;
    c.zc_feature = 2;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_PREDICTIVE, nb(), &c, &s),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "zc_feature 2");
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_warmup_takes_the_pool_best)
{
    enum { N = 10 };
    nc_proposal good[N], bad[N], plain[N];
    zuser ug = { ZC_GOOD, 0, 0 }, ub = { ZC_BAD, 0, 0 };
    nc_strategy *g = make(3, 500, 0, &ug), *b = make(3, 500, 0, &ub);
    nc_strategy *p = make(3, 0, 0, NULL);
    run(g, 0, N, good);
    run(b, 0, N, bad);
    run(p, 0, N, plain);
    double sg = 0, sb = 0, sp = 0;
    for (int t = 0; t < N; t++) {
        ck_assert_int_eq(good[t].origin, NC_ORIGIN_WARMUP);
        ck_assert_int_eq(plain[t].origin, NC_ORIGIN_RANDOM);
        ck_assert_int_eq(good[t].n_parents, 0);
        sg += nc_test_nb201_objective(&good[t].arch);
        sb += nc_test_nb201_objective(&bad[t].arch);
        sp += nc_test_nb201_objective(&plain[t].arch);
        /* Best first, distinct, never a -inf while finite ones remain. */
        ck_assert_int_ne(good[t].arch.g[0], 0);
        if (t > 0)
            ck_assert(nc_test_nb201_objective(&good[t].arch) <=
                      nc_test_nb201_objective(&good[t - 1].arch));
        for (int k = 0; k < t; k++)
            ck_assert(!nc_arch_equal(nb(), &good[t].arch, &good[k].arch));
    }
    /* The pool is scored once, in one batch, whatever the trial count. */
    ck_assert_int_eq(ug.calls, 1);
    ck_assert_int_eq(ug.scored, 500);
    /* The best 10 of 500 by a perfect proxy are the top 2% (mean 48.5 with
     * this seed), the worst 10 the bottom 2% (5.7); a random start averages
     * about 27. */
    ck_assert(sg / N > sp / N + 15);
    ck_assert(sb / N < sp / N - 15);
    nc_strategy_free(g);
    nc_strategy_free(b);
    nc_strategy_free(p);
}
END_TEST

START_TEST(test_replay_restores_with_zc)
{
    enum { N = 40 };
    nc_proposal a[N], b[N];
    zuser u = { ZC_GOOD, 0, 0 };
    nc_strategy *s = make(11, 200, 1, &u);
    run(s, 0, N, a);
    const int cuts[] = { 0, 3, 10, 17, 33 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        zuser v = { ZC_GOOD, 0, 0 };
        nc_strategy *r = make(11, 200, 1, &v);
        for (int t = 0; t < cuts[c]; t++)
            ck_assert_int_eq(nc_strategy_tell(&ctx, r, t, &a[t].arch,
                                              nc_test_nb201_objective(&a[t].arch)), NC_OK);
        run(r, cuts[c], N, b);
        for (int t = cuts[c]; t < N; t++) {
            ck_assert(nc_arch_equal(nb(), &a[t].arch, &b[t].arch));
            ck_assert_int_eq(a[t].origin, b[t].origin);
        }
        nc_strategy_free(r);
    }
    /* The feature changes what is proposed: without it the same seed and
     * pool propose otherwise after the warm-up. */
    nc_strategy *o = make(11, 200, 0, &u);
    run(o, 0, N, b);
    int differ = 0;
    for (int t = 10; t < N; t++)
        differ += !nc_arch_equal(nb(), &a[t].arch, &b[t].arch);
    ck_assert_int_gt(differ, 0);
    for (int t = 0; t < 10; t++)
        ck_assert(nc_arch_equal(nb(), &a[t].arch, &b[t].arch));
    nc_strategy_free(o);
    nc_strategy_free(s);
}
END_TEST

START_TEST(test_bad_scorers)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_proposal p;
    nc_strategy *s = make(1, 50, 0, NULL);
    ck_assert_int_eq(nc_strategy_ask(&ctx, s, 0, &p), NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "no zero-cost scorer");
    nc_strategy_free(s);

    zuser un = { ZC_NAN, 0, 0 }, uf = { ZC_FAIL, 0, 0 };
    s = make(1, 50, 0, &un);
    ck_assert_int_eq(nc_strategy_ask(&ctx, s, 0, &p), NC_ERR_NUMERIC);
    nc_test_expect_msg(&ctx, "zero-cost score of |");
    nc_strategy_free(s);
    s = make(1, 50, 0, &uf);
    ck_assert_int_eq(nc_strategy_ask(&ctx, s, 0, &p), NC_ERR_IO);
    nc_test_expect_msg(&ctx, "scorer broke");
    nc_strategy_free(s);

    /* A feature-only strategy needs the scorer only once the predictor is
     * fitted: the random start still works without it. */
    s = make(1, 0, 1, NULL);
    for (int t = 0; t < 10; t++) {
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, t, &p), NC_OK);
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, t, &p.arch,
                                          nc_test_nb201_objective(&p.arch)), NC_OK);
    }
    ck_assert_int_eq(nc_strategy_ask(&ctx, s, 10, &p), NC_ERR_STATE);
    nc_strategy_free(s);
}
END_TEST

/* ---- the net-building scorer ------------------------------------------- */

static double direct_score(const nc_arch *a, const char *proxy, nc_shape in)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, in);
    int y = nb()->build(nb(), &ctx, net, x, a, 10);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(nc_net_finalize(&ctx, net, y, 1), NC_OK);
    nc_proxy_result r;
    ck_assert_msg(nc_proxy_score(&ctx, proxy, net, NULL, 5, &r) == NC_OK, "%s",
                  ctx.msg);
    nc_net_free(net);
    return (r.flags & NC_PROXY_DEGENERATE) ? -INFINITY : r.score;
}

START_TEST(test_scorer)
{
    enum { N = 12 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_shape in = { 3, 16, 16 };
    nc_arch a[N + 2];
    nc_rng r = nc_rng_make(9, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int i = 0; i < N; i++)
        nb()->sample(nb(), &r, &a[i]);
    /* A disconnected cell (every edge none) and a repeat. */
    ck_assert_int_eq(nb()->parse(nb(), &ctx, "|none~0|+|none~0|none~1|+|none~0|"
                                 "none~1|none~2|", &a[N]), NC_OK);
    a[N + 1] = a[2];
    nc_zc *z1, *z2;
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "synflow", in, 10, 5, 1, &z1), NC_OK);
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "synflow", in, 10, 5, 2, &z2), NC_OK);
    double v1[N + 2], v2[N + 2], w[3];
    ck_assert_msg(nc_zc_score(z1, &ctx, a, N + 2, v1) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_zc_n_scored(z1), N + 1);
    /* Two threads, in two batches overlapping the first: same bits. */
    ck_assert_int_eq(nc_zc_score(z2, &ctx, a + 5, N - 3, v2 + 5), NC_OK);
    ck_assert_int_eq(nc_zc_score(z2, &ctx, a, N + 2, v2), NC_OK);
    ck_assert_int_eq(nc_zc_n_scored(z2), N + 1);
    for (int i = 0; i < N + 2; i++)
        ck_assert(memcmp(&v1[i], &v2[i], sizeof v1[i]) == 0);
    ck_assert(v1[N] == -INFINITY);
    ck_assert(v1[N + 1] == v1[2]);
    for (int i = 0; i < 3; i++)
        ck_assert(v1[i] == direct_score(&a[i], "synflow", in));
    /* params: the net's parameter count. */
    nc_zc *zp;
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "params", in, 10, 5, 1, &zp), NC_OK);
    ck_assert_int_eq(nc_zc_score(zp, &ctx, a, 3, w), NC_OK);
    for (int i = 0; i < 3; i++)
        ck_assert(w[i] == direct_score(&a[i], "params", in));
    nc_zc_free(zp);
    nc_zc_free(z1);
    nc_zc_free(z2);
    nc_zc_free(NULL);

    nc_zc *zb = NULL;
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "snip", in, 10, 5, 1, &zb),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "'snip' needs a batch of data");
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "synflw", in, 10, 5, 1, &zb),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "unknown proxy 'synflw' (known: ");
    ck_assert_int_eq(nc_zc_new(&ctx, nb(), "synflow", in, 10, 5, 0, &zb),
                     NC_ERR_INVAL);
    ck_assert_ptr_null(zb);
}
END_TEST

/* ---- a campaign ---------------------------------------------------------- */

/* Every NB201 architecture with a learnable valid column; written once. */
static const char *table_path(void)
{
    static char path[600];
    return path[0] ? path : nc_test_nb201_table(path, sizeof path, "nb201_zc.csv",
                                                nc_test_nb201_learnable);
}

START_TEST(test_campaign_resume_with_zc)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char p[600];
    nc_test_path(p, sizeof p, "zc.db");
    unlink(p);
    nc_store *db = NULL;
    ck_assert_msg(nc_store_open(&ctx, p, 1, &db) == NC_OK, "%s", ctx.msg);
    /* The campaign file names the settings; the proxy is params (cheap: no
     * backward pass) on the data set's 1x28x28 input. */
    const char *js = "{\"space\":\"nb201\",\"dataset\":\"fashion-mnist\","
        "\"strategy\":{\"kind\":\"predictive\",\"init\":6,\"candidates\":12,"
        "\"zc_pool\":30,\"zc_feature\":true,\"zc_proxy\":\"params\"},"
        "\"evaluator\":{\"kind\":\"table\",\"file\":\"x.csv\",\"select\":"
        "\"valid\",\"report\":\"test\"},\"objectives\":[\"accuracy\"],"
        "\"budget\":16,\"seed\":\"5\"}";
    nc_campaign_cfg c;
    ck_assert_msg(nc_campaign_cfg_from_json(&ctx, js, &c) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(c.pred.zc_pool, 30);
    ck_assert_int_eq(c.pred.zc_feature, 1);
    ck_assert_str_eq(c.pred.zc_proxy, "params");
    snprintf(c.table_file, sizeof c.table_file, "%s", table_path());
    int64_t whole = -1, parts = -1;
    nc_campaign_result r;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &whole, &r) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(r.trials, 16);
    ck_assert_int_eq(nc_campaign_create(&ctx, db, &c, &parts), NC_OK);
    const int64_t steps[] = { 4, 2, 0, 3 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        ck_assert_msg(nc_campaign_continue(&ctx, db, parts, NULL, steps[i],
                                           &r) == NC_OK, "%s", ctx.msg);
    ck_assert_msg(nc_campaign_resume(&ctx, db, parts, NULL, &r) == NC_OK, "%s",
                  ctx.msg);
    nc_test_expect_same_trials(&ctx, db, whole, db, parts, 16);
    nc_trial_rec *recs;
    int n;
    ck_assert_int_eq(nc_store_trials(&ctx, db, whole, &recs, &n), NC_OK);
    ck_assert_int_eq(n, 16);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(recs[i].origin, i < 6 ? "warmup" : "predicted");
    nc_trial_recs_free(recs, n);
    /* The settings come back from the stored config. */
    nc_campaign_cfg back;
    ck_assert_int_eq(nc_campaign_cfg_of_run(&ctx, db, whole, &back), NC_OK);
    nc_test_expect_same_predictive(&back.pred, &c.pred);
    nc_store_close(db);
}
END_TEST

START_TEST(test_campaign_bad_settings)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    static const struct { const char *strategy, *needle; } bad[] = {
        { "\"zc_pool\":5", "'strategy.zc_pool'" },
        { "\"zc_pool\":50,\"zc_proxy\":\"snip\"", "'snip' needs a batch" },
        { "\"zc_feature\":true,\"zc_proxy\":\"nope\"", "unknown proxy 'nope'" },
        { "\"zc_feature\":3", "'strategy.zc_feature' must be true or false" },
        { "\"zc_proxy\":7", "'strategy.zc_proxy' must be a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char js[512];
        snprintf(js, sizeof js, "{\"space\":\"nb201\",\"strategy\":{\"kind\":"
                 "\"predictive\",%s},\"evaluator\":{\"kind\":\"table\","
                 "\"file\":\"x.csv\"},\"objectives\":[\"accuracy\"],"
                 "\"budget\":10}", bad[i].strategy);
        nc_campaign_cfg c;
        nc_status st = nc_campaign_cfg_from_json(&ctx, js, &c);
        if (!st)
            st = nc_campaign_cfg_validate(&ctx, &c);
        ck_assert_int_ne(st, NC_OK);
        nc_test_expect_msg(&ctx, bad[i].needle);
    }
}
END_TEST

static Suite *zc_suite(void)
{
    Suite *s = suite_create("zc");
    TCase *tc = tcase_create("zc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_settings_checked);
    tcase_add_test(tc, test_warmup_takes_the_pool_best);
    tcase_add_test(tc, test_replay_restores_with_zc);
    tcase_add_test(tc, test_bad_scorers);
    tcase_add_test(tc, test_scorer);
    tcase_add_test(tc, test_campaign_resume_with_zc);
    tcase_add_test(tc, test_campaign_bad_settings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(zc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
