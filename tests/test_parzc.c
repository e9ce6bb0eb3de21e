/* The parametric zero-cost proxy (predictors/parzc.h) and the per-slot
 * synflow it learns from (nc_proxy_synflow_tags, proxy.h; the NB201 slot
 * tags of supernet/nb201.c): slot assignment, per-slot sums against the
 * plain score, the objective's gradient by finite differences, recovery of
 * a planted weighting, determinism, and bad input. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/rng.h"
#include "predictors/parzc.h"
#include "predictors/proxy.h"
#include "predictors/rank.h"
#include "supernet/nb201.h"

enum { SLOTS = NC_NB201_SLOTS };

static const char *const ALL_CONV3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
    "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
static const char *const NO_WEIGHTS =
    "|skip_connect~0|+|avg_pool_3x3~0|none~1|+"
    "|skip_connect~0|avg_pool_3x3~1|skip_connect~2|";
static const char *const MIXED =
    "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+"
    "|none~0|avg_pool_3x3~1|nor_conv_3x3~2|";
static const char *const ALL_NONE =
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

static nc_net *nb201_net(nc_ctx *ctx, const char *arch, int C, int N, int hw)
{
    nc_nb201_arch a;
    ck_assert_msg(nc_nb201_parse(ctx, arch, &a) == NC_OK, "%s", ctx->msg);
    nc_net *net = nc_net_new();
    int x = nc_net_input(ctx, net, (nc_shape){ 3, hw, hw });
    int y = nc_nb201_build(ctx, net, x, &a, C, N, 10);
    ck_assert_msg(y >= 0 && nc_net_finalize(ctx, net, y, 1) == NC_OK, "%s",
                  ctx->msg);
    return net;
}

/* Weight nodes (conv2d, linear) per tag; -1 counted in cnt[SLOTS]. */
static void weight_nodes_per_tag(const nc_net *net, int cnt[SLOTS + 1])
{
    memset(cnt, 0, sizeof(int) * (SLOTS + 1));
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info in;
        ck_assert_int_eq(nc_net_node(net, i, &in), NC_OK);
        if (in.kind != NC_OP_CONV2D && in.kind != NC_OP_LINEAR)
            continue;
        ck_assert_msg(in.tag >= -1 && in.tag < SLOTS, "node %d tag %d", i,
                      in.tag);
        cnt[in.tag < 0 ? SLOTS : in.tag]++;
        if (in.kind == NC_OP_LINEAR)
            ck_assert_int_eq(in.tag, NC_NB201_SLOT_HEAD);
    }
}

/* The builder's tags are the slots proxy.h names: one stem conv, three
 * convs per reduction, the classifier, and per edge slot one conv per cell
 * of the stage where the edge is a conv, none elsewhere. */
START_TEST(slots_name_fixed_positions)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    int cnt[SLOTS + 1];
    for (int N = 1; N <= 2; N++) {
        nc_net *net = nb201_net(&ctx, ALL_CONV3, 4, N, 8);
        weight_nodes_per_tag(net, cnt);
        ck_assert_int_eq(cnt[NC_NB201_SLOT_STEM], 1);
        ck_assert_int_eq(cnt[NC_NB201_SLOT_RED1], 3);
        ck_assert_int_eq(cnt[NC_NB201_SLOT_RED2], 3);
        ck_assert_int_eq(cnt[NC_NB201_SLOT_HEAD], 1);
        ck_assert_int_eq(cnt[SLOTS], 0);
        for (int t = NC_NB201_SLOT_EDGE0; t < NC_NB201_SLOT_EDGE0 + 18; t++)
            ck_assert_int_eq(cnt[t], N);
        nc_net_free(net);
    }
    /* MIXED: edges 0 (1x1), 2 (3x3) and 5 (3x3) carry weights. */
    nc_net *net = nb201_net(&ctx, MIXED, 4, 1, 8);
    weight_nodes_per_tag(net, cnt);
    for (int s = 0; s < 3; s++)
        for (int e = 0; e < NC_NB201_N_EDGES; e++)
            ck_assert_int_eq(cnt[NC_NB201_SLOT_EDGE0 + 6 * s + e],
                             e == 0 || e == 2 || e == 5);
    /* The stage-1 edge-2 conv has 2C = 8 output channels, 3x3. */
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info in;
        nc_net_node(net, i, &in);
        if (in.tag == NC_NB201_SLOT_EDGE0 + 6 + 2 && in.kind == NC_OP_CONV2D)
            ck_assert(in.attr.cout == 8 && in.attr.k == 3);
        if (in.tag == NC_NB201_SLOT_EDGE0 + 12 + 0 && in.kind == NC_OP_CONV2D)
            ck_assert(in.attr.cout == 16 && in.attr.k == 1);
    }
    nc_net_free(net);
    /* Tags on a bare net: -1 until set; out of range refused. */
    net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 1, 1, 1 });
    nc_net_node_info in;
    nc_net_node(net, x, &in);
    ck_assert_int_eq(in.tag, -1);
    ck_assert_int_eq(nc_net_set_tag(net, x, 7), NC_OK);
    nc_net_node(net, x, &in);
    ck_assert_int_eq(in.tag, 7);
    ck_assert_int_eq(nc_net_set_tag(net, 1, 0), NC_ERR_RANGE);
    ck_assert_int_eq(nc_net_set_tag(net, -1, 0), NC_ERR_RANGE);
    nc_net_free(net);
}
END_TEST

/* Per-slot synflow sums to the plain score, whose value and flags it
 * reproduces bit for bit; slots without weights are 0; parameters are
 * restored; a degenerate net gives -inf and zero slots. */
START_TEST(slot_sums_equal_plain_synflow)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const char *archs[] = { ALL_CONV3, MIXED, NO_WEIGHTS };
    for (int k = 0; k < 3; k++)
        for (int N = 1; N <= 2; N++) {
            nc_net *net = nb201_net(&ctx, archs[k], 4, N, 8);
            nc_net_init_params(net, 9);
            size_t np = nc_net_n_params(net);
            float *keep = malloc(np * sizeof *keep);
            memcpy(keep, nc_net_params(net), np * sizeof *keep);
            nc_proxy_result plain, split;
            double s[SLOTS];
            ck_assert_int_eq(nc_proxy_score(&ctx, "synflow", net, NULL, 3, &plain),
                             NC_OK);
            ck_assert_msg(nc_proxy_synflow_tags(&ctx, net, 3, SLOTS, s, &split)
                          == NC_OK, "%s", ctx.msg);
            ck_assert(memcmp(&plain.raw, &split.raw, sizeof plain.raw) == 0);
            ck_assert(memcmp(&plain.score, &split.score, sizeof plain.score) == 0);
            ck_assert_uint_eq(plain.flags, split.flags);
            ck_assert(memcmp(keep, nc_net_params(net), np * sizeof *keep) == 0);
            double sum = 0;
            for (int t = 0; t < SLOTS; t++) {
                ck_assert(s[t] >= 0 && isfinite(s[t]));
                sum += s[t];
            }
            ck_assert_msg(fabs(sum - plain.raw) <= 1e-12 * plain.raw,
                          "%s N=%d: slots sum to %.17g, synflow %.17g",
                          archs[k], N, sum, plain.raw);
            ck_assert(s[NC_NB201_SLOT_STEM] > 0);
            ck_assert(s[NC_NB201_SLOT_HEAD] > 0);
            ck_assert(s[NC_NB201_SLOT_RED1] > 0);
            if (k == 2)
                for (int t = 1; t <= 18; t++)
                    ck_assert(s[t] == 0);
            if (k == 1) /* MIXED edge 1 is skip, edge 4 avg_pool */
                ck_assert(s[2] == 0 && s[5] == 0 && s[1] > 0 && s[6] > 0);
            free(keep);
            nc_net_free(net);
        }
    /* The full benchmark network: R ~ 1e48 overflows float without the
     * scaling; the split must survive it the same way. */
    nc_net *big = nb201_net(&ctx, ALL_CONV3, 16, 5, 32);
    nc_proxy_result r;
    double s[SLOTS], sum = 0;
    ck_assert_int_eq(nc_proxy_synflow_tags(&ctx, big, 1, SLOTS, s, &r), NC_OK);
    for (int t = 0; t < SLOTS; t++)
        sum += s[t];
    ck_assert_msg(isfinite(r.raw) && r.raw > 1e38, "%g", r.raw);
    ck_assert(fabs(sum - r.raw) <= 1e-12 * r.raw);
    nc_net_free(big);
    /* Degenerate. */
    nc_net *none = nb201_net(&ctx, ALL_NONE, 4, 1, 8);
    ck_assert_int_eq(nc_proxy_synflow_tags(&ctx, none, 1, SLOTS, s, &r), NC_OK);
    ck_assert(isinf(r.score) && r.score < 0 && (r.flags & NC_PROXY_DEGENERATE));
    for (int t = 0; t < SLOTS; t++)
        ck_assert(s[t] == 0);
    /* Errors. */
    ck_assert_int_eq(nc_proxy_synflow_tags(&ctx, none, 1, 0, s, &r), NC_ERR_INVAL);
    ck_assert_int_eq(nc_proxy_synflow_tags(&ctx, none, 1, SLOTS, NULL, &r),
                     NC_ERR_INVAL);
    nc_net_free(none);
    nc_net *open = nc_net_new();
    nc_net_input(&ctx, open, (nc_shape){ 2, 1, 1 });
    ck_assert_int_eq(nc_proxy_synflow_tags(&ctx, open, 1, SLOTS, s, &r),
                     NC_ERR_STATE);
    nc_net_free(open);
}
END_TEST

/* n rows of d log-normal statistics (spread e^2), with `zeros` slots per
 * row set to 0 in a fixed pattern (as none/skip edges do), from seed. */
static double *rows(int n, int d, int zeros, uint64_t seed)
{
    double *s = malloc(sizeof *s * (size_t)n * (size_t)d);
    nc_rng r = nc_rng_make(seed, 1);
    for (int i = 0; i < n; i++)
        for (int l = 0; l < d; l++) {
            double v = exp(2.0 * nc_rng_normal(&r) + 10);
            s[i * d + l] = ((i + l) % d) < zeros ? 0 : v;
        }
    return s;
}

static nc_parzc *model(int d, nc_parzc_form form, double l2)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_parzc_opts o = nc_parzc_defaults();
    o.form = form;
    o.l2 = l2;
    nc_parzc *m = NULL;
    ck_assert_int_eq(nc_parzc_new(&ctx, d, &o, &m), NC_OK);
    return m;
}

/* dJ/dw against central differences, both forms, at w = 0 and elsewhere,
 * with ties in y, zero slots and a degenerate row in the data. */
START_TEST(objective_gradient_matches_finite_differences)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { n = 40, d = 5 };
    double *s = rows(n, d, 1, 4), y[n], w[d], g[d];
    for (int l = 0; l < d; l++)
        s[7 * d + l] = 0;                  /* degenerate row */
    nc_rng r = nc_rng_make(5, 2);
    for (int i = 0; i < n; i++)
        y[i] = floor(4 * nc_rng_uniform(&r));   /* many ties */
    for (int form = 0; form < 3; form++)
        for (int at = 0; at < 2; at++) {
            nc_parzc *m = model(d, (nc_parzc_form)form, 0.01);
            for (int l = 0; l < d; l++)
                w[l] = at ? 0.7 * nc_rng_normal(&r) : 0;
            double J;
            ck_assert_int_eq(nc_parzc_objective(&ctx, m, s, n, d, y, w, &J, g),
                             NC_OK);
            ck_assert(isfinite(J) && fabs(J) <= 1.5);
            for (int l = 0; l < d; l++) {
                double h = 1e-5, wp[d], jp, jm;
                memcpy(wp, w, sizeof wp);
                wp[l] = w[l] + h;
                nc_parzc_objective(&ctx, m, s, n, d, y, wp, &jp, NULL);
                wp[l] = w[l] - h;
                nc_parzc_objective(&ctx, m, s, n, d, y, wp, &jm, NULL);
                double fd = (jp - jm) / (2 * h);
                ck_assert_msg(fabs(fd - g[l]) <= 1e-6 + 1e-5 * fabs(fd),
                              "form %d at %d slot %d: grad %.10g, fd %.10g",
                              form, at, l, g[l], fd);
            }
            nc_parzc_free(m);
        }
    free(s);
}
END_TEST

/* y[0..n+nt) = the form's score of rows s at weights w, written out here
 * independently of parzc.c; SHARE's scale is the spread of log sum s over
 * the first n rows (those a fit sees). */
static void planted(const double *s, int n, int nt, int d, const double *w,
                    nc_parzc_form form, double *y)
{
    double mean = 0, var = 0, sigma;
    for (int i = 0; i < n + nt; i++) {
        double t = 0;
        for (int l = 0; l < d; l++)
            t += s[i * d + l];
        y[i] = log(t);
    }
    for (int i = 0; i < n; i++)
        mean += y[i] / n;
    for (int i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean);
    sigma = sqrt(var / (n - 1));
    /* LOGSHARE's per-slot mean and sd of log(share + 1e-4), first n rows. */
    double mu[16] = { 0 }, sd[16];
    for (int l = 0; l < d; l++) {
        double v = 0;
        for (int i = 0; i < n; i++)
            mu[l] += log(s[i * d + l] / exp(y[i]) + 1e-4) / n;
        for (int i = 0; i < n; i++) {
            double e = log(s[i * d + l] / exp(y[i]) + 1e-4) - mu[l];
            v += e * e;
        }
        sd[l] = sqrt(v / (n - 1));
    }
    for (int i = 0; i < n + nt; i++) {
        double t = exp(y[i]), a = 0;
        for (int l = 0; l < d; l++)
            a += form == NC_PARZC_LSE     ? exp(w[l]) * s[i * d + l]
                 : form == NC_PARZC_SHARE ? w[l] * s[i * d + l] / t
                 : w[l] * (log(s[i * d + l] / t + 1e-4) - mu[l]) / sd[l];
        y[i] = form == NC_PARZC_LSE ? log(a) : y[i] + sigma * a;
    }
}

/* Planted weighting: the truth is the LSE proxy with weights w*, so the
 * plain proxy (w = 0) ranks it only roughly; a working fit must recover
 * w* (up to the constant LSE cannot see) and rank unseen rows almost
 * perfectly. A fit that does not move, or moves the wrong way, fails. */
START_TEST(fit_recovers_a_planted_weighting)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { n = 150, nt = 500, d = 6 };
    static const double wstar[d] = { 2.5, -2.5, 0, 1.5, -1.5, 0.5 };
    for (int form = 0; form < 3; form++) {
        double *s = rows(n + nt, d, 0, 11 + form);
        double *y = malloc(sizeof *y * (n + nt));
        double *pred = malloc(sizeof *pred * nt), *plain = malloc(sizeof *plain * nt);
        planted(s, n, nt, d, wstar, (nc_parzc_form)form, y);
        nc_parzc *m = model(d, (nc_parzc_form)form, 1e-3);
        ck_assert_int_eq(nc_parzc_score(&ctx, m, s + n * d, nt, d, plain), NC_OK);
        ck_assert_msg(nc_parzc_fit(&ctx, m, s, n, d, y) == NC_OK, "%s", ctx.msg);
        ck_assert_int_eq(nc_parzc_score(&ctx, m, s + n * d, nt, d, pred), NC_OK);
        double tau_plain, tau_fit;
        nc_rank_kendall(&ctx, y + n, plain, nt, &tau_plain);
        nc_rank_kendall(&ctx, y + n, pred, nt, &tau_fit);
        ck_assert_msg(tau_plain < 0.75, "form %d: plain tau %.3f; the planted "
                      "weighting is too easy", form, tau_plain);
        ck_assert_msg(tau_fit > 0.9, "form %d: fitted tau %.3f (plain %.3f)",
                      form, tau_fit, tau_plain);
        /* The weights, centred for LSE (a constant shift is invisible),
         * point the way of w*. */
        const double *w = nc_parzc_weights(m);
        double mw = 0, ms = 0, dot = 0, nw = 0, ns = 0;
        for (int l = 0; l < d; l++)
            mw += w[l] / d, ms += wstar[l] / d;
        if (form != NC_PARZC_LSE)
            mw = ms = 0;
        for (int l = 0; l < d; l++) {
            dot += (w[l] - mw) * (wstar[l] - ms);
            nw += (w[l] - mw) * (w[l] - mw);
            ns += (wstar[l] - ms) * (wstar[l] - ms);
        }
        ck_assert_msg(dot / sqrt(nw * ns) > 0.9, "form %d: cosine(w, w*) = %.3f",
                      form, dot / sqrt(nw * ns));
        nc_parzc_free(m);
        free(s), free(y), free(pred), free(plain);
    }
}
END_TEST

/* Refits are bit-identical, whether on a fresh model or after another
 * fit; an unfitted model scores the plain log-proxy; degenerate rows score
 * -inf before and after fitting. */
START_TEST(fit_is_deterministic)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    enum { n = 60, d = 8 };
    double *s = rows(n, d, 2, 21), y[n], f[n], w1[d];
    nc_rng r = nc_rng_make(6, 2);
    for (int i = 0; i < n; i++)
        y[i] = nc_rng_uniform(&r);
    for (int l = 0; l < d; l++)
        s[3 * d + l] = 0;
    nc_parzc *a = model(d, NC_PARZC_LSE, 1e-3), *b = model(d, NC_PARZC_LSE, 1e-3);
    ck_assert_int_eq(nc_parzc_score(&ctx, a, s, n, d, f), NC_OK);
    for (int i = 0; i < n; i++) {
        double t = 0;
        for (int l = 0; l < d; l++)
            t += s[i * d + l];
        if (i == 3)
            ck_assert(isinf(f[i]) && f[i] < 0);
        else
            ck_assert(fabs(f[i] - log(t)) <= 1e-12 * fabs(log(t)));
    }
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s, n, d, y), NC_OK);
    memcpy(w1, nc_parzc_weights(a), sizeof w1);
    ck_assert_int_eq(nc_parzc_fit(&ctx, b, s, n, d, y), NC_OK);
    ck_assert(memcmp(w1, nc_parzc_weights(b), sizeof w1) == 0);
    double *s2 = rows(n, d, 0, 22);
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s2, n, d, y), NC_OK);
    ck_assert(memcmp(w1, nc_parzc_weights(a), sizeof w1) != 0);
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s, n, d, y), NC_OK);
    ck_assert(memcmp(w1, nc_parzc_weights(a), sizeof w1) == 0);
    int moved = 0;
    for (int l = 0; l < d; l++)
        moved |= w1[l] != 0;
    ck_assert(moved);
    ck_assert_int_eq(nc_parzc_score(&ctx, a, s, n, d, f), NC_OK);
    ck_assert(isinf(f[3]) && f[3] < 0);
    nc_parzc_free(a);
    nc_parzc_free(b);
    /* LOGSHARE keeps the fit's standardization: a refit on other rows and
     * back scores bit for bit as before. */
    double f1[n], f2[n];
    a = model(d, NC_PARZC_LOGSHARE, 1e-3);
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s, n, d, y), NC_OK);
    ck_assert_int_eq(nc_parzc_score(&ctx, a, s, n, d, f1), NC_OK);
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s2, n, d, y), NC_OK);
    ck_assert_int_eq(nc_parzc_fit(&ctx, a, s, n, d, y), NC_OK);
    ck_assert_int_eq(nc_parzc_score(&ctx, a, s, n, d, f2), NC_OK);
    ck_assert(memcmp(f1, f2, sizeof f1) == 0);
    nc_parzc_free(a);
    free(s), free(s2);
}
END_TEST

START_TEST(bad_input)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_parzc_free(NULL);
    nc_parzc *m = NULL;
    ck_assert_int_eq(nc_parzc_new(&ctx, 0, NULL, &m), NC_ERR_INVAL);
    ck_assert_ptr_null(m);
    nc_parzc_opts o = nc_parzc_defaults();
    o.temp = 0;
    ck_assert_int_eq(nc_parzc_new(&ctx, 3, &o, &m), NC_ERR_INVAL);
    o = nc_parzc_defaults();
    o.lr = NAN;
    ck_assert_int_eq(nc_parzc_new(&ctx, 3, &o, &m), NC_ERR_INVAL);
    o = nc_parzc_defaults();
    o.form = (nc_parzc_form)7;
    ck_assert_int_eq(nc_parzc_new(&ctx, 3, &o, &m), NC_ERR_INVAL);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(nc_parzc_new(&ctx, 3, NULL, &m), NC_OK);
    double s[4 * 3] = { 1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 8, 9 };
    double y[4] = { 1, 2, 3, 4 }, f[4];
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 2, y), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "statistics"));
    ck_assert_int_eq(nc_parzc_score(&ctx, m, s, 4, 4, f), NC_ERR_INVAL);
    s[4] = NAN;
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 3, y), NC_ERR_NUMERIC);
    ck_assert_int_eq(nc_parzc_score(&ctx, m, s, 4, 3, f), NC_ERR_NUMERIC);
    s[4] = -1;
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 3, y), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "negative"));
    s[4] = 5;
    y[2] = INFINITY;
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 3, y), NC_ERR_NUMERIC);
    y[2] = 3;
    /* One non-degenerate row among two: too few to rank. */
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s + 3, 2, 3, y), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "at least 2"));
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 3, NULL), NC_ERR_INVAL);
    /* Failed fits left w = 0; a good one works. */
    for (int l = 0; l < 3; l++)
        ck_assert(nc_parzc_weights(m)[l] == 0);
    ck_assert_int_eq(nc_parzc_fit(&ctx, m, s, 4, 3, y), NC_OK);
    ck_assert_int_eq(nc_parzc_score(&ctx, m, s, 4, 3, f), NC_OK);
    ck_assert(isinf(f[2]) && f[2] < 0);
    double J, w[3] = { 0 };
    ck_assert_int_eq(nc_parzc_objective(&ctx, m, s, 4, 3, y, NULL, &J, NULL),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_parzc_objective(&ctx, m, s, 4, 3, y, w, &J, NULL), NC_OK);
    nc_parzc_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parzc");
    TCase *tc = tcase_create("parzc");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slots_name_fixed_positions);
    tcase_add_test(tc, slot_sums_equal_plain_synflow);
    tcase_add_test(tc, objective_gradient_matches_finite_differences);
    tcase_add_test(tc, fit_recovers_a_planted_weighting);
    tcase_add_test(tc, fit_is_deterministic);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
