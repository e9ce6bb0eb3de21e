/*
 * test_plot.c — the SVG plotter: round tick values for a few ranges, tick
 * labels with SI suffixes, the order of a staircase's vertices, charts that
 * are well-formed XML with their titles, ticks and lines, and a write to a
 * full disk that fails with an error instead of passing silently.
 */
#include "campaign/plot.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void expect_ticks(double lo, double hi, int max_ticks, int integer,
                         const double *want, int n_want, double want_step)
{
    double t[NC_PLOT_TICKS_MAX], step;
    int n = nc_plot_ticks(lo, hi, max_ticks, integer, t, &step);
    ck_assert_int_eq(n, n_want);
    ck_assert_double_eq_tol(step, want_step, 1e-12);
    for (int i = 0; i < n; i++)
        ck_assert_double_eq_tol(t[i], want[i], 1e-9);
}

START_TEST(test_ticks_round)
{
    static const double unit[] = { 0, 0.2, 0.4, 0.6, 0.8, 1 };
    expect_ticks(0, 1, 8, 0, unit, 6, 0.2);
    /* Data that do not start on a tick: the axis is rounded out. */
    static const double acc[] = { 93.0, 93.2, 93.4, 93.6, 93.8, 94.0, 94.2,
                                  94.4 };
    expect_ticks(93.1, 94.4, 8, 0, acc, 8, 0.2);
    static const double acc5[] = { 93.0, 93.5, 94.0, 94.5 };
    expect_ticks(93.1, 94.4, 5, 0, acc5, 4, 0.5);
    static const double sym[] = { -1, -0.5, 0, 0.5, 1 };
    expect_ticks(-1, 1, 8, 0, sym, 5, 0.5);
    static const double ms[] = { 0, 5, 10, 15, 20, 25 };
    expect_ticks(2.3, 21.7, 8, 0, ms, 6, 5);
    static const double params[] = { 0, 5e5, 1e6, 1.5e6 };
    expect_ticks(1.3e5, 1.42e6, 8, 0, params, 4, 5e5);
    /* Epochs: whole numbers only, even over a short range. */
    static const double two[] = { 1, 2 };
    expect_ticks(1, 2, 8, 1, two, 2, 1);
    static const double ten[] = { 0, 2, 4, 6, 8, 10 };
    expect_ticks(1, 10, 8, 1, ten, 6, 2);
    /* Reversed bounds are swapped; non-finite ones give 0..1. */
    expect_ticks(1, 0, 8, 0, unit, 6, 0.2);
    expect_ticks(NAN, 3, 8, 0, unit, 6, 0.2);
}
END_TEST

START_TEST(test_ticks_degenerate)
{
    double t[NC_PLOT_TICKS_MAX], step;
    int n = nc_plot_ticks(5, 5, 8, 0, t, &step);
    ck_assert_int_ge(n, 2);
    ck_assert(t[0] < 5 && t[n - 1] > 5);
    n = nc_plot_ticks(0, 0, 8, 1, t, &step);
    ck_assert_int_ge(n, 2);
    ck_assert(t[0] <= -1 && t[n - 1] >= 1 && step >= 1);
    /* Far from zero, tiny spread: still few ticks, all in order. */
    n = nc_plot_ticks(1e6 + 0.01, 1e6 + 0.07, 8, 0, t, &step);
    ck_assert_int_le(n, 8);
    for (int i = 1; i < n; i++)
        ck_assert(t[i] > t[i - 1]);
    ck_assert(t[0] <= 1e6 + 0.01 + 1e-6 && t[n - 1] >= 1e6 + 0.07 - 1e-6);
    /* max_ticks out of range is clamped, never overrunning the array. */
    n = nc_plot_ticks(0, 1000, 1000, 0, t, &step);
    ck_assert_int_le(n, NC_PLOT_TICKS_MAX);
    n = nc_plot_ticks(0, 1000, 0, 0, t, &step);
    ck_assert_int_le(n, 3);
}
END_TEST

static void expect_label(double v, double step, double max_abs, int si,
                         const char *want)
{
    char buf[32];
    nc_plot_tick_label(v, step, max_abs, si, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
}

START_TEST(test_tick_labels)
{
    expect_label(0.4, 0.2, 1, 0, "0.4");
    expect_label(93.2, 0.2, 94.4, 0, "93.2");
    expect_label(94, 0.5, 94.5, 0, "94.0");
    expect_label(1500, 500, 2000, 0, "1500");
    expect_label(0.05, 0.05, 0.2, 0, "0.05");
    expect_label(1.2e6, 2e5, 1.6e6, 1, "1.2M");
    expect_label(1e6, 5e5, 1.5e6, 1, "1.0M");
    expect_label(8e5, 2e5, 1.6e6, 1, "0.8M");
    expect_label(800, 100, 900, 1, "800");
    expect_label(3500, 500, 4000, 1, "3.5k");
    expect_label(2e9, 1e9, 5e9, 1, "2G");
    /* A tick at zero reads 0, not -0.0 or 0.0M. */
    expect_label(-1e-17, 0.5, 1, 0, "0");
    expect_label(0, 5e5, 1.5e6, 1, "0");
    expect_label(-0.5, 0.5, 1, 0, "-0.5");
}
END_TEST

START_TEST(test_staircase_order)
{
    /* Out of order, as a Pareto front comes. */
    const double x[] = { 3, 1, NAN, 2 }, y[] = { 1, 3, 7, 2 };
    double vx[8], vy[8];
    int n = nc_plot_staircase(x, y, 4, 0, vx, vy);
    const double hx[] = { 1, 2, 2, 3, 3 }, hy[] = { 3, 3, 2, 2, 1 };
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < n; i++) {
        ck_assert_double_eq(vx[i], hx[i]);
        ck_assert_double_eq(vy[i], hy[i]);
    }
    n = nc_plot_staircase(x, y, 4, 1, vx, vy);
    const double wx[] = { 1, 1, 2, 2, 3 }, wy[] = { 3, 2, 2, 1, 1 };
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < n; i++) {
        ck_assert_double_eq(vx[i], wx[i]);
        ck_assert_double_eq(vy[i], wy[i]);
    }
    /* A best-so-far curve: rising, already in order. */
    const double t[] = { 1, 2, 3 }, b[] = { 10, 10, 12 };
    n = nc_plot_staircase(t, b, 3, 0, vx, vy);
    ck_assert_int_eq(n, 5);
    ck_assert_double_eq(vx[3], 3);
    ck_assert_double_eq(vy[3], 10);
    ck_assert_double_eq(vy[4], 12);
    ck_assert_int_eq(nc_plot_staircase(t, b, 1, 0, vx, vy), 1);
    ck_assert_int_eq(nc_plot_staircase(t, b, 0, 0, vx, vy), 0);
    ck_assert_int_eq(nc_plot_staircase(x + 2, y + 2, 1, 0, vx, vy), 0);
}
END_TEST

/* A minimal XML well-formedness check: every tag closes in order, no
 * stray '<' or '&' in text or attributes, quotes balanced inside tags. */
static int xml_balanced(const char *s, char *why, size_t n)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    while (*s) {
        if (*s == '&') {
            const char *e = strchr(s, ';');
            static const char *const ent[] = { "&amp;", "&lt;", "&gt;",
                                               "&quot;", "&apos;" };
            int ok = 0;
            for (int i = 0; e && i < 5; i++)
                ok |= strncmp(s, ent[i], strlen(ent[i])) == 0;
            if (!ok) {
                snprintf(why, n, "bare & at '%.20s'", s);
                return 0;
            }
            s = e + 1;
            continue;
        }
        if (*s != '<') {
            if (*s == '>') {
                snprintf(why, n, "stray > at '%.20s'", s);
                return 0;
            }
            s++;
            continue;
        }
        if (s[1] == '?') {
            const char *e = strstr(s, "?>");
            if (!e)
                return snprintf(why, n, "unclosed <?"), 0;
            s = e + 2;
            continue;
        }
        int closing = s[1] == '/';
        const char *p = s + 1 + closing;
        size_t len = strcspn(p, " \t\n/>");
        if (len == 0 || len >= sizeof stack[0])
            return snprintf(why, n, "bad tag at '%.20s'", s), 0;
        char name[32];
        memcpy(name, p, len);
        name[len] = '\0';
        p += len;
        int quote = 0;
        while (*p && (quote || *p != '>')) {
            if (*p == '"')
                quote = !quote;
            else if (*p == '<')
                return snprintf(why, n, "'<' inside tag %s", name), 0;
            p++;
        }
        if (!*p)
            return snprintf(why, n, "unclosed tag %s", name), 0;
        int self = p[-1] == '/';
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                return snprintf(why, n, "</%s> closes %s", name,
                                depth ? stack[depth - 1] : "nothing"), 0;
            depth--;
        } else if (!self) {
            if (depth == 64)
                return snprintf(why, n, "too deep"), 0;
            if (depth == 0)
                roots++;
            strcpy(stack[depth++], name);
        } else if (depth == 0) {
            roots++;
        }
        s = p + 1;
    }
    if (depth != 0)
        return snprintf(why, n, "<%s> never closed", stack[depth - 1]), 0;
    if (roots != 1)
        return snprintf(why, n, "%d root elements", roots), 0;
    return 1;
}

static int count(const char *s, const char *needle)
{
    int k = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

/* A chart with a bit of everything: two lines on the left axis, one on
 * the right, dots with tooltips, a staircase and a mark. */
static void sample_plot(nc_plot *p, nc_plot_series *s)
{
    static const double ep[] = { 1, 2, 3, 4 }, loss[] = { 0.9, 0.6, 0.5, 0.45 };
    static const double vl[] = { 1.0, 0.7, NAN, 0.6 };
    static const double acc[] = { 71.5, 80.2, 83.0, 84.9 };
    static const int ids[] = { 11, 12, 13, 14 };
    memset(s, 0, 4 * sizeof *s);
    s[0] = (nc_plot_series){ .name = "train loss", .style = NC_PLOT_LINE,
                             .x = ep, .y = loss, .n = 4 };
    s[1] = (nc_plot_series){ .name = "valid <loss> & more",
                             .style = NC_PLOT_LINE_POINTS, .x = ep, .y = vl,
                             .n = 4, .dashed = 1 };
    s[2] = (nc_plot_series){ .name = "accuracy", .style = NC_PLOT_POINTS,
                             .x = ep, .y = acc, .n = 4, .right = 1,
                             .ids = ids, .id_name = "trial" };
    s[3] = (nc_plot_series){ .name = "best", .style = NC_PLOT_STAIRS_POINTS,
                             .x = ep, .y = acc, .n = 4, .right = 1 };
    static const nc_plot_mark mark = { 2.5, "DARTS-PT" };
    memset(p, 0, sizeof *p);
    p->title = "run 1: \"mlp\" <fashion-mnist>";
    p->subtitle = "first line\nsecond & last line";
    p->x = (nc_plot_axis){ "epoch", NULL, 1, 0 };
    p->y = (nc_plot_axis){ "loss", NULL, 0, 0 };
    p->y2 = (nc_plot_axis){ "accuracy", "%", 0, 0 };
    p->series = s;
    p->n_series = 4;
    p->marks = &mark;
    p->n_marks = 1;
}

START_TEST(test_svg_well_formed)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_plot p;
    nc_plot_series s[4];
    sample_plot(&p, s);
    char *svg;
    size_t len;
    ck_assert_int_eq(nc_plot_svg(&ctx, &p, &svg, &len), NC_OK);
    ck_assert_uint_eq(strlen(svg), len);
    char why[128] = "";
    ck_assert_msg(xml_balanced(svg, why, sizeof why), "not well-formed: %s",
                  why);
    ck_assert_ptr_nonnull(strstr(svg, "<svg xmlns="
                                      "\"http://www.w3.org/2000/svg\""));
    ck_assert_ptr_nonnull(strstr(svg, "<title>run 1: &quot;mlp&quot; "
                                      "&lt;fashion-mnist&gt;</title>"));
    ck_assert_ptr_nonnull(strstr(svg, ">second &amp; last line</text>"));
    /* Three lines (the two losses and the staircase); dots: 4 for the
     * accuracy, 3 on the valid loss (its NaN skipped), 4 on the stairs. */
    ck_assert_int_eq(count(svg, "<polyline"), 3);
    ck_assert_int_eq(count(svg, "<circle"), 11 + 3);   /* + legend dots */
    ck_assert_int_eq(count(svg, "<title>trial "), 4);
    ck_assert_ptr_nonnull(strstr(svg, ">accuracy (%)</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">epoch</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">DARTS-PT</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">valid &lt;loss&gt; &amp; more</text>"));
    /* Epoch ticks are whole numbers; loss ticks round. */
    ck_assert_ptr_nonnull(strstr(svg, ">3</text>"));
    ck_assert_ptr_null(strstr(svg, ">2.5</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">0.6</text>"));
    free(svg);

    /* No data at all still gives a valid, empty chart. */
    p.n_series = 0;
    p.n_marks = 0;
    p.subtitle = NULL;
    ck_assert_int_eq(nc_plot_svg(&ctx, &p, &svg, NULL), NC_OK);
    ck_assert_msg(xml_balanced(svg, why, sizeof why), "empty: %s", why);
    free(svg);
}
END_TEST

START_TEST(test_bad_input)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_plot p;
    nc_plot_series s[4];
    sample_plot(&p, s);
    char *svg = (char *)1;
    p.title = NULL;
    ck_assert_int_eq(nc_plot_svg(&ctx, &p, &svg, NULL), NC_ERR_INVAL);
    ck_assert_ptr_null(svg);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "title"));
    sample_plot(&p, s);
    s[1].y = NULL;
    ck_assert_int_eq(nc_plot_svg(&ctx, &p, &svg, NULL), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "valid <loss>"));
    sample_plot(&p, s);
    p.width = 50;
    ck_assert_int_eq(nc_plot_svg(&ctx, &p, &svg, NULL), NC_ERR_INVAL);
}
END_TEST

START_TEST(test_full_disk)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        return;   /* no /dev/full here: nothing to test against */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_plot p;
    nc_plot_series s[4];
    sample_plot(&p, s);
    ck_assert_int_eq(nc_plot_write(&ctx, &p, f), NC_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "write failed"));
    fclose(f);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_add_test(tc, test_ticks_round);
    tcase_add_test(tc, test_ticks_degenerate);
    tcase_add_test(tc, test_tick_labels);
    tcase_add_test(tc, test_staircase_order);
    tcase_add_test(tc, test_svg_well_formed);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_full_disk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(plot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
