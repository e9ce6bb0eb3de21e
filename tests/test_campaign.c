/*
 * test_campaign.c — running search campaigns (campaign/campaign.c) with the
 * table evaluator on a synthetic NB201 table the test writes: a campaign
 * reaches its budget; one stopped part-way and resumed (several times)
 * stores exactly the trials of an uninterrupted one; a done campaign is not
 * resumed; the unimplemented evaluator and the latency objective on a
 * space without a latency table are refused up front.
 */
#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"
#include "campaign/campaign.h"
#include "supernet/nb201.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every NB201 architecture with metrics that vary irregularly with the
 * index, so a search has something to find; made once per process. */
static double table_valid(int i, const nc_arch *a)
{
    (void)a;
    unsigned h = (unsigned)i * 2654435761u;
    return 50.0 + (double)(h % 40000u) / 1000.0;
}

static const char *table_path(void)
{
    static char path[600];
    return path[0] ? path : nc_test_nb201_table(path, sizeof path, "nb201_synth.csv",
                                                table_valid);
}

static nc_store *fresh_db(nc_ctx *ctx, const char *name)
{
    char p[600];
    nc_test_path(p, sizeof p, name);
    unlink(p);
    nc_store *db = NULL;
    ck_assert_msg(nc_store_open(ctx, p, 1, &db) == NC_OK, "%s", ctx->msg);
    return db;
}

static nc_campaign_cfg cfg_of(nc_strategy_kind k, int64_t budget)
{
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    c.strategy = k;
    c.population = 8;
    c.sample = 3;
    c.budget = budget;
    c.seed = 42;
    snprintf(c.table_file, sizeof c.table_file, "%s", table_path());
    strcpy(c.select_metric, "valid");
    strcpy(c.report_metric, "test");
    if (k == NC_STRATEGY_NSGA2) {
        c.n_obj = 2;
        c.obj[0] = NC_OBJ_ACCURACY;
        c.obj[1] = NC_OBJ_PARAMS;
        c.crossover = 0.9;
    }
    return c;
}

/* The trials must agree in everything but their timing. */
static void expect_same_trials(nc_ctx *ctx, nc_store *db, int64_t a, int64_t b,
                               int n_expect)
{
    nc_trial_rec *ra, *rb;
    int na, nb;
    ck_assert_int_eq(nc_store_trials(ctx, db, a, &ra, &na), NC_OK);
    ck_assert_int_eq(nc_store_trials(ctx, db, b, &rb, &nb), NC_OK);
    /* Repeats answered from the cache are trials too, beyond the budget. */
    ck_assert_int_ge(na, n_expect);
    ck_assert_int_eq(nb, na);
    for (int i = 0; i < na; i++) {
        ck_assert_int_eq(ra[i].trial, i);
        ck_assert_int_eq(rb[i].trial, i);
        ck_assert_str_eq(ra[i].arch, rb[i].arch);
        ck_assert_str_eq(ra[i].origin, rb[i].origin);
        ck_assert_str_eq(ra[i].status, "done");
        ck_assert_str_eq(rb[i].status, "done");
        ck_assert_int_eq(ra[i].parent1, rb[i].parent1);
        ck_assert_int_eq(ra[i].parent2, rb[i].parent2);
        ck_assert_int_eq(ra[i].n_obj, rb[i].n_obj);
        for (int k = 0; k < ra[i].n_obj; k++)
            ck_assert(ra[i].obj[k] == rb[i].obj[k]);
        ck_assert_str_eq(ra[i].metrics_json, rb[i].metrics_json);
    }
    nc_trial_recs_free(ra, na);
    nc_trial_recs_free(rb, nb);
}

/* Every repeated architecture was answered from its first trial: same
 * objectives, metrics marked "cached_from" that trial, no time spent; and
 * the distinct architectures are the budget. */
static void expect_cache_kept(nc_ctx *ctx, nc_store *db, int64_t run,
                              const nc_campaign_result *r)
{
    nc_trial_rec *t;
    int n;
    ck_assert_int_eq(nc_store_trials(ctx, db, run, &t, &n), NC_OK);
    ck_assert_int_eq(n, r->trials);
    int unique = 0;
    for (int i = 0; i < n; i++) {
        int first = -1;
        for (int j = 0; j < i && first < 0; j++)
            if (strcmp(t[j].arch, t[i].arch) == 0)
                first = j;
        if (first < 0) {
            unique++;
            ck_assert_ptr_null(strstr(t[i].metrics_json, "cached_from"));
            continue;
        }
        char want[48];
        snprintf(want, sizeof want, "{\"cached_from\": %d, ", first);
        ck_assert_msg(strncmp(t[i].metrics_json, want, strlen(want)) == 0,
                      "trial %d: %s", i, t[i].metrics_json);
        ck_assert_str_eq(t[i].metrics_json + strlen(want),
                         t[first].metrics_json + 1);
        ck_assert(t[i].seconds == 0);
        ck_assert_int_eq(t[i].n_obj, t[first].n_obj);
        for (int k = 0; k < t[i].n_obj; k++)
            ck_assert(t[i].obj[k] == t[first].obj[k]);
    }
    ck_assert_int_eq(unique, r->unique);
    nc_trial_recs_free(t, n);
}

START_TEST(test_runs_to_budget)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = fresh_db(&ctx, "budget.db");
    nc_campaign_cfg c = cfg_of(NC_STRATEGY_EVOLUTION, 60);
    int64_t run = -1;
    nc_campaign_result r;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &run, &r) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(r.unique, 60);
    ck_assert_int_ge(r.trials, 60);
    ck_assert_int_eq(r.budget, 60);
    expect_cache_kept(&ctx, db, run, &r);
    ck_assert_int_ge(r.best_trial, 0);
    ck_assert(isfinite(r.best_obj[0]));
    ck_assert(fabs(r.best_report - (r.best_select - 1.5)) < 1e-9);
    ck_assert_int_eq(r.pareto_size, 1);

    nc_run_info info;
    ck_assert_int_eq(nc_store_run_get(&ctx, db, run, &info), NC_OK);
    ck_assert_str_eq(info.kind, "search");
    ck_assert_str_eq(info.status, "done");
    nc_run_info_clear(&info);
    char *res = NULL;
    ck_assert_int_eq(nc_store_run_result(&ctx, db, run, &res), NC_OK);
    ck_assert_ptr_nonnull(strstr(res, "\"pareto_size\""));
    free(res);
    nc_campaign_rec cr;
    ck_assert_int_eq(nc_store_campaign_get(&ctx, db, run, &cr), NC_OK);
    ck_assert_str_eq(cr.status, "done");
    nc_campaign_rec_clear(&cr);

    /* The config round-trips through the run: resume needs nothing else. */
    nc_campaign_cfg back;
    ck_assert_int_eq(nc_campaign_cfg_of_run(&ctx, db, run, &back), NC_OK);
    ck_assert_int_eq(back.budget, 60);
    ck_assert_str_eq(back.table_file, c.table_file);
    nc_store_close(db);
}
END_TEST

static void resume_matches(nc_strategy_kind k, int64_t budget)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = fresh_db(&ctx, "resume.db");
    nc_campaign_cfg c = cfg_of(k, budget);
    int64_t whole = -1, parts = -1;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &whole, NULL) == NC_OK,
                  "%s", ctx.msg);

    ck_assert_int_eq(nc_campaign_create(&ctx, db, &c, &parts), NC_OK);
    nc_campaign_result r;
    /* Stops inside the random warm-up, inside a generation, and at once. */
    const int64_t steps[] = { 5, 0, 13, 1, 22 };
    int64_t done = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ck_assert_msg(nc_campaign_continue(&ctx, db, parts, NULL, steps[i],
                                           &r) == NC_OK, "%s", ctx.msg);
        done += steps[i];
        ck_assert_int_eq(r.trials, done);
        ck_assert_int_le(r.unique, r.trials);
        nc_run_info info;
        ck_assert_int_eq(nc_store_run_get(&ctx, db, parts, &info), NC_OK);
        ck_assert_str_eq(info.status, "running");
        nc_run_info_clear(&info);
    }
    ck_assert_msg(nc_campaign_resume(&ctx, db, parts, NULL, &r) == NC_OK, "%s",
                  ctx.msg);
    ck_assert_int_eq(r.unique, budget);
    expect_same_trials(&ctx, db, whole, parts, (int)budget);
    nc_store_close(db);
}

START_TEST(test_resume_same_trials_evolution)
{
    resume_matches(NC_STRATEGY_EVOLUTION, 70);
}
END_TEST

START_TEST(test_resume_same_trials_nsga2)
{
    resume_matches(NC_STRATEGY_NSGA2, 48);
}
END_TEST

START_TEST(test_resume_done_refused)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = fresh_db(&ctx, "done.db");
    nc_campaign_cfg c = cfg_of(NC_STRATEGY_RANDOM, 10);
    int64_t run = -1;
    ck_assert_int_eq(nc_campaign_start(&ctx, db, &c, NULL, &run, NULL), NC_OK);
    ck_assert_int_eq(nc_campaign_resume(&ctx, db, run, NULL, NULL), NC_ERR_STATE);
    char want[64];
    snprintf(want, sizeof want, "run %lld is already done", (long long)run);
    nc_test_expect_msg(&ctx, want);
    int n = -1;
    ck_assert_int_eq(nc_store_trial_count(&ctx, db, run, &n), NC_OK);
    ck_assert_int_ge(n, 10);
    nc_store_close(db);
}
END_TEST

START_TEST(test_unimplemented_refused)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = fresh_db(&ctx, "refuse.db");
    nc_campaign_cfg c = cfg_of(NC_STRATEGY_RANDOM, 10);
    c.evaluator = NC_EVAL_INHERITED;
    c.supernet = NC_SUPERNET_SPOS;
    strcpy(c.space, "mlp");   /* a space without a weight-sharing supernet */
    int64_t run = -1;
    ck_assert_int_eq(nc_campaign_start(&ctx, db, &c, NULL, &run, NULL),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "needs a space with a supernet");
    ck_assert_int_eq(run, -1);   /* no run is left behind */

    /* Only mbv has a latency table. */
    c = cfg_of(NC_STRATEGY_NSGA2, 10);
    c.obj[1] = NC_OBJ_LATENCY;
    ck_assert_int_eq(nc_campaign_start(&ctx, db, &c, NULL, &run, NULL),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "only the mbv space has");
    ck_assert_int_eq(run, -1);

    c = cfg_of(NC_STRATEGY_RANDOM, 10);
    strcpy(c.table_file, "/nonexistent/table.csv");
    ck_assert_int_ne(nc_campaign_start(&ctx, db, &c, NULL, &run, NULL), NC_OK);
    ck_assert_int_eq(run, -1);
    nc_store_close(db);
}
END_TEST

static Suite *campaign_suite(void)
{
    Suite *s = suite_create("campaign");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_runs_to_budget);
    tcase_add_test(tc, test_resume_same_trials_evolution);
    tcase_add_test(tc, test_resume_same_trials_nsga2);
    tcase_add_test(tc, test_resume_done_refused);
    tcase_add_test(tc, test_unimplemented_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(campaign_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
