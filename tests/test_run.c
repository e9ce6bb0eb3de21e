/*
 * test_run.c — what the run layer stands on: owner strings and whether
 * their process lives (run/owner.c), and the store's unit commit, owner
 * compare-and-swap, failure marking and child lookup (store/unit.c).
 */
#include "run/owner.h"
#include "store/store.h"
#include "store/trials.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(test_owner_self_alive)
{
    char me[NC_OWNER_MAX];
    nc_owner_self(me);
    char want[32];
    snprintf(want, sizeof want, ":%ld:", (long)getpid());
    ck_assert_ptr_nonnull(strstr(me, want));
    ck_assert_int_eq(nc_owner_alive(me), 1);
    char who[NC_OWNER_MAX + 32];
    nc_owner_describe(me, who, sizeof who);
    snprintf(want, sizeof want, "process %ld on host ", (long)getpid());
    ck_assert_msg(strncmp(who, want, strlen(want)) == 0, "%s", who);
    ck_assert_int_eq(nc_owner_alive(""), 0);
    ck_assert_int_eq(nc_owner_alive("garbage"), 0);
}
END_TEST

/* A process that ended is not alive; neither is a live pid with another
 * start time (a reused pid). */
START_TEST(test_owner_dead)
{
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char me[NC_OWNER_MAX];
        nc_owner_self(me);
        ssize_t w = write(fd[1], me, sizeof me);
        _exit(w == (ssize_t)sizeof me ? 0 : 1);
    }
    char child[NC_OWNER_MAX];
    ck_assert_int_eq(read(fd[0], child, sizeof child), (ssize_t)sizeof child);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    close(fd[0]);
    close(fd[1]);
    ck_assert_int_eq(nc_owner_alive(child), 0);

    char me[NC_OWNER_MAX], reused[NC_OWNER_MAX + 8];
    nc_owner_self(me);
    char *last = strrchr(me, ':');
    ck_assert_ptr_nonnull(last);
    snprintf(reused, sizeof reused, "%.*s:1", (int)(last - me), me);
    ck_assert_int_eq(nc_owner_alive(reused), 0);
    /* Another host cannot be checked from here: taken as alive. */
    ck_assert_int_eq(nc_owner_alive("elsewhere.example:1:1"), 1);
}
END_TEST

static nc_store *fresh_db(nc_ctx *ctx, const char *name, int64_t *run)
{
    char path[600];
    nc_test_path(path, sizeof path, name);
    unlink(path);
    nc_store *st = NULL;
    ck_assert_msg(nc_store_open(ctx, path, 1, &st) == NC_OK, "%s", ctx->msg);
    nc_run_info info = { .kind = "search", .config_json = "{}",
                         .code_version = "t", .seed = 1, .threads = 1,
                         .units_total = 7 };
    ck_assert_msg(nc_store_run_create(ctx, st, &info, run) == NC_OK, "%s",
                  ctx->msg);
    return st;
}

static void expect_run(nc_store *st, int64_t run, const char *status,
                       const char *owner, const char *reason,
                       int64_t done, int64_t total)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_str_eq(r.status, status);
    ck_assert_str_eq(r.owner, owner);
    ck_assert_str_eq(r.reason, reason);
    ck_assert_int_eq(r.units_done, done);
    ck_assert_int_eq(r.units_total, total);
    nc_run_info_clear(&r);
}

START_TEST(test_claim_is_compare_and_swap)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int64_t run;
    nc_store *st = fresh_db(&ctx, "claim.db", &run);
    expect_run(st, run, "running", "", "", 0, 7);
    ck_assert_int_eq(nc_store_run_claim(&ctx, st, run, "", "h:1:1"), NC_OK);
    expect_run(st, run, "running", "h:1:1", "", 0, 7);
    /* Two processes that both saw it free: only the first takes it. */
    ck_assert_int_eq(nc_store_run_claim(&ctx, st, run, "", "h:2:2"),
                     NC_ERR_STATE);
    expect_run(st, run, "running", "h:1:1", "", 0, 7);
    /* A dead owner is replaced by naming it. */
    ck_assert_int_eq(nc_store_run_claim(&ctx, st, run, "h:1:1", "h:2:2"),
                     NC_OK);
    ck_assert_int_eq(nc_store_run_claim(&ctx, st, run, "h:2:2", NULL), NC_OK);
    expect_run(st, run, "running", "", "", 0, 7);
    ck_assert_int_eq(nc_store_run_claim(&ctx, st, run + 1, "", "x"),
                     NC_ERR_NOTFOUND);
    nc_store_close(st);
}
END_TEST

START_TEST(test_fail_and_finish)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int64_t run;
    nc_store *st = fresh_db(&ctx, "fail.db", &run);
    ck_assert_int_eq(nc_store_run_fail(&ctx, st, run, "disk full", "io"),
                     NC_OK);
    expect_run(st, run, "failed", "", "disk full", 0, 7);
    /* Running again (a resume) clears the reason. */
    ck_assert_int_eq(nc_store_run_finish(&ctx, st, run, "running", NULL),
                     NC_OK);
    expect_run(st, run, "running", "", "", 0, 7);
    ck_assert_int_eq(nc_store_run_fail(&ctx, st, run + 5, "x", "io"),
                     NC_ERR_NOTFOUND);
    nc_store_close(st);
}
END_TEST

/* A unit is one transaction: its trial and the progress, or nothing. */
START_TEST(test_unit_commit_whole_or_nothing)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int64_t run;
    nc_store *st = fresh_db(&ctx, "unit.db", &run);
    nc_trial_rec t = { .trial = 0, .arch = "a", .origin = "random",
                       .parent1 = -1, .parent2 = -1, .status = "done",
                       .n_obj = 1, .obj = { 0.5 }, .metrics_json = "{}",
                       .seconds = 1 };
    nc_store_unit u = { .trial = &t, .state_name = "s", .state = "xyz",
                        .state_len = 3, .units_done = 1, .units_total = 7 };
    ck_assert_msg(nc_store_unit_commit(&ctx, st, run, &u) == NC_OK, "%s",
                  ctx.msg);
    expect_run(st, run, "running", "", "", 1, 7);
    void *blob;
    size_t len;
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "s", &blob, &len),
                     NC_OK);
    ck_assert_int_eq(len, 3);
    free(blob);
    /* The same trial again is refused: nothing of the unit lands. */
    u.units_done = 2;
    u.state = "abcd";
    u.state_len = 4;
    ck_assert_int_eq(nc_store_unit_commit(&ctx, st, run, &u), NC_ERR_STATE);
    expect_run(st, run, "running", "", "", 1, 7);
    ck_assert_int_eq(nc_store_state_get(&ctx, st, run, "s", &blob, &len),
                     NC_OK);
    ck_assert_int_eq(len, 3);
    free(blob);
    /* A NaN objective is refused before the transaction. */
    t.trial = 1;
    t.obj[0] = NAN;
    ck_assert_int_eq(nc_store_unit_commit(&ctx, st, run, &u), NC_ERR_NUMERIC);
    int n = -1;
    ck_assert_int_eq(nc_store_trial_count(&ctx, st, run, &n), NC_OK);
    ck_assert_int_eq(n, 1);
    nc_store_close(st);
}
END_TEST

START_TEST(test_child_lookup)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int64_t run, c1, c2, id = 0;
    nc_store *st = fresh_db(&ctx, "child.db", &run);
    ck_assert_int_eq(nc_store_run_child(&ctx, st, run, "trial 0", &id),
                     NC_ERR_NOTFOUND);
    nc_run_info info = { .kind = "train", .config_json = "{}",
                         .code_version = "t", .seed = 2, .threads = 1,
                         .parent = run, .tag = "trial 0" };
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &info, &c1), NC_OK);
    ck_assert_int_eq(nc_store_run_create(&ctx, st, &info, &c2), NC_OK);
    /* The oldest, should a kill ever have left two. */
    ck_assert_int_eq(nc_store_run_child(&ctx, st, run, "trial 0", &id), NC_OK);
    ck_assert_int_eq(id, c1);
    ck_assert_int_eq(nc_store_run_child(&ctx, st, run, "trial 1", &id),
                     NC_ERR_NOTFOUND);
    nc_run_info r;
    ck_assert_int_eq(nc_store_run_get(&ctx, st, c2, &r), NC_OK);
    ck_assert_int_eq(r.parent, run);
    ck_assert_str_eq(r.tag, "trial 0");
    nc_run_info_clear(&r);
    ck_assert_int_eq(nc_store_run_get(&ctx, st, run, &r), NC_OK);
    ck_assert_int_eq(r.parent, 0);
    ck_assert_str_eq(r.tag, "");
    nc_run_info_clear(&r);
    nc_store_close(st);
}
END_TEST

static Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("owner");
    tcase_add_test(tc, test_owner_self_alive);
    tcase_add_test(tc, test_owner_dead);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_add_test(tc, test_claim_is_compare_and_swap);
    tcase_add_test(tc, test_fail_and_finish);
    tcase_add_test(tc, test_unit_commit_whole_or_nothing);
    tcase_add_test(tc, test_child_lookup);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(run_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
