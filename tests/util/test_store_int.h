/*
 * test_store_int.h — helpers shared by the two store test programs
 * (test_store.c: runs, epochs, checkpoints; test_store_open.c: opening and
 * robustness): fresh paths, opening, a run and its epoch metrics, raw
 * SQLite access, byte patterns. static inline, so that a program that
 * stops using one does not warn; each fails the running Check test on an
 * error.
 */
#ifndef NC_TEST_STORE_INT_H
#define NC_TEST_STORE_INT_H

#include "store/store.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The configuration JSON of every test run (new_run). */
#define CFG "{\"model\":\"mlp\",\"epochs\":3}"

/* A path in the test directory that no earlier test used. */
static inline const char *fresh_path(char *buf, size_t n, const char *name)
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

static inline nc_store *open_ok(nc_ctx *ctx, const char *path, int create)
{
    nc_store *st = NULL;
    nc_status e = nc_store_open(ctx, path, create, &st);
    ck_assert_msg(e == NC_OK, "open %s: %s", path, ctx->msg);
    ck_assert_ptr_nonnull(st);
    return st;
}

static inline int64_t new_run(nc_ctx *ctx, nc_store *st, uint64_t seed)
{
    nc_run_info info = { .kind = "train", .config_json = CFG, .seed = seed,
                         .threads = 2, .code_version = "test-1.0" };
    int64_t id = -1;
    nc_status e = nc_store_run_create(ctx, st, &info, &id);
    ck_assert_msg(e == NC_OK, "run_create: %s", ctx->msg);
    ck_assert_int_gt(id, 0);
    return id;
}

static inline nc_epoch_metrics metrics(int epoch)
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
static inline void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
    sqlite3_close(db);
}

static inline int64_t raw_int(const char *path, const char *sql)
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

static inline char *raw_text(const char *path, const char *sql)
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

static inline unsigned char *pattern(size_t n, unsigned seed)
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

#endif
