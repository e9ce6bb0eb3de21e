/*
 * test_ops_conv_threads.c — conv2d and linear on 2 and 3 pool threads
 * against 1 (bit-equal where no element is summed across threads, and
 * reproducible per thread count), and the GEMM kernels under both against
 * cblas. Single-thread correctness is in test_ops_conv.c.
 */
#include "core/kernels/gemm.h"
#include "core/op.h"
#include "core/pool.h"
#include "tests/util/test_ops_conv_int.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- threads ---------------------------------------------------------- */

/* Configs for the thread tests: every path, with more chunks than threads
 * where the path chunks. */
static const conv_cfg thr_cfgs[] = {
    /* cin h  w cout k  s  p  g bias n */
    { 3, 9, 8, 5, 3, 1, 1, 1, 1, 7 },     /* general, dX as a conv */
    { 4, 9, 7, 6, 3, 2, 1, 2, 1, 5 },     /* general, stride 2: col2im */
    { 2, 5, 5, 3, 3, 1, 3, 1, 1, 4 },     /* pad > k-1: col2im */
    { 4, 171, 172, 4, 3, 1, 1, 2, 1, 3 }, /* one image per chunk, groups */
    { 6, 7, 9, 5, 1, 1, 0, 1, 1, 6 },     /* pointwise */
    { 4, 6, 7, 6, 1, 1, 0, 2, 0, 5 },     /* grouped pointwise */
    { 5, 8, 6, 5, 3, 1, 1, 5, 1, 4 },     /* depthwise over channels */
    { 1, 9, 9, 6, 3, 1, 1, 1, 1, 7 },     /* one input channel: over images */
    { 1, 12, 11, 8, 3, 1, 1, 1, 1, 7 },   /* ... but GEMM from 8 outputs */
    { 2, 9, 8, 4, 5, 2, 2, 2, 0, 5 },     /* depthwise x2, 5x5 s2 */
};
enum { N_THR_CFGS = sizeof thr_cfgs / sizeof thr_cfgs[0] };

typedef struct op_out {
    float *y, *dx, *dw;
} op_out;

/* Forward then backward of op d on pool threads T (work of T × nwork, full
 * of NaN; gradients pre-set to 0.5, since backward adds). */
static op_out run_threads(const nc_op_def *d, const nc_attr *a, nc_shape in,
                          nc_shape out, int n, int T, const float *x,
                          const float *w, const float *dy)
{
    size_t nx = (size_t)n * nc_shape_size(in), ny = (size_t)n * nc_shape_size(out);
    size_t nw = d->n_params(a, &in);
    size_t nwork = d->n_work ? d->n_work(a, &in, out, n) : 0;
    op_out o = { alloc_floats(ny), alloc_floats(nx), alloc_floats(nw) };
    float *work = alloc_floats((size_t)T * nwork);
    fill_value(work, (size_t)T * nwork, NAN);
    fill_value(o.y, ny, NAN);
    fill_value(o.dx, nx, 0.5f);
    fill_value(o.dw, nw, 0.5f);
    nc_pool *pool = nc_pool_new(T);
    ck_assert(T == 1 || pool);
    nc_exec e = { .attr = a, .n = n, .train = 1, .threads = T, .pool = pool,
                  .n_in = 1, .in = { in }, .out = out, .x = { x },
                  .dx = { o.dx }, .y = o.y, .dy = dy, .w = (float *)w,
                  .dw = o.dw, .work = work, .n_work = nwork };
    d->forward(&e);
    fill_value(work, (size_t)T * nwork, NAN);
    d->backward(&e);
    nc_pool_free(pool);
    free(work);
    return o;
}

static void out_free(op_out *o)
{
    free(o->y);
    free(o->dx);
    free(o->dw);
}

/* Index of the first |a - b| > tol * (1 + |b|), or n. */
static size_t first_far(const float *a, const float *b, double tol, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= tol * (1 + fabs((double)b[i]))))
            return i;
    return n;
}

/* 2 and 3 threads against 1: the forward output and the input gradient are
 * computed element by element the same way whatever the split (bit-equal
 * with nc_gemm's own kernels; cblas_sgemm, the fallback, promises no such
 * thing), the weight gradient sums per-thread partials so only agrees to
 * rounding. Each thread count must reproduce its own bits. */
START_TEST(test_conv_threads)
{
    const conv_cfg *c = &thr_cfgs[_i];
    conv_case t;
    case_make(&t, c);
    nc_rng r = nc_rng_make(77, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(t.nx), *w = alloc_floats(t.nw), *dy = alloc_floats(t.ny);
    fill_normal(x, t.nx, &r);
    fill_normal(w, t.nw, &r);
    fill_normal(dy, t.ny, &r);
    op_out one = run_threads(t.d, &t.a, t.in, t.out, c->n, 1, x, w, dy);
    const int exact = nc_gemm_simd();
    for (int T = 2; T <= 3; T++) {
        op_out a = run_threads(t.d, &t.a, t.in, t.out, c->n, T, x, w, dy);
        op_out b = run_threads(t.d, &t.a, t.in, t.out, c->n, T, x, w, dy);
        size_t i;
        i = exact ? first_diff(a.y, one.y, t.ny) : first_far(a.y, one.y, 1e-5, t.ny);
        ck_assert_msg(i == t.ny, "config %d, %d threads: y[%zu] %.9g vs %.9g",
                      _i, T, i, a.y[i % t.ny], one.y[i % t.ny]);
        i = exact ? first_diff(a.dx, one.dx, t.nx) : first_far(a.dx, one.dx, 1e-5, t.nx);
        ck_assert_msg(i == t.nx, "config %d, %d threads: dx[%zu] %.9g vs %.9g",
                      _i, T, i, a.dx[i % t.nx], one.dx[i % t.nx]);
        i = first_far(a.dw, one.dw, 1e-4, t.nw);
        ck_assert_msg(i == t.nw, "config %d, %d threads: dw[%zu] %.9g vs %.9g",
                      _i, T, i, a.dw[i % t.nw], one.dw[i % t.nw]);
        ck_assert_msg(first_diff(a.y, b.y, t.ny) == t.ny &&
                      first_diff(a.dx, b.dx, t.nx) == t.nx &&
                      first_diff(a.dw, b.dw, t.nw) == t.nw,
                      "config %d, %d threads: not reproducible", _i, T);
        out_free(&a);
        out_free(&b);
    }
    out_free(&one);
    free(x);
    free(w);
    free(dy);
}
END_TEST

/* Linear splits rows of W for the forward pass and features for the
 * backward one: no element is summed across threads, so with nc_gemm's own
 * kernels every thread count gives the 1-thread bits. Sizes cover a split
 * (the first two) and a product too small to split. */
START_TEST(test_linear_threads)
{
    static const struct { int f, m, n; } cfg[] = {
        { 300, 70, 33 }, { 784, 64, 128 }, { 20, 10, 5 },
    };
    const int f = cfg[_i].f, m = cfg[_i].m, n = cfg[_i].n;
    const nc_op_def *d = nc_op_get(NC_OP_LINEAR);
    nc_attr a = { .cout = m, .bias = 1 };
    nc_shape in = { f, 1, 1 }, out = { m, 1, 1 };
    size_t nx = (size_t)f * n, ny = (size_t)m * n, nw = (size_t)m * f + m;
    nc_rng r = nc_rng_make(78, NC_STREAM(NC_PURPOSE_TEST, _i));
    float *x = alloc_floats(nx), *w = alloc_floats(nw), *dy = alloc_floats(ny);
    fill_normal(x, nx, &r);
    fill_normal(w, nw, &r);
    fill_normal(dy, ny, &r);
    op_out one = run_threads(d, &a, in, out, n, 1, x, w, dy);
    /* The 1-thread result against the definition, in double. */
    for (int o = 0; o < m; o++)
        for (int s = 0; s < n; s++) {
            double acc = w[(size_t)m * f + o], mag = fabs(acc);
            for (int i = 0; i < f; i++) {
                acc += (double)w[(size_t)o * f + i] * x[(size_t)i * n + s];
                mag += fabs((double)w[(size_t)o * f + i] * x[(size_t)i * n + s]);
            }
            ck_assert_msg(fabs(one.y[(size_t)o * n + s] - acc) <= 1e-5 * (1 + mag),
                          "y[%d,%d]", o, s);
        }
    for (int o = 0; o < m; o += 7)
        for (int i = 0; i < f; i += 5) {
            double g = 0.5, mag = 0.5;
            for (int s = 0; s < n; s++) {
                g += (double)dy[(size_t)o * n + s] * x[(size_t)i * n + s];
                mag += fabs((double)dy[(size_t)o * n + s] * x[(size_t)i * n + s]);
            }
            ck_assert_msg(fabs(one.dw[(size_t)o * f + i] - g) <= 1e-5 * (1 + mag),
                          "dw[%d,%d]", o, i);
        }
    for (int i = 0; i < f; i += 3)
        for (int s = 0; s < n; s++) {
            double g = 0.5, mag = 0.5;
            for (int o = 0; o < m; o++) {
                g += (double)w[(size_t)o * f + i] * dy[(size_t)o * n + s];
                mag += fabs((double)w[(size_t)o * f + i] * dy[(size_t)o * n + s]);
            }
            ck_assert_msg(fabs(one.dx[(size_t)i * n + s] - g) <= 1e-5 * (1 + mag),
                          "dx[%d,%d]", i, s);
        }
    const int exact = nc_gemm_simd();
    for (int T = 2; T <= 3; T++) {
        op_out t = run_threads(d, &a, in, out, n, T, x, w, dy);
        op_out t2 = run_threads(d, &a, in, out, n, T, x, w, dy);
        if (exact) {
            ck_assert_msg(first_diff(t.y, one.y, ny) == ny, "%d threads: y", T);
            ck_assert_msg(first_diff(t.dx, one.dx, nx) == nx, "%d threads: dx", T);
            ck_assert_msg(first_diff(t.dw, one.dw, nw) == nw, "%d threads: dw", T);
        } else {
            ck_assert_msg(first_far(t.y, one.y, 1e-5, ny) == ny, "%d threads: y", T);
            ck_assert_msg(first_far(t.dx, one.dx, 1e-5, nx) == nx, "%d threads: dx", T);
            ck_assert_msg(first_far(t.dw, one.dw, 1e-4, nw) == nw, "%d threads: dw", T);
        }
        ck_assert_msg(first_diff(t.y, t2.y, ny) == ny &&
                      first_diff(t.dx, t2.dx, nx) == nx &&
                      first_diff(t.dw, t2.dw, nw) == nw,
                      "%d threads: not reproducible", T);
        out_free(&t);
        out_free(&t2);
    }
    out_free(&one);
    free(x);
    free(w);
    free(dy);
}
END_TEST

/* ---- the GEMM under both ---------------------------------------------- */

/* nc_gemm and nc_gemm_nt against cblas_sgemm (their fallback) on shapes
 * that hit every tile height and width, masked column tails, several k
 * blocks, both strides of A, and each way C starts (zero, bias, C). */
START_TEST(test_gemm_shapes)
{
    static const int ms[] = { 1, 3, 8, 13, 16, 25, 64 };
    static const int ns[] = { 1, 7, 16, 17, 33, 49, 100 };
    static const int ks[] = { 0, 1, 5, 144, 257, 600 };
    nc_rng r = nc_rng_make(79, NC_STREAM(NC_PURPOSE_TEST, 0));
    int worst = -1;
    double wmax = 0;
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
            for (size_t q = 0; q < sizeof ks / sizeof *ks; q++) {
                int m = ms[a], n = ns[b], k = ks[q], trans = (a + b + q) % 2;
                int acc = (a + q) % 3 == 0, bias = b % 2;
                size_t lda = trans ? m + 3 : k + 2, ldb = n + 5, ldc = n + 1;
                size_t na = lda * (trans ? k : m), nb = ldb * k, nc = ldc * m;
                float *A = alloc_floats(na), *B = alloc_floats(nb);
                float *C = alloc_floats(nc), *C2 = alloc_floats(nc);
                float *bv = alloc_floats(m), *pack = alloc_floats(nc_gemm_pack_floats(m, k));
                fill_normal(A, na, &r);
                fill_normal(B, nb, &r);
                fill_normal(C, nc, &r);
                fill_normal(bv, m, &r);
                memcpy(C2, C, nc * sizeof(float));
                ptrdiff_t rsa = trans ? 1 : (ptrdiff_t)lda, csa = trans ? (ptrdiff_t)lda : 1;
                nc_gemm(m, n, k, A, rsa, csa, B, ldb, C, ldc, acc, bias ? bv : NULL, pack);
                nc_gemm_blas(m, n, k, A, rsa, csa, B, ldb, C2, ldc, acc, bias ? bv : NULL);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double d = fabs(C[i * ldc + j] - C2[i * ldc + j]) / sqrt(k + 1.0);
                        if (d > wmax) {
                            wmax = d;
                            worst = (int)(a * 100 + b * 10 + q);
                        }
                    }
                /* Columns past n are never written. */
                for (int i = 0; i < m; i++)
                    ck_assert(C[i * ldc + n] == C2[i * ldc + n]);
                free(A); free(B); free(C); free(C2); free(bv); free(pack);
            }
    ck_assert_msg(wmax < 1e-5, "nc_gemm off by %g (case %d)", wmax, worst);

    for (int m = 1; m < 20; m += 3)
        for (int n = 1; n < 30; n += 4)
            for (int k = 1; k < 3000; k = k * 3 + 1) {
                size_t lda = k + 3, ldb = k + 1, ldc = n + 2;
                float *A = alloc_floats(lda * m), *B = alloc_floats(ldb * n);
                float *C = alloc_floats(ldc * m), *C2 = alloc_floats(ldc * m);
                fill_normal(A, lda * m, &r);
                fill_normal(B, ldb * n, &r);
                fill_normal(C, ldc * m, &r);
                memcpy(C2, C, ldc * m * sizeof(float));
                nc_gemm_nt(m, n, k, A, lda, B, ldb, C, ldc);
                nc_gemm_nt_blas(m, n, k, A, lda, B, ldb, C2, ldc);
                size_t bad = first_far(C, C2, 1e-5 * sqrt(k + 1.0), ldc * m);
                ck_assert_msg(bad == ldc * m, "nc_gemm_nt m%d n%d k%d: %g vs %g",
                              m, n, k, C[bad % (ldc * m)], C2[bad % (ldc * m)]);
                free(A); free(B); free(C); free(C2);
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_conv_threads");
    TCase *tc = tcase_create("threads");
    tcase_add_loop_test(tc, test_conv_threads, 0, N_THR_CFGS);
    tcase_add_loop_test(tc, test_linear_threads, 0, 3);
    tcase_add_test(tc, test_gemm_shapes);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
