/*
 * test_super_mbv.c — the once-for-all mbv supernet (supernet/super_mbv.c):
 * the largest path is the stand-alone largest net, a subnet's weights are
 * the documented slices of the shared buffer (first channels, centre of the
 * kernel), backward scatters exactly the transpose of that gather and
 * matches finite differences, SPOS/sandwich training learns and is
 * deterministic, and BN recalibration stays with the subnet.
 *
 * Inputs are 1x16x16 (the space works on any size; stages end at 2x2), and
 * 1x8x8 for training, with 4 classes: every path builds a net whose
 * activations are allocated for the batch, so small inputs keep the
 * program to seconds.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/optim.h"
#include "supernet/spaces.h"
#include "supernet/supernet.h"
#include "tests/util/testutil.h"

enum {
    CLASSES = 4, SIDE = 16, SEED = 7,
    NMAX = 16,     /* batch of the supernets of tests 1-3 and 5 */
    TB = 8,        /* test 4 builds many nets: a batch of 8 samples */
    TSIDE = 8      /* of 8x8 */
};

/* Parameter-node layout of mbv nets (spaces.h): stem conv+BN, 6 per block
 * (expand conv, BN, depthwise conv, BN, project conv, BN), head conv, BN,
 * linear; the largest net has 3 blocks in every stage. */
enum { STEM = 2, PER_BLOCK = 6, MAXD = 3 };

static nc_supernet_opts opts(int side)
{
    nc_supernet_opts o = nc_supernet_defaults();
    o.in = (nc_shape){ 1, side, side };
    o.n_classes = CLASSES;
    o.n_max = NMAX;
    return o;
}

/* A supernet initialized from SEED, for batches up to n_max of side x side
 * inputs. */
static nc_supernet *make_n(nc_ctx *ctx, int threads, int n_max, int side)
{
    nc_ctx_init(ctx);
    nc_supernet_opts o = opts(side);
    o.threads = threads;
    o.n_max = n_max;
    nc_supernet *sn = NULL;
    ck_assert_msg(nc_supernet_new(ctx, nc_space_mbv(), &o, &sn) == NC_OK,
                  "%s", ctx->msg);
    nc_supernet_init(sn, SEED);
    return sn;
}

static nc_supernet *make(nc_ctx *ctx, int threads)
{
    return make_n(ctx, threads, NMAX, SIDE);
}

/* The stand-alone net of a, finalized at NMAX. */
static nc_net *standalone(nc_ctx *ctx, const nc_arch *a)
{
    const nc_space *sp = nc_space_mbv();
    nc_net *net = nc_net_new();
    ck_assert_ptr_nonnull(net);
    nc_supernet_opts o = opts(SIDE);
    int y = sp->build(sp, ctx, net, nc_net_input(ctx, net, o.in), a, CLASSES);
    ck_assert_msg(y >= 0, "%s", ctx->msg);
    ck_assert_msg(nc_net_finalize(ctx, net, y, NMAX) == NC_OK, "%s", ctx->msg);
    return net;
}

/* Ids of the nodes with parameters, in order; their count. */
static int param_nodes(const nc_net *net, int *ids, int cap)
{
    int n = 0;
    nc_net_node_info in;
    for (int i = 0; nc_net_node(net, i, &in) == NC_OK; i++)
        if (in.n_w) {
            ck_assert_int_lt(n, cap);
            ids[n++] = i;
        }
    return n;
}

static nc_net_node_info node(const nc_net *net, int id)
{
    nc_net_node_info in;
    ck_assert_int_eq(nc_net_node(net, id, &in), NC_OK);
    return in;
}

/* Samples (1 channel, so sample-major is also CNHW) whose class is which
 * quadrant is bright, plus noise. */
static void synth(nc_dataset *ds, uint64_t seed)
{
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_DATA, 0));
    int side = ds->h;
    for (int i = 0; i < ds->n; i++) {
        int c = (int)nc_rng_below(&r, CLASSES);
        ds->y[i] = c;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                int q = (y >= side / 2) * 2 + (x >= side / 2);
                ds->x[((size_t)i * side + y) * side + x] =
                    (q == c ? 1.0f : 0.0f) + 0.3f * nc_rng_normal(&r);
            }
    }
}

/* A smaller architecture with known genes: depths 2,1,3,1; widths
 * 16,32,40,96; kernels 3,5,7,3; expand 3,4,6,4. */
static nc_arch mid_arch(void)
{
    nc_arch a;
    memset(&a, 0, sizeof a);
    const uint8_t g[16] = { 1, 0, 2, 0, 0, 1, 0, 2, 0, 1, 2, 0, 0, 1, 2, 1 };
    memcpy(a.g, g, sizeof g);
    return a;
}

/* ---- 1: the largest path is the largest stand-alone net -------------------- */

START_TEST(test_largest_is_standalone)
{
    nc_ctx ctx;
    nc_supernet *sn = make(&ctx, 1);
    /* Nothing active yet. */
    ck_assert_ptr_null(nc_supernet_net(sn));
    ck_assert_int_eq(nc_supernet_forward(&ctx, sn, NULL, NULL, 1, 0, NULL),
                     NC_ERR_STATE);

    nc_arch big, small;
    nc_supernet_largest(sn, &big);
    nc_supernet_smallest(sn, &small);
    const nc_space *sp = nc_space_mbv();
    for (int i = 0; i < sp->n_genes; i++) {
        ck_assert_int_eq(big.g[i], sp->choices(sp, i) - 1);
        ck_assert_int_eq(small.g[i], 0);
    }
    nc_net *ref = standalone(&ctx, &big);
    ck_assert_uint_eq(nc_net_n_params(ref), nc_supernet_n_params(sn));
    ck_assert_uint_eq(nc_net_n_state(ref), nc_supernet_n_state(sn));
    memcpy(nc_net_params(ref), nc_supernet_params(sn),
           nc_net_n_params(ref) * sizeof(float));
    memcpy(nc_net_state(ref), nc_supernet_state(sn),
           nc_net_n_state(ref) * sizeof(float));

    nc_dataset *ds = nc_dataset_new(NMAX, 1, SIDE, SIDE, CLASSES);
    synth(ds, 1);
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &big), NC_OK);
    size_t nl = (size_t)CLASSES * NMAX;
    for (int train = 0; train < 2; train++) {
        float l1, l2;
        ck_assert_int_eq(nc_net_forward(&ctx, ref, ds->x, ds->y, NMAX, train,
                                        &l1), NC_OK);
        ck_assert_int_eq(nc_supernet_forward(&ctx, sn, ds->x, ds->y, NMAX,
                                             train, &l2), NC_OK);
        ck_assert_msg(memcmp(nc_net_logits(ref),
                             nc_net_logits(nc_supernet_net(sn)),
                             nl * sizeof(float)) == 0,
                      "train=%d: logits differ", train);
        ck_assert(l1 == l2);
    }
    /* The whole gradient lands one-to-one in the shared buffer. */
    nc_net_zero_grad(ref);
    ck_assert_int_eq(nc_net_backward(&ctx, ref), NC_OK);
    nc_supernet_zero_grad(sn);
    ck_assert_int_eq(nc_supernet_backward(&ctx, sn), NC_OK);
    ck_assert(memcmp(nc_net_grads(ref), nc_supernet_grads(sn),
                     nc_net_n_params(ref) * sizeof(float)) == 0);
    /* The training forward's running statistics reached the shared state. */
    ck_assert(memcmp(nc_net_state(ref), nc_supernet_state(sn),
                     nc_net_n_state(ref) * sizeof(float)) == 0);
    nc_dataset_free(ds);
    nc_net_free(ref);
    nc_supernet_free(sn);
}
END_TEST

/* ---- 2: a subnet's weights are the documented slices ----------------------- */

/* Fills the shared parameters and state with their own index (exact in
 * float below 2^24), so a subnet value names where it came from. */
static void fill_index(nc_supernet *sn, float add)
{
    float *p = nc_supernet_params(sn), *s = nc_supernet_state(sn);
    for (size_t i = 0; i < nc_supernet_n_params(sn); i++)
        p[i] = (float)i + add;
    for (size_t i = 0; i < nc_supernet_n_state(sn); i++)
        s[i] = (float)i + add;
}

/* Checks sub conv node s against largest conv node m: out channel o, input
 * channel i (per group), row y, column x of the subnet weight is element
 * (o, i, y + off, x + off) of the shared one, plus `add`. */
static void check_conv(const float *sub, const nc_net_node_info *s,
                       const nc_net_node_info *m, float add)
{
    ck_assert_int_eq(s->kind, NC_OP_CONV2D);
    ck_assert_int_eq(m->kind, NC_OP_CONV2D);
    int k = s->attr.k, K = m->attr.k, off = (K - k) / 2;
    int dw = s->attr.groups > 1;
    int ig = dw ? 1 : s->in_shape[0].c, ig_m = dw ? 1 : m->in_shape[0].c;
    ck_assert_uint_eq(s->n_w, (size_t)s->attr.cout * ig * k * k);
    for (int o = 0; o < s->attr.cout; o++)
        for (int i = 0; i < ig; i++)
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++) {
                    size_t js = (((size_t)o * ig + i) * k + y) * k + x;
                    size_t jm = m->w_off +
                                (((size_t)o * ig_m + i) * K + y + off) * K +
                                x + off;
                    ck_assert_msg(sub[s->w_off + js] == (float)jm + add,
                                  "conv %dx%d weight (%d,%d,%d,%d) is %.0f, "
                                  "expected %zu", k, k, o, i, y, x,
                                  (double)sub[s->w_off + js], jm);
                }
}

START_TEST(test_slices)
{
    nc_ctx ctx;
    nc_supernet *sn = make(&ctx, 1);
    nc_arch a = mid_arch(), big;
    nc_supernet_largest(sn, &big);
    nc_net *ref = standalone(&ctx, &big);   /* the shared layout */
    fill_index(sn, 0);
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &a), NC_OK);
    nc_net *sub = nc_supernet_net(sn);
    int ms[128], ss[128];
    int nm = param_nodes(ref, ms, 128), ns = param_nodes(sub, ss, 128);
    ck_assert_int_eq(nm, STEM + 4 * MAXD * PER_BLOCK + 3);
    ck_assert_int_eq(ns, STEM + (2 + 1 + 3 + 1) * PER_BLOCK + 3);

    /* Stage 1, block 0: expand 16 -> 48 of 16 -> 96 (first rows), the
     * depthwise 3x3 on 48 channels from the centre of the 7x7 on 96. */
    const float *w = nc_net_params(sub);
    nc_net_node_info e_s = node(sub, ss[STEM]), e_m = node(ref, ms[STEM]);
    ck_assert_int_eq(e_s.attr.cout, 48);
    ck_assert_int_eq(e_m.attr.cout, 96);
    check_conv(w, &e_s, &e_m, 0);
    nc_net_node_info d_s = node(sub, ss[STEM + 2]), d_m = node(ref, ms[STEM + 2]);
    ck_assert_int_eq(d_s.attr.k, 3);
    ck_assert_int_eq(d_m.attr.k, 7);
    ck_assert_int_eq(d_s.attr.groups, 48);
    check_conv(w, &d_s, &d_m, 0);
    /* Its BN: gamma, beta and running mean, var from the first channels. */
    nc_net_node_info b_s = node(sub, ss[STEM + 1]), b_m = node(ref, ms[STEM + 1]);
    const float *st = nc_net_state(sub);
    for (int c = 0; c < 48; c++) {
        ck_assert(w[b_s.w_off + (size_t)c] == (float)(b_m.w_off + (size_t)c));
        ck_assert(w[b_s.w_off + 48 + (size_t)c] ==
                  (float)(b_m.w_off + 96 + (size_t)c));
        ck_assert(st[b_s.s_off + (size_t)c] == (float)(b_m.s_off + (size_t)c));
        ck_assert(st[b_s.s_off + 48 + (size_t)c] ==
                  (float)(b_m.s_off + 96 + (size_t)c));
    }
    /* Stage 3, block 1 is block 1 of stage 3 in the largest net (not the
     * subnet's 5th block overall): expand 40 -> 240 of 64 -> 384. */
    int bs = STEM + (2 + 1 + 1) * PER_BLOCK, bm = STEM + (2 * MAXD + 1) * PER_BLOCK;
    nc_net_node_info x_s = node(sub, ss[bs]), x_m = node(ref, ms[bm]);
    ck_assert_int_eq(x_s.in_shape[0].c, 40);
    ck_assert_int_eq(x_m.in_shape[0].c, 64);
    ck_assert_int_eq(x_s.attr.cout, 240);
    check_conv(w, &x_s, &x_m, 0);
    /* Stage 2's kernel 5 from the 7x7. */
    nc_net_node_info k_s = node(sub, ss[STEM + 2 * PER_BLOCK + 2]);
    nc_net_node_info k_m = node(ref, ms[STEM + MAXD * PER_BLOCK + 2]);
    ck_assert_int_eq(k_s.attr.k, 5);
    check_conv(w, &k_s, &k_m, 0);

    /* A cache hit gathers again: after the shared weights change, the same
     * net (not rebuilt) sees the new values. */
    nc_arch other = mid_arch();
    other.g[8] = 2;
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &other), NC_OK);
    ck_assert_ptr_ne(nc_supernet_net(sn), sub);
    fill_index(sn, 1);
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &a), NC_OK);
    ck_assert_ptr_eq(nc_supernet_net(sn), sub);
    check_conv(nc_net_params(sub), &d_s, &d_m, 1);
    ck_assert(nc_net_state(sub)[b_s.s_off] == (float)b_m.s_off + 1);

    /* Six more architectures evict it; activating it again still gives
     * the right slices. */
    nc_rng r = nc_rng_make(SEED, NC_STREAM(NC_PURPOSE_TEST, 1));
    for (int i = 0; i < 6; i++) {
        nc_arch z;
        nc_space_mbv()->sample(nc_space_mbv(), &r, &z);
        ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &z), NC_OK);
    }
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &a), NC_OK);
    check_conv(nc_net_params(nc_supernet_net(sn)), &d_s, &d_m, 1);
    nc_net_free(ref);
    nc_supernet_free(sn);
}
END_TEST

/* ---- 3: gradient scatter --------------------------------------------------- */

static float loss_at(nc_ctx *ctx, nc_supernet *sn, const nc_arch *a,
                     const nc_dataset *ds, int n)
{
    float l = 0;
    ck_assert_int_eq(nc_supernet_set_arch(ctx, sn, a), NC_OK);
    ck_assert_int_eq(nc_supernet_forward(ctx, sn, ds->x, ds->y, n, 1, &l),
                     NC_OK);
    return l;
}

START_TEST(test_grad_scatter)
{
    nc_ctx ctx;
    nc_supernet *sn = make(&ctx, 1);
    nc_arch a = mid_arch();
    size_t np = nc_supernet_n_params(sn);
    float *p = nc_supernet_params(sn), *g = nc_supernet_grads(sn);

    /* Where each subnet parameter comes from, read off a gather of
     * index-valued weights; then the real weights again (init gathers into
     * the active subnet). */
    fill_index(sn, 0);
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &a), NC_OK);
    nc_net *sub = nc_supernet_net(sn);
    size_t ns = nc_net_n_params(sub);
    size_t *from = malloc(ns * sizeof *from);
    unsigned char *hit = calloc(np, 1);
    for (size_t j = 0; j < ns; j++) {
        from[j] = (size_t)nc_net_params(sub)[j];
        ck_assert_uint_lt(from[j], np);
        ck_assert_msg(!hit[from[j]], "shared %zu used twice", from[j]);
        hit[from[j]] = 1;
    }
    nc_supernet_init(sn, SEED);
    ck_assert(nc_net_params(sub)[0] == p[from[0]]);

    int n = 4;
    nc_dataset *ds = nc_dataset_new(n, 1, SIDE, SIDE, CLASSES);
    synth(ds, 2);
    nc_supernet_zero_grad(sn);
    loss_at(&ctx, sn, &a, ds, n);
    ck_assert_int_eq(nc_supernet_backward(&ctx, sn), NC_OK);
    /* Exactly the transpose of the gather: each subnet gradient at its
     * source, zero everywhere else. */
    const float *gs = nc_net_grads(sub);
    for (size_t j = 0; j < ns; j++)
        ck_assert(g[from[j]] == gs[j]);
    size_t nonzero = 0;
    for (size_t i = 0; i < np; i++) {
        if (!hit[i])
            ck_assert_msg(g[i] == 0.0f, "shared %zu outside the slice has "
                          "gradient %g", i, (double)g[i]);
        nonzero += g[i] != 0.0f;
    }
    ck_assert_uint_gt(nonzero, ns / 2);
    /* A second backward adds. */
    float g0 = g[from[0]];
    ck_assert_int_eq(nc_supernet_backward(&ctx, sn), NC_OK);
    ck_assert(g[from[0]] == 2 * g0);
    for (size_t i = 0; i < np; i++)
        g[i] *= 0.5f;

    /* Finite differences on the shared parameter with the largest gradient
     * in a few subnet nodes: the depthwise 3x3 of stage 1, an expand conv,
     * a BN gamma and the classifier. */
    int ids[128];
    int nn = param_nodes(sub, ids, 128);
    int pick[4] = { STEM + 2, STEM + 2 * PER_BLOCK, STEM + 3, nn - 1 };
    for (int t = 0; t < 4; t++) {
        nc_net_node_info in = node(sub, ids[pick[t]]);
        size_t best = in.w_off;
        for (size_t j = in.w_off; j < in.w_off + in.n_w; j++)
            if (fabsf(gs[j]) > fabsf(gs[best]))
                best = j;
        size_t i = from[best];
        double want = g[i], eps = 1e-3;
        float keep = p[i];
        p[i] = keep + (float)eps;
        double lp = loss_at(&ctx, sn, &a, ds, n);
        p[i] = keep - (float)eps;
        double lm = loss_at(&ctx, sn, &a, ds, n);
        p[i] = keep;
        double fd = (lp - lm) / (2 * eps);
        ck_assert_msg(fabs(want) > 1e-4, "node %d: gradient %g too small to "
                      "check", pick[t], want);
        ck_assert_msg(fabs(fd - want) <= 0.05 * fabs(want) + 2e-3,
                      "node %d, shared %zu: backward %g, finite "
                      "difference %g", pick[t], i, want, fd);
    }
    free(from);
    free(hit);
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}
END_TEST

/* ---- 4: training ------------------------------------------------------------ */

/* Mean training-mode loss of the largest and the smallest path on the TB
 * samples of ds. */
static double probe(nc_ctx *ctx, nc_supernet *sn, const nc_dataset *ds)
{
    nc_arch a[2];
    nc_supernet_largest(sn, &a[0]);
    nc_supernet_smallest(sn, &a[1]);
    double s = 0;
    for (int i = 0; i < 2; i++)
        s += loss_at(ctx, sn, &a[i], ds, TB);
    return s / 2;
}

/* steps of rule, all on the one batch of TB samples of ds (a handful of
 * steps lowers its loss clearly, where fresh batches would hide that in
 * noise), on `threads` threads; returns the final parameters (malloc'd,
 * *np floats) and the probe loss before and after. */
static float *train(nc_super_rule rule, int threads, int steps, float lr,
                    const nc_dataset *ds, size_t *np, double *before,
                    double *after)
{
    nc_ctx ctx;
    nc_supernet *sn = make_n(&ctx, threads, TB, ds->h);
    nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f };
    nc_optim *opt = nc_optim_new(&oc, nc_supernet_n_params(sn));
    ck_assert_ptr_nonnull(opt);
    *before = probe(&ctx, sn, ds);
    float *x = malloc((size_t)TB * ds->h * ds->w * sizeof *x);
    int32_t y[TB];
    uint32_t idx[TB];
    for (int j = 0; j < TB; j++)
        idx[j] = (uint32_t)j;
    nc_batch_fill(ds, idx, TB, NULL, NULL, x, y);
    for (int s = 0; s < steps; s++) {
        nc_rng r = nc_rng_make(SEED, NC_STREAM(NC_PURPOSE_SAMPLE, s));
        float l;
        ck_assert_msg(nc_supernet_train_step(&ctx, sn, rule, &r, x, y, TB,
                                             &l) == NC_OK, "%s", ctx.msg);
        ck_assert(isfinite(l));
        nc_optim_step_pool(opt, nc_supernet_pool(sn), nc_supernet_params(sn),
                           nc_supernet_grads(sn), lr);
    }
    *after = probe(&ctx, sn, ds);
    *np = nc_supernet_n_params(sn);
    float *out = malloc(*np * sizeof *out);
    memcpy(out, nc_supernet_params(sn), *np * sizeof *out);
    free(x);
    nc_optim_free(opt);
    nc_supernet_free(sn);
    return out;
}

START_TEST(test_train)
{
    nc_dataset *ds = nc_dataset_new(TB, 1, TSIDE, TSIDE, CLASSES);
    synth(ds, 3);
    size_t np = 0;
    const nc_super_rule rules[2] = { NC_SUPER_SPOS, NC_SUPER_SANDWICH };
    const int steps[2] = { 8, 4 };
    /* The sandwich sums the gradients of 4 paths. */
    const float lrs[2] = { 0.05f, 0.0125f };
    for (int k = 0; k < 2; k++) {
        double b1, a1, b2, a2;
        float *p1 = train(rules[k], 2, steps[k], lrs[k], ds, &np, &b1, &a1);
        float *p2 = train(rules[k], 2, steps[k], lrs[k], ds, &np, &b2, &a2);
        printf("super_mbv %s: probe loss %.4f -> %.4f\n",
               k ? "sandwich" : "spos", b1, a1);
        ck_assert_msg(a1 < b1 - 0.2, "rule %d: loss %g -> %g", k, b1, a1);
        ck_assert(memcmp(p1, p2, np * sizeof *p1) == 0);
        ck_assert(b1 == b2 && a1 == a2);
        free(p1);
        free(p2);
    }
    nc_dataset_free(ds);
}
END_TEST

/* ---- 5: recalibration and evaluation --------------------------------------- */

START_TEST(test_recalibrate_evaluate)
{
    nc_ctx ctx;
    nc_supernet *sn = make(&ctx, 1);
    nc_dataset *ds = nc_dataset_new(40, 1, SIDE, SIDE, CLASSES);
    synth(ds, 4);
    nc_arch a = mid_arch();
    ck_assert_int_eq(nc_supernet_set_arch(&ctx, sn, &a), NC_OK);
    size_t nst = nc_supernet_n_state(sn);
    float *keep = malloc(nst * sizeof *keep);
    memcpy(keep, nc_supernet_state(sn), nst * sizeof *keep);

    float *x = malloc((size_t)NMAX * SIDE * SIDE * sizeof *x);
    int32_t y[NMAX];
    uint32_t idx[32];
    for (int i = 0; i < 32; i++)
        idx[i] = (uint32_t)i;
    ck_assert_msg(nc_supernet_recalibrate(&ctx, sn, ds, idx, 32, 8, x, y) ==
                  NC_OK, "%s", ctx.msg);
    /* The subnet has its own statistics (the stem BN's mean is the input's,
     * not the initial 0); the shared state is untouched. */
    nc_net *net = nc_supernet_net(sn);
    int ids[128];
    param_nodes(net, ids, 128);
    nc_net_node_info bn = node(net, ids[1]);
    ck_assert_int_eq(bn.kind, NC_OP_BATCHNORM);
    ck_assert(nc_net_state(net)[bn.s_off] != 0.0f);
    ck_assert(memcmp(keep, nc_supernet_state(sn), nst * sizeof *keep) == 0);

    double acc = -1, loss = -1;
    ck_assert_msg(nc_supernet_evaluate(&ctx, sn, ds, 8, x, y, &acc, &loss) ==
                  NC_OK, "%s", ctx.msg);
    ck_assert(acc >= 0 && acc <= 1);
    ck_assert(isfinite(loss) && loss > 0);
    /* Evaluation does not move the statistics either. */
    ck_assert(memcmp(keep, nc_supernet_state(sn), nst * sizeof *keep) == 0);
    free(keep);
    free(x);
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("super_mbv");
    TCase *tc = tcase_create("super_mbv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_largest_is_standalone);
    tcase_add_test(tc, test_slices);
    tcase_add_test(tc, test_grad_scatter);
    tcase_add_test(tc, test_train);
    tcase_add_test(tc, test_recalibrate_evaluate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
