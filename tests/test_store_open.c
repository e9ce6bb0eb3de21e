/*
 * test_store_open.c — the SQLite run log, opening and robustness: refusing
 * files that are not run logs, versions and migration, WAL mode, odd names
 * and read-only files; a concurrent reader and writer, and a full disk.
 * Round trips of runs, epochs and checkpoints are in test_store.c.
 *
 * Like test_store.c, the tests reach into the database with sqlite3
 * directly, to set up foreign, future or corrupted files and to check what
 * the store wrote.
 */
#include "store/store.h"
#include "tests/util/test_store_int.h"
#include "tests/util/testutil.h"

#include <check.h>
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

/* ---- helpers ---------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

static Suite *store_open_suite(void)
{
    Suite *s = suite_create("store_open");
    TCase *tc = tcase_create("open");
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
    SRunner *sr = srunner_create(store_open_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
