/*
 * test_eval_scratch.c — the scratch evaluator (campaign/eval_scratch.c) on a
 * tiny synthetic Fashion-MNIST-shaped data set the test writes: a campaign
 * in the mlp space trains one marked run per trial; two campaigns with the
 * same config give the same trials; a campaign stopped part-way (max_trials)
 * and continued gives the same trials; and one whose trial is interrupted
 * after its first epoch (an SQLite trigger makes the second epoch's commit
 * fail, as a kill would) continues that trial's training run from its
 * checkpoint instead of starting another.
 *
 * Also the latency objective (campaign/eval_latency.c), on mbv trained from
 * scratch with the same data: the table is stored with the campaign when it
 * first runs, each trial's latency_ms is its prediction, and a campaign
 * continued after its table file changed keeps predicting from the stored
 * table.
 */
#include "run/jobs.h"
#include "campaign/campaign.h"
#include "campaign/latency.h"
#include "store/trials.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

enum { N_TRAIN = 100, N_TEST = 40, SIDE = 28 };

static const char *data_dir(void)
{
    static char dir[600];
    if (!dir[0]) {
        nc_test_path(dir, sizeof dir, "fmnist");
        nc_test_write_band_idx(dir, N_TRAIN, N_TEST);
    }
    return dir;
}

static nc_store *fresh_db(nc_ctx *ctx, const char *name, char *path, size_t n)
{
    nc_test_path(path, n, name);
    unlink(path);
    nc_store *db = NULL;
    ck_assert_msg(nc_store_open(ctx, path, 1, &db) == NC_OK, "%s", ctx->msg);
    return db;
}

static nc_campaign_cfg scratch_cfg(int epochs)
{
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    strcpy(c.space, "mlp");
    strcpy(c.dataset, "fashion-mnist");
    snprintf(c.data_dir, sizeof c.data_dir, "%s", data_dir());
    c.strategy = NC_STRATEGY_RANDOM;
    c.evaluator = NC_EVAL_SCRATCH;
    strcpy(c.select_metric, "valid_accuracy");
    strcpy(c.report_metric, "test_accuracy");
    c.scratch_train.epochs = epochs;
    c.scratch_train.batch = 20;
    c.scratch_valid = 20;
    c.n_obj = 2;
    c.obj[0] = NC_OBJ_ACCURACY;
    c.obj[1] = NC_OBJ_PARAMS;
    c.budget = 3;
    c.seed = 11;
    return c;
}

/* Training runs of campaign `run` (its children), counted, and the epochs
 * and status of the one of trial `trial` (-1 if none). */
static int marked_runs(nc_ctx *ctx, nc_store *db, int64_t run, int trial,
                       int *epochs, char *status)
{
    nc_run_info *runs = NULL;
    int n = 0, count = 0;
    *epochs = -1;
    char tag[32];
    snprintf(tag, sizeof tag, "trial %d", trial);
    ck_assert_int_eq(nc_store_run_list(ctx, db, &runs, &n), NC_OK);
    for (int i = 0; i < n; i++) {
        if (runs[i].parent == run) {
            ck_assert_str_eq(runs[i].kind, "train");
            ck_assert_int_eq(strncmp(runs[i].tag, "trial ", 6), 0);
            count++;
            if (strcmp(runs[i].tag, tag) == 0) {
                *epochs = runs[i].epochs_done;
                strcpy(status, runs[i].status);
            }
        }
        nc_run_info_clear(&runs[i]);
    }
    free(runs);
    return count;
}

/* Same archs, objectives and metrics; only timings may differ. */
START_TEST(test_scratch_campaign)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char p[600];
    nc_store *db = fresh_db(&ctx, "scratch.db", p, sizeof p);
    nc_campaign_cfg c = scratch_cfg(1);
    int64_t r1 = -1, r2 = -1;
    nc_campaign_result res;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &r1, &res) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(res.unique, 3);
    ck_assert_int_ge(res.trials, 3);
    ck_assert(res.best_select >= 0 && res.best_select <= 1);
    ck_assert(res.best_report >= 0 && res.best_report <= 1);

    nc_trial_rec *t;
    int n;
    ck_assert_int_eq(nc_store_trials(&ctx, db, r1, &t, &n), NC_OK);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(t[i].status, "done");
        double v = nc_campaign_trial_metric(&t[i], "valid_accuracy");
        ck_assert(v >= 0 && v <= 1 && v == t[i].obj[0]);
        ck_assert(isfinite(nc_campaign_trial_metric(&t[i], "test_loss")));
    }
    nc_trial_recs_free(t, n);
    int ep;
    char st[16];
    ck_assert_int_eq(marked_runs(&ctx, db, r1, 0, &ep, st), 3);
    ck_assert_int_eq(ep, 1);
    ck_assert_str_eq(st, "done");

    /* Same config, same DB: new training runs, the same trials. */
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &r2, NULL) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(marked_runs(&ctx, db, r2, 0, &ep, st), 3);
    nc_test_expect_same_trials(&ctx, db, r1, db, r2, 3);

    /* Stopped after each trial and continued. */
    int64_t r3 = -1;
    ck_assert_int_eq(nc_campaign_create(&ctx, db, &c, &r3), NC_OK);
    for (int k = 0; k < 3 || res.unique < 3; k++) {
        ck_assert_msg(nc_campaign_continue(&ctx, db, r3, NULL, 1, &res) == NC_OK,
                      "%s", ctx.msg);
        ck_assert_int_eq(res.trials, k + 1);
    }
    nc_test_expect_same_trials(&ctx, db, r1, db, r3, 3);
    nc_store_close(db);
}
END_TEST

START_TEST(test_scratch_interrupted_trial)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char pa[600], pb[600];
    nc_store *da = fresh_db(&ctx, "whole.db", pa, sizeof pa);
    nc_store *dbb = fresh_db(&ctx, "cut.db", pb, sizeof pb);
    nc_campaign_cfg c = scratch_cfg(2);
    int64_t whole = -1, cut = -1;
    ck_assert_msg(nc_campaign_start(&ctx, da, &c, NULL, &whole, NULL) == NC_OK,
                  "%s", ctx.msg);

    ck_assert_int_eq(nc_campaign_create(&ctx, dbb, &c, &cut), NC_OK);
    ck_assert_int_eq(nc_campaign_continue(&ctx, dbb, cut, NULL, 1, NULL), NC_OK);
    /* From now on the second epoch of any run cannot be committed: trial 1
     * stops after its first epoch, its run still "running". */
    nc_test_exec_sql(pb, "CREATE TRIGGER cut BEFORE INSERT ON epochs WHEN NEW.epoch = 2 "
                 "BEGIN SELECT RAISE(ABORT, 'simulated kill'); END;");
    ck_assert_int_ne(nc_campaign_continue(&ctx, dbb, cut, NULL, -1, NULL), NC_OK);
    nc_ctx_clear(&ctx);
    int ep;
    char st[16];
    /* The training run and the campaign are failed with the reason, which
     * may pass: resume continues both. */
    ck_assert_int_eq(marked_runs(&ctx, dbb, cut, 1, &ep, st), 2);
    ck_assert_int_eq(ep, 1);
    ck_assert_str_eq(st, "failed");
    nc_run_info info;
    ck_assert_int_eq(nc_store_run_get(&ctx, dbb, cut, &info), NC_OK);
    ck_assert_str_eq(info.status, "failed");
    ck_assert_msg(strstr(info.reason, "commit epoch 2 of run") != NULL, "%s",
                  info.reason);
    ck_assert_str_eq(info.reason_status, "db");
    ck_assert_str_eq(info.owner, "");
    nc_run_info_clear(&info);
    int n = -1;
    ck_assert_int_eq(nc_store_trial_count(&ctx, dbb, cut, &n), NC_OK);
    ck_assert_int_eq(n, 1);

    nc_test_exec_sql(pb, "DROP TRIGGER cut;");
    ck_assert_msg(nc_campaign_resume(&ctx, dbb, cut, NULL, NULL) == NC_OK, "%s",
                  ctx.msg);
    /* The interrupted run was continued, not replaced. */
    ck_assert_int_eq(marked_runs(&ctx, dbb, cut, 1, &ep, st), 3);
    ck_assert_int_eq(ep, 2);
    ck_assert_str_eq(st, "done");
    nc_test_expect_same_trials(&ctx, da, whole, dbb, cut, 3);
    nc_store_close(da);
    nc_store_close(dbb);
}
END_TEST

START_TEST(test_scratch_refusals)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c = scratch_cfg(1);
    c.scratch_valid = 0;
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "evaluator.valid");
    /* The file form defaults the metric names for a training evaluator. */
    ck_assert_int_eq(nc_campaign_cfg_from_json(&ctx,
        "{\"space\": \"mlp\", \"dataset\": \"fashion-mnist\", "
        "\"strategy\": {\"kind\": \"random\"}, \"evaluator\": {\"kind\": "
        "\"scratch\", \"epochs\": 1, \"valid\": 10}, \"objectives\": "
        "[\"accuracy\"], \"budget\": 2}", &c), NC_OK);
    ck_assert_str_eq(c.select_metric, "valid_accuracy");
    ck_assert_str_eq(c.report_metric, "test_accuracy");
    ck_assert_int_eq(c.scratch_valid, 10);
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_OK);
}
END_TEST

static nc_campaign_cfg latency_cfg(const char *table)
{
    nc_campaign_cfg c = scratch_cfg(1);
    strcpy(c.space, "mbv");
    c.strategy = NC_STRATEGY_NSGA2;
    c.population = 2;
    c.crossover = 0.9;
    c.obj[1] = NC_OBJ_LATENCY;
    c.budget = 2;
    snprintf(c.latency_table, sizeof c.latency_table, "%s", table);
    return c;
}

/* A quick table (one pass per entry) saved at path with the given scale. */
static void write_table(const char *path, double scale)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_latency_table *t = NULL;
    ck_assert_msg(nc_latency_table_build(&ctx, nc_space_find("mbv"),
                                         (nc_shape){ 1, 28, 28 }, 10, 1, 1, 1,
                                         0, 1, &t) == NC_OK, "%s", ctx.msg);
    t->scale = scale;
    ck_assert_int_eq(nc_latency_table_save(&ctx, t, path), NC_OK);
    nc_latency_table_free(t);
}

/* Every done trial of run: latency_ms is in the metrics, equals objective
 * 1 and the prediction of table file `path` (if not NULL). */
static void expect_latencies(nc_ctx *ctx, nc_store *db, int64_t run,
                             const char *path, int n_expect)
{
    nc_latency_table *t = NULL;
    if (path)
        ck_assert_int_eq(nc_latency_table_load(ctx, path, &t), NC_OK);
    const nc_space *sp = nc_space_find("mbv");
    nc_trial_rec *r;
    int n;
    ck_assert_int_eq(nc_store_trials(ctx, db, run, &r, &n), NC_OK);
    ck_assert_int_eq(n, n_expect);
    for (int i = 0; i < n; i++) {
        double ms = nc_campaign_trial_metric(&r[i], "latency_ms");
        ck_assert(ms > 0 && ms == r[i].obj[1]);
        if (t) {
            nc_arch a;
            memset(&a, 0, sizeof a);
            ck_assert_int_eq(sp->parse(sp, ctx, r[i].arch, &a), NC_OK);
            double want;
            ck_assert_int_eq(nc_latency_table_predict(ctx, t, sp, &a,
                             (nc_shape){ 1, 28, 28 }, 10, &want), NC_OK);
            ck_assert(fabs(want - ms) <= 1e-9 * want);
        }
    }
    nc_trial_recs_free(r, n);
    nc_latency_table_free(t);
}

START_TEST(test_latency_objective)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char p[600], lat[600], lat2[600];
    nc_test_path(lat, sizeof lat, "lat.csv");
    nc_test_path(lat2, sizeof lat2, "lat2.csv");
    write_table(lat, 1.0);
    write_table(lat2, 3.0);
    nc_store *db = fresh_db(&ctx, "latency.db", p, sizeof p);

    /* From a file: stored with the campaign as it was. */
    nc_campaign_cfg c = latency_cfg(lat);
    int64_t whole = -1;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &whole, NULL) == NC_OK,
                  "%s", ctx.msg);
    expect_latencies(&ctx, db, whole, lat, 2);
    void *blob;
    size_t len, flen;
    ck_assert_int_eq(nc_store_state_get(&ctx, db, whole, "latency_table", &blob,
                                        &len), NC_OK);
    unsigned char *file = nc_test_read_whole(lat, &flen);
    ck_assert_int_eq(len, flen);
    ck_assert(memcmp(blob, file, len) == 0);
    free(blob);
    free(file);

    /* The file changes between sessions: the stored table still rules. */
    char cmd[1300];
    int64_t cut = -1;
    ck_assert_int_eq(nc_campaign_create(&ctx, db, &c, &cut), NC_OK);
    ck_assert_int_eq(nc_campaign_continue(&ctx, db, cut, NULL, 1, NULL), NC_OK);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", lat2, lat);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(nc_campaign_resume(&ctx, db, cut, NULL, NULL) == NC_OK, "%s",
                  ctx.msg);
    nc_test_expect_same_trials(&ctx, db, whole, db, cut, 2);

    /* No file: measured at the start, stored, predicted from the store. */
    c = latency_cfg("");
    c.budget = 1;
    int64_t built = -1;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, &built, NULL) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(nc_store_state_get(&ctx, db, built, "latency_table", &blob,
                                        &len), NC_OK);
    nc_test_path(lat2, sizeof lat2, "stored.csv");
    ck_assert_int_eq(nc_test_write_file(lat2, blob, len), 0);
    free(blob);
    expect_latencies(&ctx, db, built, lat2, 1);

    /* A missing table file is refused before the campaign exists. */
    c = latency_cfg("/nonexistent/lat.csv");
    int64_t none = -1;
    ck_assert_int_eq(nc_campaign_start(&ctx, db, &c, NULL, &none, NULL),
                     NC_ERR_IO);
    ck_assert_int_eq(none, -1);
    nc_store_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eval_scratch");
    TCase *tc = tcase_create("scratch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_scratch_campaign);
    tcase_add_test(tc, test_scratch_interrupted_trial);
    tcase_add_test(tc, test_scratch_refusals);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("latency");
    tcase_set_timeout(tl, 300);
    tcase_add_test(tl, test_latency_objective);
    suite_add_tcase(s, tl);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
