/*
 * test_spaces.c — the mlp and mbv search spaces behind nc_space: strings,
 * genes, mutation/crossover, enumeration, encoding, and the nets they build
 * (shapes, parameter counts checked by hand, one training step).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supernet/nb201.h"
#include "supernet/space.h"
#include "supernet/spaces.h"
#include "tests/util/testutil.h"

static const nc_space *get(const char *name)
{
    const nc_space *sp = nc_space_find(name);
    ck_assert_ptr_nonnull(sp);
    return sp;
}

/* Formats a, parses the string back, and checks both agree; the string is
 * left in s. Also checks the genes beyond n_genes are 0. */
static void round_trip(const nc_space *sp, const nc_arch *a, char *s)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int n = sp->format(sp, a, s, NC_ARCH_STR_MAX);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, NC_ARCH_STR_MAX);
    ck_assert_int_eq((int)strlen(s), n);
    nc_arch b;
    ck_assert_msg(sp->parse(sp, &ctx, s, &b) == NC_OK, "%s: %s", s, ctx.msg);
    ck_assert_msg(nc_arch_equal(sp, a, &b), "%s", s);
    ck_assert_msg(memcmp(a->g, b.g, NC_ARCH_GENES) == 0, "%s", s);
    for (int i = sp->n_genes; i < NC_ARCH_GENES; i++)
        ck_assert_int_eq(a->g[i], 0);
    for (int i = 0; i < sp->n_genes; i++)
        ck_assert_int_lt(a->g[i], sp->choices(sp, i));
}

static void expect_bad(const nc_space *sp, const char *s, const char *needle)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    memset(&a, 7, sizeof a);
    ck_assert_msg(sp->parse(sp, &ctx, s, &a) == NC_ERR_INVAL, "accepted '%s'", s);
    ck_assert_msg(strstr(ctx.msg, needle), "'%s': message '%s' lacks '%s'", s,
                  ctx.msg, needle);
    ck_assert_int_eq(a.g[0], 7);   /* unchanged on failure */
}

static int mlp_depth(const nc_arch *a)
{
    return a->g[0] + 1;
}

/* mlp canonical form: widths beyond the depth are 0. */
static void mlp_check_canonical(const nc_arch *a)
{
    for (int l = mlp_depth(a); l < NC_MLP_MAX_DEPTH; l++)
        ck_assert_int_eq(a->g[1 + l], 0);
}

/* ---- registry ------------------------------------------------------------ */

START_TEST(test_registry)
{
    const char *names[] = { "nb201", "mlp", "mbv" };
    for (int i = 0; i < 3; i++) {
        const nc_space *sp = get(names[i]);
        ck_assert_str_eq(sp->name, names[i]);
        ck_assert_ptr_nonnull(sp->build);
        ck_assert_ptr_nonnull(strstr(nc_space_names(), names[i]));
    }
    ck_assert_ptr_eq(get("mlp"), nc_space_mlp());
    ck_assert_ptr_eq(get("mbv"), nc_space_mbv());
    const nc_space *m = nc_space_mlp(), *v = nc_space_mbv();
    ck_assert_int_eq(m->n_genes, 6);
    ck_assert_int_eq(m->choices(m, 0), 4);
    for (int i = 1; i <= 4; i++)
        ck_assert_int_eq(m->choices(m, i), 5);
    ck_assert_int_eq(m->choices(m, 5), 1);
    ck_assert_int_eq(m->choices(m, 6), 0);
    ck_assert_int_eq(v->n_genes, 16);
    ck_assert_int_eq(v->choices(v, 4), 2);     /* stage 1 width {16,24} */
    ck_assert_int_eq(v->choices(v, 5), 3);
    ck_assert_int_eq(v->choices(v, 16), 0);
    ck_assert_int_eq(m->size(m), 780);
    ck_assert_int_eq(v->size(v), 28697814);
}
END_TEST

/* ---- strings ------------------------------------------------------------- */

START_TEST(test_mlp_strings)
{
    const nc_space *sp = nc_space_mlp();
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    char s[NC_ARCH_STR_MAX];
    ck_assert_int_eq(sp->parse(sp, &ctx, "mlp:d=3:w=256,128,64:act=relu", &a),
                     NC_OK);
    ck_assert_int_eq(a.g[0], 2);
    ck_assert_int_eq(a.g[1], 3);
    ck_assert_int_eq(a.g[2], 2);
    ck_assert_int_eq(a.g[3], 1);
    ck_assert_int_eq(a.g[4], 0);
    round_trip(sp, &a, s);
    ck_assert_str_eq(s, "mlp:d=3:w=256,128,64:act=relu");
    /* snprintf-like truncation. */
    char small[8];
    ck_assert_int_eq(sp->format(sp, &a, small, sizeof small), (int)strlen(s));
    ck_assert_str_eq(small, "mlp:d=3");
    /* Every architecture, in nth order: round trips and all distinct. */
    static char seen[780][NC_ARCH_STR_MAX];
    for (int64_t k = 0; k < sp->size(sp); k++) {
        sp->nth(sp, k, &a);
        mlp_check_canonical(&a);
        round_trip(sp, &a, s);
        snprintf(seen[k], sizeof seen[k], "%s", s);
        for (int64_t j = 0; j < k; j++)
            ck_assert_str_ne(seen[j], s);
    }
    sp->nth(sp, 0, &a);
    sp->format(sp, &a, s, sizeof s);
    ck_assert_str_eq(s, "mlp:d=1:w=32:act=relu");
    sp->nth(sp, 779, &a);
    sp->format(sp, &a, s, sizeof s);
    ck_assert_str_eq(s, "mlp:d=4:w=512,512,512,512:act=relu");
    /* Non-canonical genes do not format. */
    memset(&a, 0, sizeof a);
    a.g[2] = 1;
    ck_assert_int_eq(sp->format(sp, &a, s, sizeof s), -1);

    expect_bad(sp, "", "field space");
    expect_bad(sp, "mbv:d=1:w=32:act=relu", "field space");
    expect_bad(sp, "mlp:x=1:w=32:act=relu", "field d");
    expect_bad(sp, "mlp:d=0:w=32:act=relu", "field d");
    expect_bad(sp, "mlp:d=5:w=32:act=relu", "field d");
    expect_bad(sp, "mlp:d=:w=32:act=relu", "field d");
    expect_bad(sp, "mlp:d=02:w=32,32:act=relu", "field d");
    expect_bad(sp, "mlp:d=2;w=32,32:act=relu", "field w");
    expect_bad(sp, "mlp:d=2:w=32:act=relu", "fewer widths");
    expect_bad(sp, "mlp:d=2:w=32,32,32:act=relu", "more widths");
    expect_bad(sp, "mlp:d=2:w=32,100:act=relu", "offset 13");
    expect_bad(sp, "mlp:d=2:w=32,100:act=relu", "field w");
    expect_bad(sp, "mlp:d=2:w=32,-32:act=relu", "field w");
    expect_bad(sp, "mlp:d=2:w=32, 32:act=relu", "field w");
    expect_bad(sp, "mlp:d=1:w=032:act=relu", "field w");
    expect_bad(sp, "mlp:d=1:w=32", "field act");
    expect_bad(sp, "mlp:d=1:w=32:act=tanh", "field act");
    expect_bad(sp, "mlp:d=1:w=32:act=relu ", "field end");
    expect_bad(sp, "mlp:d=1:w=32:act=relux", "field end");
    expect_bad(sp, "mlp:d=1:w=99999999999:act=relu", "field w");
    ck_assert_int_eq(sp->parse(sp, &ctx, NULL, &a), NC_ERR_INVAL);
}
END_TEST

START_TEST(test_mbv_strings)
{
    const nc_space *sp = nc_space_mbv();
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    char s[NC_ARCH_STR_MAX];
    const char *ex = "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4";
    ck_assert_int_eq(sp->parse(sp, &ctx, ex, &a), NC_OK);
    const uint8_t want[16] = { 1, 2, 1, 0, 1, 1, 1, 0, 0, 1, 2, 0, 1, 2, 0, 1 };
    ck_assert_mem_eq(a.g, want, 16);
    round_trip(sp, &a, s);
    ck_assert_str_eq(s, ex);
    /* nth is a bijection onto the genes: check it against a mixed-radix rank
     * on random k, and the ends. */
    nc_rng r = nc_rng_make(11, 0);
    for (int t = 0; t < 3000; t++) {
        int64_t k = t == 0 ? 0 : t == 1 ? sp->size(sp) - 1
                  : (int64_t)(nc_rng_u64(&r) % (uint64_t)sp->size(sp));
        sp->nth(sp, k, &a);
        round_trip(sp, &a, s);
        int64_t rank = 0;
        for (int i = 0; i < sp->n_genes; i++)
            rank = rank * sp->choices(sp, i) + a.g[i];
        ck_assert_int_eq(rank, k);
    }
    sp->nth(sp, sp->size(sp) - 1, &a);
    sp->format(sp, &a, s, sizeof s);
    ck_assert_str_eq(s, "mbv:d=3,3,3,3:w=24,40,64,96:k=7,7,7,7:e=6,6,6,6");
    for (int t = 0; t < 2000; t++) {
        sp->sample(sp, &r, &a);
        round_trip(sp, &a, s);
    }
    a.g[4] = 2;   /* stage 1 has two widths */
    ck_assert_int_eq(sp->format(sp, &a, s, sizeof s), -1);

    expect_bad(sp, "", "field space");
    expect_bad(sp, "mlp:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4", "field space");
    expect_bad(sp, "mbv:x=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4", "field d");
    expect_bad(sp, "mbv:d=2,3,2:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4", "field d");
    expect_bad(sp, "mbv:d=2,3,2,1,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "more than 4");
    expect_bad(sp, "mbv:d=2,4,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "field d at offset 8");
    expect_bad(sp, "mbv:d=2,4,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "stage 2");
    expect_bad(sp, "mbv:d=2,3,2,1:w=32,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "field w");
    expect_bad(sp, "mbv:d=2,3,2,1:w=32,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "16,24");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,96,:k=3,5,7,3:e=4,6,3,4",
               "field w");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,4,3:e=4,6,3,4",
               "stage 3");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,5",
               "field e");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3", "field e");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,64:e=4,6,3,4:k=3,5,7,3", "field k");
    expect_bad(sp, "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4:",
               "field end");
    expect_bad(sp, "mbv:d=2,3,2,01:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4",
               "field d");
    ck_assert_int_eq(sp->parse(sp, &ctx, NULL, &a), NC_ERR_INVAL);
}
END_TEST

/* ---- mutation, crossover, sampling --------------------------------------- */

/* Genes that differ among those that mean something in both: for mlp the
 * depth, the activation and the widths of layers both nets have. */
static int active_distance(const nc_space *sp, const nc_arch *a,
                           const nc_arch *b)
{
    if (strcmp(sp->name, "mlp") != 0) {
        int d = 0;
        for (int i = 0; i < sp->n_genes; i++)
            d += a->g[i] != b->g[i];
        return d;
    }
    int d = (a->g[0] != b->g[0]) + (a->g[5] != b->g[5]);
    int n = mlp_depth(a) < mlp_depth(b) ? mlp_depth(a) : mlp_depth(b);
    for (int l = 0; l < n; l++)
        d += a->g[1 + l] != b->g[1 + l];
    return d;
}

START_TEST(test_mutate)
{
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    char s[NC_ARCH_STR_MAX];
    for (int i = 0; i < 2; i++) {
        const nc_space *sp = spaces[i];
        nc_rng r = nc_rng_make(5, (uint64_t)i);
        int depth_moves = 0;
        for (int t = 0; t < 2000; t++) {
            nc_arch a, c;
            sp->sample(sp, &r, &a);
            sp->mutate(sp, &r, &a, &c);
            round_trip(sp, &c, s);
            ck_assert_int_eq(active_distance(sp, &a, &c), 1);
            ck_assert(!nc_arch_equal(sp, &a, &c));
            if (i == 0) {
                mlp_check_canonical(&c);
                depth_moves += a.g[0] != c.g[0];
            }
            /* In place works too. */
            nc_arch d = a;
            nc_rng r2 = nc_rng_make(9, (uint64_t)t);
            nc_rng r3 = r2;
            sp->mutate(sp, &r2, &d, &d);
            sp->mutate(sp, &r3, &a, &c);
            ck_assert(nc_arch_equal(sp, &d, &c));
        }
        if (i == 0)   /* depth is 1 of 2..5 active genes */
            ck_assert_int_gt(depth_moves, 250);
    }
}
END_TEST

START_TEST(test_crossover)
{
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    char s[NC_ARCH_STR_MAX];
    for (int i = 0; i < 2; i++) {
        const nc_space *sp = spaces[i];
        nc_rng r = nc_rng_make(6, (uint64_t)i);
        int from_b = 0, total = 0;
        for (int t = 0; t < 2000; t++) {
            nc_arch a, b, c;
            sp->sample(sp, &r, &a);
            sp->sample(sp, &r, &b);
            sp->crossover(sp, &r, &a, &b, &c);
            round_trip(sp, &c, s);
            if (i == 0) {
                mlp_check_canonical(&c);
                ck_assert(c.g[0] == a.g[0] || c.g[0] == b.g[0]);
                for (int l = 0; l < mlp_depth(&c); l++)
                    ck_assert((l < mlp_depth(&a) && c.g[1 + l] == a.g[1 + l]) ||
                              (l < mlp_depth(&b) && c.g[1 + l] == b.g[1 + l]));
            } else {
                for (int g = 0; g < sp->n_genes; g++) {
                    ck_assert(c.g[g] == a.g[g] || c.g[g] == b.g[g]);
                    if (a.g[g] != b.g[g]) {
                        total++;
                        from_b += c.g[g] == b.g[g];
                    }
                }
            }
            sp->crossover(sp, &r, &a, &a, &c);
            ck_assert(nc_arch_equal(sp, &a, &c));
        }
        if (i == 1)
            ck_assert(from_b > total * 4 / 10 && from_b < total * 6 / 10);
    }
}
END_TEST

START_TEST(test_sample_covers)
{
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    for (int i = 0; i < 2; i++) {
        const nc_space *sp = spaces[i];
        nc_rng r = nc_rng_make(7, (uint64_t)i);
        int count[NC_ARCH_GENES][8] = { { 0 } }, active[NC_ARCH_GENES] = { 0 };
        enum { N = 6000 };
        for (int t = 0; t < N; t++) {
            nc_arch a;
            sp->sample(sp, &r, &a);
            for (int g = 0; g < sp->n_genes; g++) {
                if (i == 0 && g >= 1 && g <= 4 && g - 1 >= mlp_depth(&a))
                    continue;
                active[g]++;
                count[g][a.g[g]]++;
            }
        }
        for (int g = 0; g < sp->n_genes; g++) {
            int nc = sp->choices(sp, g);
            for (int c = 0; c < nc; c++) {
                double want = (double)active[g] / nc;
                ck_assert_msg(fabs(count[g][c] - want) < 0.15 * want + 10,
                              "%s gene %d choice %d: %d of %d", sp->name, g, c,
                              count[g][c], active[g]);
            }
        }
    }
}
END_TEST

START_TEST(test_encode)
{
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    float f[NC_ARCH_GENES], g[NC_ARCH_GENES];
    for (int i = 0; i < 2; i++) {
        const nc_space *sp = spaces[i];
        nc_rng r = nc_rng_make(8, (uint64_t)i);
        for (int t = 0; t < 500; t++) {
            nc_arch a, b;
            sp->sample(sp, &r, &a);
            sp->sample(sp, &r, &b);
            sp->encode(sp, &a, f);
            sp->encode(sp, &b, g);
            for (int k = 0; k < sp->n_features; k++)
                ck_assert(f[k] >= 0.0f && f[k] <= 1.0f);
            /* Distinct architectures, distinct features. */
            if (!nc_arch_equal(sp, &a, &b))
                ck_assert(memcmp(f, g, sizeof(float) * (size_t)sp->n_features));
        }
    }
    const nc_space *m = nc_space_mlp();
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_arch a;
    ck_assert_int_eq(m->parse(m, &ctx, "mlp:d=2:w=512,32:act=relu", &a), NC_OK);
    m->encode(m, &a, f);
    ck_assert_float_eq_tol(f[0], 1.0f / 3, 1e-6);
    ck_assert_float_eq_tol(f[1], 1.0f, 1e-6);
    ck_assert_float_eq_tol(f[2], 5.0f / 9, 1e-6);
    ck_assert_float_eq(f[3], 0.0f);
}
END_TEST

/* ---- nets ---------------------------------------------------------------- */

/* Builds a for input shape in, runs forward+backward on a batch of n random
 * samples, checks loss and gradients are finite; with steps > 0 also takes
 * that many SGD steps and checks the loss moved. Returns the param count. */
static size_t train_check(const nc_space *sp, const nc_arch *a, nc_shape in,
                          int n, int steps)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    ck_assert_ptr_nonnull(net);
    int y = sp->build(sp, &ctx, net, nc_net_input(&ctx, net, in), a, 10);
    ck_assert_msg(y >= 0, "%s", ctx.msg);
    ck_assert_msg(nc_net_finalize(&ctx, net, y, n) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(nc_net_init_params(net, 3), NC_OK);
    size_t nx = nc_shape_size(in) * (size_t)n;
    float *x = malloc(sizeof(float) * nx);
    ck_assert_ptr_nonnull(x);
    nc_test_fill_normal(x, nx, 4);
    int32_t labels[8];
    for (int i = 0; i < n; i++)
        labels[i] = (int32_t)(i * 3 % 10);
    float loss0 = 0, loss = 0;
    for (int s = 0; s <= steps; s++) {
        nc_net_zero_grad(net);
        ck_assert_int_eq(nc_net_forward(&ctx, net, x, labels, n, 1, &loss), NC_OK);
        ck_assert_msg(isfinite(loss) && loss > 0, "loss %g", loss);
        if (s == 0)
            loss0 = loss;
        if (s == steps)
            break;
        ck_assert_int_eq(nc_net_backward(&ctx, net), NC_OK);
        float *w = nc_net_params(net), *g = nc_net_grads(net);
        double gn = 0;
        for (size_t k = 0; k < nc_net_n_params(net); k++) {
            ck_assert(isfinite(g[k]));
            gn += (double)g[k] * g[k];
            w[k] -= 0.05f * g[k];
        }
        ck_assert(gn > 0);
    }
    if (steps > 0)   /* the same batch again: a small step lowers its loss */
        ck_assert_msg(loss < loss0, "loss %g -> %g", loss0, loss);
    size_t np = nc_net_n_params(net);
    free(x);
    nc_net_free(net);
    return np;
}

START_TEST(test_build_random)
{
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    const nc_shape shapes[2] = { { 1, 28, 28 }, { 3, 32, 32 } };
    for (int i = 0; i < 2; i++) {
        nc_rng r = nc_rng_make(10, (uint64_t)i);
        for (int t = 0; t < 50; t++) {
            nc_arch a;
            spaces[i]->sample(spaces[i], &r, &a);
            for (int s = 0; s < 2; s++)
                train_check(spaces[i], &a, shapes[s], 2, 0);
        }
    }
}
END_TEST

START_TEST(test_build_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    for (int i = 0; i < 2; i++) {
        const nc_space *sp = spaces[i];
        nc_net *net = nc_net_new();
        nc_arch a;
        memset(&a, 9, sizeof a);
        ck_assert_int_eq(sp->build(sp, &ctx, net, 0, &a, 10), -1);
        nc_test_expect_msg(&ctx, "invalid");
        nc_ctx_clear(&ctx);
        sp->nth(sp, 0, &a);
        ck_assert_int_eq(sp->build(sp, &ctx, net, -1, &a, 10), -1);
        nc_net_free(net);
        size_t np = 1;
        memset(&a, 9, sizeof a);
        ck_assert_int_eq(nc_space_cost(sp, &ctx, &a, (nc_shape){ 1, 28, 28 }, 10,
                                       &np, NULL), NC_ERR_INVAL);
        ck_assert_int_eq(np, 1);
        nc_test_expect_msg(&ctx, sp->name);
    }
}
END_TEST

START_TEST(test_param_counts)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *m = nc_space_mlp(), *v = nc_space_mbv();
    nc_arch a;
    size_t np;
    double macs;

    ck_assert_int_eq(m->parse(m, &ctx, "mlp:d=2:w=64,32:act=relu", &a), NC_OK);
    size_t want = (784 * 64 + 64) + (64 * 32 + 32) + (32 * 10 + 10);
    ck_assert_int_eq(train_check(m, &a, (nc_shape){ 1, 28, 28 }, 2, 0), want);
    ck_assert_int_eq(nc_space_cost(m, &ctx, &a, (nc_shape){ 1, 28, 28 }, 10,
                                   &np, &macs), NC_OK);
    ck_assert_int_eq(np, want);
    ck_assert_double_eq_tol(macs, 784 * 64 + 64 * 32 + 32 * 10, 0.5);

    ck_assert_int_eq(v->parse(v, &ctx, "mbv:d=1,1,1,1:w=16,24,40,64:"
                              "k=3,3,3,3:e=3,3,3,3", &a), NC_OK);
    /* conv weights + BN gamma/beta; block: expand, depthwise, project. */
    size_t stem = 3 * 16 * 9 + 2 * 16;
    size_t s1 = (16 * 48 + 2 * 48) + (48 * 9 + 2 * 48) + (48 * 16 + 2 * 16);
    size_t s2 = (16 * 48 + 2 * 48) + (48 * 9 + 2 * 48) + (48 * 24 + 2 * 24);
    size_t s3 = (24 * 72 + 2 * 72) + (72 * 9 + 2 * 72) + (72 * 40 + 2 * 40);
    size_t s4 = (40 * 120 + 2 * 120) + (120 * 9 + 2 * 120) + (120 * 64 + 2 * 64);
    size_t head = (64 * 256 + 2 * 256) + (256 * 10 + 10);
    want = stem + s1 + s2 + s3 + s4 + head;
    ck_assert_int_eq(want, 44506);
    ck_assert_int_eq(train_check(v, &a, (nc_shape){ 3, 32, 32 }, 2, 0), want);
    ck_assert_int_eq(nc_space_cost(v, &ctx, &a, (nc_shape){ 3, 32, 32 }, 10,
                                   &np, &macs), NC_OK);
    ck_assert_int_eq(np, want);
    /* The same net on 1 channel: only the stem's weights change. */
    ck_assert_int_eq(nc_space_cost(v, &ctx, &a, (nc_shape){ 1, 28, 28 }, 10,
                                   &np, NULL), NC_OK);
    ck_assert_int_eq(np, want - 2 * 16 * 9);
    /* A residual block (stage 1 keeps 16 channels at stride 1) adds no
     * parameters; a second stage-4 block at e=3 adds 64->192->64. */
    ck_assert_int_eq(v->parse(v, &ctx, "mbv:d=1,1,1,2:w=16,24,40,64:"
                              "k=3,3,3,3:e=3,3,3,3", &a), NC_OK);
    ck_assert_int_eq(nc_space_cost(v, &ctx, &a, (nc_shape){ 3, 32, 32 }, 10,
                                   &np, NULL), NC_OK);
    ck_assert_int_eq(np, want + (64 * 192 + 2 * 192) + (192 * 9 + 2 * 192) +
                             (192 * 64 + 2 * 64));

    /* nb201 through the interface is the benchmark network. */
    const nc_space *nb = get("nb201");
    nb->nth(nb, 0, &a);
    nc_nb201_arch b;
    memcpy(b.op, a.g, NC_NB201_N_EDGES);
    ck_assert_int_eq(nc_space_cost(nb, &ctx, &a, (nc_shape){ 3, 32, 32 }, 10,
                                   &np, NULL), NC_OK);
    ck_assert_int_eq(np, nc_nb201_param_count(&b, 16, 5, 3, 10));
}
END_TEST

START_TEST(test_largest_trains)
{
    const nc_space *v = nc_space_mbv();
    nc_arch a;
    v->nth(v, v->size(v) - 1, &a);
    train_check(v, &a, (nc_shape){ 3, 32, 32 }, 2, 1);
    train_check(v, &a, (nc_shape){ 1, 28, 28 }, 2, 1);
}
END_TEST

/* Reports the cost ranges of both spaces (smallest and largest nets). */
START_TEST(test_cost_ranges)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *spaces[2] = { nc_space_mlp(), nc_space_mbv() };
    const nc_shape shapes[2] = { { 1, 28, 28 }, { 3, 32, 32 } };
    for (int i = 0; i < 2; i++)
        for (int s = 0; s < 2; s++) {
            const nc_space *sp = spaces[i];
            nc_arch lo, hi;
            sp->nth(sp, 0, &lo);
            sp->nth(sp, sp->size(sp) - 1, &hi);
            size_t p0, p1;
            double m0, m1;
            ck_assert_int_eq(nc_space_cost(sp, &ctx, &lo, shapes[s], 10, &p0,
                                           &m0), NC_OK);
            ck_assert_int_eq(nc_space_cost(sp, &ctx, &hi, shapes[s], 10, &p1,
                                           &m1), NC_OK);
            ck_assert(p0 < p1 && m0 < m1);
            printf("%s on %dx%dx%d: params %zu..%zu, MACs %.0f..%.0f\n",
                   sp->name, shapes[s].c, shapes[s].h, shapes[s].w, p0, p1,
                   m0, m1);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spaces");
    TCase *tc = tcase_create("spaces");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_mlp_strings);
    tcase_add_test(tc, test_mbv_strings);
    tcase_add_test(tc, test_mutate);
    tcase_add_test(tc, test_crossover);
    tcase_add_test(tc, test_sample_covers);
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_build_random);
    tcase_add_test(tc, test_build_errors);
    tcase_add_test(tc, test_param_counts);
    tcase_add_test(tc, test_largest_trains);
    tcase_add_test(tc, test_cost_ranges);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
