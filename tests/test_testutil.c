/*
 * test_testutil.c — the rules by which tests find the reference data
 * (nc_test_shared_file): a missing table skips only where nobody asked for
 * it; with NC_REQUIRE_DATA=1, a set NC_SHARED_DATA, or a file that is there
 * but cannot be read, the test fails. The last tests run this binary again
 * as a child, so that they see a real Check test fail or skip.
 */
#include "tests/util/testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REL "nb201/nb201.csv"

/* tmpdir/<name>/repo, with (with_data) or without a readable
 * tmpdir/<name>/shared/data/nb201/nb201.csv beside it; returns the repo
 * folder in buf. */
static char *fake_repo(char *buf, size_t n, const char *name, int with_data)
{
    char p[512];
    nc_test_path(p, sizeof p, name);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(buf, n, "%s/repo", p);
    ck_assert_int_eq(mkdir(buf, 0755), 0);
    if (with_data) {
        const char *sub[] = { "shared", "shared/data", "shared/data/nb201" };
        char d[1100];
        for (int i = 0; i < 3; i++) {
            snprintf(d, sizeof d, "%s/%s", p, sub[i]);
            ck_assert_int_eq(mkdir(d, 0755), 0);
        }
        snprintf(d, sizeof d, "%s/shared/data/" REL, p);
        ck_assert_int_eq(nc_test_write_file(d, "arch,x\n", 7), 0);
    }
    return buf;
}

static nc_test_data find(const char *env, const char *req, const char *root,
                         char *path, char *why)
{
    return nc_test_shared_find(env, req, root, REL, path, 1024, why, 2048);
}

START_TEST(test_default_place)
{
    char root[1024], path[1024], why[2048];
    fake_repo(root, sizeof root, "with", 1);
    ck_assert_int_eq(find(NULL, NULL, root, path, why), NC_TEST_DATA_FOUND);
    ck_assert_str_eq(why, "");
    ck_assert_ptr_nonnull(strstr(path, "/repo/../shared/data/" REL));
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(find(NULL, "1", root, path, why), NC_TEST_DATA_FOUND);
}
END_TEST

START_TEST(test_missing_skips_unless_required)
{
    char root[1024], path[1024], why[2048];
    fake_repo(root, sizeof root, "without", 0);
    ck_assert_int_eq(find(NULL, NULL, root, path, why), NC_TEST_DATA_SKIP);
    ck_assert_ptr_nonnull(strstr(why, "skipped"));
    ck_assert_ptr_nonnull(strstr(why, path));
    ck_assert_int_eq(find(NULL, "0", root, path, why), NC_TEST_DATA_SKIP);
    ck_assert_int_eq(find(NULL, "", root, path, why), NC_TEST_DATA_SKIP);
    ck_assert_int_eq(find(NULL, "1", root, path, why), NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, path));
    ck_assert_ptr_nonnull(strstr(why, "NC_REQUIRE_DATA=1"));
    ck_assert_int_eq(find(NULL, "yes", root, path, why), NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, "'yes'"));
}
END_TEST

START_TEST(test_env_must_be_right)
{
    char root[1024], other[1024], path[1024], why[2048], data[1100];
    fake_repo(root, sizeof root, "env_repo", 1);
    fake_repo(other, sizeof other, "env_other", 1);
    /* A wrong NC_SHARED_DATA fails even where the default place has the
     * data: it is not silently replaced by it. */
    ck_assert_int_eq(find("/nonexistent", NULL, root, path, why),
                     NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, "NC_SHARED_DATA=/nonexistent"));
    ck_assert_ptr_nonnull(strstr(why, "/nonexistent/" REL));
    ck_assert_int_eq(find("", NULL, root, path, why), NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, "empty"));
    /* A right one is used instead of the default place. */
    snprintf(data, sizeof data, "%s/../shared/data", other);
    ck_assert_int_eq(find(data, NULL, "/nonexistent", path, why),
                     NC_TEST_DATA_FOUND);
    ck_assert_ptr_nonnull(strstr(path, "env_other"));
}
END_TEST

START_TEST(test_unreadable_fails)
{
    char root[1024], path[1024], why[2048], p[1100];
    fake_repo(root, sizeof root, "unreadable", 1);
    snprintf(p, sizeof p, "%s/../shared/data/" REL, root);
    /* Empty: a table cut to nothing. */
    ck_assert_int_eq(nc_test_write_file(p, "", 0), 0);
    ck_assert_int_eq(find(NULL, NULL, root, path, why), NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, "empty"));
    /* A folder where the file should be (unreadable as a file even for
     * root, who reads a mode-000 file). */
    ck_assert_int_eq(remove(p), 0);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(find(NULL, NULL, root, path, why), NC_TEST_DATA_FAIL);
    ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
    ck_assert_ptr_nonnull(strstr(why, path));
}
END_TEST

/* ---- the same through a real Check run, in a child process ---------------- */

/* In the child: one Check test that asks for the table under the root in
 * NC_PROBE_ROOT, as the NB201 tests do. */
START_TEST(test_probe)
{
    char p[1024];
    const char *path = nc_test_shared_file_in(getenv("NC_PROBE_ROOT"), p,
                                              sizeof p, REL, "probe");
    if (path)
        printf("probe: found %s\n", path);
}
END_TEST

static int run_probe(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("probe");
    tcase_add_test(tc, test_probe);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Runs this binary as a probe with the root and the two variables (NULL:
 * unset); its output in *out (static storage). Returns its exit status. */
static int probe(const char *root, const char *shared, const char *require,
                 const char **out)
{
    static char text[4096];
    char log[1024];
    nc_test_path(log, sizeof log, "probe.out");
    fflush(stdout);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen(log, "w", stdout))
            _exit(126);
        setenv("NC_PROBE_ROOT", root, 1);
        if (shared)
            setenv("NC_SHARED_DATA", shared, 1);
        else
            unsetenv("NC_SHARED_DATA");
        if (require)
            setenv("NC_REQUIRE_DATA", require, 1);
        else
            unsetenv("NC_REQUIRE_DATA");
        execl("/proc/self/exe", "test_testutil", "--probe", (char *)NULL);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "probe did not exit");
    ck_assert_int_ne(WEXITSTATUS(status), 126);
    ck_assert_int_ne(WEXITSTATUS(status), 127);
    size_t n;
    unsigned char *b = nc_test_read_whole(log, &n);
    ck_assert_ptr_nonnull(b);
    snprintf(text, sizeof text, "%.*s", (int)n, (const char *)b);
    free(b);
    *out = text;
    return WEXITSTATUS(status);
}

START_TEST(test_probe_runs)
{
    char with[1024], without[1024], data[1100];
    const char *out;
    fake_repo(with, sizeof with, "probe_with", 1);
    fake_repo(without, sizeof without, "probe_without", 0);
    snprintf(data, sizeof data, "%s/../shared/data", with);

    ck_assert_int_eq(probe(with, NULL, "1", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "probe: found"));
    ck_assert_int_eq(probe(without, NULL, NULL, &out), 0);
    ck_assert_msg(strstr(out, "probe: skipped: no ") &&
                  strstr(out, "probe_without/repo/../shared/data/" REL),
                  "no skip line naming the place: %s", out);
    ck_assert_int_ne(probe(without, NULL, "1", &out), 0);
    ck_assert_int_ne(probe(with, "/nonexistent", NULL, &out), 0);
    ck_assert_int_ne(probe(with, "/nonexistent", "0", &out), 0);
    ck_assert_int_eq(probe(without, data, "1", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "probe: found"));
}
END_TEST

static Suite *testutil_suite(void)
{
    Suite *s = suite_create("testutil");
    TCase *tc = tcase_create("shared_data");
    tcase_add_test(tc, test_default_place);
    tcase_add_test(tc, test_missing_skips_unless_required);
    tcase_add_test(tc, test_env_must_be_right);
    tcase_add_test(tc, test_unreadable_fails);
    tcase_add_test(tc, test_probe_runs);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--probe") == 0)
        return run_probe();
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    SRunner *sr = srunner_create(testutil_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
