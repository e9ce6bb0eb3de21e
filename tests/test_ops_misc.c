/*
 * test_ops_misc.c — the parameter-light ops: input, batchnorm, relu,
 * identity, zero, flatten, gap, sum, maxpool, avgpool, softmax_xent.
 *
 * Every op with a gradient is checked against finite differences; forward
 * values are compared with direct-loop references written independently of
 * the kernels (BN's running statistics against PyTorch's formula, pooling
 * against a per-window loop); shape errors must give NC_ERR_INVAL.
 *
 * Threads: every op splits its work so that each output element is computed
 * by one thread exactly as single-threaded, so forward and backward with a
 * 2- and 3-thread pool must match 1 thread bit for bit (tensors are made
 * large enough for the ops to actually use the pool).
 */
#include "core/gradcheck.h"
#include "core/op.h"
#include "core/ops/par.h"
#include "core/pool.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a tiny harness: one op call with buffers sized from its row ------- */

typedef struct trun {
    const nc_op_def *d;
    nc_attr a;
    nc_exec e;
    size_t nx[NC_MAX_IN], ny, nw, ns, nsave, nwork;
    float *x[NC_MAX_IN], *dx[NC_MAX_IN];
    float *y, *dy, *w, *dw, *state, *save, *work;
    int32_t *labels;
} trun;

static float *zalloc(size_t n)
{
    float *p = calloc(n + 1, sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Sets up op k on inputs of the given shapes (contents filled by the test
 * through r->x), with zeroed gradients and parameters/state from init. */
static void trun_init(trun *r, nc_op_kind k, const nc_attr *a, int n_in,
                      const nc_shape *in, int n, int train)
{
    memset(r, 0, sizeof *r);
    r->d = nc_op_get(k);
    ck_assert_ptr_nonnull(r->d);
    r->a = a ? *a : (nc_attr){ 0 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_shape out;
    ck_assert_msg(r->d->shape(&ctx, &r->a, n_in, in, &out) == NC_OK, "%s", ctx.msg);
    r->ny = (size_t)n * nc_shape_size(out);
    r->nw = r->d->n_params ? r->d->n_params(&r->a, in) : 0;
    r->ns = r->d->n_state ? r->d->n_state(&r->a, in) : 0;
    size_t nsave = r->d->n_save ? r->d->n_save(&r->a, in, out, n) : 0;
    size_t nwork = r->d->n_work ? r->d->n_work(&r->a, in, out, n) : 0;
    r->nsave = nsave;
    r->nwork = nwork;
    for (int i = 0; i < n_in; i++) {
        r->nx[i] = (size_t)n * nc_shape_size(in[i]);
        r->x[i] = zalloc(r->nx[i]);
        r->dx[i] = zalloc(r->nx[i]);
        r->e.in[i] = in[i];
        r->e.x[i] = r->x[i];
        r->e.dx[i] = r->dx[i];
    }
    r->y = zalloc(r->ny);
    r->dy = zalloc(r->ny);
    r->w = zalloc(r->nw);
    r->dw = zalloc(r->nw);
    r->state = zalloc(r->ns);
    r->save = zalloc(nsave);
    r->work = zalloc(nwork);
    r->labels = calloc((size_t)n, sizeof(int32_t));
    ck_assert_ptr_nonnull(r->labels);
    if (r->d->init) {
        nc_rng rng = nc_rng_make(1, NC_STREAM(NC_PURPOSE_TEST, 99));
        r->d->init(&r->a, in, r->w, r->state, &rng);
    }
    r->e.attr = &r->a;
    r->e.n = n;
    r->e.train = train;
    r->e.threads = 1;
    r->e.n_in = n_in;
    r->e.out = out;
    r->e.y = r->y;
    r->e.dy = r->dy;
    r->e.w = r->w;
    r->e.dw = r->dw;
    r->e.state = r->state;
    r->e.save = r->save;
    r->e.work = r->work;
    r->e.n_work = nwork;
    r->e.labels = r->labels;
}

/* Hands the op a pool (NULL: one thread) with one scratch area per thread. */
static void trun_pool(trun *r, nc_pool *pool)
{
    int t = nc_pool_threads(pool);
    free(r->work);
    r->work = zalloc((size_t)t * r->nwork);
    r->e.work = r->work;
    r->e.pool = pool;
    r->e.threads = t;
}

static void trun_free(trun *r)
{
    for (int i = 0; i < NC_MAX_IN; i++) {
        free(r->x[i]);
        free(r->dx[i]);
    }
    free(r->y); free(r->dy); free(r->w); free(r->dw); free(r->state);
    free(r->save); free(r->work); free(r->labels);
}

static void fill_normal(float *v, size_t n, uint64_t seed)
{
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 7));
    for (size_t i = 0; i < n; i++)
        v[i] = nc_rng_normal(&r);
}

/* Distinct values at least 0.01 apart (a scaled random permutation), so no
 * max-pool window has a tie or a near-tie within the finite-difference eps. */
static float *perm_input(size_t n, uint64_t seed)
{
    uint32_t *p = malloc(n * sizeof *p);
    float *v = malloc(n * sizeof *v);
    ck_assert(p && v);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 8));
    nc_rng_shuffle_u32(&r, p, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        v[i] = 0.01f * ((float)p[i] - 0.5f * (float)n);
    free(p);
    return v;
}

static void gradcheck(nc_op_kind k, const nc_attr *a, int n_in,
                      const nc_shape *in, int n, int train,
                      const float *const *xs, double tol)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double err = -1;
    nc_status st = nc_gradcheck_op(&ctx, k, a, n_in, in, n, train, xs, 42,
                                   tol, &err);
    ck_assert_msg(st == NC_OK, "%s (kind %d)", ctx.msg, (int)k);
    ck_assert(err >= 0 && err <= tol);
}

#define ASSERT_CLOSE(got, want, tol, ...)                                    \
    ck_assert_msg(fabs((double)(got) - (double)(want)) <=                     \
                      (tol) * fmax(1.0, fabs((double)(want))),                \
                  __VA_ARGS__)

/* ---- the table ------------------------------------------------------------ */

START_TEST(test_rows)
{
    static const struct { nc_op_kind k; const char *name; int lo, hi; } rows[] = {
        { NC_OP_INPUT, "input", 0, 0 },
        { NC_OP_BATCHNORM, "batchnorm", 1, 1 },
        { NC_OP_RELU, "relu", 1, 1 },
        { NC_OP_MAXPOOL, "maxpool", 1, 1 },
        { NC_OP_AVGPOOL, "avgpool", 1, 1 },
        { NC_OP_GAP, "gap", 1, 1 },
        { NC_OP_SUM, "sum", 1, NC_MAX_IN },
        { NC_OP_ZERO, "zero", 1, 1 },
        { NC_OP_IDENTITY, "identity", 1, 1 },
        { NC_OP_FLATTEN, "flatten", 1, 1 },
        { NC_OP_SOFTMAX_XENT, "softmax_xent", 1, 1 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const nc_op_def *d = nc_op_get(rows[i].k);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d->name, rows[i].name);
        ck_assert_int_eq(nc_op_find(rows[i].name), (int)rows[i].k);
        ck_assert_int_eq(d->min_in, rows[i].lo);
        ck_assert_int_eq(d->max_in, rows[i].hi);
        ck_assert_ptr_nonnull(d->shape);
        /* Only the data node and the zero edge have no gradient. */
        int has_kernels = rows[i].k != NC_OP_INPUT;
        ck_assert_int_eq(d->forward != NULL, has_kernels);
        ck_assert_int_eq(d->backward != NULL,
                         has_kernels && rows[i].k != NC_OP_ZERO);
        /* NB201 counts MACs of convolutions and linear layers only. */
        ck_assert(!d->macs);
    }
}
END_TEST

START_TEST(test_input_shape_harmless)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_op_def *d = nc_op_get(NC_OP_INPUT);
    nc_shape out = { 7, 8, 9 };
    ck_assert_int_eq(d->shape(&ctx, NULL, 0, NULL, &out), NC_ERR_INVAL);
    ck_assert(ctx.msg[0]);
    ck_assert(out.c == 7 && out.h == 8 && out.w == 9);
    ck_assert(!d->n_params && !d->n_state && !d->init);
}
END_TEST

/* ---- batch norm ----------------------------------------------------------- */

static const nc_shape bn_shapes[] = { { 3, 4, 5 }, { 2, 3, 3 } };

START_TEST(test_bn_gradcheck)
{
    /* _i: bit 0 affine, bit 1 train, bit 2 shape (m = 80 and m = 18, the
     * latter exercising the non-multiple-of-8 tail of the sums). */
    nc_attr a = { .affine = _i & 1 };
    int train = (_i >> 1) & 1;
    gradcheck(NC_OP_BATCHNORM, &a, 1, &bn_shapes[(_i >> 2) & 1], 4 - 2 * ((_i >> 2) & 1),
              train, NULL, 1e-2);
}
END_TEST

/* Direct double-precision BN, PyTorch's definition. */
static void bn_reference(const float *x, int c, size_t m, const float *gamma,
                         const float *beta, double eps, double *y,
                         double *mean, double *var_b)
{
    for (int ci = 0; ci < c; ci++) {
        const float *xc = x + (size_t)ci * m;
        double s = 0, q = 0;
        for (size_t i = 0; i < m; i++)
            s += xc[i];
        double mu = s / (double)m;
        for (size_t i = 0; i < m; i++)
            q += (xc[i] - mu) * (xc[i] - mu);
        double var = q / (double)m;
        for (size_t i = 0; i < m; i++)
            y[(size_t)ci * m + i] = (xc[i] - mu) / sqrt(var + eps) *
                                        (gamma ? gamma[ci] : 1.0) +
                                    (beta ? beta[ci] : 0.0);
        mean[ci] = mu;
        var_b[ci] = var;
    }
}

START_TEST(test_bn_train_forward_and_running_stats)
{
    nc_shape in = { 3, 5, 6 };
    int n = 3, c = in.c;
    size_t m = (size_t)n * in.h * in.w;
    for (int mode = 0; mode < 2; mode++) {
        /* mode 0: defaults (momentum 0.1, eps 1e-5) from a fresh init;
         * mode 1: explicit momentum/eps and non-trivial running stats. */
        nc_attr a = { .affine = 1 };
        if (mode) {
            a.momentum = 0.25f;
            a.eps = 1e-3f;
        }
        trun r;
        trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, n, 1);
        fill_normal(r.x[0], r.nx[0], 5);
        for (size_t i = 0; i < r.nx[0]; i++)   /* per-channel offsets and scales */
            r.x[0][i] = r.x[0][i] * (1.0f + (float)(i / m)) + 3.0f * (float)(i / m);
        ck_assert_int_eq((int)r.nw, 2 * c);
        ck_assert_int_eq((int)r.ns, 2 * c);
        for (int ci = 0; ci < c; ci++) {
            ck_assert(r.w[ci] == 1.0f && r.w[c + ci] == 0.0f);
            ck_assert(r.state[ci] == 0.0f && r.state[c + ci] == 1.0f);
            r.w[ci] = 0.5f + 0.25f * (float)ci;
            r.w[c + ci] = -0.3f * (float)ci;
            if (mode) {
                r.state[ci] = 0.7f - (float)ci;
                r.state[c + ci] = 2.0f + (float)ci;
            }
        }
        float rm0[3], rv0[3];
        memcpy(rm0, r.state, sizeof rm0);
        memcpy(rv0, r.state + c, sizeof rv0);
        r.d->forward(&r.e);

        double *yref = malloc(m * c * sizeof(double)), mean[3], varb[3];
        ck_assert_ptr_nonnull(yref);
        double eps = mode ? 1e-3 : 1e-5, mom = mode ? 0.25 : 0.1;
        bn_reference(r.x[0], c, m, r.w, r.w + c, eps, yref, mean, varb);
        for (size_t i = 0; i < m * c; i++)
            ASSERT_CLOSE(r.y[i], yref[i], 1e-5, "y[%zu] %g vs %g", i,
                         (double)r.y[i], yref[i]);
        for (int ci = 0; ci < c; ci++) {
            /* torch: running = (1 - momentum) * running + momentum * stat,
             * with the unbiased variance. */
            double want_m = (1 - mom) * rm0[ci] + mom * mean[ci];
            double want_v = (1 - mom) * rv0[ci] + mom * varb[ci] * (double)m / (double)(m - 1);
            ASSERT_CLOSE(r.state[ci], want_m, 1e-6, "running mean %d: %g vs %g",
                         ci, (double)r.state[ci], want_m);
            ASSERT_CLOSE(r.state[c + ci], want_v, 1e-6, "running var %d: %g vs %g",
                         ci, (double)r.state[c + ci], want_v);
        }
        free(yref);
        trun_free(&r);
    }
}
END_TEST

START_TEST(test_bn_eval_forward)
{
    nc_shape in = { 2, 3, 3 };
    int n = 2;
    size_t m = (size_t)n * 9;
    for (int affine = 0; affine < 2; affine++) {
        nc_attr a = { .affine = affine };
        trun r;
        trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, n, 0);
        fill_normal(r.x[0], r.nx[0], 6);
        float st[4] = { 0.5f, -1.0f, 4.0f, 0.25f };
        memcpy(r.state, st, sizeof st);
        if (affine) {
            float w[4] = { 2.0f, -0.5f, 0.1f, 0.3f };
            memcpy(r.w, w, sizeof w);
        }
        r.d->forward(&r.e);
        for (int ci = 0; ci < 2; ci++)
            for (size_t i = 0; i < m; i++) {
                double xv = r.x[0][ci * m + i];
                double want = (xv - st[ci]) / sqrt(st[2 + ci] + 1e-5);
                if (affine)
                    want = want * r.w[ci] + r.w[2 + ci];
                ASSERT_CLOSE(r.y[ci * m + i], want, 1e-5, "eval y");
            }
        /* Evaluation never moves the running statistics. */
        ck_assert(memcmp(r.state, st, sizeof st) == 0);
        trun_free(&r);
    }
}
END_TEST

/* A large common offset must not cancel the variance (a one-pass E[x²]-E[x]²
 * in float would return garbage here). */
START_TEST(test_bn_large_offset)
{
    nc_shape in = { 1, 8, 8 };
    int n = 4;
    trun r;
    trun_init(&r, NC_OP_BATCHNORM, NULL, 1, &in, n, 1);
    fill_normal(r.x[0], r.nx[0], 9);
    for (size_t i = 0; i < r.nx[0]; i++)
        r.x[0][i] = 1000.0f + 0.01f * r.x[0][i];
    r.d->forward(&r.e);
    double s = 0, q = 0;
    for (size_t i = 0; i < r.ny; i++) {
        s += r.y[i];
        q += (double)r.y[i] * r.y[i];
    }
    double mu = s / (double)r.ny, var = q / (double)r.ny - mu * mu;
    ck_assert_msg(fabs(mu) < 1e-3, "mean %g", mu);
    /* eps = 1e-5 against a variance of 1e-4 shrinks the output by ~5%. */
    double want = 1e-4 / (1e-4 + 1e-5);
    ck_assert_msg(fabs(var - want) < 0.05 * want, "var %g, want about %g", var, want);
    trun_free(&r);
}
END_TEST

/* Backward ADDS into dx and dw, and skips a NULL dx. */
START_TEST(test_bn_backward_adds)
{
    nc_shape in = { 2, 3, 4 };
    nc_attr a = { .affine = 1 };
    trun r;
    trun_init(&r, NC_OP_BATCHNORM, &a, 1, &in, 2, 1);
    fill_normal(r.x[0], r.nx[0], 10);
    fill_normal(r.dy, r.ny, 11);
    r.d->forward(&r.e);
    r.d->backward(&r.e);
    float *g1 = malloc(r.nx[0] * sizeof(float)), dw1[4];
    ck_assert_ptr_nonnull(g1);
    memcpy(g1, r.dx[0], r.nx[0] * sizeof(float));
    memcpy(dw1, r.dw, sizeof dw1);
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        ASSERT_CLOSE(r.dx[0][i], 2.0 * g1[i], 1e-6, "dx accumulates");
    for (int i = 0; i < 4; i++)
        ASSERT_CLOSE(r.dw[i], 2.0 * dw1[i], 1e-6, "dw accumulates");
    /* Σ dx = 0 in training (the mean is subtracted). */
    for (int ci = 0; ci < 2; ci++) {
        double s = 0;
        for (size_t i = 0; i < 24; i++)
            s += g1[ci * 24 + i];
        ck_assert_msg(fabs(s) < 1e-4, "sum of dx %g", s);
    }
    r.e.dx[0] = NULL;
    r.e.dw = NULL;
    r.d->backward(&r.e);   /* must not crash */
    free(g1);
    trun_free(&r);
}
END_TEST

/* ---- pooling -------------------------------------------------------------- */

typedef struct pool_cfg {
    int c, h, w, k, s, p, n;
} pool_cfg;

static const pool_cfg pool_cfgs[] = {
    /* c  h   w  k  s  p  n */
    { 2, 5, 11, 3, 1, 1, 2 },   /* 3x3 s1 p1 fast path, AVX body + tail */
    { 2, 6, 8, 2, 2, 0, 2 },    /* 2x2 s2 fast path */
    { 2, 7, 6, 2, 2, 0, 1 },    /* 2x2 s2 with odd rows dropped */
    { 2, 7, 7, 3, 2, 1, 2 },    /* DARTS reduction: generic path */
    { 1, 6, 9, 5, 1, 2, 2 },    /* 5x5 s1 p2 */
    { 1, 5, 6, 3, 1, 0, 2 },    /* no padding, stride 1 */
    { 2, 6, 6, 3, 3, 0, 1 },    /* non-overlapping 3x3 */
    { 1, 3, 3, 3, 1, 1, 1 },    /* every output touches padding */
    { 1, 4, 30, 3, 1, 1, 2 },   /* 3x3 s1 p1: several 8-wide blocks + overlap */
    { 1, 5, 20, 5, 1, 2, 1 },   /* 5x5 s1 p2 with vector blocks */
    { 2, 5, 21, 2, 2, 0, 2 },   /* 2x2 s2, wo = 10: vector block + overlap */
    { 1, 4, 32, 2, 2, 0, 1 },   /* 2x2 s2, wo = 16: two exact blocks */
    { 2, 5, 32, 3, 2, 1, 2 },   /* 3x3 s2 p1 vector path, row-end odd loads */
    { 1, 5, 20, 3, 2, 0, 1 },   /* 3x3 s2 p0 vector path + overlap */
    { 1, 3, 15, 1, 2, 0, 2 },   /* 1x1 s2 on a 15-wide row */
    { 2, 8, 8, 3, 1, 1, 2 },    /* NB201's last stage: one partial block per row */
    { 1, 9, 9, 3, 2, 1, 1 },    /* 3x3 s2 p1 on an odd plane */
};
enum { N_POOL_CFGS = sizeof pool_cfgs / sizeof pool_cfgs[0] };

static nc_attr pool_attr(const pool_cfg *c, int count_pad)
{
    return (nc_attr){ .k = c->k, .stride = c->s, .pad = c->p, .count_pad = count_pad };
}

/* Per-window reference: padded taps are skipped for the max and counted as
 * zeros for count_pad. *arg gets the first position of the max. The sum is
 * a float sum in row-major order, which every kernel path must reproduce
 * bit for bit (results must not depend on which path ran). */
static void pool_reference(const float *x, const pool_cfg *c, int max, int count_pad,
                           float *y, int *arg)
{
    int ho = (c->h + 2 * c->p - c->k) / c->s + 1, wo = (c->w + 2 * c->p - c->k) / c->s + 1;
    for (int q = 0; q < c->c * c->n; q++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                float best = -INFINITY, sum = 0;
                int cnt = 0, bi = -1;
                for (int ky = 0; ky < c->k; ky++)
                    for (int kx = 0; kx < c->k; kx++) {
                        int iy = oy * c->s - c->p + ky, ix = ox * c->s - c->p + kx;
                        if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                            continue;
                        float v = x[((size_t)q * c->h + iy) * c->w + ix];
                        if (bi < 0 || v > best) {
                            best = v;
                            bi = iy * c->w + ix;
                        }
                        sum += v;
                        cnt++;
                    }
                size_t o = ((size_t)q * ho + oy) * wo + ox;
                y[o] = max ? best : sum / (float)(count_pad ? c->k * c->k : cnt);
                if (arg)
                    arg[o] = bi;
            }
}

START_TEST(test_maxpool_gradcheck)
{
    const pool_cfg *c = &pool_cfgs[_i];
    nc_attr a = pool_attr(c, 0);
    nc_shape in = { c->c, c->h, c->w };
    float *x = perm_input((size_t)c->n * nc_shape_size(in), 100 + (uint64_t)_i);
    const float *xs[1] = { x };
    gradcheck(NC_OP_MAXPOOL, &a, 1, &in, c->n, 1, xs, 1e-3);
    free(x);
}
END_TEST

START_TEST(test_avgpool_gradcheck)
{
    const pool_cfg *c = &pool_cfgs[_i / 2];
    nc_attr a = pool_attr(c, _i & 1);
    nc_shape in = { c->c, c->h, c->w };
    gradcheck(NC_OP_AVGPOOL, &a, 1, &in, c->n, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_pool_reference)
{
    /* _i: config × {max, avg count_pad 0, avg count_pad 1} */
    const pool_cfg *c = &pool_cfgs[_i / 3];
    int max = _i % 3 == 0, cp = _i % 3 == 2;
    nc_attr a = pool_attr(c, cp);
    nc_shape in = { c->c, c->h, c->w };
    trun r;
    trun_init(&r, max ? NC_OP_MAXPOOL : NC_OP_AVGPOOL, &a, 1, &in, c->n, 1);
    fill_normal(r.x[0], r.nx[0], 200 + (uint64_t)_i);
    /* Some exact ties, to pin down "first max wins". */
    for (size_t i = 0; i < r.nx[0]; i += 3)
        r.x[0][i] = 0.5f;
    for (size_t i = 0; i < r.ny; i++)
        r.y[i] = NAN;   /* forward must write every output */
    r.d->forward(&r.e);
    float *yref = malloc(r.ny * sizeof(float));
    int *arg = malloc(r.ny * sizeof(int));
    ck_assert(yref && arg);
    pool_reference(r.x[0], c, max, cp, yref, arg);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert_msg(r.y[i] == yref[i], "cfg %d out %zu: %.9g vs %.9g", _i / 3, i,
                      (double)r.y[i], (double)yref[i]);
    /* Backward routes to the first max / spreads evenly, on top of dx = 1. */
    fill_normal(r.dy, r.ny, 300 + (uint64_t)_i);
    size_t plane_in = (size_t)c->h * c->w, plane_out = r.ny / ((size_t)c->c * c->n);
    double *dref = malloc(r.nx[0] * sizeof(double));
    ck_assert_ptr_nonnull(dref);
    for (size_t i = 0; i < r.nx[0]; i++) {
        r.dx[0][i] = 1.0f;
        dref[i] = 1.0;
    }
    for (size_t o = 0; o < r.ny; o++) {
        size_t q = o / plane_out, op = o % plane_out;
        int oy = (int)(op / (size_t)r.e.out.w), ox = (int)(op % (size_t)r.e.out.w);
        if (max) {
            dref[q * plane_in + (size_t)arg[o]] += r.dy[o];
            continue;
        }
        int cnt = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int ky = 0; ky < c->k; ky++)
                for (int kx = 0; kx < c->k; kx++) {
                    int iy = oy * c->s - c->p + ky, ix = ox * c->s - c->p + kx;
                    if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                        continue;
                    if (pass == 0)
                        cnt++;
                    else
                        dref[q * plane_in + (size_t)iy * c->w + ix] +=
                            r.dy[o] / (cp ? c->k * c->k : cnt);
                }
    }
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        ASSERT_CLOSE(r.dx[0][i], dref[i], 1e-5, "cfg %d dx %zu: %g vs %g", _i / 3, i,
                     (double)r.dx[0][i], dref[i]);
    free(dref);
    free(yref);
    free(arg);
    trun_free(&r);
}
END_TEST

START_TEST(test_maxpool_padding_never_wins)
{
    nc_shape in = { 1, 4, 4 };
    nc_attr a = { .k = 3, .stride = 1, .pad = 1 };
    trun r;
    trun_init(&r, NC_OP_MAXPOOL, &a, 1, &in, 1, 1);
    for (int i = 0; i < 16; i++)
        r.x[0][i] = -1.0f - (float)i;   /* all negative: a zero pad would win */
    r.d->forward(&r.e);
    /* The top-left window holds x[0], x[1], x[4], x[5]; its max is x[0]. */
    ck_assert_float_eq(r.y[0], -1.0f);
    ck_assert_float_eq(r.y[15], -11.0f);   /* bottom-right: max of x[10,11,14,15] */
    for (int i = 0; i < 16; i++)
        ck_assert(r.y[i] < 0.0f);
    /* Same with stride 2 (generic path). */
    trun r2;
    nc_attr a2 = { .k = 3, .stride = 2, .pad = 1 };
    trun_init(&r2, NC_OP_MAXPOOL, &a2, 1, &in, 1, 1);
    memcpy(r2.x[0], r.x[0], 16 * sizeof(float));
    r2.d->forward(&r2.e);
    ck_assert_int_eq(r2.e.out.h, 2);
    ck_assert_float_eq(r2.y[0], -1.0f);
    ck_assert_float_eq(r2.y[3], -6.0f);   /* window rows 1..3, cols 1..3 */
    trun_free(&r2);
    trun_free(&r);
}
END_TEST

/* All -inf windows still pick an in-image position (the first), so the
 * gradient stays in bounds; a NaN propagates to every window holding it. */
START_TEST(test_maxpool_inf_nan)
{
    nc_shape in = { 1, 5, 9 };
    const nc_attr cfgs[] = { { .k = 3, .stride = 1, .pad = 1 },
                             { .k = 3, .stride = 2, .pad = 1 },
                             { .k = 2, .stride = 2 } };
    for (int c = 0; c < 3; c++) {
        trun r;
        trun_init(&r, NC_OP_MAXPOOL, &cfgs[c], 1, &in, 2, 1);
        for (size_t i = 0; i < r.nx[0]; i++)
            r.x[0][i] = -INFINITY;
        r.d->forward(&r.e);
        for (size_t i = 0; i < r.ny; i++) {
            ck_assert(isinf(r.y[i]) && r.y[i] < 0);
            r.dy[i] = 1.0f;
        }
        r.d->backward(&r.e);
        const pool_cfg pc = { 1, 5, 9, cfgs[c].k, cfgs[c].stride, cfgs[c].pad, 2 };
        float *yref = malloc(r.ny * sizeof(float));
        int *arg = malloc(r.ny * sizeof(int));
        ck_assert(yref && arg);
        pool_reference(r.x[0], &pc, 1, 0, yref, arg);
        float *want = calloc(r.nx[0], sizeof(float));
        ck_assert_ptr_nonnull(want);
        size_t plane_out = r.ny / 2;
        for (size_t o = 0; o < r.ny; o++)
            want[(o / plane_out) * 45 + (size_t)arg[o]] += 1.0f;
        for (size_t i = 0; i < r.nx[0]; i++)
            ck_assert_msg(r.dx[0][i] == want[i], "cfg %d dx[%zu] %g vs %g", c, i,
                          (double)r.dx[0][i], (double)want[i]);

        fill_normal(r.x[0], r.nx[0], 50);
        r.x[0][2 * 9 + 4] = NAN;   /* sample 0, row 2, column 4 */
        r.d->forward(&r.e);
        int ho = r.e.out.h, wo = r.e.out.w;
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int y0 = oy * cfgs[c].stride - cfgs[c].pad;
                int x0 = ox * cfgs[c].stride - cfgs[c].pad;
                int holds = 2 >= y0 && 2 < y0 + cfgs[c].k && 4 >= x0 && 4 < x0 + cfgs[c].k;
                ck_assert_int_eq(isnan(r.y[oy * wo + ox]) != 0, holds);
                ck_assert(!isnan(r.y[plane_out + (size_t)(oy * wo + ox)]));
            }
        free(want);
        free(yref);
        free(arg);
        trun_free(&r);
    }
}
END_TEST

START_TEST(test_maxpool_ties_first)
{
    /* Constant input: every window ties; the gradient goes to the first
     * in-image position of each window, row-major. */
    nc_shape in = { 1, 4, 10 };
    nc_attr a = { .k = 2, .stride = 2 };
    trun r;
    trun_init(&r, NC_OP_MAXPOOL, &a, 1, &in, 1, 1);
    for (int i = 0; i < 40; i++)
        r.x[0][i] = 3.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        r.dy[i] = 1.0f;
    r.d->backward(&r.e);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 10; x++)
            ck_assert_float_eq(r.dx[0][y * 10 + x], (y % 2 == 0 && x % 2 == 0) ? 1.0f : 0.0f);
    trun_free(&r);

    nc_attr a3 = { .k = 3, .stride = 1, .pad = 1 };
    trun_init(&r, NC_OP_MAXPOOL, &a3, 1, &in, 1, 1);
    for (int i = 0; i < 40; i++)
        r.x[0][i] = 3.0f;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        r.dy[i] = 1.0f;
    r.d->backward(&r.e);
    /* Output (oy, ox) picks (max(oy-1,0), max(ox-1,0)). */
    float want[40] = { 0 };
    for (int oy = 0; oy < 4; oy++)
        for (int ox = 0; ox < 10; ox++)
            want[(oy > 0 ? oy - 1 : 0) * 10 + (ox > 0 ? ox - 1 : 0)] += 1.0f;
    for (int i = 0; i < 40; i++)
        ck_assert_float_eq(r.dx[0][i], want[i]);
    trun_free(&r);
}
END_TEST

START_TEST(test_avgpool_corners)
{
    /* All-ones input, 3x3 s1 p1: count_pad = 0 averages real pixels only
     * (corners divide by 4, edges by 6); count_pad = 1 divides by 9. */
    nc_shape in = { 1, 4, 5 };
    for (int cp = 0; cp < 2; cp++) {
        nc_attr a = { .k = 3, .stride = 1, .pad = 1, .count_pad = cp };
        trun r;
        trun_init(&r, NC_OP_AVGPOOL, &a, 1, &in, 1, 1);
        for (int i = 0; i < 20; i++)
            r.x[0][i] = 1.0f;
        r.x[0][0] = 5.0f;   /* the corner window sums 5+1+1+1 = 8 */
        r.d->forward(&r.e);
        if (!cp) {
            ck_assert_float_eq(r.y[0], 2.0f);            /* 8 / 4 */
            ck_assert_float_eq(r.y[4], 1.0f);            /* corner */
            ASSERT_CLOSE(r.y[1], 10.0 / 6.0, 1e-6, "edge");  /* 5+1*5 / 6 */
            ck_assert_float_eq(r.y[7], 1.0f);            /* interior */
        } else {
            ASSERT_CLOSE(r.y[0], 8.0 / 9.0, 1e-6, "corner");
            ASSERT_CLOSE(r.y[4], 4.0 / 9.0, 1e-6, "corner");
            ASSERT_CLOSE(r.y[2], 6.0 / 9.0, 1e-6, "edge");
            ck_assert_float_eq(r.y[7], 1.0f);
        }
        trun_free(&r);
    }
}
END_TEST

/* ---- the elementwise and reshaping ops ------------------------------------ */

START_TEST(test_relu)
{
    nc_shape in = { 3, 4, 5 };
    int n = 2;
    size_t m = (size_t)n * 60;
    float *x = malloc(m * sizeof(float));
    ck_assert_ptr_nonnull(x);
    fill_normal(x, m, 20);
    for (size_t i = 0; i < m; i++)   /* keep every input 0.05 away from the kink */
        x[i] = x[i] >= 0 ? x[i] + 0.05f : x[i] - 0.05f;
    const float *xs[1] = { x };
    gradcheck(NC_OP_RELU, NULL, 1, &in, n, 1, xs, 1e-3);

    trun r;
    trun_init(&r, NC_OP_RELU, NULL, 1, &in, n, 1);
    memcpy(r.x[0], x, m * sizeof(float));
    r.x[0][0] = 0.0f;
    r.d->forward(&r.e);
    fill_normal(r.dy, m, 21);
    for (size_t i = 0; i < m; i++)
        r.dx[0][i] = 1.0f;
    r.d->backward(&r.e);
    for (size_t i = 0; i < m; i++) {
        ck_assert_float_eq(r.y[i], r.x[0][i] > 0 ? r.x[0][i] : 0.0f);
        ck_assert_float_eq(r.dx[0][i], 1.0f + (r.x[0][i] > 0 ? r.dy[i] : 0.0f));
    }
    free(x);
    trun_free(&r);
}
END_TEST

START_TEST(test_identity)
{
    nc_shape in = { 2, 3, 3 };
    gradcheck(NC_OP_IDENTITY, NULL, 1, &in, 3, 1, NULL, 1e-3);
    trun r;
    trun_init(&r, NC_OP_IDENTITY, NULL, 1, &in, 3, 1);
    fill_normal(r.x[0], r.nx[0], 22);
    r.d->forward(&r.e);
    ck_assert(memcmp(r.y, r.x[0], r.ny * sizeof(float)) == 0);
    trun_free(&r);
}
END_TEST

START_TEST(test_gap)
{
    nc_shape in = { 3, 4, 5 };
    gradcheck(NC_OP_GAP, NULL, 1, &in, 2, 1, NULL, 1e-3);
    trun r;
    trun_init(&r, NC_OP_GAP, NULL, 1, &in, 2, 1);
    ck_assert(r.e.out.c == 3 && r.e.out.h == 1 && r.e.out.w == 1);
    fill_normal(r.x[0], r.nx[0], 23);
    r.d->forward(&r.e);
    for (int ci = 0; ci < 3; ci++)
        for (int i = 0; i < 2; i++) {
            double s = 0;
            for (int j = 0; j < 20; j++)
                s += r.x[0][(ci * 2 + i) * 20 + j];
            ASSERT_CLOSE(r.y[ci * 2 + i], s / 20, 1e-6, "gap c%d n%d", ci, i);
        }
    trun_free(&r);
}
END_TEST

START_TEST(test_sum)
{
    nc_shape in[3] = { { 2, 3, 4 }, { 2, 3, 4 }, { 2, 3, 4 } };
    gradcheck(NC_OP_SUM, NULL, 3, in, 2, 1, NULL, 1e-3);
    gradcheck(NC_OP_SUM, NULL, 1, in, 2, 1, NULL, 1e-3);
    trun r;
    trun_init(&r, NC_OP_SUM, NULL, 3, in, 2, 1);
    for (int k = 0; k < 3; k++)
        fill_normal(r.x[k], r.nx[k], 30 + (uint64_t)k);
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert_float_eq(r.y[i], (r.x[0][i] + r.x[1][i]) + r.x[2][i]);
    fill_normal(r.dy, r.ny, 33);
    r.e.dx[1] = NULL;   /* a frozen input is skipped */
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.ny; i++) {
        ck_assert_float_eq(r.dx[0][i], r.dy[i]);
        ck_assert_float_eq(r.dx[1][i], 0.0f);
        ck_assert_float_eq(r.dx[2][i], r.dy[i]);
    }
    trun_free(&r);
}
END_TEST

START_TEST(test_flatten)
{
    nc_shape in = { 2, 3, 4 };
    gradcheck(NC_OP_FLATTEN, NULL, 1, &in, 3, 1, NULL, 1e-3);
    nc_shape big = { 3, 7, 9 };   /* n and h*w beyond one 32-wide tile */
    gradcheck(NC_OP_FLATTEN, NULL, 1, &big, 37, 1, NULL, 1e-3);

    /* Order: feature f = (c*h + y)*w + x as torch.flatten(NCHW, 1). */
    int n = 3, C = 2, H = 3, W = 4;
    trun r;
    trun_init(&r, NC_OP_FLATTEN, NULL, 1, &in, n, 1);
    ck_assert(r.e.out.c == 24 && r.e.out.h == 1 && r.e.out.w == 1);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    r.x[0][((c * n + i) * H + y) * W + x] =
                        (float)(1000 * i + 100 * c + 10 * y + x);
    r.d->forward(&r.e);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int f = (c * H + y) * W + x;
                    ck_assert_float_eq(r.y[f * n + i],
                                       (float)(1000 * i + 100 * c + 10 * y + x));
                }
    /* Backward is the inverse permutation, added on top. */
    for (size_t i = 0; i < r.ny; i++) {
        r.dy[i] = r.y[i];
        r.dx[0][i] = 1.0f;
    }
    r.d->backward(&r.e);
    for (size_t i = 0; i < r.nx[0]; i++)
        ck_assert_float_eq(r.dx[0][i], r.x[0][i] + 1.0f);
    trun_free(&r);

    /* (c,1,1) is already flat: a copy. */
    nc_shape flat = { 5, 1, 1 };
    gradcheck(NC_OP_FLATTEN, NULL, 1, &flat, 4, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_zero)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_op_def *d = nc_op_get(NC_OP_ZERO);
    nc_shape in = { 3, 5, 6 }, out;
    nc_attr a = { 0 };
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == 3 && out.h == 5 && out.w == 6);
    a.stride = 2;   /* x[:, :, ::2, ::2] * 0 */
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.c == 3 && out.h == 3 && out.w == 3);
    a.stride = 3;
    ck_assert_int_eq(d->shape(&ctx, &a, 1, &in, &out), NC_OK);
    ck_assert(out.h == 2 && out.w == 2);

    trun r;
    a.stride = 2;
    trun_init(&r, NC_OP_ZERO, &a, 1, &in, 2, 1);
    fill_normal(r.x[0], r.nx[0], 40);
    for (size_t i = 0; i < r.ny; i++)
        r.y[i] = NAN;
    r.d->forward(&r.e);
    for (size_t i = 0; i < r.ny; i++)
        ck_assert(r.y[i] == 0.0f && !signbit(r.y[i]));
    trun_free(&r);
}
END_TEST

/* ---- softmax cross-entropy ------------------------------------------------ */

START_TEST(test_softmax_xent_gradcheck)
{
    nc_shape in = { 5, 1, 1 };
    gradcheck(NC_OP_SOFTMAX_XENT, NULL, 1, &in, 3, 1, NULL, 1e-3);
    nc_shape two = { 2, 1, 1 };
    gradcheck(NC_OP_SOFTMAX_XENT, NULL, 1, &two, 9, 1, NULL, 1e-3);
}
END_TEST

START_TEST(test_softmax_xent_values)
{
    int F = 4, n = 3;
    nc_shape in = { F, 1, 1 };
    trun r;
    trun_init(&r, NC_OP_SOFTMAX_XENT, NULL, 1, &in, n, 1);
    ck_assert(r.e.out.c == 1 && r.e.out.h == 1 && r.e.out.w == 1);
    /* Sample 0: moderate logits; 1: equal logits (loss = log F);
     * 2: huge logits that overflow a naive exp. */
    float logits[3][4] = { { 1.0f, 2.0f, -0.5f, 0.25f },
                           { 7.0f, 7.0f, 7.0f, 7.0f },
                           { 1e4f, -1e4f, 3e4f, 2.99e4f } };
    int32_t lab[3] = { 2, 0, 3 };
    for (int i = 0; i < n; i++) {
        for (int f = 0; f < F; f++)
            r.x[0][f * n + i] = logits[i][f];
        r.labels[i] = lab[i];
    }
    r.d->forward(&r.e);
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int f = 0; f < F; f++)
            mx = fmax(mx, logits[i][f]);
        for (int f = 0; f < F; f++)
            s += exp((double)logits[i][f] - mx);
        double want = log(s) + mx - logits[i][lab[i]];
        ck_assert_msg(isfinite(r.y[i]), "loss %d not finite", i);
        ASSERT_CLOSE(r.y[i], want, 1e-5, "loss %d: %g vs %g", i, (double)r.y[i], want);
        /* Backward: dy * (softmax - onehot). */
        r.dy[i] = 0.5f + (float)i;
        for (int f = 0; f < F; f++)
            r.dx[0][f * n + i] = 0.0f;
    }
    ASSERT_CLOSE(r.y[1], log(4.0), 1e-6, "uniform logits");
    ASSERT_CLOSE(r.y[2], 100.0, 1e-5, "huge logits");   /* 3e4 - 2.99e4 */
    r.d->backward(&r.e);
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int f = 0; f < F; f++)
            mx = fmax(mx, logits[i][f]);
        for (int f = 0; f < F; f++)
            s += exp((double)logits[i][f] - mx);
        for (int f = 0; f < F; f++) {
            double p = exp((double)logits[i][f] - mx) / s;
            double want = r.dy[i] * (p - (f == lab[i]));
            ASSERT_CLOSE(r.dx[0][f * n + i], want, 1e-6, "dx f%d n%d: %g vs %g", f, i,
                         (double)r.dx[0][f * n + i], want);
            ck_assert(isfinite(r.dx[0][f * n + i]));
        }
    }
    /* A label out of range gives a NaN loss, never an out-of-bounds read. */
    r.labels[0] = F;
    r.labels[1] = -1;
    r.d->forward(&r.e);
    ck_assert(isnan(r.y[0]) && isnan(r.y[1]) && isfinite(r.y[2]));
    trun_free(&r);
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

typedef struct par_probe {
    size_t n, align;
    int threads_seen[4];
    unsigned char *hit;
} par_probe;

static void par_probe_fn(void *arg, size_t lo, size_t hi, int thread)
{
    par_probe *p = arg;
    /* Spans are disjoint, so these writes never race; everything is
     * checked after nc_par_for returns (Check's asserts are not for
     * worker threads). A span that breaks a rule marks its items twice. */
    int ok = lo < hi && hi <= p->n && lo % p->align == 0 &&
             (hi % p->align == 0 || hi == p->n) && thread >= 0 && thread < 4;
    for (size_t i = lo; i < hi && i < p->n; i++)
        p->hit[i] += ok ? 1 : 2;
    if (thread >= 0 && thread < 4)
        p->threads_seen[thread]++;
}

/* Every item is visited exactly once, in spans on their own threads; a
 * small loop stays on the caller. */
START_TEST(test_par_for_spans)
{
    static const size_t ns[] = { 1, 2, 15, 16, 17, 33, 1000, 40001 };
    for (int threads = 1; threads <= 3; threads++) {
        nc_pool *pool = nc_pool_new(threads);
        nc_exec e = { .pool = pool, .threads = nc_pool_threads(pool) };
        for (size_t a = 0; a < 2; a++)
            for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
                for (int big = 0; big < 2; big++) {
                    par_probe p = { .n = ns[k], .align = a ? NC_PAR_LINE : 1 };
                    p.hit = calloc(ns[k], 1);
                    ck_assert_ptr_nonnull(p.hit);
                    nc_par_for(&e, p.n, p.align, big ? NC_PAR_MIN_FLOATS : 100,
                               par_probe_fn, &p);
                    size_t i = 0;
                    while (i < p.n && p.hit[i] == 1)
                        i++;
                    ck_assert_msg(i == p.n, "n %zu align %zu: item %zu visited %d times",
                                  p.n, p.align, i, i < p.n ? p.hit[i] : 1);
                    size_t blocks = (p.n + p.align - 1) / p.align;
                    int want = big ? (int)(blocks < (size_t)threads ? blocks
                                                                    : (size_t)threads)
                                   : 1;
                    for (int t = 0; t < 4; t++)
                        ck_assert_int_eq(p.threads_seen[t], t < want);
                    free(p.hit);
                }
        nc_pool_free(pool);
    }
}
END_TEST

/* Uniform values in [-2, 2) from a 64-bit LCG: the thread tests fill
 * large tensors, where Box-Muller normals took most of the suite's time. */
static void fill_fast(float *v, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(s >> 40) * (4.0f / 16777216.0f) - 2.0f;
    }
}

/* Everything one forward + backward of op k leaves behind (y, save, state,
 * every dx, dw), on inputs drawn from `seed`, run on `threads` threads. */
static float *run_all(nc_op_kind k, const nc_attr *a, int n_in, const nc_shape *in,
                      int n, int train, int threads, uint64_t seed, size_t *len)
{
    nc_pool *pool = nc_pool_new(threads);
    ck_assert_int_eq(nc_pool_threads(pool), threads);
    trun r;
    trun_init(&r, k, a, n_in, in, n, train);
    trun_pool(&r, pool);
    for (int i = 0; i < n_in; i++) {
        fill_fast(r.x[i], r.nx[i], seed + (uint64_t)i);
        fill_fast(r.dx[i], r.nx[i], seed + 10 + (uint64_t)i);
        if (k == NC_OP_MAXPOOL || k == NC_OP_AVGPOOL)
            for (size_t j = 0; j < r.nx[i]; j += 5)
                r.x[i][j] = 0.5f;   /* ties */
    }
    fill_fast(r.dy, r.ny, seed + 20);
    fill_fast(r.dw, r.nw, seed + 21);
    for (size_t i = 0; i < r.nw; i++)
        r.w[i] += 0.25f * r.dw[i];
    if (k == NC_OP_BATCHNORM) {
        int c = in[0].c;
        for (int i = 0; i < c; i++) {
            r.state[i] = 0.1f * (float)i - 0.3f;
            r.state[c + i] = 0.5f + 0.25f * (float)i;
        }
    }
    for (int i = 0; i < n; i++)
        r.labels[i] = i % in[0].c;
    r.d->forward(&r.e);
    if (r.d->backward)
        r.d->backward(&r.e);
    *len = r.ny + r.nsave + r.ns + r.nw;
    for (int i = 0; i < n_in; i++)
        *len += r.nx[i];
    float *out = malloc(*len * sizeof(float)), *o = out;
    ck_assert_ptr_nonnull(out);
    memcpy(o, r.y, r.ny * sizeof(float)), o += r.ny;
    memcpy(o, r.save, r.nsave * sizeof(float)), o += r.nsave;
    memcpy(o, r.state, r.ns * sizeof(float)), o += r.ns;
    memcpy(o, r.dw, r.nw * sizeof(float)), o += r.nw;
    for (int i = 0; i < n_in; i++)
        memcpy(o, r.dx[i], r.nx[i] * sizeof(float)), o += r.nx[i];
    trun_free(&r);
    nc_pool_free(pool);
    return out;
}

/* The batch is chosen so that even the cheapest loop of op k is large
 * enough to be split over the pool. */
static void check_threads(nc_op_kind k, const nc_attr *a, int n_in,
                          const nc_shape *in, int train, const char *what)
{
    nc_shape out;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    ck_assert(nc_op_get(k)->shape(&ctx, a, n_in, in, &out) == NC_OK);
    size_t big = nc_shape_size(in[0]) > nc_shape_size(out) ? nc_shape_size(in[0])
                                                           : nc_shape_size(out);
    int n = (int)(NC_PAR_MIN_FLOATS / big) + 1;
    size_t len1, len;
    float *ref = run_all(k, a, n_in, in, n, train, 1, 500, &len1);
    for (int t = 2; t <= 3; t++) {
        float *got = run_all(k, a, n_in, in, n, train, t, 500, &len);
        ck_assert(len == len1);
        /* One assertion per tensor: Check logs every ck_assert it passes. */
        size_t i = 0;
        while (i < len && memcmp(&got[i], &ref[i], sizeof(float)) == 0)
            i++;
        ck_assert_msg(i == len, "%s, %d threads: float %zu of %zu is %.9g, 1 thread %.9g",
                      what, t, i, len, (double)got[i < len ? i : 0],
                      (double)ref[i < len ? i : 0]);
        free(got);
    }
    free(ref);
}

START_TEST(test_threads_bit_identical)
{
    nc_attr none = { 0 }, aff = { .affine = 1 }, z2 = { .stride = 2 };
    nc_shape odd = { 5, 37, 41 }, three[3] = { odd, odd, odd };
    nc_shape bn = { 7, 19, 23 };
    switch (_i) {
    case 0: check_threads(NC_OP_BATCHNORM, &aff, 1, &bn, 1, "bn affine train"); break;
    case 1: check_threads(NC_OP_BATCHNORM, &none, 1, &bn, 1, "bn train"); break;
    case 2: check_threads(NC_OP_BATCHNORM, &aff, 1, &bn, 0, "bn affine eval"); break;
    case 3: check_threads(NC_OP_RELU, &none, 1, &odd, 1, "relu"); break;
    case 4: check_threads(NC_OP_IDENTITY, &none, 1, &odd, 1, "identity"); break;
    case 5: check_threads(NC_OP_SUM, &none, 3, three, 1, "sum of 3"); break;
    case 6: check_threads(NC_OP_SUM, &none, 2, three, 1, "sum of 2"); break;
    case 7: check_threads(NC_OP_SUM, &none, 1, three, 1, "sum of 1"); break;
    case 8: check_threads(NC_OP_ZERO, &z2, 1, &(nc_shape){ 5, 74, 82 }, 1, "zero"); break;
    case 9: check_threads(NC_OP_GAP, &none, 1, &(nc_shape){ 9, 13, 13 }, 1, "gap"); break;
    case 10: check_threads(NC_OP_FLATTEN, &none, 1, &(nc_shape){ 6, 7, 9 }, 1, "flatten");
        break;
    case 11: check_threads(NC_OP_FLATTEN, &none, 1, &(nc_shape){ 700, 1, 1 }, 1,
                           "flatten of a flat vector"); break;
    case 12: check_threads(NC_OP_SOFTMAX_XENT, &none, 1, &(nc_shape){ 100, 1, 1 }, 1,
                           "softmax_xent"); break;
    }
}
END_TEST

START_TEST(test_pool_threads_bit_identical)
{
    /* _i: config × {max, avg count_pad 0, avg count_pad 1} */
    const pool_cfg *c = &pool_cfgs[_i / 3];
    int max = _i % 3 == 0, cp = _i % 3 == 2;
    nc_attr a = pool_attr(c, cp);
    nc_shape in = { c->c, c->h, c->w };
    char what[64];
    snprintf(what, sizeof what, "%s cfg %d", max ? "maxpool" : "avgpool", _i / 3);
    check_threads(max ? NC_OP_MAXPOOL : NC_OP_AVGPOOL, &a, 1, &in, 1, what);
}
END_TEST

/* ---- shape errors --------------------------------------------------------- */

static void expect_inval(nc_op_kind k, const nc_attr *a, int n_in, const nc_shape *in)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_shape out = { -7, -7, -7 };
    nc_attr zero = { 0 };
    nc_status st = nc_op_get(k)->shape(&ctx, a ? a : &zero, n_in, in, &out);
    ck_assert_msg(st == NC_ERR_INVAL, "kind %d: status %d", (int)k, (int)st);
    ck_assert_msg(ctx.msg[0] != '\0', "kind %d: no message", (int)k);
    ck_assert_int_eq(ctx.status, NC_ERR_INVAL);
}

START_TEST(test_shape_errors)
{
    nc_shape s = { 3, 8, 8 }, two[2] = { { 3, 8, 8 }, { 3, 8, 8 } };
    nc_shape mism[2] = { { 3, 8, 8 }, { 3, 4, 4 } };
    nc_shape bad = { 0, 8, 8 };

    /* softmax_xent: one class, or spatial logits */
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 1, 1, 1 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 10, 2, 1 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 1, &(nc_shape){ 10, 1, 3 });
    expect_inval(NC_OP_SOFTMAX_XENT, NULL, 2, two);

    /* sum: mismatched shapes, no inputs, too many */
    expect_inval(NC_OP_SUM, NULL, 2, mism);
    expect_inval(NC_OP_SUM, NULL, 0, two);
    expect_inval(NC_OP_SUM, NULL, 1, &bad);
    nc_shape many[NC_MAX_IN + 1];
    for (int i = 0; i <= NC_MAX_IN; i++)
        many[i] = s;
    expect_inval(NC_OP_SUM, NULL, NC_MAX_IN + 1, many);

    /* single-input ops with the wrong input count or an empty shape */
    const nc_op_kind single[] = { NC_OP_BATCHNORM, NC_OP_RELU, NC_OP_IDENTITY,
                                  NC_OP_GAP, NC_OP_FLATTEN, NC_OP_ZERO,
                                  NC_OP_MAXPOOL, NC_OP_AVGPOOL };
    nc_attr pa = { .k = 3, .stride = 1, .pad = 1 };
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        const nc_attr *a = single[i] == NC_OP_MAXPOOL || single[i] == NC_OP_AVGPOOL
                               ? &pa : NULL;
        expect_inval(single[i], a, 2, two);
        expect_inval(single[i], a, 0, two);
        expect_inval(single[i], a, 1, &bad);
    }

    /* pooling attributes */
    for (int mx = 0; mx < 2; mx++) {
        nc_op_kind k = mx ? NC_OP_MAXPOOL : NC_OP_AVGPOOL;
        expect_inval(k, &(nc_attr){ .k = 0 }, 1, &s);                  /* no kernel */
        expect_inval(k, &(nc_attr){ .k = 3, .pad = 2 }, 1, &s);        /* pad > k/2 */
        expect_inval(k, &(nc_attr){ .k = 3, .pad = -1 }, 1, &s);
        expect_inval(k, &(nc_attr){ .k = 3, .stride = -2 }, 1, &s);
        expect_inval(k, &(nc_attr){ .k = 9 }, 1, &s);                  /* > input */
        expect_inval(k, &(nc_attr){ .k = 1 << 30, .pad = 1 << 29 }, 1, &s);
        nc_ctx ctx;
        nc_ctx_init(&ctx);
        nc_shape out;
        ck_assert_int_eq(nc_op_get(k)->shape(&ctx, &(nc_attr){ .k = 3, .stride = 2, .pad = 1 },
                                             1, &s, &out), NC_OK);
        ck_assert(out.c == 3 && out.h == 4 && out.w == 4);   /* floor((8+2-3)/2)+1 */
    }
    expect_inval(NC_OP_AVGPOOL, &(nc_attr){ .k = 3, .pad = 1, .count_pad = 2 }, 1, &s);

    /* batchnorm attributes */
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .eps = -1e-5f }, 1, &s);
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .momentum = 1.5f }, 1, &s);
    expect_inval(NC_OP_BATCHNORM, &(nc_attr){ .momentum = -0.1f }, 1, &s);

    /* zero: negative stride */
    expect_inval(NC_OP_ZERO, &(nc_attr){ .stride = -1 }, 1, &s);

    /* input: never derives a shape */
    expect_inval(NC_OP_INPUT, NULL, 0, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_misc");
    TCase *tc = tcase_create("misc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rows);
    tcase_add_test(tc, test_input_shape_harmless);
    tcase_add_loop_test(tc, test_bn_gradcheck, 0, 8);
    tcase_add_test(tc, test_bn_train_forward_and_running_stats);
    tcase_add_test(tc, test_bn_eval_forward);
    tcase_add_test(tc, test_bn_large_offset);
    tcase_add_test(tc, test_bn_backward_adds);
    tcase_add_loop_test(tc, test_maxpool_gradcheck, 0, N_POOL_CFGS);
    tcase_add_loop_test(tc, test_avgpool_gradcheck, 0, 2 * N_POOL_CFGS);
    tcase_add_loop_test(tc, test_pool_reference, 0, 3 * N_POOL_CFGS);
    tcase_add_test(tc, test_maxpool_padding_never_wins);
    tcase_add_test(tc, test_maxpool_ties_first);
    tcase_add_test(tc, test_maxpool_inf_nan);
    tcase_add_test(tc, test_avgpool_corners);
    tcase_add_test(tc, test_relu);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_gap);
    tcase_add_test(tc, test_sum);
    tcase_add_test(tc, test_flatten);
    tcase_add_test(tc, test_zero);
    tcase_add_test(tc, test_softmax_xent_gradcheck);
    tcase_add_test(tc, test_softmax_xent_values);
    tcase_add_test(tc, test_shape_errors);
    tcase_add_test(tc, test_par_for_spans);
    tcase_add_loop_test(tc, test_threads_bit_identical, 0, 13);
    tcase_add_loop_test(tc, test_pool_threads_bit_identical, 0, 3 * N_POOL_CFGS);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
