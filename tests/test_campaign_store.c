/*
 * test_campaign_store.c — campaigns, trials and state blobs in the run log
 * (schema version 2): round trips, order, the upsert rule, refusals, the
 * state checksum, and migrating a version-1 file (and the campaign mark
 * of version 2's training runs).
 *
 * Like test_store.c, the tests use sqlite3 directly to build old files and
 * to damage stored bytes; the product keeps its SQL inside store/.
 */
#include "store/trials.h"
#include "core/sha256.h"
#include "tests/util/test_store_int.h"

#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A campaign run (kind 'search'); the shared new_run makes training runs. */
static int64_t search_run(nc_ctx *ctx, nc_store *st)
{
    nc_run_info info = { .kind = "search",
                         .config_json = "{\"space\":\"nb201\",\"trials\":10}",
                         .seed = 5, .threads = 1, .code_version = "test" };
    int64_t id = -1;
    ck_assert_msg(nc_store_run_create(ctx, st, &info, &id) == NC_OK, "%s",
                  ctx->msg);
    return id;
}

static nc_trial_rec trial(int k, const char *status)
{
    nc_trial_rec t = {
        .trial = k, .arch = "|nor_conv_3x3~0|", .origin = "mutation",
        .parent1 = k > 0 ? k - 1 : -1, .parent2 = -1, .status = status,
        .n_obj = 2, .obj = { 0.5 + 0.01 * k, 1000.0 * k },
        .metrics_json = "{\"acc\":0.5}", .seconds = 0.25 * k,
    };
    return t;
}

START_TEST(test_campaign_roundtrip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "c1.db"), 1);
    int64_t run = search_run(&ctx, st);
    nc_campaign_rec c = { .space = "nb201", .strategy = "re", .budget = 100,
                          .status = "running" }, g;
    ck_assert_int_eq(nc_store_campaign_get(&ctx, st, run, &g),
                     NC_ERR_NOTFOUND);
    ck_assert_int_eq(nc_store_campaign_put(&ctx, st, run, &c), NC_OK);
    c.status = "done";
    ck_assert_int_eq(nc_store_campaign_put(&ctx, st, run, &c), NC_OK);
    ck_assert_int_eq(nc_store_campaign_get(&ctx, st, run, &g), NC_OK);
    ck_assert_str_eq(g.space, "nb201");
    ck_assert_str_eq(g.strategy, "re");
    ck_assert_str_eq(g.status, "done");
    ck_assert_int_eq(g.budget, 100);
    nc_campaign_rec_clear(&g);
    c.status = "bogus";
    ck_assert_int_eq(nc_store_campaign_put(&ctx, st, run, &c), NC_ERR_INVAL);
    c.status = "done";
    c.budget = -1;
    ck_assert_int_eq(nc_store_campaign_put(&ctx, st, run, &c), NC_ERR_RANGE);
    c.budget = 1;
    ck_assert_int_eq(nc_store_campaign_put(&ctx, st, run + 9, &c),
                     NC_ERR_NOTFOUND);
    nc_store_close(st);
}
END_TEST

START_TEST(test_trials_roundtrip_order)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "t1.db"), 1);
    int64_t run = search_run(&ctx, st);
    int64_t other = search_run(&ctx, st);
    nc_trial_rec *a;
    int n = -1;
    ck_assert_int_eq(nc_store_trials(&ctx, st, run, &a, &n), NC_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(nc_store_trial_count(&ctx, st, run, &n), NC_OK);
    ck_assert_int_eq(n, 0);

    /* Out of order on the way in, in order on the way out. */
    const int order[5] = { 3, 0, 4, 1, 2 };
    for (int i = 0; i < 5; i++) {
        nc_trial_rec t = trial(order[i], "done");
        ck_assert_msg(nc_store_trial_put(&ctx, st, run, &t) == NC_OK, "%s",
                      ctx.msg);
    }
    nc_trial_rec t = trial(0, "proposed");
    t.n_obj = 0;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, other, &t), NC_OK);

    ck_assert_int_eq(nc_store_trial_count(&ctx, st, run, &n), NC_OK);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(nc_store_trials(&ctx, st, run, &a, &n), NC_OK);
    ck_assert_int_eq(n, 5);
    for (int k = 0; k < 5; k++) {
        nc_trial_rec w = trial(k, "done");
        ck_assert_int_eq(a[k].trial, k);
        ck_assert_str_eq(a[k].arch, w.arch);
        ck_assert_str_eq(a[k].origin, "mutation");
        ck_assert_str_eq(a[k].status, "done");
        ck_assert_str_eq(a[k].metrics_json, w.metrics_json);
        ck_assert_int_eq(a[k].parent1, w.parent1);
        ck_assert_int_eq(a[k].parent2, -1);
        ck_assert_int_eq(a[k].n_obj, 2);
        ck_assert(a[k].obj[0] == w.obj[0] && a[k].obj[1] == w.obj[1]);
        ck_assert(isnan(a[k].obj[2]) && isnan(a[k].obj[3]));
        ck_assert(a[k].seconds == w.seconds);
        ck_assert(a[k].created > 1e9);
    }
    nc_trial_recs_free(a, n);
    ck_assert_int_eq(nc_store_trials(&ctx, st, other, &a, &n), NC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(a[0].status, "proposed");
    ck_assert_int_eq(a[0].n_obj, 0);
    nc_trial_recs_free(a, n);

    ck_assert_int_eq(nc_store_trials(&ctx, st, 999, &a, &n), NC_ERR_NOTFOUND);
    ck_assert_int_eq(nc_store_trial_count(&ctx, st, 999, &n),
                     NC_ERR_NOTFOUND);
    t = trial(0, "done");
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, 999, &t), NC_ERR_NOTFOUND);
    nc_trial_recs_free(NULL, 0);
    nc_store_close(st);
}
END_TEST

START_TEST(test_trial_upsert_rules)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "t2.db"), 1);
    int64_t run = search_run(&ctx, st);
    nc_trial_rec t = trial(7, "proposed");
    t.n_obj = 0;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_OK);
    /* proposed -> proposed: refused. */
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "is already proposed");
    /* proposed -> done: the evaluation finished. */
    t = trial(7, "done");
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_OK);
    /* done -> anything: refused, and nothing changes. */
    nc_trial_rec u = trial(7, "done");
    u.arch = "changed";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &u), NC_ERR_STATE);
    char want[64];
    snprintf(want, sizeof want, "trial 7 of run %lld is already done",
             (long long)run);
    nc_test_expect_msg(&ctx, want);
    u.status = "proposed";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &u), NC_ERR_STATE);
    u.status = "failed";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &u), NC_ERR_STATE);

    /* proposed -> failed is also a finished evaluation. */
    t = trial(8, "proposed");
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_OK);
    t.status = "failed";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_OK);
    t.status = "done";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "is already failed");

    nc_trial_rec *a;
    int n;
    ck_assert_int_eq(nc_store_trials(&ctx, st, run, &a, &n), NC_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(a[0].arch, "|nor_conv_3x3~0|");
    ck_assert_str_eq(a[0].status, "done");
    ck_assert_int_eq(a[0].n_obj, 2);
    ck_assert_str_eq(a[1].status, "failed");
    nc_trial_recs_free(a, n);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    nc_store_close(st);
}
END_TEST

START_TEST(test_trial_refusals)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "t3.db"), 1);
    int64_t run = search_run(&ctx, st);
    nc_trial_rec t = trial(1, "done");
    t.obj[1] = NAN;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_NUMERIC);
    t.obj[1] = INFINITY;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_NUMERIC);
    /* Slots past n_obj are ignored. */
    t.obj[1] = 2.0;
    t.obj[3] = NAN;
    t.seconds = NAN;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_NUMERIC);
    t.seconds = -1;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_NUMERIC);
    t = trial(1, "done");
    t.trial = -1;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t = trial(1, "done");
    t.arch = NULL;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t = trial(1, "done");
    t.origin = NULL;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t = trial(1, "done");
    t.metrics_json = NULL;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t.metrics_json = "{not json";
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t = trial(1, "evaluating");
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    t = trial(1, "done");
    t.n_obj = 5;
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, NULL), NC_ERR_INVAL);
    int n = -1;
    ck_assert_int_eq(nc_store_trial_count(&ctx, st, run, &n), NC_OK);
    ck_assert_int_eq(n, 0);
    nc_store_close(st);
}
END_TEST

START_TEST(test_state_blobs)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "s1.db"), 1);
    int64_t run = search_run(&ctx, st);
    void *b = (void *)1;
    size_t len = 7;
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "strategy", &b, &len),
                     NC_ERR_NOTFOUND);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(nc_store_state_put(&ctx, st, run, "strategy", "abcdef",
                                        6), NC_OK);
    ck_assert_int_eq(nc_store_state_put(&ctx, st, run, "strategy", "xyz", 3),
                     NC_OK);
    ck_assert_int_eq(nc_store_state_put(&ctx, st, run, "empty", NULL, 0),
                     NC_OK);
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "strategy", &b, &len),
                     NC_OK);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(memcmp(b, "xyz", 3), 0);
    free(b);
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "empty", &b, &len),
                     NC_OK);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(len, 0);
    free(b);
    ck_assert_int_eq(nc_store_state_put(&ctx, st, run, "", "a", 1),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_state_put(&ctx, st, run + 5, "x", "a", 1),
                     NC_ERR_NOTFOUND);
    nc_store_close(st);

    /* Same length, other bytes: only the checksum can tell. */
    raw_exec(path, "UPDATE states SET blob = X'78797A00' WHERE name = "
                   "'strategy'");
    st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "strategy", &b, &len),
                     NC_ERR_CHECKSUM);
    nc_test_expect_msg(&ctx, "size mismatch");
    nc_store_close(st);
    raw_exec(path, "UPDATE states SET blob = X'78797B' WHERE name = "
                   "'strategy'");
    st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "strategy", &b, &len),
                     NC_ERR_CHECKSUM);
    ck_assert_ptr_null(b);
    nc_test_expect_msg(&ctx, "state \"strategy\"");
    nc_test_expect_msg(&ctx, "sha256 mismatch");
    nc_store_close(st);
}
END_TEST

/* The version-1 DDL exactly as store/schema.c step 0 shipped it. */
static const char v1_ddl[] =
    "CREATE TABLE runs ("
    "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind          TEXT    NOT NULL,"
    "  status        TEXT    NOT NULL"
    "                CHECK (status IN ('running', 'done', 'failed')),"
    "  config_json   TEXT    NOT NULL,"
    "  code_version  TEXT    NOT NULL,"
    "  seed          INTEGER NOT NULL,"
    "  threads       INTEGER NOT NULL,"
    "  created       REAL    NOT NULL,"
    "  updated       REAL    NOT NULL,"
    "  train_seconds REAL    NOT NULL DEFAULT 0,"
    "  epochs_done   INTEGER NOT NULL DEFAULT 0,"
    "  result_json   TEXT"
    ");"
    "CREATE TABLE epochs ("
    "  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  epoch          INTEGER NOT NULL CHECK (epoch >= 1),"
    "  step           INTEGER NOT NULL,"
    "  lr             REAL,"
    "  train_loss     REAL,"
    "  train_accuracy REAL,"
    "  valid_loss     REAL,"
    "  valid_accuracy REAL,"
    "  seconds        REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, epoch)"
    ");"
    "CREATE TABLE checkpoints ("
    "  run_id  INTEGER NOT NULL,"
    "  epoch   INTEGER NOT NULL,"
    "  step    INTEGER NOT NULL,"
    "  blob    BLOB    NOT NULL,"
    "  sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),"
    "  bytes   INTEGER NOT NULL,"
    "  created REAL    NOT NULL,"
    "  PRIMARY KEY (run_id, epoch),"
    "  FOREIGN KEY (run_id, epoch) REFERENCES epochs(run_id, epoch)"
    "    ON DELETE CASCADE"
    ");";

START_TEST(test_migrate_v1)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512], sql[4096];
    fresh_path(path, sizeof path, "v1.db");
    /* A v1 run log with one run and one epoch with its checkpoint, written
     * the way v1 nasc wrote it (the checkpoint's hash is checked on read). */
    char sha[65];
    nc_sha256_hex("w", 1, sha);
    snprintf(sql, sizeof sql,
             "BEGIN; %s"
             "INSERT INTO runs (kind, status, config_json, code_version, seed,"
             " threads, created, updated, train_seconds, epochs_done)"
             " VALUES ('train', 'running', '{}', 'v1', 42, 2, 1, 1, 1.5, 1);"
             "INSERT INTO epochs VALUES (1, 1, 10, 0.1, 2.0, 0.5, NULL, NULL,"
             " 1.5);"
             "INSERT INTO checkpoints VALUES (1, 1, 10, X'77', '%s', 1, 1);"
             "PRAGMA application_id = %d; PRAGMA user_version = 1; COMMIT;",
             v1_ddl, sha, 0x6E617363);
    raw_exec(path, sql);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), 1);

    nc_store *st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, 1, &r), NC_OK);
    ck_assert_uint_eq(r.seed, 42);
    ck_assert_str_eq(r.code_version, "v1");
    ck_assert_int_eq(r.epochs_done, 1);
    nc_run_info_clear(&r);
    nc_epoch_metrics *m;
    int n;
    ck_assert_int_eq(nc_store_epochs(&ctx, st, 1, &m, &n), NC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(m[0].step, 10);
    ck_assert(isnan(m[0].valid_loss));
    free(m);
    void *b;
    size_t len;
    int ep;
    ck_assert_msg(nc_store_ckpt_latest(&ctx, st, 1, &b, &len, &ep) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(ep, 1);
    free(b);
    /* The old log takes new runs, epochs and trials. */
    nc_epoch_metrics e2 = { .epoch = 2, .step = 20, .lr = 0.1,
                            .train_loss = 1, .train_accuracy = 0.6,
                            .valid_loss = NAN, .valid_accuracy = NAN,
                            .seconds = 1 };
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, 1, &e2, "v", 1), NC_OK);
    int64_t run = search_run(&ctx, st);
    ck_assert_int_eq(run, 2);
    nc_trial_rec t = trial(0, "done");
    ck_assert_int_eq(nc_store_trial_put(&ctx, st, run, &t), NC_OK);
    nc_store_close(st);

    /* Reopening a v2 file migrates nothing more. */
    st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(nc_store_trial_count(&ctx, st, run, &n), NC_OK);
    ck_assert_int_eq(n, 1);
    nc_store_close(st);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE "
                                   "name IN ('campaigns','trials','states')"),
                     3);
}
END_TEST

/* Version 2 scratch campaigns marked their training runs inside the
 * configuration; version 3 makes the mark the run's parent and tag and
 * takes it out of the configuration, leaving other runs alone. */
START_TEST(test_migrate_campaign_mark)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512], sql[4096];
    fresh_path(path, sizeof path, "mark.db");
    snprintf(sql, sizeof sql,
             "BEGIN; %s"
             "INSERT INTO runs (kind, status, config_json, code_version, seed,"
             " threads, created, updated) VALUES"
             " ('train', 'running', '{\"model\":\"mlp\",\"campaign\":"
             "{\"run\":7,\"trial\":3},\"epochs\":2}', 'v2', 1, 1, 1, 1),"
             " ('train', 'done', '{\"model\":\"cnn\"}', 'v2', 1, 1, 1, 1),"
             " ('train', 'done', 'not json', 'v2', 1, 1, 1, 1);"
             "PRAGMA application_id = %d; PRAGMA user_version = 1; COMMIT;",
             v1_ddl, 0x6E617363);
    raw_exec(path, sql);
    nc_store_close(open_ok(&ctx, path, 0));
    ck_assert_int_eq(raw_int(path, "SELECT parent FROM runs WHERE id = 1"), 7);
    char *t = raw_text(path, "SELECT tag FROM runs WHERE id = 1");
    ck_assert_str_eq(t, "trial 3");
    free(t);
    t = raw_text(path, "SELECT config_json FROM runs WHERE id = 1");
    ck_assert_str_eq(t, "{\"model\":\"mlp\",\"epochs\":2}");
    free(t);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM runs WHERE id > 1 "
                                   "AND parent IS NULL AND tag IS NULL"), 2);
    t = raw_text(path, "SELECT config_json FROM runs WHERE id = 2");
    ck_assert_str_eq(t, "{\"model\":\"cnn\"}");
    free(t);
    t = raw_text(path, "SELECT config_json FROM runs WHERE id = 3");
    ck_assert_str_eq(t, "not json");
    free(t);
}
END_TEST

START_TEST(test_newer_version_refused)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "v4.db"), 1);
    nc_store_close(st);
    raw_exec(path, "PRAGMA user_version = 4");
    st = (nc_store *)1;
    ck_assert_int_eq(nc_store_open(&ctx, path, 0, &st), NC_ERR_VERSION);
    ck_assert_ptr_null(st);
    nc_test_expect_msg(&ctx, "understands up to 3");
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), 4);
}
END_TEST

static Suite *campaign_suite(void)
{
    Suite *s = suite_create("campaign_store");
    TCase *tc = tcase_create("trials");
    tcase_add_test(tc, test_campaign_roundtrip);
    tcase_add_test(tc, test_trials_roundtrip_order);
    tcase_add_test(tc, test_trial_upsert_rules);
    tcase_add_test(tc, test_trial_refusals);
    tcase_add_test(tc, test_state_blobs);
    suite_add_tcase(s, tc);
    tc = tcase_create("schema");
    tcase_add_test(tc, test_migrate_v1);
    tcase_add_test(tc, test_migrate_campaign_mark);
    tcase_add_test(tc, test_newer_version_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(campaign_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
