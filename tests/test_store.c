/*
 * test_store.c — the SQLite run log: round trips of runs, epochs and
 * checkpoints, refusals that roll back, corrupt checkpoints. Opening,
 * versions, locking and a full disk are in test_store_open.c.
 *
 * The tests reach into the database with sqlite3 directly, to set up
 * foreign, future or corrupted files and to check what the store wrote. The
 * product itself keeps its SQL inside store/.
 */
#include "store/store.h"
#include "core/sha256.h"
#include "tests/util/test_store_int.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- runs ------------------------------------------------------------- */

START_TEST(test_run_roundtrip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    fresh_path(path, sizeof path, "runs.db");
    nc_store *st = open_ok(&ctx, path, 1);

    /* Seeds across the whole u64 range, including those whose int64 bit
     * pattern is negative. */
    static const uint64_t seeds[] = {
        0, 1, 42, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
        0xFFFFFFFFFFFFFFFFull,
    };
    int64_t ids[6];
    double t0 = (double)time(NULL) - 1;
    for (int i = 0; i < 6; i++)
        ids[i] = new_run(&ctx, st, seeds[i]);
    nc_store_close(st);

    st = open_ok(&ctx, path, 0);
    for (int i = 0; i < 6; i++) {
        nc_run_info r;
        ck_assert_int_eq(nc_store_run_get(&ctx, st, ids[i], &r), NC_OK);
        ck_assert_int_eq(r.id, ids[i]);
        ck_assert_msg(r.seed == seeds[i], "seed %d: %llu != %llu", i,
                      (unsigned long long)r.seed,
                      (unsigned long long)seeds[i]);
        ck_assert_str_eq(r.kind, "train");
        ck_assert_str_eq(r.status, "running");
        ck_assert_str_eq(r.config_json, CFG);
        ck_assert_str_eq(r.code_version, "test-1.0");
        ck_assert_int_eq(r.threads, 2);
        ck_assert_int_eq(r.epochs_done, 0);
        ck_assert(r.train_seconds == 0);
        ck_assert(r.created >= t0 && r.created < t0 + 600);
        ck_assert(r.updated == r.created);
        nc_run_info_clear(&r);
        ck_assert_ptr_null(r.owned_);
        ck_assert_ptr_null(r.kind);
    }
    nc_run_info_clear(NULL);
    nc_store_close(st);
}
END_TEST

START_TEST(test_run_create_validates)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "val.db"), 1);
    int64_t id = 0;
    nc_run_info bad = { .kind = "train", .config_json = "{\"a\":", .seed = 1,
                        .threads = 1, .code_version = "v" };
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &bad, &id), NC_ERR_INVAL);
    bad.config_json = "[1,2]";
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &bad, &id), NC_ERR_INVAL);
    bad.config_json = NULL;
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &bad, &id), NC_ERR_INVAL);
    bad.config_json = "{}";
    bad.kind = NULL;
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &bad, &id), NC_ERR_INVAL);

    /* Nothing was recorded by the refused calls. */
    nc_run_info *list;
    int n;
    ck_assert_int_eq(nc_store_run_list(&ctx, st, &list, &n), NC_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(list);
    nc_store_close(st);
}
END_TEST

START_TEST(test_run_list)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "list.db"), 1);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = new_run(&ctx, st, 100 + i);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, ids[1], "failed", NULL),
                     NC_OK);

    nc_run_info *list = NULL;
    int n = -1;
    ck_assert_int_eq(nc_store_run_list(&ctx, st, &list, &n), NC_OK);
    ck_assert_int_eq(n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(list[i].id, ids[i]);          /* oldest first */
        ck_assert_uint_eq(list[i].seed, 100 + i);
        ck_assert_str_eq(list[i].status, i == 1 ? "failed" : "running");
        nc_run_info_clear(&list[i]);
    }
    free(list);
    nc_store_close(st);
}
END_TEST

START_TEST(test_run_finish_result)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "fin.db"), 1);
    int64_t id = new_run(&ctx, st, 7);

    char *res = (char *)"junk";
    ck_assert_int_eq(nc_store_run_result(&ctx, st, id, &res), NC_OK);
    ck_assert_ptr_null(res);                   /* running: no result yet */

    const char *json = "{\"test_accuracy\":0.9125,\"params\":12345}";
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, "done", json), NC_OK);
    ck_assert_int_eq(nc_store_run_result(&ctx, st, id, &res), NC_OK);
    ck_assert_ptr_nonnull(res);
    ck_assert_str_eq(res, json);
    free(res);

    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, id, &r), NC_OK);
    ck_assert_str_eq(r.status, "done");
    ck_assert(r.updated >= r.created);
    nc_run_info_clear(&r);

    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, "bogus", NULL),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, NULL, NULL),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, "failed", json),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, "done", "{oops"),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, 999, "done", NULL),
                     NC_ERR_NOTFOUND);
    ck_assert_int_eq(nc_store_run_result(&ctx, st, 999, &res),
                     NC_ERR_NOTFOUND);

    /* The refused calls left the result alone. */
    ck_assert_int_eq(nc_store_run_result(&ctx, st, id, &res), NC_OK);
    ck_assert_str_eq(res, json);
    free(res);

    /* Reopening a run for resumption drops its stale final result. */
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, id, "running", NULL), NC_OK);
    ck_assert_int_eq(nc_store_run_result(&ctx, st, id, &res), NC_OK);
    ck_assert_ptr_null(res);
    nc_store_close(st);
}
END_TEST

START_TEST(test_run_get_unknown)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "unk.db"), 1);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, 12345, &r), NC_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "12345"));
    ck_assert_ptr_null(r.owned_);
    nc_run_info_clear(&r);                  /* safe on a failed get */
    nc_store_close(st);
}
END_TEST

/* ---- epochs and checkpoints ------------------------------------------- */

START_TEST(test_epoch_commit_roundtrip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "ep.db"), 1);
    int64_t run = new_run(&ctx, st, 1);
    int64_t other = new_run(&ctx, st, 2);

    nc_epoch_metrics *ms = NULL;
    int n = -1;
    ck_assert_int_eq(nc_store_epochs(&ctx, st, run, &ms, &n), NC_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(ms);

    unsigned char *blob = pattern(1000, 1);
    for (int ep = 1; ep <= 3; ep++) {
        nc_epoch_metrics m = metrics(ep);
        if (ep == 2)
            m.valid_loss = m.valid_accuracy = NAN;   /* not measured */
        ck_assert_msg(nc_store_epoch_commit(&ctx, st, run, &m, blob, 1000)
                      == NC_OK, "commit %d: %s", ep, ctx.msg);
    }
    nc_store_close(st);

    st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(nc_store_epochs(&ctx, st, run, &ms, &n), NC_OK);
    ck_assert_int_eq(n, 3);
    for (int i = 0; i < 3; i++) {
        nc_epoch_metrics w = metrics(i + 1);
        ck_assert_int_eq(ms[i].epoch, i + 1);
        ck_assert_int_eq(ms[i].step, w.step);
        ck_assert(ms[i].lr == w.lr);
        ck_assert(ms[i].train_loss == w.train_loss);
        ck_assert(ms[i].train_accuracy == w.train_accuracy);
        ck_assert(ms[i].seconds == w.seconds);
        if (i == 1) {
            ck_assert(isnan(ms[i].valid_loss));
            ck_assert(isnan(ms[i].valid_accuracy));
        } else {
            ck_assert(ms[i].valid_loss == w.valid_loss);
            ck_assert(ms[i].valid_accuracy == w.valid_accuracy);
        }
    }
    free(ms);

    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_int_eq(r.epochs_done, 3);
    ck_assert(fabs(r.train_seconds - (1.25 + 2.5 + 3.75)) < 1e-12);
    nc_run_info_clear(&r);

    /* The other run is untouched. */
    ck_assert_int_eq(nc_store_epochs(&ctx, st, other, &ms, &n), NC_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(nc_store_epochs(&ctx, st, 777, &ms, &n),
                     NC_ERR_NOTFOUND);
    free(blob);
    nc_store_close(st);
}
END_TEST

START_TEST(test_epoch_commit_refusals_roll_back)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "ref.db"), 1);
    int64_t run = new_run(&ctx, st, 1);
    unsigned char b[16] = { 1, 2, 3 };
    nc_epoch_metrics m = metrics(1);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16), NC_OK);

    /* Out of order, repeated, unknown run, bad values: all refused. */
    m = metrics(3);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16),
                     NC_ERR_STATE);
    m = metrics(1);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16),
                     NC_ERR_STATE);
    m = metrics(1);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, 4242, &m, b, 16),
                     NC_ERR_NOTFOUND);
    m = metrics(2);
    m.seconds = NAN;
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16),
                     NC_ERR_NUMERIC);
    m = metrics(2);
    m.epoch = 0;
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16),
                     NC_ERR_INVAL);
    m = metrics(2);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, NULL, 16),
                     NC_ERR_INVAL);

    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_int_eq(r.epochs_done, 1);
    ck_assert(r.train_seconds == 1.25);
    nc_run_info_clear(&r);
    nc_store_close(st);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM epochs"), 1);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM checkpoints"), 1);

    /* A diverged epoch (NaN loss) is still recorded, as NULL. */
    st = open_ok(&ctx, path, 0);
    m = metrics(2);
    m.train_loss = NAN;
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 16), NC_OK);
    nc_epoch_metrics *ms;
    int n;
    ck_assert_int_eq(nc_store_epochs(&ctx, st, run, &ms, &n), NC_OK);
    ck_assert_int_eq(n, 2);
    ck_assert(isnan(ms[1].train_loss));
    free(ms);
    nc_store_close(st);
}
END_TEST

START_TEST(test_ckpt_latest_and_replacement)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "ck.db"), 1);
    int64_t run = new_run(&ctx, st, 5);
    int64_t other = new_run(&ctx, st, 6);

    void *got = (void *)1;
    size_t len = 99;
    int ep = 99;
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, &ep),
                     NC_ERR_NOTFOUND);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, 31337, &got, &len, &ep),
                     NC_ERR_NOTFOUND);

    /* Sizes from a few bytes to several pages of overflow chain. */
    static const size_t sizes[] = { 3, 4096, 3 * 1024 * 1024 + 7 };
    for (int i = 0; i < 3; i++) {
        unsigned char *b = pattern(sizes[i], 10 + i);
        nc_epoch_metrics m = metrics(i + 1);
        ck_assert_msg(nc_store_epoch_commit(&ctx, st, run, &m, b, sizes[i])
                      == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, &ep),
                         NC_OK);
        ck_assert_int_eq(ep, i + 1);
        ck_assert_uint_eq(len, sizes[i]);
        ck_assert(memcmp(got, b, len) == 0);
        free(got);
        free(b);
    }
    /* The other run's checkpoint is not replaced by this run's. */
    unsigned char ob[5] = { 9, 9, 9, 9, 9 };
    nc_epoch_metrics m = metrics(1);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, other, &m, ob, 5), NC_OK);
    /* An empty checkpoint is legal and comes back as a buffer of length 0;
     * the epoch argument may be NULL. */
    m = metrics(4);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, NULL, 0), NC_OK);
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, NULL),
                     NC_OK);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, 0);
    free(got);
    nc_store_close(st);

    /* One checkpoint per run, with the SHA-256 of its bytes. */
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM checkpoints"), 2);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM checkpoints "
                                   "WHERE run_id = 1"), 1);
    char hex[65];
    nc_sha256_hex(ob, 5, hex);
    char *sha = raw_text(path, "SELECT sha256 FROM checkpoints WHERE run_id = 2");
    ck_assert_str_eq(sha, hex);
    free(sha);
    ck_assert_int_eq(raw_int(path, "SELECT bytes FROM checkpoints "
                                   "WHERE run_id = 2"), 5);
}
END_TEST

/* Commits of same-sized checkpoints reuse the freed pages, so a long run
 * does not grow the file epoch after epoch. */
START_TEST(test_ckpt_replacement_bounds_size)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "grow.db"), 1);
    int64_t run = new_run(&ctx, st, 5);
    enum { SZ = 256 * 1024 };
    unsigned char *b = pattern(SZ, 3);
    int64_t pages_after_3 = 0;
    for (int ep = 1; ep <= 20; ep++) {
        nc_epoch_metrics m = metrics(ep);
        b[0] = (unsigned char)ep;
        ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, SZ),
                         NC_OK);
        if (ep == 3)
            pages_after_3 = raw_int(path, "PRAGMA page_count");
    }
    int64_t pages_end = raw_int(path, "PRAGMA page_count");
    ck_assert_msg(pages_end <= pages_after_3 + 8, "%lld pages after 20 "
                  "epochs, %lld after 3", (long long)pages_end,
                  (long long)pages_after_3);
    free(b);
    nc_store_close(st);
}
END_TEST

START_TEST(test_ckpt_corrupt)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "bad.db"), 1);
    int64_t run = new_run(&ctx, st, 5);
    unsigned char *b = pattern(10000, 4);
    for (int ep = 1; ep <= 5; ep++) {
        nc_epoch_metrics m = metrics(ep);
        ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, b, 10000),
                         NC_OK);
    }
    nc_store_close(st);

    /* Flip one byte in the middle of the stored blob, through SQLite so the
     * file stays well-formed: only the checksum can notice. */
    sqlite3 *db;
    sqlite3_blob *bl;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_int64 rowid;
    {
        sqlite3_stmt *s;
        ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid FROM checkpoints",
                                            -1, &s, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
        rowid = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    ck_assert_int_eq(sqlite3_blob_open(db, "main", "checkpoints", "blob", rowid,
                                       1, &bl), SQLITE_OK);
    unsigned char x;
    ck_assert_int_eq(sqlite3_blob_read(bl, &x, 1, 5000), SQLITE_OK);
    x ^= 0x40;
    ck_assert_int_eq(sqlite3_blob_write(bl, &x, 1, 5000), SQLITE_OK);
    sqlite3_blob_close(bl);
    sqlite3_close(db);

    st = open_ok(&ctx, path, 0);
    void *got = (void *)1;
    size_t len = 1;
    int ep = -1;
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, &ep),
                     NC_ERR_CHECKSUM);
    ck_assert_ptr_null(got);
    ck_assert_uint_eq(len, 0);
    ck_assert_msg(strstr(ctx.msg, "checkpoint of run 1 (epoch 5) is corrupt: "
                                  "sha256 mismatch") != NULL, "%s", ctx.msg);
    nc_store_close(st);

    /* A recorded size that disagrees is caught too. */
    raw_exec(path, "UPDATE checkpoints SET bytes = bytes + 1");
    st = open_ok(&ctx, path, 0);
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, &ep),
                     NC_ERR_CHECKSUM);
    nc_store_close(st);
    free(b);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("runs");
    tcase_add_test(tc, test_run_roundtrip);
    tcase_add_test(tc, test_run_create_validates);
    tcase_add_test(tc, test_run_list);
    tcase_add_test(tc, test_run_finish_result);
    tcase_add_test(tc, test_run_get_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("epochs");
    tcase_add_test(tc, test_epoch_commit_roundtrip);
    tcase_add_test(tc, test_epoch_commit_refusals_roll_back);
    tcase_add_test(tc, test_ckpt_latest_and_replacement);
    tcase_add_test(tc, test_ckpt_replacement_bounds_size);
    tcase_add_test(tc, test_ckpt_corrupt);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
