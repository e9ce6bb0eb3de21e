/*
 * test_arch_list.c — lists of architectures (supernet/arch_list.h): a list
 * file with indices, strings, comments and blanks; each kind of bad line
 * named by file and line; a whole space in index order; seeded samples that
 * are distinct and extend each other, and draws for a space too large to
 * permute.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supernet/arch_list.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

static const char *const BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_1x1~2|";

static const nc_space *space(const char *name)
{
    const nc_space *sp = nc_space_find(name);
    ck_assert_ptr_nonnull(sp);
    return sp;
}

/* Writes text to a fresh file named name in the test dir; returns the path. */
static char *file(const char *name, const char *text)
{
    char *p = nc_test_tpath(name);
    ck_assert_int_eq(nc_test_write_file(p, text, strlen(text)), 0);
    return p;
}

/* Reads text as a list of nb201 architectures, expecting status want and,
 * on failure, needle in the message. */
static void read_expect(const char *name, const char *text, nc_status want,
                        const char *needle)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch *a = (nc_arch *)1;   /* must stay untouched on failure */
    int n = -1;
    nc_status st = nc_arch_list_read(&ctx, space("nb201"), file(name, text),
                                     &a, &n);
    ck_assert_int_eq(st, want);
    if (st == NC_OK) {
        free(a);
        return;
    }
    ck_assert_ptr_eq(a, (nc_arch *)1);
    nc_test_expect_msg(&ctx, needle);
}

START_TEST(test_read)
{
    const nc_space *sp = space("nb201");
    char text[1024];
    snprintf(text, sizeof text,
             "# a comment\n"
             "1\n"
             "\n"
             "   9889  \r\n"
             "%s\n"
             "  # indented comment\n"
             "15624", BEST);   /* no line end after the last line */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch *a = NULL;
    int n = 0;
    ck_assert_int_eq(nc_arch_list_read(&ctx, sp, file("ok.txt", text), &a, &n),
                     NC_OK);
    ck_assert_int_eq(n, 4);
    nc_arch want;
    sp->nth(sp, 1, &want);
    ck_assert(nc_arch_equal(sp, &a[0], &want));
    sp->nth(sp, 9889, &want);
    ck_assert(nc_arch_equal(sp, &a[1], &want));
    ck_assert_int_eq(sp->parse(sp, &ctx, BEST, &want), NC_OK);
    ck_assert(nc_arch_equal(sp, &a[2], &want));
    sp->nth(sp, 15624, &want);
    ck_assert(nc_arch_equal(sp, &a[3], &want));
    free(a);
}
END_TEST

START_TEST(test_read_errors)
{
    read_expect("range.txt", "1\n15625\n", NC_ERR_FORMAT, "range.txt:2");
    read_expect("range2.txt", "15625\n", NC_ERR_FORMAT, "0..15624");
    read_expect("bad.txt", "# c\n1\n|nor_conv_3x3~0|+|oops|\n", NC_ERR_FORMAT,
                "bad.txt:3");
    read_expect("empty.txt", "# only a comment\n\n", NC_ERR_FORMAT,
                "no architectures");
    char *long_line = malloc(4 * NC_ARCH_STR_MAX);
    memset(long_line, 'x', 4 * NC_ARCH_STR_MAX - 2);
    long_line[4 * NC_ARCH_STR_MAX - 2] = '\n';
    long_line[4 * NC_ARCH_STR_MAX - 1] = 0;
    read_expect("long.txt", long_line, NC_ERR_FORMAT, "long.txt:1: line too "
                "long");
    free(long_line);

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch *a;
    int n;
    ck_assert_int_eq(nc_arch_list_read(&ctx, space("nb201"),
                                       nc_test_tpath("missing.txt"), &a, &n),
                     NC_ERR_IO);
    nc_test_expect_msg(&ctx, "missing.txt");
    /* mbv is too large to list whole, but its indices still name
     * architectures. */
    nc_ctx_init(&ctx);
    const nc_space *mbv = space("mbv");
    ck_assert_int_eq(nc_arch_list_read(&ctx, mbv, file("mbv.txt", "3\n"), &a,
                                       &n), NC_OK);
    nc_arch want;
    mbv->nth(mbv, 3, &want);
    ck_assert_int_eq(n, 1);
    ck_assert(nc_arch_equal(mbv, &a[0], &want));
    free(a);
}
END_TEST

START_TEST(test_all)
{
    const nc_space *sp = space("nb201");
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch *a = NULL;
    int n = 0;
    ck_assert_int_eq(nc_arch_list_all(&ctx, sp, &a, &n), NC_OK);
    ck_assert_int_eq(n, 15625);
    for (int k = 0; k < n; k += 997) {
        nc_arch want;
        sp->nth(sp, k, &want);
        ck_assert(nc_arch_equal(sp, &a[k], &want));
    }
    free(a);
    ck_assert_int_eq(nc_arch_list_all(&ctx, space("mbv"), &a, &n),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "space mbv cannot be enumerated");
}
END_TEST

START_TEST(test_sample)
{
    const nc_space *sp = space("nb201");
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch *small, *big, *other;
    ck_assert_int_eq(nc_arch_list_sample(&ctx, sp, 5, 3, &small), NC_OK);
    ck_assert_int_eq(nc_arch_list_sample(&ctx, sp, 200, 3, &big), NC_OK);
    ck_assert_int_eq(nc_arch_list_sample(&ctx, sp, 5, 4, &other), NC_OK);
    int same_as_other = 0;
    for (int i = 0; i < 5; i++) {
        ck_assert(nc_arch_equal(sp, &small[i], &big[i]));
        same_as_other += nc_arch_equal(sp, &small[i], &other[i]);
    }
    ck_assert_int_lt(same_as_other, 5);   /* the seed matters */
    for (int i = 0; i < 200; i++)         /* without replacement */
        for (int j = 0; j < i; j++)
            ck_assert(!nc_arch_equal(sp, &big[i], &big[j]));
    free(small);
    free(big);
    free(other);
    ck_assert_int_eq(nc_arch_list_sample(&ctx, sp, 15626, 1, &small),
                     NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "has only 15625");
    ck_assert_int_eq(nc_arch_list_sample(&ctx, sp, 0, 1, &small),
                     NC_ERR_RANGE);
    /* mbv is too large to permute: independent draws, the same for the
     * same seed. */
    const nc_space *mbv = space("mbv");
    ck_assert_int_eq(nc_arch_list_sample(&ctx, mbv, 3, 7, &small), NC_OK);
    ck_assert_int_eq(nc_arch_list_sample(&ctx, mbv, 4, 7, &big), NC_OK);
    for (int i = 0; i < 3; i++)
        ck_assert(nc_arch_equal(mbv, &small[i], &big[i]));
    free(small);
    free(big);
}
END_TEST

int main(void)
{
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    Suite *s = suite_create("arch_list");
    TCase *tc = tcase_create("arch_list");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_read);
    tcase_add_test(tc, test_read_errors);
    tcase_add_test(tc, test_all);
    tcase_add_test(tc, test_sample);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
