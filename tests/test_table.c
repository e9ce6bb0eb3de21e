/*
 * test_table.c — the CSV table reader (campaign/table.h): lookups, and the
 * check of the whole file at load, so that a short, empty, non-numeric,
 * repeated or cut row is refused there with the file and line named rather
 * than by a lookup half-way through a campaign.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/table.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

static const char *const BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_1x1~2|";
static const char *const ALLSKIP =
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
    "skip_connect~1|skip_connect~2|";
static const char *const NONE =
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

static const nc_space *nb(void)
{
    const nc_space *sp = nc_space_find("nb201");
    ck_assert_ptr_nonnull(sp);
    return sp;
}

/* Writes text to a fresh file named name in the test dir; returns the path. */
static char *csv(const char *name, const char *text)
{
    char *p = nc_test_tpath(name);
    ck_assert_int_eq(nc_test_write_file(p, text, strlen(text)), 0);
    return p;
}

static nc_status load(nc_ctx *ctx, const char *path, const char *sel,
                      const char *rep, nc_table **t)
{
    nc_ctx_init(ctx);
    return nc_table_load(ctx, path, sel, rep, nb(), t);
}

START_TEST(test_table_small)
{
    char text[1024];
    snprintf(text, sizeof text,
             "arch,acc,\"other, col\"\r\n"
             "\"%s\",91.5,x\r\n"
             "%s,\"54.25\",\"a \"\"q\"\" b\"\r\n"
             "\r\n",
             BEST, ALLSKIP);
    nc_ctx ctx;
    nc_table *t;
    ck_assert_int_eq(load(&ctx, csv("ok.csv", text), "acc", NULL, &t), NC_OK);
    ck_assert_uint_eq(nc_table_rows(t), 2);
    nc_arch a;
    double v = 0, r = 0;
    nb()->parse(nb(), &ctx, ALLSKIP, &a);
    ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, &v, &r), NC_OK);
    ck_assert(v == 54.25 && r == 54.25);
    nb()->parse(nb(), &ctx, BEST, &a);
    ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, &v, NULL), NC_OK);
    ck_assert(v == 91.5);
    nc_arch b;
    double bv;
    nc_table_best(t, &b, &bv, NULL);
    ck_assert(nc_arch_equal(nb(), &a, &b) && bv == 91.5);
    /* Not listed: NOTFOUND, naming the string. */
    a.g[5] = 0;
    ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, &v, &r), NC_ERR_NOTFOUND);
    nc_test_expect_msg(&ctx, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                             "+|skip_connect~0|nor_conv_3x3~1|none~2|");
    nc_table_free(t);
    nc_table_free(NULL);
}
END_TEST

START_TEST(test_table_errors)
{
    nc_ctx ctx;
    nc_table *t = (nc_table *)1;
    char text[1024];

    ck_assert_int_eq(load(&ctx, nc_test_tpath("absent.csv"), "acc", NULL, &t),
                     NC_ERR_IO);
    ck_assert_ptr_null(t);
    nc_test_expect_msg(&ctx, "absent.csv");

    snprintf(text, sizeof text, "name,acc\n%s,1\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("noarch.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "'arch'");
    nc_test_expect_msg(&ctx, "name, acc");

    snprintf(text, sizeof text, "arch,acc\n%s,1\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("nometric.csv", text), "acc", "test", &t),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "'test'");
    nc_test_expect_msg(&ctx, "arch, acc");

    snprintf(text, sizeof text, "arch,acc\n%s,1\n%s,9x\n", BEST, ALLSKIP);
    ck_assert_int_eq(load(&ctx, csv("nonnum.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 3");
    nc_test_expect_msg(&ctx, "9x");

    snprintf(text, sizeof text, "arch,acc\n%s,\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("empty.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 2");

    snprintf(text, sizeof text, "arch,acc\n%s,1\n|nor_conv_3x3~0|,2\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("badarch.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 3, column arch");

    snprintf(text, sizeof text, "arch,acc\n%s,1\n%s,2\n", BEST, BEST);
    ck_assert_int_eq(load(&ctx, csv("dup.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "twice");

    snprintf(text, sizeof text, "arch,acc\n\"%s,1\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("quote.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 2");

    snprintf(text, sizeof text, "arch,x,acc\n%s,1\n", BEST);
    ck_assert_int_eq(load(&ctx, csv("short.csv", text), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 2");

    ck_assert_int_eq(load(&ctx, csv("hdr.csv", "arch,acc\n"), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    ck_assert_int_eq(load(&ctx, csv("zero.csv", ""), "acc", NULL, &t),
                     NC_ERR_FORMAT);

    /* An over-long line is refused before anything is stored. */
    size_t n = NC_TABLE_LINE_MAX + 100;
    char *big = malloc(n + 32);
    ck_assert_ptr_nonnull(big);
    strcpy(big, "arch,acc\n");
    memset(big + 9, 'x', n);
    strcpy(big + 9 + n, ",1\n");
    ck_assert_int_eq(load(&ctx, csv("long.csv", big), "acc", NULL, &t),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "line 2 longer");
    free(big);
    ck_assert_ptr_null(t);
}
END_TEST


/* load() must refuse text with NC_ERR_FORMAT, naming the file and each of
 * the needles (NULL ends them). */
static void expect_refused(const char *name, const char *text, const char *sel,
                           const char *rep, const char *needle1,
                           const char *needle2)
{
    nc_ctx ctx;
    nc_table *t = (nc_table *)1;
    ck_assert_int_eq(load(&ctx, csv(name, text), sel, rep, &t), NC_ERR_FORMAT);
    ck_assert_ptr_null(t);
    nc_test_expect_msg(&ctx, name);
    if (needle1)
        nc_test_expect_msg(&ctx, needle1);
    if (needle2)
        nc_test_expect_msg(&ctx, needle2);
}

static size_t loads(const char *name, const char *text, const char *sel,
                    const char *rep)
{
    nc_ctx ctx;
    nc_table *t;
    nc_status st = load(&ctx, csv(name, text), sel, rep, &t);
    ck_assert_msg(st == NC_OK, "%s: %s", name, ctx.msg);
    size_t n = nc_table_rows(t);
    nc_table_free(t);
    return n;
}

START_TEST(test_table_short_row)
{
    char text[1024];
    /* Short of an unused column only: still a cut or shifted row. */
    snprintf(text, sizeof text, "index,arch,acc,note\n0,%s,1,a\n1,%s,2\n",
             BEST, ALLSKIP);
    expect_refused("short1.csv", text, "acc", NULL, "line 3 has 3 fields",
                   "header 4");
    /* Short of a used column. */
    snprintf(text, sizeof text, "arch,acc,test\n%s,1,2\n%s,2\n", BEST,
             ALLSKIP);
    expect_refused("short2.csv", text, "acc", "test", "line 3", NULL);
    /* One field, not even the arch. */
    snprintf(text, sizeof text, "arch,acc\n%s,1\n0\n", BEST);
    expect_refused("short3.csv", text, "acc", NULL, "line 3 has 1 fields",
                   NULL);
    /* Too many fields is as wrong: two rows run together, say. */
    snprintf(text, sizeof text, "arch,acc\n%s,1,%s\n", BEST, ALLSKIP);
    expect_refused("long.csv", text, "acc", NULL, "line 2 has 3 fields", NULL);
    /* The same rows, whole, load. */
    snprintf(text, sizeof text, "index,arch,acc,note\n0,%s,1,a\n1,%s,2,\n",
             BEST, ALLSKIP);
    ck_assert_uint_eq(loads("whole.csv", text, "acc", NULL), 2);
}
END_TEST

START_TEST(test_table_empty_row)
{
    char text[1024];
    snprintf(text, sizeof text, "arch,acc\n%s,1\n\n%s,2\n", BEST, ALLSKIP);
    expect_refused("gap.csv", text, "acc", NULL, "line 3 is empty",
                   "line 4");
    snprintf(text, sizeof text, "arch,acc\r\n%s,1\r\n\r\n\r\n%s,2\r\n", BEST,
             ALLSKIP);
    expect_refused("gapcrlf.csv", text, "acc", NULL, "line 3 is empty",
                   "line 5");
    snprintf(text, sizeof text, "arch,acc\n\n%s,1\n", BEST);
    expect_refused("gaphead.csv", text, "acc", NULL, "line 2 is empty", NULL);
    /* A line of spaces is a row of one field, not an empty line. */
    snprintf(text, sizeof text, "arch,acc\n%s,1\n  \n%s,2\n", BEST, ALLSKIP);
    expect_refused("spaces.csv", text, "acc", NULL, "line 3 has 1 fields",
                   NULL);
    /* Empty lines at the end (and before the header) are fine. */
    snprintf(text, sizeof text, "arch,acc\n%s,1\n%s,2\n", BEST, ALLSKIP);
    ck_assert_uint_eq(loads("end0.csv", text, "acc", NULL), 2);
    snprintf(text, sizeof text, "\narch,acc\n%s,1\n%s,2\n\n\r\n", BEST,
             ALLSKIP);
    ck_assert_uint_eq(loads("end2.csv", text, "acc", NULL), 2);
}
END_TEST

START_TEST(test_table_non_numeric)
{
    static const char *const bad[] = { "abc", "1.5x", "", " ", "nan", "NaN",
                                       "inf", "-Infinity", "1e999" };
    char text[1024];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* In the selected column, then in the reported one. */
        snprintf(text, sizeof text, "arch,acc,test\n%s,1,2\n%s,\"%s\",2\n",
                 BEST, ALLSKIP, bad[i]);
        expect_refused("nonnum_sel.csv", text, "acc", "test",
                       "line 3, column acc", NULL);
        snprintf(text, sizeof text, "arch,acc,test\n%s,1,2\n%s,2,\"%s\"\n",
                 BEST, ALLSKIP, bad[i]);
        expect_refused("nonnum_rep.csv", text, "acc", "test",
                       "line 3, column test", NULL);
        /* In a column no one reads: not parsed, not refused. */
        snprintf(text, sizeof text, "arch,acc,test\n%s,1,2\n%s,2,\"%s\"\n",
                 BEST, ALLSKIP, bad[i]);
        ck_assert_uint_eq(loads("nonnum_unused.csv", text, "acc", NULL), 2);
    }
}
END_TEST

START_TEST(test_table_repeated_arch)
{
    char text[1024];
    snprintf(text, sizeof text, "arch,acc\n%s,1\n%s,2\n%s,1\n", BEST, ALLSKIP,
             BEST);
    expect_refused("repeat.csv", text, "acc", NULL, "line 4", "first on line 2");
}
END_TEST

START_TEST(test_table_cut_mid_row)
{
    /* Every cut of this file inside a row is refused, naming the line it
     * cut; a cut at a row's end leaves a shorter but sound table (nothing
     * in the file can tell), which loads. */
    char text[1024];
    int len = snprintf(text, sizeof text,
                       "index,arch,acc,test\r\n0,%s,91.53,90.25\r\n"
                       "1,%s,10.5,11\r\n2,%s,54.25,53.75\r\n",
                       BEST, ALLSKIP, NONE);
    char *cut = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(cut);
    const char *hdr_end = strchr(text, '\n') + 1;
    int refused = 0, whole = 0;
    for (int p = (int)(hdr_end - text) + 1; p < len; p++) {
        memcpy(cut, text, (size_t)p);
        cut[p] = 0;
        int line = 1;
        for (int i = 0; i < p; i++)
            line += cut[i] == '\n';
        if (cut[p - 1] == '\n') {
            ck_assert_uint_eq(loads("cut.csv", cut, "acc", "test"),
                              (size_t)(line - 2));
            whole++;
            continue;
        }
        char want[64];
        snprintf(want, sizeof want, "line %d", line);
        expect_refused("cut.csv", cut, "acc", "test", want, NULL);
        refused++;
    }
    ck_assert_int_eq(whole, 2);
    ck_assert_int_gt(refused, 200);
    free(cut);
}
END_TEST

static double half_index(int index, const nc_arch *a)
{
    (void)a;
    return index / 2.0;
}

START_TEST(test_table_cut_mid_file)
{
    /* The whole synthetic NB201 table loads; the same file cut in the
     * middle of a row (as a copy that ran out of space leaves it) does not. */
    char path[512];
    nc_test_nb201_table(path, sizeof path, "nb201_cut.csv", half_index);
    nc_ctx ctx;
    nc_table *t;
    nc_ctx_init(&ctx);
    ck_assert_int_eq(nc_table_load(&ctx, path, "valid", "test", nb(), &t),
                     NC_OK);
    ck_assert_uint_eq(nc_table_rows(t), 15625);
    nc_table_free(t);
    size_t n;
    unsigned char *b = nc_test_read_whole(path, &n);
    size_t keep = n / 2;
    while (b[keep - 1] == '\n')
        keep--;
    int line = 1;
    for (size_t i = 0; i < keep; i++)
        line += b[i] == '\n';
    ck_assert_int_eq(nc_test_write_file(path, b, keep), 0);
    free(b);
    nc_ctx_init(&ctx);
    ck_assert_int_eq(nc_table_load(&ctx, path, "valid", "test", nb(), &t),
                     NC_ERR_FORMAT);
    ck_assert_ptr_null(t);
    char want[64];
    snprintf(want, sizeof want, "nb201_cut.csv: line %d", line);
    nc_test_expect_msg(&ctx, want);
}
END_TEST

START_TEST(test_table_no_arch_column)
{
    char text[1024];
    snprintf(text, sizeof text, "index,acc\n0,1\n");
    expect_refused("hdr_noarch.csv", text, "acc", NULL, "no column 'arch'",
                   "index, acc");
    /* "Arch" or " arch" is not the column. */
    snprintf(text, sizeof text, "Arch,acc\n%s,1\n", BEST);
    expect_refused("hdr_case.csv", text, "acc", NULL, "'arch'", "line 1");
    snprintf(text, sizeof text, " arch,acc\n%s,1\n", BEST);
    expect_refused("hdr_space.csv", text, "acc", NULL, "'arch'", NULL);
}
END_TEST

int main(void)
{
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    Suite *s = suite_create("table");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_small);
    tcase_add_test(tc, test_table_errors);
    tcase_add_test(tc, test_table_short_row);
    tcase_add_test(tc, test_table_empty_row);
    tcase_add_test(tc, test_table_non_numeric);
    tcase_add_test(tc, test_table_repeated_arch);
    tcase_add_test(tc, test_table_cut_mid_row);
    tcase_add_test(tc, test_table_cut_mid_file);
    tcase_add_test(tc, test_table_no_arch_column);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
