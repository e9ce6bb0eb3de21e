/*
 * test_nb201.c — the NAS-Bench-201 space: string parsing and formatting, the
 * official index (against the benchmark's CSV), and the built network's
 * parameter count, MACs and forward pass.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/net.h"
#include "supernet/nb201.h"
#include "tests/util/testutil.h"

static const char *const BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_1x1~2|";

/* CPU time of this process, so the printed timings mean something on a
 * loaded machine too. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- the benchmark CSVs --------------------------------------------------- */

typedef struct row {
    nc_nb201_arch arch;
    double params_m;     /* nb201.csv */
    double flops_m;      /* nb201_flops_derived.csv */
} row;

/* Reads "index,arch,...,last" lines: the arch column and the numeric column
 * `col` (0-based) into rows[index]; returns the number of rows, -1 if the
 * file is absent (a skip, see nc_test_shared_file), and fails the test on
 * malformed content. */
static int read_csv(const char *name, int col, row *rows, int is_flops)
{
    char path[1024], rel[64];
    snprintf(rel, sizeof rel, "nb201/%s", name);
    if (!nc_test_shared_file(path, sizeof path, rel, "test_nb201"))
        return -1;
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    char line[1024];
    int n = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* header */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *field[8];
        int nf = 0;
        for (char *p = line; nf < 8;) {
            field[nf++] = p;
            p = strchr(p, ',');
            if (!p)
                break;
            *p++ = '\0';
        }
        ck_assert_int_gt(nf, col);
        int idx = atoi(field[0]);
        ck_assert_int_ge(idx, 0);
        ck_assert_int_lt(idx, NC_NB201_N_ARCHS);
        nc_nb201_arch a;
        ck_assert_msg(nc_nb201_parse(&ctx, field[1], &a) == NC_OK,
                      "%s row %d: %s", name, idx, ctx.msg);
        if (is_flops) {
            ck_assert(memcmp(&a, &rows[idx].arch, sizeof a) == 0);
            rows[idx].flops_m = strtod(field[col], NULL);
        } else {
            rows[idx].arch = a;
            rows[idx].params_m = strtod(field[col], NULL);
        }
        n++;
    }
    fclose(f);
    return n;
}

/* All rows of both CSVs, indexed by the official index; NULL if absent. */
static row *load_rows(void)
{
    row *rows = calloc(NC_NB201_N_ARCHS, sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    int n = read_csv("nb201.csv", 4, rows, 0);
    if (n < 0) {
        free(rows);
        return NULL;
    }
    ck_assert_int_eq(n, NC_NB201_N_ARCHS);
    /* Where nb201.csv is, its companion must be too: -1 is a failure. */
    ck_assert_int_eq(read_csv("nb201_flops_derived.csv", 4, rows, 1),
                     NC_NB201_N_ARCHS);
    return rows;
}

/* ---- parsing and formatting ---------------------------------------------- */

START_TEST(test_round_trip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_nb201_arch a, b;
    char buf[NC_NB201_STR_MAX];
    ck_assert_int_eq(nc_nb201_parse(&ctx, BEST, &a), NC_OK);
    static const uint8_t want[6] = { 3, 3, 3, 1, 3, 2 };
    ck_assert(memcmp(a.op, want, 6) == 0);
    ck_assert_int_eq(nc_nb201_format(&a, buf, sizeof buf), (int)strlen(BEST));
    ck_assert_str_eq(buf, BEST);

    /* Every architecture: format -> parse gives it back; the longest string
     * fits NC_NB201_STR_MAX exactly. */
    int longest = 0;
    for (int c = 0; c < NC_NB201_N_ARCHS; c++) {
        ck_assert_int_eq(nc_nb201_from_code(c, &a), NC_OK);
        ck_assert_int_eq(nc_nb201_code(&a), c);
        int len = nc_nb201_format(&a, buf, sizeof buf);
        ck_assert_int_eq(len, (int)strlen(buf));
        if (len > longest)
            longest = len;
        ck_assert_msg(nc_nb201_parse(&ctx, buf, &b) == NC_OK, "%s: %s", buf, ctx.msg);
        ck_assert(memcmp(&a, &b, sizeof a) == 0);
    }
    ck_assert_int_eq(longest, NC_NB201_STR_MAX - 1);

    /* Truncation behaves like snprintf. */
    ck_assert_int_eq(nc_nb201_format(&a, buf, 5), longest);
    ck_assert_int_eq((int)strlen(buf), 4);
    ck_assert_int_eq(nc_nb201_format(&a, NULL, 0), longest);
    a.op[2] = NC_NB201_N_OPS;
    ck_assert_int_eq(nc_nb201_format(&a, buf, sizeof buf), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(nc_nb201_code(&a), -1);
    ck_assert_int_eq(nc_nb201_index(&a), -1);
    ck_assert_int_eq(nc_nb201_from_code(NC_NB201_N_ARCHS, &a), NC_ERR_RANGE);
    ck_assert_int_eq(nc_nb201_from_code(-1, &a), NC_ERR_RANGE);

    ck_assert_str_eq(nc_nb201_op_name(NC_NB201_AVGPOOL), "avg_pool_3x3");
    ck_assert_ptr_null(nc_nb201_op_name(5));
    int f, t;
    nc_nb201_edge_nodes(4, &f, &t);
    ck_assert(f == 1 && t == 3);
    nc_nb201_edge_nodes(6, &f, &t);
    ck_assert(f == -1 && t == -1);
}
END_TEST

typedef struct bad_case {
    const char *s;
    const char *want[3];   /* substrings the message must contain */
} bad_case;

START_TEST(test_malformed)
{
    char longs[300];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    char longer[2 * NC_NB201_STR_MAX];
    snprintf(longer, sizeof longer, "%s|%s", BEST, BEST);

    const bad_case cases[] = {
        { NULL, { "NULL" } },
        { "", { "empty" } },
        { longs, { "too long", "95" } },
        { longer, { "too long" } },
        /* unknown op names, with offset and token */
        { "|conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "unknown op 'conv_3x3'", "offset 1", "nor_conv_3x3" } },
        { "|none~0|+|none~0|Skip_connect~1|+|none~0|none~1|none~2|",
          { "unknown op 'Skip_connect'", "offset 17" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|max_pool_3x3~2|",
          { "unknown op 'max_pool_3x3'", "offset 40" } },
        { "|nor_conv_3x", { "unknown op 'nor_conv_3x'", "offset 1" } },
        /* input indices */
        { "|none~0|+|none~0|none~3|+|none~0|none~1|none~2|",
          { "edge into node 2 from node 3", "input index must be < 2",
            "offset 22" } },
        { "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "edge into node 1 from node 1", "must be < 1", "offset 6" } },
        { "|none~0|+|none~1|none~0|+|none~0|none~1|none~2|",
          { "edge into node 2 from node 1", "expected the edge from node 0",
            "offset 15" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|none~02|",
          { "'02'", "offset 45", "not one digit" } },
        { "|none~|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing input node index", "offset 6", "'|+|none" } },
        { "|none~x|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing input node index", "offset 6", "'x|+" } },
        /* separators */
        { "none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing '|'", "offset 0", "'none~0" } },
        { "|none~0+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing '|' after an edge", "offset 7", "'+|none" } },
        { "|none~0|+|none~0none~1|+|none~0|none~1|none~2|",
          { "missing '|' after an edge", "offset 16", "'none~1|" } },
        { "|none~0||none~0|none~1|+|none~0|none~1|none~2|",
          { "missing '+'", "offset 8", "'|none~0" } },
        { "|none~0|+|none~0|none~1|+none~0|none~1|none~2|",
          { "missing '|' before an edge", "offset 25", "'none~0" } },
        { "|none|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing '~'", "offset 5", "'|+|" } },
        { "|none~0|+||none~0|none~1|+|none~0|none~1|none~2|",
          { "missing op name", "offset 10" } },
        /* wrong number of edges per node */
        { "|none~0|+|none~0|+|none~0|none~1|none~2|",
          { "node 2 has 1 incoming edge ", "needs 2", "offset 17" } },
        { "|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "node 1 has more than 1", "'none'", "offset 8" } },
        { "|none~0|+|none~0|none~1|none~2|+|none~0|none~1|none~2|",
          { "node 2 has more than 2", "offset 24" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~3|",
          { "node 3 has more than 3", "offset 47" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|",
          { "node 3 has 2 incoming edges", "offset 40" } },
        { "|none~0|+|none~0|none~1|", { "missing '+'", "offset 24",
                                        "end of the string" } },
        { "|none~0|+|none~0|none~1|+|", { "node 3 has 0 incoming edges",
                                          "offset 26" } },
        /* trailing characters */
        { "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+",
          { "trailing characters", "offset 47", "'+'" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|none~2| ",
          { "trailing characters", "offset 47" } },
        { "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n",
          { "trailing characters", "offset 47", "'?'" } },
        { "|none~0|+|n\033[2Jone~0|none~1|+|none~0|none~1|none~2|",
          { "unknown op 'n?[2Jone'", "offset 10" } },
        { " |none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
          { "missing '|'", "offset 0" } },
    };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_nb201_arch a, keep;
    memset(&keep, 0x77, sizeof keep);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nc_ctx_clear(&ctx);
        a = keep;
        nc_status st = nc_nb201_parse(&ctx, cases[i].s, &a);
        ck_assert_msg(st == NC_ERR_INVAL, "case %zu (%s) gave %d", i,
                      cases[i].s ? cases[i].s : "NULL", (int)st);
        ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
        ck_assert_msg(memcmp(&a, &keep, sizeof a) == 0, "case %zu wrote *out", i);
        for (int k = 0; k < 3 && cases[i].want[k]; k++)
            ck_assert_msg(strstr(ctx.msg, cases[i].want[k]),
                          "case %zu (%s): message \"%s\" lacks \"%s\"", i,
                          cases[i].s ? cases[i].s : "NULL", ctx.msg,
                          cases[i].want[k]);
    }
}
END_TEST

/* ---- the official index -------------------------------------------------- */

START_TEST(test_index_known)
{
    /* Fixed points the benchmark's own generator asserts, and SOURCE.md's. */
    static const struct { int index; const char *s; } known[] = {
        { 0, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
             "skip_connect~1|skip_connect~2|" },
        { 9, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|"
             "nor_conv_3x3~2|" },
        { 123, "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|"
               "avg_pool_3x3~1|nor_conv_3x3~2|" },
        { 6111, NULL },
        { 1835, "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
                "skip_connect~1|skip_connect~2|" },
    };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *s = known[i].s ? known[i].s : BEST;
        nc_nb201_arch a, b;
        ck_assert_int_eq(nc_nb201_parse(&ctx, s, &a), NC_OK);
        ck_assert_int_eq(nc_nb201_index(&a), known[i].index);
        ck_assert_int_eq(nc_nb201_from_index(known[i].index, &b), NC_OK);
        ck_assert(memcmp(&a, &b, sizeof a) == 0);
    }
    nc_nb201_arch a;
    memset(&a, 0x55, sizeof a);
    ck_assert_int_eq(nc_nb201_from_index(-1, &a), NC_ERR_RANGE);
    ck_assert_int_eq(nc_nb201_from_index(NC_NB201_N_ARCHS, &a), NC_ERR_RANGE);
    ck_assert_int_eq(a.op[0], 0x55);
}
END_TEST

START_TEST(test_index_csv)
{
    row *rows = load_rows();
    if (!rows)
        return;
    double t0 = now_s();
    uint16_t *order = malloc(NC_NB201_N_ARCHS * sizeof *order);
    char *seen = calloc(NC_NB201_N_ARCHS, 1);
    ck_assert(order && seen);
    nc_nb201_index_order(order);
    for (int i = 0; i < NC_NB201_N_ARCHS; i++) {
        ck_assert_int_eq(order[i], nc_nb201_code(&rows[i].arch));
        ck_assert(!seen[order[i]]);
        seen[order[i]] = 1;
    }
    double t1 = now_s();
    /* The one-at-a-time calls (each replays the shuffle, about 0.05 ms):
     * index on every row, from_index on every fourth. */
    for (int i = 0; i < NC_NB201_N_ARCHS; i++) {
        ck_assert_int_eq(nc_nb201_index(&rows[i].arch), i);
        nc_nb201_arch b;
        if (i % 4 == 0 || i == NC_NB201_N_ARCHS - 1) {
            ck_assert_int_eq(nc_nb201_from_index(i, &b), NC_OK);
            ck_assert(memcmp(&b, &rows[i].arch, sizeof b) == 0);
        }
    }
    double t2 = now_s();
    printf("test_nb201: index order of 15,625 rows: bulk %.3f s, "
           "per-call checks %.3f s (CPU)\n", t1 - t0, t2 - t1);
    free(seen);
    free(order);
    free(rows);
}
END_TEST

/* ---- the network --------------------------------------------------------- */

static size_t nb201_formula(const nc_nb201_arch *a)
{
    return 73306 + 243040 * (size_t)nc_nb201_count_op(a, NC_NB201_CONV3X3) +
           28000 * (size_t)nc_nb201_count_op(a, NC_NB201_CONV1X1);
}

static double flops_formula(const nc_nb201_arch *a)
{
    return 7.78305 + 35.38944 * nc_nb201_count_op(a, NC_NB201_CONV3X3) +
           3.93216 * nc_nb201_count_op(a, NC_NB201_CONV1X1);
}

/* Builds and finalizes the net of a on input in; NULL on failure (ctx). */
static nc_net *build(nc_ctx *ctx, const nc_nb201_arch *a, nc_shape in, int C,
                     int N, int classes, int n_max)
{
    nc_net *net = nc_net_new();
    ck_assert_ptr_nonnull(net);
    int x = nc_net_input(ctx, net, in);
    int y = nc_nb201_build(ctx, net, x, a, C, N, classes);
    if (y < 0 || nc_net_finalize(ctx, net, y, n_max) != NC_OK) {
        nc_net_free(net);
        return NULL;
    }
    return net;
}

/* Under AddressSanitizer each finalize costs ~15 ms (its allocator zeroes and
 * maps the buffers anew), so the sweep over all architectures would take
 * minutes; there it visits every 16th, which still covers every op on every
 * edge. */
#if defined(__SANITIZE_ADDRESS__)
#define SWEEP_STEP 16
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWEEP_STEP 16
#endif
#endif
#ifndef SWEEP_STEP
#define SWEEP_STEP 1
#endif

START_TEST(test_params_all)
{
    /* The built net's parameter count for every architecture, against the
     * benchmark's closed form and the analytic count; MACs against NB201's
     * FLOPs formula. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double t0 = now_s(), max_dmacs = 0;
    if (SWEEP_STEP > 1)
        printf("test_nb201: sanitizer build: checking every %dth architecture\n",
               SWEEP_STEP);
    for (int c = 0; c < NC_NB201_N_ARCHS; c += SWEEP_STEP) {
        nc_nb201_arch a;
        nc_nb201_from_code(c, &a);
        nc_net *net = build(&ctx, &a, (nc_shape){ 3, 32, 32 }, 16, 5, 10, 1);
        ck_assert_msg(net, "code %d: %s", c, ctx.msg);
        size_t np = nc_net_n_params(net);
        ck_assert_uint_eq(np, nb201_formula(&a));
        ck_assert_uint_eq(np, nc_nb201_param_count(&a, 16, 5, 3, 10));
        double d = fabs(nc_net_macs(net) / 1e6 - flops_formula(&a));
        if (d > max_dmacs)
            max_dmacs = d;
        nc_net_free(net);
    }
    double t1 = now_s();
    printf("test_nb201: built %d nets (C=16, N=5, 3x32x32) in %.2f s CPU; "
           "largest |MACs - NB201 FLOPs| %.6f M\n",
           (NC_NB201_N_ARCHS + SWEEP_STEP - 1) / SWEEP_STEP, t1 - t0, max_dmacs);
    ck_assert_double_le(max_dmacs, 1e-3);

    /* Other sizes: the analytic count still matches the built net. */
    static const struct { int C, N, in_c, classes; } sz[] = {
        { 4, 1, 1, 2 }, { 8, 2, 3, 100 }, { 5, 3, 2, 7 }, { 16, 0, 3, 10 },
    };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
        for (int c = 0; c < NC_NB201_N_ARCHS; c += 1237) {
            nc_nb201_arch a;
            nc_nb201_from_code(c, &a);
            nc_net *net = build(&ctx, &a, (nc_shape){ sz[i].in_c, 12, 12 },
                                sz[i].C, sz[i].N, sz[i].classes, 1);
            ck_assert_msg(net, "%s", ctx.msg);
            ck_assert_uint_eq(nc_net_n_params(net),
                              nc_nb201_param_count(&a, sz[i].C, sz[i].N,
                                                   sz[i].in_c, sz[i].classes));
            nc_net_free(net);
        }
}
END_TEST

START_TEST(test_params_csv)
{
    row *rows = load_rows();
    if (!rows)
        return;
    int differ = 0;
    for (int i = 0; i < NC_NB201_N_ARCHS; i++) {
        double want = (double)nc_nb201_param_count(&rows[i].arch, 16, 5, 3, 10);
        if (fabs(rows[i].params_m * 1e6 - want) > 0.5)
            differ++;
        /* The derived FLOPs file follows the formula everywhere. */
        ck_assert_double_eq_tol(rows[i].flops_m, flops_formula(&rows[i].arch), 1e-6);
    }
    printf("test_nb201: %d of 15,625 published params_m differ from the "
           "built count\n", differ);
    ck_assert_int_eq(differ, 204);
    free(rows);
}
END_TEST

START_TEST(test_macs_6111)
{
    row *rows = load_rows();
    if (!rows)
        return;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_nb201_arch a;
    ck_assert_int_eq(nc_nb201_parse(&ctx, BEST, &a), NC_OK);
    ck_assert(memcmp(&a, &rows[6111].arch, sizeof a) == 0);
    nc_net *net = build(&ctx, &a, (nc_shape){ 3, 32, 32 }, 16, 5, 10, 1);
    ck_assert_msg(net, "%s", ctx.msg);
    double m = nc_net_macs(net) / 1e6;
    printf("test_nb201: arch 6111: %.6f M MACs, NB201 %.6f M FLOPs, "
           "%zu params\n", m, rows[6111].flops_m, nc_net_n_params(net));
    ck_assert_double_eq_tol(m, rows[6111].flops_m, 1e-3);
    ck_assert_double_eq_tol((double)nc_net_n_params(net) / 1e6,
                            rows[6111].params_m, 1e-6);
    nc_net_free(net);
    free(rows);
}
END_TEST

START_TEST(test_forward)
{
    /* A small net of several cells (incl. an all-none cell whose output is
     * zeros) runs forward and backward with finite values. */
    static const char *const archs[] = {
        NULL,   /* BEST */
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
        "skip_connect~1|avg_pool_3x3~2|",
        "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
    };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { B = 3, CL = 5 };
    const nc_shape in = { 3, 16, 16 };
    float x[B * 3 * 16 * 16];
    int32_t labels[B] = { 0, 3, 4 };
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)sin(0.37 * (double)i) + 0.1f * (float)(i % 7);
    for (size_t k = 0; k < sizeof archs / sizeof archs[0]; k++) {
        nc_nb201_arch a;
        ck_assert_int_eq(nc_nb201_parse(&ctx, archs[k] ? archs[k] : BEST, &a),
                         NC_OK);
        nc_net *net = build(&ctx, &a, in, 4, 1, CL, B);
        ck_assert_msg(net, "%s", ctx.msg);
        ck_assert_int_eq(nc_net_init_params(net, 42), NC_OK);
        ck_assert_int_eq(nc_net_n_classes(net), CL);
        float loss = NAN;
        nc_net_zero_grad(net);
        ck_assert_msg(nc_net_forward(&ctx, net, x, labels, B, 1, &loss) == NC_OK,
                      "%s", ctx.msg);
        ck_assert(isfinite(loss));
        const float *lg = nc_net_logits(net);
        for (int i = 0; i < CL * B; i++)
            ck_assert(isfinite(lg[i]));
        ck_assert_int_eq(nc_net_backward(&ctx, net), NC_OK);
        const float *g = nc_net_grads(net);
        double gn = 0;
        for (size_t i = 0; i < nc_net_n_params(net); i++) {
            ck_assert(isfinite(g[i]));
            gn += (double)g[i] * g[i];
        }
        ck_assert(gn > 0);   /* at least the classifier learns */
        ck_assert_int_eq(nc_net_forward(&ctx, net, x, NULL, B, 0, NULL), NC_OK);
        for (int i = 0; i < CL * B; i++)
            ck_assert(isfinite(lg[i]));
        nc_net_free(net);
    }
}
END_TEST

/* Logits (eval mode) of a C=4, N=2 net of arch s on a fixed batch; with src,
 * the parameters are copied from src instead (same count required), so two
 * architectures that should compute the same function can be compared. */
enum { WB = 2, WCL = 4 };
static nc_net *wiring_net(const char *s, nc_net *src, float out[WCL * WB])
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_nb201_arch a;
    ck_assert_msg(nc_nb201_parse(&ctx, s, &a) == NC_OK, "%s", ctx.msg);
    nc_net *net = build(&ctx, &a, (nc_shape){ 3, 8, 8 }, 4, 2, WCL, WB);
    ck_assert_msg(net, "%s", ctx.msg);
    ck_assert_int_eq(nc_net_init_params(net, 7), NC_OK);
    if (src) {
        ck_assert_uint_eq(nc_net_n_params(net), nc_net_n_params(src));
        ck_assert_uint_eq(nc_net_n_state(net), nc_net_n_state(src));
        memcpy(nc_net_params(net), nc_net_params(src),
               nc_net_n_params(net) * sizeof(float));
        memcpy(nc_net_state(net), nc_net_state(src),
               nc_net_n_state(net) * sizeof(float));
    }
    float x[WB * 3 * 8 * 8];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)cos(0.71 * (double)i);
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, NULL, WB, 0, NULL), NC_OK);
    memcpy(out, nc_net_logits(net), sizeof(float) * WCL * WB);
    return net;
}

START_TEST(test_wiring)
{
    /* Each group lists cells that compute the same function as its first,
     * with the same parameter layout: a path of skips through node 1 or 2
     * equals the direct edge 0->3, with the one parametrized op moved along
     * the path; a sum is a sum whichever edges feed it; a dead edge (its node
     * feeds nothing) changes nothing. Wrong edge order or wiring makes a
     * group disagree; the parameter count cannot see that. */
    static const char *const groups[][5] = {
        { "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
          "|skip_connect~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|",
          "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|",
          "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|" },
        { "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|",
          "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|",
          "|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|",
          "|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|",
          "|skip_connect~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|" },
        { "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|",
          "|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|" },
        { "|none~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|",
          "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|",
          "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|" },
        { "|skip_connect~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|",
          "|none~0|+|skip_connect~0|none~1|+|skip_connect~0|none~1|skip_connect~2|" },
        { "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
          "|none~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|" },
        /* node 1 differs from the input here, so reading the wrong node shows */
        { "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|",
          "|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|",
          "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_3x3~2|" },
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        float ref[WCL * WB], got[WCL * WB];
        nc_net *r = wiring_net(groups[g][0], NULL, ref);
        for (int k = 1; k < 5 && groups[g][k]; k++) {
            nc_net *n = wiring_net(groups[g][k], r, got);
            for (int i = 0; i < WCL * WB; i++)
                ck_assert_msg(fabsf(got[i] - ref[i]) <= 1e-6f * (1 + fabsf(ref[i])),
                              "group %zu member %d: logit %d %g vs %g", g, k, i,
                              (double)got[i], (double)ref[i]);
            nc_net_free(n);
        }
        nc_net_free(r);
    }
}
END_TEST

START_TEST(test_build_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_nb201_arch a = { { 3, 3, 3, 1, 3, 2 } };
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 3, 32, 32 });
    ck_assert_int_eq(nc_nb201_build(&ctx, net, -1, &a, 16, 5, 10), -1);
    ck_assert_int_eq(nc_nb201_build(&ctx, net, x, &a, 0, 5, 10), -1);
    ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
    ck_assert(strstr(ctx.msg, "C=0"));
    ck_assert_int_eq(nc_nb201_build(&ctx, net, x, &a, 16, -1, 10), -1);
    ck_assert_int_eq(nc_nb201_build(&ctx, net, x, &a, 16, 5, 0), -1);
    nc_nb201_arch bad = a;
    bad.op[5] = 9;
    ck_assert_int_eq(nc_nb201_build(&ctx, net, x, &bad, 16, 5, 10), -1);
    ck_assert(strstr(ctx.msg, "out of range"));
    ck_assert_uint_eq(nc_nb201_param_count(&bad, 16, 5, 3, 10), 0);
    ck_assert_uint_eq(nc_nb201_param_count(&a, 16, 5, 0, 10), 0);
    nc_net_free(net);

    /* Sizes the two reductions cannot halve twice fail with a message. */
    static const int bad_hw[][2] = { { 1, 1 }, { 2, 2 }, { 30, 32 }, { 32, 6 } };
    for (int i = 0; i < 4; i++) {
        nc_ctx_clear(&ctx);
        ck_assert_ptr_null(build(&ctx, &a, (nc_shape){ 3, bad_hw[i][0],
                                 bad_hw[i][1] }, 4, 1, 10, 1));
        ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
        ck_assert_msg(strstr(ctx.msg, "nb201: input") &&
                      strstr(ctx.msg, "multiples of 4"), "%s", ctx.msg);
    }
    /* 4x4 is the smallest that works; 28x28 (Fashion-MNIST) works. */
    nc_net *ok = build(&ctx, &a, (nc_shape){ 3, 4, 4 }, 4, 1, 10, 1);
    ck_assert_msg(ok, "%s", ctx.msg);
    nc_net_free(ok);
    ok = build(&ctx, &a, (nc_shape){ 1, 28, 28 }, 4, 1, 10, 1);
    ck_assert_msg(ok, "%s", ctx.msg);
    nc_net_free(ok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nb201");
    TCase *tc = tcase_create("nb201");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_index_known);
    tcase_add_test(tc, test_index_csv);
    tcase_add_test(tc, test_params_all);
    tcase_add_test(tc, test_params_csv);
    tcase_add_test(tc, test_macs_6111);
    tcase_add_test(tc, test_forward);
    tcase_add_test(tc, test_wiring);
    tcase_add_test(tc, test_build_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
