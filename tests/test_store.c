/*
 * test_store.c — the SQLite run log: round trips of runs, epochs and
 * checkpoints; refusing files that are not run logs; corruption, versions,
 * locking and a full disk.
 *
 * The tests reach into the database with sqlite3 directly, to set up
 * foreign, future or corrupted files and to check what the store wrote. The
 * product itself keeps its SQL inside store/.
 */
#include "store/store.h"
#include "core/sha256.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CFG "{\"model\":\"mlp\",\"epochs\":3}"

/* ---- helpers ---------------------------------------------------------- */

/* A path in the test directory that no earlier test used. */
static const char *fresh_path(char *buf, size_t n, const char *name)
{
    nc_test_path(buf, n, name);
    unlink(buf);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
    return buf;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static nc_store *open_ok(nc_ctx *ctx, const char *path, int create)
{
    nc_store *st = NULL;
    nc_status e = nc_store_open(ctx, path, create, &st);
    ck_assert_msg(e == NC_OK, "open %s: %s", path, ctx->msg);
    ck_assert_ptr_nonnull(st);
    return st;
}

static int64_t new_run(nc_ctx *ctx, nc_store *st, uint64_t seed)
{
    nc_run_info info = { .kind = "train", .config_json = CFG, .seed = seed,
                         .threads = 2, .code_version = "test-1.0" };
    int64_t id = -1;
    nc_status e = nc_store_run_create(ctx, st, &info, &id);
    ck_assert_msg(e == NC_OK, "run_create: %s", ctx->msg);
    ck_assert_int_gt(id, 0);
    return id;
}

static nc_epoch_metrics metrics(int epoch)
{
    nc_epoch_metrics m = {
        .epoch = epoch, .step = 100 * epoch, .lr = 0.1 / epoch,
        .train_loss = 2.0 / epoch, .train_accuracy = 0.5 + 0.1 * epoch,
        .valid_loss = 2.5 / epoch, .valid_accuracy = 0.45 + 0.1 * epoch,
        .seconds = 1.25 * epoch,
    };
    return m;
}

/* Runs SQL on a raw connection to path and fails the test on error. */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
    sqlite3_close(db);
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static char *raw_text(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(s, 0);
    char *r = strdup(t ? t : "(null)");
    sqlite3_finalize(s);
    sqlite3_close(db);
    return r;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        b[i] = (unsigned char)x;
    }
    return b;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

/* ---- opening: what is and is not a run log ---------------------------- */

START_TEST(test_not_a_database)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    fresh_path(path, sizeof path, "random.bin");
    unsigned char *b = pattern(8192, 77);
    ck_assert_int_eq(nc_test_write_file(path, b, 8192), 0);
    free(b);
    nc_store *st = (nc_store *)1;
    for (int create = 0; create <= 1; create++) {
        ck_assert_int_eq(nc_store_open(&ctx, path, create, &st),
                         NC_ERR_FORMAT);
        ck_assert_ptr_null(st);
        ck_assert_msg(strstr(ctx.msg, path) != NULL, "%s", ctx.msg);
        ck_assert_msg(strstr(ctx.msg, "not a SQLite database") != NULL, "%s",
                      ctx.msg);
    }
    /* A short text file too. */
    fresh_path(path, sizeof path, "notes.txt");
    ck_assert_int_eq(nc_test_write_file(path, "hello\n", 6), 0);
    ck_assert_int_eq(nc_store_open(&ctx, path, 0, &st), NC_ERR_FORMAT);
    /* The file was not touched. */
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_size, 6);
}
END_TEST

START_TEST(test_foreign_sqlite)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    fresh_path(path, sizeof path, "foreign.db");
    raw_exec(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO photos (name) VALUES ('cat.jpg');");
    nc_store *st = (nc_store *)1;
    ck_assert_int_eq(nc_store_open(&ctx, path, 1, &st), NC_ERR_FORMAT);
    ck_assert_ptr_null(st);
    char want[600];
    snprintf(want, sizeof want,
             "%s is a SQLite database but not a nasc run log", path);
    ck_assert_str_eq(ctx.msg, want);
    /* Left exactly as it was: no nasc tables, journal mode unchanged. */
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM sqlite_master"), 1);
    char *mode = raw_text(path, "PRAGMA journal_mode");
    ck_assert_str_eq(mode, "delete");
    free(mode);

    /* Another application's id marks a file as theirs even when empty. */
    fresh_path(path, sizeof path, "foreign-id.db");
    raw_exec(path, "PRAGMA application_id = 1234; VACUUM;");
    ck_assert_int_eq(nc_store_open(&ctx, path, 1, &st), NC_ERR_FORMAT);
}
END_TEST

START_TEST(test_newer_version)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "new.db"), 1);
    new_run(&ctx, st, 1);
    nc_store_close(st);
    raw_exec(path, "PRAGMA user_version = 99");
    st = (nc_store *)1;
    ck_assert_int_eq(nc_store_open(&ctx, path, 0, &st), NC_ERR_VERSION);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(ctx.msg, "has schema version 99; this nasc "
                                  "understands up to 3") != NULL, "%s",
                  ctx.msg);
    ck_assert_ptr_nonnull(strstr(ctx.msg, path));
    ck_assert_ptr_nonnull(strstr(ctx.msg, "upgrade nasc"));
    /* Refused, not downgraded. */
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), 99);
}
END_TEST

START_TEST(test_missing_file)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512], side[600];
    fresh_path(path, sizeof path, "missing.db");
    nc_store *st = (nc_store *)1;
    ck_assert_int_eq(nc_store_open(&ctx, path, 0, &st), NC_ERR_IO);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(ctx.msg, "no such file") != NULL, "%s", ctx.msg);
    ck_assert_ptr_nonnull(strstr(ctx.msg, path));
    ck_assert(!file_exists(path));
    snprintf(side, sizeof side, "%s-wal", path);
    ck_assert(!file_exists(side));
    snprintf(side, sizeof side, "%s-shm", path);
    ck_assert(!file_exists(side));

    /* create=1 makes it. */
    st = open_ok(&ctx, path, 1);
    nc_store_close(st);
    ck_assert(file_exists(path));

    /* A directory, or a file in a directory that does not exist: IO. */
    ck_assert_int_eq(nc_store_open(&ctx, nc_test_tmpdir(), 1, &st), NC_ERR_IO);
    char deep[600];
    snprintf(deep, sizeof deep, "%s/no/such/dir/x.db", nc_test_tmpdir());
    ck_assert_int_eq(nc_store_open(&ctx, deep, 1, &st), NC_ERR_IO);
    ck_assert_int_eq(nc_store_open(&ctx, NULL, 1, &st), NC_ERR_INVAL);
    ck_assert_int_eq(nc_store_open(&ctx, "", 1, &st), NC_ERR_INVAL);
}
END_TEST

/* Version 0 is an empty SQLite file (what `sqlite3 x.db` or a 0-byte
 * placeholder gives): opening it installs the current schema. Reopening a
 * current file changes nothing. */
START_TEST(test_migration)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];

    fresh_path(path, sizeof path, "zero.db");
    ck_assert_int_eq(nc_test_write_file(path, "", 0), 0);
    nc_store *st = open_ok(&ctx, path, 0);
    new_run(&ctx, st, 1);
    nc_store_close(st);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    ck_assert_int_eq(raw_int(path, "PRAGMA application_id"), 0x6E617363);

    fresh_path(path, sizeof path, "v0.db");
    raw_exec(path, "PRAGMA user_version = 0; VACUUM;");
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM sqlite_master"), 0);
    st = open_ok(&ctx, path, 0);
    int64_t run = new_run(&ctx, st, 77);
    nc_epoch_metrics m = metrics(1);
    ck_assert_int_eq(nc_store_epoch_commit(&ctx, st, run, &m, "w", 1), NC_OK);
    nc_store_close(st);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    char *schema1 = raw_text(path, "SELECT group_concat(sql, ';') FROM "
                                   "(SELECT sql FROM sqlite_master ORDER BY name)");

    for (int i = 0; i < 3; i++) {
        st = open_ok(&ctx, path, i & 1);
        nc_run_info r;
        ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
        ck_assert_uint_eq(r.seed, 77);
        ck_assert_int_eq(r.epochs_done, 1);
        nc_run_info_clear(&r);
        nc_store_close(st);
    }
    char *schema2 = raw_text(path, "SELECT group_concat(sql, ';') FROM "
                                   "(SELECT sql FROM sqlite_master ORDER BY name)");
    ck_assert_str_eq(schema1, schema2);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"),
                     NC_STORE_SCHEMA_VERSION);
    free(schema1);
    free(schema2);
}
END_TEST

START_TEST(test_wal_mode)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "wal.db"), 1);
    new_run(&ctx, st, 1);
    char *mode = raw_text(path, "PRAGMA journal_mode");
    ck_assert_str_eq(mode, "wal");
    free(mode);
    nc_store_close(st);
}
END_TEST

/* A second SQLite connection, standing in for another nasc process. */
typedef struct holder {
    const char *path;
    double hold_s;
    sqlite3 *db;
} holder;

static void *release_later(void *arg)
{
    holder *h = arg;
    struct timespec ts = { 0, (long)(h->hold_s * 1e9) };
    nanosleep(&ts, NULL);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* `nasc runs` while a trainer is inside a commit: the reader neither fails
 * nor waits, and sees the last committed state. A second writer waits for
 * the lock (busy_timeout) instead of failing. */
START_TEST(test_concurrent_reader_and_writer)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "conc.db"), 1);
    int64_t run = new_run(&ctx, st, 1);
    nc_store_close(st);

    holder h = { .path = path, .hold_s = 0.3 };
    ck_assert_int_eq(sqlite3_open(path, &h.db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h.db, "BEGIN IMMEDIATE; UPDATE runs SET "
                                  "status = 'failed';", NULL, NULL, NULL),
                     SQLITE_OK);

    /* The reader must not wait for the open write transaction (WAL): that
     * is released only later, so a reader that waited would fail after
     * the busy timeout; no wall-clock bound is asserted. */
    st = open_ok(&ctx, path, 0);
    nc_run_info *list;
    int n;
    ck_assert_int_eq(nc_store_run_list(&ctx, st, &list, &n), NC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(list[0].status, "running");   /* uncommitted unseen */
    nc_run_info_clear(&list[0]);
    free(list);

    pthread_t th;
    double t1 = now_s();
    ck_assert_int_eq(pthread_create(&th, NULL, release_later, &h), 0);
    nc_epoch_metrics m = metrics(1);
    nc_status e = nc_store_epoch_commit(&ctx, st, run, &m, "x", 1);
    double waited = now_s() - t1;
    pthread_join(th, NULL);
    ck_assert_msg(e == NC_OK, "%s", ctx.msg);
    ck_assert_msg(waited >= 0.25, "writer did not wait (%.3f s)", waited);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_str_eq(r.status, "failed");      /* the other commit landed */
    ck_assert_int_eq(r.epochs_done, 1);
    nc_run_info_clear(&r);
    nc_store_close(st);
    sqlite3_close(h.db);
}
END_TEST

/* A full disk in the middle of a commit: NC_ERR_IO naming the file, nothing
 * half-written, and the store keeps working once there is room again.
 * RLIMIT_FSIZE stands in for the full disk (Check runs each test in its own
 * process, so the limit stays here). */
START_TEST(test_disk_full)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "full.db"), 1);
    int64_t run = new_run(&ctx, st, 1);
    enum { SZ = 2 * 1024 * 1024 };
    unsigned char *b = pattern(SZ, 9);

    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);                 /* get EFBIG, not a signal */
    lim = old;
    lim.rlim_cur = 256 * 1024;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    nc_epoch_metrics m = metrics(1);
    nc_status e = nc_store_epoch_commit(&ctx, st, run, &m, b, SZ);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    ck_assert_msg(e == NC_ERR_IO, "status %d: %s", e, ctx.msg);
    ck_assert_msg(strstr(ctx.msg, path) != NULL, "%s", ctx.msg);
    ck_assert_msg(strstr(ctx.msg, "epoch 1 of run 1") != NULL, "%s", ctx.msg);

    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_int_eq(r.epochs_done, 0);
    nc_run_info_clear(&r);
    void *got;
    size_t len;
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, NULL),
                     NC_ERR_NOTFOUND);

    ck_assert_msg(nc_store_epoch_commit(&ctx, st, run, &m, b, SZ) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(nc_store_ckpt_latest(&ctx, st, run, &got, &len, NULL),
                     NC_OK);
    ck_assert_uint_eq(len, SZ);
    ck_assert(memcmp(got, b, SZ) == 0);
    free(got);
    free(b);
    nc_store_close(st);
}
END_TEST

/* A relative name that looks like a SQLite URI is still a plain file name. */
START_TEST(test_uri_like_name)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(nc_test_tmpdir()), 0);
    unlink("file:uri.db?mode=memory");
    nc_store *st = open_ok(&ctx, "file:uri.db?mode=memory", 1);
    new_run(&ctx, st, 1);
    nc_store_close(st);
    ck_assert(file_exists("file:uri.db?mode=memory"));
    ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

/* A write-protected run log can still be listed. */
START_TEST(test_read_only_file)
{
    if (geteuid() == 0)
        return;                 /* root ignores file permissions */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char path[512];
    nc_store *st = open_ok(&ctx, fresh_path(path, sizeof path, "ro.db"), 1);
    int64_t run = new_run(&ctx, st, 3);
    nc_store_close(st);
    ck_assert_int_eq(chmod(path, 0444), 0);
    st = open_ok(&ctx, path, 0);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    nc_run_info_clear(&r);
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, run, "done", NULL),
                     NC_ERR_IO);
    nc_store_close(st);
    chmod(path, 0644);
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

    tc = tcase_create("open");
    tcase_add_test(tc, test_not_a_database);
    tcase_add_test(tc, test_foreign_sqlite);
    tcase_add_test(tc, test_newer_version);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_migration);
    tcase_add_test(tc, test_wal_mode);
    tcase_add_test(tc, test_uri_like_name);
    tcase_add_test(tc, test_read_only_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_add_test(tc, test_concurrent_reader_and_writer);
    tcase_add_test(tc, test_disk_full);
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
