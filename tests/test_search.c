/*
 * test_search.c — search campaigns, first slice: the nb201 space behind
 * nc_space, the CSV tabular evaluator, and the ask/tell strategies (random
 * search, regularized evolution) on the NB201 table.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/strategy.h"
#include "campaign/table.h"
#include "supernet/nb201.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

static const char *const BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_1x1~2|";
static const char *const ALLSKIP =
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
    "skip_connect~1|skip_connect~2|";

static const nc_space *nb(void)
{
    const nc_space *sp = nc_space_find("nb201");
    ck_assert_ptr_nonnull(sp);
    return sp;
}

static int hamming(const nc_space *sp, const nc_arch *a, const nc_arch *b)
{
    int d = 0;
    for (int i = 0; i < sp->n_genes; i++)
        d += a->g[i] != b->g[i];
    return d;
}

/* ---- the space ------------------------------------------------------------ */

START_TEST(test_space_find)
{
    ck_assert_ptr_null(nc_space_find("nb301"));
    ck_assert_ptr_null(nc_space_find(NULL));
    const nc_space *sp = nb();
    ck_assert_str_eq(sp->name, "nb201");
    ck_assert_int_eq(sp->n_genes, 6);
    ck_assert_ptr_nonnull(strstr(nc_space_names(), "nb201"));
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(sp->choices(sp, i), 5);
    ck_assert_int_eq(sp->choices(sp, 6), 0);
}
END_TEST

START_TEST(test_space_parse_format)
{
    const nc_space *sp = nb();
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    char s[NC_ARCH_STR_MAX];
    ck_assert_int_eq(sp->parse(sp, &ctx, BEST, &a), NC_OK);
    ck_assert_int_eq(sp->format(sp, &a, s, sizeof s), (int)strlen(BEST));
    ck_assert_str_eq(s, BEST);
    for (int i = 6; i < NC_ARCH_GENES; i++)
        ck_assert_int_eq(a.g[i], 0);
    ck_assert_int_eq(sp->parse(sp, &ctx, "|bogus~0|", &a), NC_ERR_INVAL);
    ck_assert(ctx.msg[0]);
    /* Round trip over random samples. */
    nc_rng r = nc_rng_make(5, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int k = 0; k < 500; k++) {
        nc_arch x, y;
        sp->sample(sp, &r, &x);
        sp->format(sp, &x, s, sizeof s);
        ck_assert_int_eq(sp->parse(sp, &ctx, s, &y), NC_OK);
        ck_assert(nc_arch_equal(sp, &x, &y));
    }
}
END_TEST

START_TEST(test_space_sample_uniform)
{
    const nc_space *sp = nb();
    nc_rng r = nc_rng_make(1, NC_STREAM(NC_PURPOSE_TEST, 1));
    int cnt[6][5] = { { 0 } };
    enum { N = 20000 };
    for (int k = 0; k < N; k++) {
        nc_arch a;
        sp->sample(sp, &r, &a);
        for (int e = 0; e < 6; e++) {
            ck_assert_int_lt(a.g[e], 5);
            cnt[e][a.g[e]]++;
        }
    }
    /* 4000 expected per cell, sd about 57: 5 sd is a real failure. */
    for (int e = 0; e < 6; e++)
        for (int o = 0; o < 5; o++)
            ck_assert_msg(abs(cnt[e][o] - N / 5) < 300, "edge %d op %d: %d",
                          e, o, cnt[e][o]);
}
END_TEST

START_TEST(test_space_mutate)
{
    const nc_space *sp = nb();
    nc_rng r = nc_rng_make(2, NC_STREAM(NC_PURPOSE_TEST, 2));
    int edge[6] = { 0 };
    for (int k = 0; k < 6000; k++) {
        nc_arch a, b;
        sp->sample(sp, &r, &a);
        sp->mutate(sp, &r, &a, &b);
        ck_assert_int_eq(hamming(sp, &a, &b), 1);
        for (int e = 0; e < 6; e++)
            if (a.g[e] != b.g[e]) {
                edge[e]++;
                ck_assert_int_lt(b.g[e], 5);
            }
    }
    for (int e = 0; e < 6; e++)
        ck_assert_msg(edge[e] > 800 && edge[e] < 1200, "edge %d: %d", e,
                      edge[e]);
    /* In place is allowed. */
    nc_arch a;
    sp->sample(sp, &r, &a);
    nc_arch c = a;
    sp->mutate(sp, &r, &c, &c);
    ck_assert_int_eq(hamming(sp, &a, &c), 1);
}
END_TEST

START_TEST(test_space_crossover)
{
    const nc_space *sp = nb();
    nc_rng r = nc_rng_make(3, NC_STREAM(NC_PURPOSE_TEST, 3));
    int from_a = 0, from_b = 0;
    for (int k = 0; k < 2000; k++) {
        nc_arch a, b, c;
        sp->sample(sp, &r, &a);
        sp->sample(sp, &r, &b);
        sp->crossover(sp, &r, &a, &b, &c);
        for (int e = 0; e < 6; e++) {
            ck_assert(c.g[e] == a.g[e] || c.g[e] == b.g[e]);
            if (a.g[e] != b.g[e]) {
                from_a += c.g[e] == a.g[e];
                from_b += c.g[e] == b.g[e];
            }
        }
    }
    ck_assert_msg(abs(from_a - from_b) < 600, "a %d b %d", from_a, from_b);
}
END_TEST

START_TEST(test_space_nth)
{
    const nc_space *sp = nb();
    ck_assert_int_eq(sp->size(sp), 15625);
    unsigned char *seen = calloc(15625, 1);
    ck_assert_ptr_nonnull(seen);
    for (int64_t k = 0; k < 15625; k++) {
        nc_arch a;
        sp->nth(sp, k, &a);
        nc_nb201_arch b;
        memcpy(b.op, a.g, 6);
        ck_assert_int_eq(nc_nb201_index(&b), (int)k);
        int code = nc_nb201_code(&b);
        ck_assert(!seen[code]);
        seen[code] = 1;
    }
    free(seen);
    nc_arch a;
    char s[NC_ARCH_STR_MAX];
    sp->nth(sp, 6111, &a);
    sp->format(sp, &a, s, sizeof s);
    ck_assert_str_eq(s, BEST);
}
END_TEST

START_TEST(test_space_encode)
{
    const nc_space *sp = nb();
    ck_assert_int_eq(sp->n_features, 30);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    ck_assert_int_eq(sp->parse(sp, &ctx, BEST, &a), NC_OK);
    float f[30];
    sp->encode(sp, &a, f);
    for (int e = 0; e < 6; e++)
        for (int o = 0; o < 5; o++)
            ck_assert(f[e * 5 + o] == (o == a.g[e] ? 1.0f : 0.0f));
}
END_TEST

/* ---- the table (the reader's own cases are in test_table.c) ------------- */

/* The shared NB201 table, or NULL when it is absent (the test named who
 * then skips; see nc_test_shared_file). */
static nc_table *nb201_table(const char *who)
{
    char p[1024];
    if (!nc_test_shared_file(p, sizeof p, "nb201/nb201.csv", who))
        return NULL;
    nc_ctx ctx;
    nc_table *t;
    nc_ctx_init(&ctx);
    ck_assert_msg(nc_table_load(&ctx, p, "cifar10_valid", "cifar10_test", nb(),
                                &t) == NC_OK, "%s", ctx.msg);
    return t;
}

START_TEST(test_table_nb201)
{
    nc_table *t = nb201_table("test_table_nb201");
    if (!t)
        return;
    const nc_space *sp = nb();
    ck_assert_uint_eq(nc_table_rows(t), 15625);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    double v, r;
    sp->nth(sp, 6111, &a);
    ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, &v, &r), NC_OK);
    NC_ASSERT_CLOSE(r, 94.373, 1e-5, "test %f", r);
    NC_ASSERT_CLOSE(v, 91.607, 1e-3, "valid %f", v);
    nc_arch b;
    nc_table_best(t, &b, NULL, NULL);
    ck_assert(nc_arch_equal(sp, &a, &b));
    ck_assert_int_eq(sp->parse(sp, &ctx, ALLSKIP, &a), NC_OK);
    ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, NULL, &r), NC_OK);
    NC_ASSERT_CLOSE(r, 54.30, 1e-3, "all-skip %f", r);
    for (int64_t k = 0; k < 15625; k++) {
        sp->nth(sp, k, &a);
        ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, NULL, NULL), NC_OK);
    }
    nc_table_free(t);
}
END_TEST

/* ---- strategies ----------------------------------------------------------- */

/* A synthetic fitness: the number of conv 3x3 edges plus a small tie-break,
 * so tests run without the shared data. */
static double toy_fitness(const nc_arch *a)
{
    double f = 0;
    for (int e = 0; e < 6; e++)
        f += (a->g[e] == NC_NB201_CONV3X3) + 0.01 * a->g[e];
    return f;
}

/* Runs n trials, recording proposals. */
static void run_toy(nc_strategy_kind kind, uint64_t seed, int n,
                    nc_proposal *out)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg cfg = nc_strategy_defaults(kind);
    cfg.seed = seed;
    cfg.crossover = 0.3;
    nc_strategy *s;
    ck_assert_int_eq(nc_strategy_new(&ctx, kind, nb(), &cfg, &s), NC_OK);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &out[i]), NC_OK);
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, i, &out[i].arch,
                                          toy_fitness(&out[i].arch)), NC_OK);
    }
    ck_assert_int_eq(nc_strategy_n_told(s), n);
    nc_strategy_free(s);
}

START_TEST(test_strategy_determinism)
{
    enum { N = 60 };
    nc_proposal a[N], b[N], c[N];
    for (int k = 0; k < 2; k++) {
        nc_strategy_kind kind = k ? NC_STRATEGY_EVOLUTION : NC_STRATEGY_RANDOM;
        run_toy(kind, 11, N, a);
        run_toy(kind, 11, N, b);
        run_toy(kind, 12, N, c);
        int differ = 0;
        for (int i = 0; i < N; i++) {
            ck_assert(memcmp(&a[i], &b[i], sizeof a[i]) == 0);
            differ += !nc_arch_equal(nb(), &a[i].arch, &c[i].arch);
        }
        /* Another seed is another campaign. */
        ck_assert_int_gt(differ, N / 2);
    }
    /* Evolution: the first P trials random, then children with parents
     * among the told trials. */
    int mut = 0, cross = 0;
    for (int i = 0; i < N; i++) {
        if (i < 10) {
            ck_assert_int_eq(a[i].origin, NC_ORIGIN_RANDOM);
            continue;
        }
        ck_assert_int_ne(a[i].origin, NC_ORIGIN_RANDOM);
        ck_assert(a[i].parents[0] >= i - 10 && a[i].parents[0] < i);
        if (a[i].origin == NC_ORIGIN_MUTATION) {
            mut++;
            ck_assert_int_eq(a[i].n_parents, 1);
            ck_assert_int_eq(hamming(nb(), &a[i].arch,
                                     &a[a[i].parents[0]].arch), 1);
        } else {
            cross++;
            ck_assert_int_eq(a[i].n_parents, 2);
        }
    }
    ck_assert(mut > 0 && cross > 0);
}
END_TEST

/* Asking ahead and restoring from a replayed history give the proposals of
 * the uninterrupted run. */
START_TEST(test_strategy_restore)
{
    enum { N = 40, CUT = 25 };
    nc_proposal ref[N];
    run_toy(NC_STRATEGY_EVOLUTION, 3, N, ref);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg cfg = nc_strategy_defaults(NC_STRATEGY_EVOLUTION);
    cfg.seed = 3;
    cfg.crossover = 0.3;
    nc_strategy *s;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_EVOLUTION, nb(), &cfg,
                                     &s), NC_OK);
    for (int i = 0; i < CUT; i++)
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, i, &ref[i].arch,
                                          toy_fitness(&ref[i].arch)), NC_OK);
    for (int i = CUT; i < N; i++) {
        nc_proposal p, again;
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &p), NC_OK);
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &again), NC_OK);
        ck_assert(memcmp(&p, &ref[i], sizeof p) == 0);
        ck_assert(memcmp(&p, &again, sizeof p) == 0);
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, i, &p.arch,
                                          toy_fitness(&p.arch)), NC_OK);
    }
    /* Misuse. */
    nc_proposal p;
    ck_assert_int_eq(nc_strategy_tell(&ctx, s, 3, &ref[3].arch, 1.0),
                     NC_ERR_STATE);
    ck_assert_int_eq(nc_strategy_tell(&ctx, s, N, &ref[3].arch, NAN),
                     NC_ERR_NUMERIC);
    ck_assert_int_eq(nc_strategy_ask(&ctx, s, -1, &p), NC_ERR_RANGE);
    nc_strategy_free(s);
    nc_strategy_free(NULL);

    nc_strategy_cfg bad = cfg;
    bad.sample = 11;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_EVOLUTION, nb(), &bad,
                                     &s), NC_ERR_INVAL);
    ck_assert_ptr_null(s);
    bad = cfg;
    bad.population = 0;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_EVOLUTION, nb(), &bad,
                                     &s), NC_ERR_INVAL);
    bad = cfg;
    bad.crossover = 1.5;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_EVOLUTION, nb(), &bad,
                                     &s), NC_ERR_INVAL);
    ck_assert_int_eq(nc_strategy_new(&ctx, (nc_strategy_kind)9, nb(), &cfg,
                                     &s), NC_ERR_INVAL);
}
END_TEST

/* Mean test accuracy of the best-by-valid architecture after q queries,
 * seeds 1..seeds. */
static double mean_best(const nc_table *t, nc_strategy_kind kind, int q,
                        int seeds)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double sum = 0;
    for (int sd = 1; sd <= seeds; sd++) {
        nc_strategy_cfg cfg = nc_strategy_defaults(kind);
        cfg.seed = (uint64_t)sd;
        nc_strategy *s;
        ck_assert_int_eq(nc_strategy_new(&ctx, kind, nb(), &cfg, &s), NC_OK);
        double bv = -INFINITY, bt = 0;
        for (int i = 0; i < q; i++) {
            nc_proposal p;
            double v, te;
            ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &p), NC_OK);
            ck_assert_msg(nc_table_lookup(&ctx, t, &p.arch, &v, &te) == NC_OK,
                          "%s", ctx.msg);
            ck_assert_int_eq(nc_strategy_tell(&ctx, s, i, &p.arch, v), NC_OK);
            if (v > bv) {
                bv = v;
                bt = te;
            }
        }
        sum += bt;
        nc_strategy_free(s);
    }
    return sum / seeds;
}

START_TEST(test_evolution_beats_random)
{
    nc_table *t = nb201_table("test_evolution_beats_random");
    if (!t)
        return;
    /* 50 seeds, 150 queries: the measured gap (about 0.3 points) is over
     * eight standard errors, so this fails only if evolution is broken. */
    double rnd = mean_best(t, NC_STRATEGY_RANDOM, 150, 50);
    double evo = mean_best(t, NC_STRATEGY_EVOLUTION, 150, 50);
    printf("tabular NB201, 150 queries, 50 seeds: random %.3f, evolution %.3f\n",
           rnd, evo);
    ck_assert_msg(evo > rnd + 0.15, "evolution %.3f vs random %.3f", evo, rnd);
    ck_assert_msg(evo >= 94.0, "evolution %.3f", evo);
    nc_table_free(t);
}
END_TEST

int main(void)
{
    /* Made before the tests fork, so they all share it and it is removed. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nc_test_tmpdir());
    Suite *s = suite_create("search");
    TCase *tc = tcase_create("search");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_space_find);
    tcase_add_test(tc, test_space_parse_format);
    tcase_add_test(tc, test_space_sample_uniform);
    tcase_add_test(tc, test_space_mutate);
    tcase_add_test(tc, test_space_crossover);
    tcase_add_test(tc, test_space_nth);
    tcase_add_test(tc, test_space_encode);
    tcase_add_test(tc, test_table_nb201);
    tcase_add_test(tc, test_strategy_determinism);
    tcase_add_test(tc, test_strategy_restore);
    tcase_add_test(tc, test_evolution_beats_random);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
