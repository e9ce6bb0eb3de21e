/*
 * test_moo.c — multi-objective search and local search: Pareto ranks and
 * crowding distance on hand cases, NSGA-II and local search determinism and
 * restore, and both on the NB201 table against random search.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/pareto.h"
#include "search/strategy.h"
#include "campaign/table.h"
#include "supernet/nb201.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

static const nc_space *nb(void)
{
    const nc_space *sp = nc_space_find("nb201");
    ck_assert_ptr_nonnull(sp);
    return sp;
}

static int hamming(const nc_arch *a, const nc_arch *b)
{
    int d = 0;
    for (int i = 0; i < 6; i++)
        d += a->g[i] != b->g[i];
    return d;
}

/* ---- Pareto ranks and crowding --------------------------------------------- */

START_TEST(test_pareto_ranks)
{
    /* A B C D(=C) E F H */
    const double p[] = { 1, 5, 2, 4, 3, 3, 3, 3, 2, 2, 1, 1, 2, 3 };
    int rank[7];
    /* Both maximized: E(2,2) is dominated by H(2,3), which only B and C
     * dominate; duplicates C and D share front 0. */
    ck_assert_int_eq(nc_pareto_front(7, 2, p, NULL, rank), 4);
    const int want_max[7] = { 0, 0, 0, 0, 2, 3, 1 };
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(rank[i], want_max[i]);
    /* First maximized, second minimized. */
    const int dir[2] = { 1, 0 };
    ck_assert_int_eq(nc_pareto_front(7, 2, p, dir, rank), 4);
    const int want_mix[7] = { 3, 2, 0, 0, 0, 0, 1 };
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(rank[i], want_mix[i]);
    /* One objective: dense ranks, ties shared. */
    const double q[] = { 3, 1, 3, 2 };
    ck_assert_int_eq(nc_pareto_front(4, 1, q, NULL, rank), 3);
    ck_assert(rank[0] == 0 && rank[1] == 2 && rank[2] == 0 && rank[3] == 1);
    const int mn[1] = { 0 };
    ck_assert_int_eq(nc_pareto_front(4, 1, q, mn, rank), 3);
    ck_assert(rank[0] == 2 && rank[1] == 0 && rank[2] == 2 && rank[3] == 1);
    /* All equal: one front. Empty: none. */
    const double e[] = { 1, 1, 1, 1, 1, 1 };
    ck_assert_int_eq(nc_pareto_front(3, 2, e, NULL, rank), 1);
    ck_assert(rank[0] == 0 && rank[1] == 0 && rank[2] == 0);
    ck_assert_int_eq(nc_pareto_front(0, 2, e, NULL, rank), 0);
    /* Dominance itself; infinities are ordinary values. */
    const double a[] = { 1, 2 }, b[] = { 1, 1 }, c[] = { -INFINITY, 9 };
    ck_assert(nc_pareto_dominates(2, a, b, NULL));
    ck_assert(!nc_pareto_dominates(2, b, a, NULL));
    ck_assert(!nc_pareto_dominates(2, a, a, NULL));
    ck_assert(nc_pareto_dominates(2, b, a, dir));
    ck_assert(!nc_pareto_dominates(2, c, b, NULL));
    ck_assert(nc_pareto_dominates(2, b, c, dir));
}
END_TEST

START_TEST(test_crowding)
{
    /* obj 0 range 4, obj 1 range 5: point 1 gets (3-0)/4 + (5-1)/5 = 1.55,
     * point 2 gets (4-1)/4 + (3-0)/5 = 1.35; the extremes are infinite. */
    const double p[] = { 0, 5, 1, 3, 3, 1, 4, 0 };
    double d[4];
    ck_assert_int_eq(nc_crowding_distance(4, 2, p, d), 0);
    ck_assert(isinf(d[0]) && isinf(d[3]));
    NC_ASSERT_CLOSE(d[1], 1.55, 1e-12, "d1 %g", d[1]);
    NC_ASSERT_CLOSE(d[2], 1.35, 1e-12, "d2 %g", d[2]);
    /* A constant objective adds nothing; two points are both extremes. */
    const double q[] = { 1, 0, 2, 0, 3, 0 };
    ck_assert_int_eq(nc_crowding_distance(3, 2, q, d), 0);
    ck_assert(isinf(d[0]) && isinf(d[2]));
    NC_ASSERT_CLOSE(d[1], 1.0, 1e-12, "d1 %g", d[1]);
    ck_assert_int_eq(nc_crowding_distance(2, 2, q, d), 0);
    ck_assert(isinf(d[0]) && isinf(d[1]));
    /* Duplicates: the sort's tie-break by index decides the extremes. */
    const double r[] = { 1, 1, 1, 2 };
    ck_assert_int_eq(nc_crowding_distance(4, 1, r, d), 0);
    ck_assert(isinf(d[0]) && isinf(d[3]));
    NC_ASSERT_CLOSE(d[1], 0.0, 1e-12, "d1 %g", d[1]);
    NC_ASSERT_CLOSE(d[2], 1.0, 1e-12, "d2 %g", d[2]);
    ck_assert_int_eq(nc_crowding_distance(0, 1, r, d), 0);
}
END_TEST

/* ---- NSGA-II and local search on toy objectives --------------------------- */

static double params_m(const nc_arch *a)
{
    nc_nb201_arch b;
    memcpy(b.op, a->g, 6);
    return (double)nc_nb201_param_count(&b, 16, 5, 3, 10) / 1e6;
}

/* Conv 3x3 edges (up) against parameters (down): a real trade-off. */
static void toy_obj(const nc_arch *a, double obj[2])
{
    obj[0] = 0;
    for (int e = 0; e < 6; e++)
        obj[0] += (a->g[e] == NC_NB201_CONV3X3) + 0.3 * (a->g[e] != 0) +
                  0.01 * e * a->g[e];
    obj[1] = params_m(a);
}

static nc_strategy *make(nc_strategy_kind kind, uint64_t seed, int p)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy_cfg cfg = nc_strategy_defaults(kind);
    cfg.seed = seed;
    if (kind == NC_STRATEGY_NSGA2) {
        cfg.population = p;
        cfg.n_obj = 2;
        cfg.minimize[1] = 1;
    }
    nc_strategy *s;
    ck_assert_msg(nc_strategy_new(&ctx, kind, nb(), &cfg, &s) == NC_OK, "%s",
                  ctx.msg);
    return s;
}

static void tell_toy(nc_strategy *s, nc_strategy_kind kind, int64_t t,
                     const nc_arch *a)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double o[2];
    toy_obj(a, o);
    nc_status st = kind == NC_STRATEGY_NSGA2
                       ? nc_strategy_tell_multi(&ctx, s, t, a, o, 2)
                       : nc_strategy_tell(&ctx, s, t, a, o[0]);
    ck_assert_msg(st == NC_OK, "%s", ctx.msg);
}

static void run_toy(nc_strategy_kind kind, uint64_t seed, int n, nc_proposal *out)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy *s = make(kind, seed, 8);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &out[i]), NC_OK);
        tell_toy(s, kind, i, &out[i].arch);
    }
    nc_strategy_free(s);
}

START_TEST(test_determinism_restore)
{
    enum { N = 80, CUT = 43 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (int k = 0; k < 2; k++) {
        nc_strategy_kind kind = k ? NC_STRATEGY_LOCAL : NC_STRATEGY_NSGA2;
        nc_proposal a[N], b[N], c[N];
        run_toy(kind, 5, N, a);
        run_toy(kind, 5, N, b);
        run_toy(kind, 6, N, c);
        int differ = 0;
        for (int i = 0; i < N; i++) {
            ck_assert(memcmp(&a[i], &b[i], sizeof a[i]) == 0);
            differ += !nc_arch_equal(nb(), &a[i].arch, &c[i].arch);
        }
        ck_assert_int_gt(differ, N / 2);
        /* Restore: the history up to CUT replayed (in reverse order: only
         * NSGA-II promises order does not matter, so local gets it in
         * order), then the same proposals. */
        nc_strategy *s = make(kind, 5, 8);
        for (int i = 0; i < CUT; i++) {
            int j = kind == NC_STRATEGY_NSGA2 ? CUT - 1 - i : i;
            tell_toy(s, kind, j, &a[j].arch);
        }
        for (int i = CUT; i < N; i++) {
            nc_proposal p, again;
            ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &p), NC_OK);
            ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &again), NC_OK);
            ck_assert_msg(memcmp(&p, &a[i], sizeof p) == 0, "kind %d trial %d",
                          k, i);
            ck_assert(memcmp(&p, &again, sizeof p) == 0);
            tell_toy(s, kind, i, &p.arch);
        }
        nc_strategy_free(s);
        /* Shape of the proposals. */
        for (int i = 0; i < N; i++) {
            if (kind == NC_STRATEGY_NSGA2) {
                if (i < 8) {
                    ck_assert_int_eq(a[i].origin, NC_ORIGIN_RANDOM);
                    continue;
                }
                ck_assert_int_ne(a[i].origin, NC_ORIGIN_RANDOM);
                for (int q = 0; q < a[i].n_parents; q++)
                    ck_assert(a[i].parents[q] < i / 8 * 8);
            } else if (a[i].origin == NC_ORIGIN_MUTATION) {
                ck_assert_int_eq(hamming(&a[i].arch, &a[a[i].parents[0]].arch),
                                 1);
                ck_assert(a[i].parents[0] < i);
            }
        }
    }
}
END_TEST

START_TEST(test_local_walk)
{
    enum { N = 200 };
    nc_proposal a[N];
    run_toy(NC_STRATEGY_LOCAL, 9, N, a);
    /* Trial 0 random, trials 1..24 its 24 neighbours in gene-major order. */
    ck_assert_int_eq(a[0].origin, NC_ORIGIN_RANDOM);
    for (int i = 1; i <= 24; i++) {
        ck_assert_int_eq(a[i].origin, NC_ORIGIN_MUTATION);
        ck_assert_int_eq(a[i].parents[0], 0);
        ck_assert_int_eq(hamming(&a[i].arch, &a[0].arch), 1);
        int gene = (i - 1) / 4;
        ck_assert_int_ne(a[i].arch.g[gene], a[0].arch.g[gene]);
    }
    /* The climb ends at a local optimum and restarts. */
    int restarts = 0;
    for (int i = 1; i < N; i++)
        restarts += a[i].origin == NC_ORIGIN_RANDOM;
    ck_assert_int_ge(restarts, 1);
    /* Nothing is asked twice (the toy objective is deterministic). */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            ck_assert_msg(!nc_arch_equal(nb(), &a[i].arch, &a[j].arch),
                          "trial %d repeats %d", i, j);
    /* Asking ahead: trials 1..3 with only trial 0 told are three distinct
     * neighbours, those of the sequential run. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy *s = make(NC_STRATEGY_LOCAL, 9, 0);
    tell_toy(s, NC_STRATEGY_LOCAL, 0, &a[0].arch);
    for (int i = 1; i <= 3; i++) {
        nc_proposal p;
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &p), NC_OK);
        ck_assert(nc_arch_equal(nb(), &p.arch, &a[i].arch));
    }
    nc_strategy_free(s);
}
END_TEST

START_TEST(test_tell_multi_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy *s = make(NC_STRATEGY_NSGA2, 1, 4);
    nc_arch a;
    nb()->nth(nb(), 0, &a);
    double o[2] = { 1, NAN };
    ck_assert_int_eq(nc_strategy_tell(&ctx, s, 0, &a, 1.0), NC_ERR_INVAL);
    ck_assert_int_eq(nc_strategy_tell_multi(&ctx, s, 0, &a, o, 2),
                     NC_ERR_NUMERIC);
    o[1] = 2;
    ck_assert_int_eq(nc_strategy_tell_multi(&ctx, s, 0, &a, o, 2), NC_OK);
    ck_assert_int_eq(nc_strategy_tell_multi(&ctx, s, 0, &a, o, 2),
                     NC_ERR_STATE);
    ck_assert_int_eq(nc_strategy_n_told(s), 1);
    nc_strategy_free(s);
    nc_strategy_cfg cfg = nc_strategy_defaults(NC_STRATEGY_NSGA2);
    ck_assert_int_eq(cfg.population, 20);
    cfg.n_obj = NC_MAX_OBJ + 1;
    ck_assert_int_eq(nc_strategy_new(&ctx, NC_STRATEGY_NSGA2, nb(), &cfg, &s),
                     NC_ERR_INVAL);
    ck_assert_ptr_null(s);
}
END_TEST

/* ---- on the NB201 table --------------------------------------------------- */

/* The shared NB201 table, or NULL when it is absent (the test named who
 * then skips; see nc_test_shared_file). */
static nc_table *nb201_table(const char *who)
{
    char p[1024];
    if (!nc_test_shared_file(p, sizeof p, "nb201/nb201.csv", who))
        return NULL;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_table *t;
    ck_assert_msg(nc_table_load(&ctx, p, "cifar10_valid", NULL, nb(), &t) ==
                      NC_OK, "%s", ctx.msg);
    return t;
}

typedef struct pt {
    double acc, par;
} pt;

static int cmp_acc_desc(const void *pa, const void *pb)
{
    const pt *a = pa, *b = pb;
    return (a->acc < b->acc) - (a->acc > b->acc);
}

/* Hypervolume of points (accuracy up, parameters in millions down) against
 * the reference (acc 10, params 1.6): accuracy below 10 (untrainable cells)
 * and more than the largest cell's 1.53M parameters count for nothing. */
static double hypervolume(pt *p, int n)
{
    qsort(p, (size_t)n, sizeof *p, cmp_acc_desc);
    double hv = 0, floor_ = 1.6;
    for (int i = 0; i < n; i++)
        if (p[i].acc > 10 && p[i].par < floor_) {
            hv += (p[i].acc - 10) * (floor_ - p[i].par);
            floor_ = p[i].par;
        }
    return hv;
}

/* Hypervolume of everything a campaign of q queries evaluated. */
static double campaign_hv(const nc_table *t, nc_strategy_kind kind,
                          uint64_t seed, int q)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy *s = make(kind, seed, 20);
    pt *p = malloc((size_t)q * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < q; i++) {
        nc_proposal pr;
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &pr), NC_OK);
        double o[2];
        ck_assert_msg(nc_table_lookup(&ctx, t, &pr.arch, &o[0], NULL) == NC_OK,
                      "%s", ctx.msg);
        o[1] = params_m(&pr.arch);
        ck_assert_int_eq(kind == NC_STRATEGY_NSGA2
                             ? nc_strategy_tell_multi(&ctx, s, i, &pr.arch, o, 2)
                             : nc_strategy_tell(&ctx, s, i, &pr.arch, o[0]),
                         NC_OK);
        p[i] = (pt){ o[0], o[1] };
    }
    double hv = hypervolume(p, q);
    free(p);
    nc_strategy_free(s);
    return hv;
}

START_TEST(test_nsga2_nb201)
{
    nc_table *t = nb201_table("test_nsga2_nb201");
    if (!t)
        return;
    /* The best possible: every architecture's front. */
    int n = (int)nb()->size(nb());
    pt *all = malloc((size_t)n * sizeof *all);
    ck_assert_ptr_nonnull(all);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    for (int k = 0; k < n; k++) {
        nc_arch a;
        nb()->nth(nb(), k, &a);
        ck_assert_int_eq(nc_table_lookup(&ctx, t, &a, &all[k].acc, NULL), NC_OK);
        all[k].par = params_m(&a);
    }
    double best = hypervolume(all, n);
    free(all);
    enum { SEEDS = 20, Q = 200 };
    double hr = 0, hn = 0;
    int wins = 0;
    for (int sd = 1; sd <= SEEDS; sd++) {
        double r = campaign_hv(t, NC_STRATEGY_RANDOM, (uint64_t)sd, Q);
        double g = campaign_hv(t, NC_STRATEGY_NSGA2, (uint64_t)sd, Q);
        hr += r / SEEDS;
        hn += g / SEEDS;
        wins += g > r;
    }
    printf("NB201 hypervolume (valid acc, params), %d queries, %d seeds: "
           "random %.4f, NSGA-II %.4f, all %.4f; NSGA-II wins %d\n",
           Q, SEEDS, hr, hn, best, wins);
    /* Measured: 122.994 vs 122.624 (18 of 20 seeds won); on seeds
     * 1001..1100, 123.002 vs 122.657 (88 won). Half the gap and 14 wins
     * leave room for harmless changes, not for a broken selection. */
    ck_assert_msg(hn > hr + 0.15, "NSGA-II %.4f vs random %.4f", hn, hr);
    ck_assert_msg(wins >= 14, "NSGA-II won %d of %d", wins, SEEDS);
    nc_table_free(t);
}
END_TEST

/* Queries until the campaign first asks for index 6111 (q+1 if never). */
static int hit_time(const nc_table *t, nc_strategy_kind kind, uint64_t seed,
                    int q, double *best_out)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_strategy *s = make(kind, seed, 20);
    nc_arch opt;
    nb()->nth(nb(), 6111, &opt);
    int hit = q + 1;
    double best = -INFINITY;
    for (int i = 0; i < q; i++) {
        nc_proposal pr;
        double v;
        ck_assert_int_eq(nc_strategy_ask(&ctx, s, i, &pr), NC_OK);
        ck_assert_int_eq(nc_table_lookup(&ctx, t, &pr.arch, &v, NULL), NC_OK);
        ck_assert_int_eq(nc_strategy_tell(&ctx, s, i, &pr.arch, v), NC_OK);
        if (v > best)
            best = v;
        if (hit > q && nc_arch_equal(nb(), &pr.arch, &opt))
            hit = i + 1;
    }
    nc_strategy_free(s);
    *best_out = best;
    return hit;
}

START_TEST(test_local_nb201)
{
    nc_table *t = nb201_table("test_local_nb201");
    if (!t)
        return;
    enum { SEEDS = 30, Q = 300 };
    int found = 0, found_rnd = 0;
    double bl = 0, br = 0, b;
    for (int sd = 1; sd <= SEEDS; sd++) {
        found += hit_time(t, NC_STRATEGY_LOCAL, (uint64_t)sd, Q, &b) <= Q;
        bl += b / SEEDS;
        found_rnd += hit_time(t, NC_STRATEGY_RANDOM, (uint64_t)sd, Q, &b) <= Q;
        br += b / SEEDS;
    }
    printf("NB201 cifar10_valid, %d queries, %d seeds: optimum found by local "
           "search %d, random %d; mean best valid local %.3f, random %.3f\n",
           Q, SEEDS, found, found_rnd, bl, br);
    /* Measured: 26 of 30 (random 2), mean best 91.573 vs 91.253; on seeds
     * 1001..1100, 80 of 100 (random 2), 91.574 vs 91.268. */
    ck_assert_msg(found >= 18, "local search found the optimum %d times",
                  found);
    ck_assert_msg(bl > br + 0.15, "local %.3f random %.3f", bl, br);
    nc_table_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("moo");
    TCase *tc = tcase_create("moo");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pareto_ranks);
    tcase_add_test(tc, test_crowding);
    tcase_add_test(tc, test_determinism_restore);
    tcase_add_test(tc, test_local_walk);
    tcase_add_test(tc, test_tell_multi_errors);
    tcase_add_test(tc, test_nsga2_nb201);
    tcase_add_test(tc, test_local_nb201);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
