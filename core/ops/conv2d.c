/*
 * conv2d.c — 2-D convolution (square kernel, stride, zero padding, groups,
 * optional bias), PyTorch semantics and parameter layout.
 *
 * Three paths, chosen from the attributes alone:
 *   depthwise (groups == cin): a direct kernel, since its GEMMs would have a
 *     single row and run far below peak; e->work holds one staged plane;
 *   pointwise (k == 1, stride 1, pad 0): the CNHW input of a group already is
 *     the column matrix, so one GEMM per group reads it in place;
 *   general: im2col of a group into e->work, then one GEMM per group, over
 *     chunks of the batch sized so that the column matrix stays in cache
 *     between im2col writing it and the GEMM reading it (whole-batch columns
 *     run to 100+ MB and make both passes DRAM-bound); a chunk still has
 *     thousands of columns, which is all the GEMM needs to run at speed.
 */
#include "core/op.h"
#include "core/ops/ops.h"
#include "core/kernels/gemm.h"
#include "core/kernels/im2col.h"
#include "core/pool.h"

#include <math.h>
#include <string.h>

typedef struct conv_geom {
    int cin, h, w;      /* input, per sample */
    int cout, ho, wo;   /* output, per sample */
    int k, s, p, g;     /* kernel, stride, pad, groups (normalized) */
    int cin_g, cout_g;  /* channels per group */
    int kdim;           /* cin_g*k*k: GEMM inner dimension, weights per row */
} conv_geom;

static conv_geom conv_geom_of(const nc_attr *a, nc_shape in, nc_shape out)
{
    conv_geom c;
    c.cin = in.c;
    c.h = in.h;
    c.w = in.w;
    c.cout = a->cout;
    c.ho = out.h;
    c.wo = out.w;
    c.k = a->k;
    c.s = a->stride > 0 ? a->stride : 1;
    c.p = a->pad;
    c.g = a->groups > 0 ? a->groups : 1;
    c.cin_g = c.cin / c.g;
    c.cout_g = c.cout / c.g;
    c.kdim = c.cin_g * c.k * c.k;
    return c;
}

/* One input channel per group. Not for a plain conv of a 1-channel image
 * into many channels (the first layer of a grayscale net): that is one GEMM
 * with every output channel a row, which beats the direct kernel's single
 * row at a time, the more so for the weight gradient. */
static int conv_is_depthwise(const conv_geom *c)
{
    return c->cin_g == 1 && c->g == c->cin && (c->g > 1 || c->cout < 8);
}

static int conv_is_pointwise(const conv_geom *c)
{
    return c->k == 1 && c->s == 1 && c->p == 0;
}

/* Output size along one axis, or 0 if the kernel does not fit. */
static int conv_out_size(int in, int k, int s, int p)
{
    long span = (long)in + 2L * p - k;
    return span < 0 ? 0 : (int)(span / s + 1);
}

static nc_status conv_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                            const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: needs exactly 1 input, got %d",
                       n_in);
    nc_shape x = in[0];
    int s = a->stride > 0 ? a->stride : 1;
    int g = a->groups > 0 ? a->groups : 1;
    if (x.c < 1 || x.h < 1 || x.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: empty input %dx%dx%d",
                       x.c, x.h, x.w);
    if (a->k < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: kernel size %d < 1", a->k);
    if (a->cout < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "conv2d: output channels %d < 1",
                       a->cout);
    if (a->stride < 0 || a->pad < 0 || a->groups < 0)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: negative stride %d, pad %d or groups %d",
                       a->stride, a->pad, a->groups);
    if (x.c % g)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: input channels %d not divisible by groups %d",
                       x.c, g);
    if (a->cout % g)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: output channels %d not divisible by groups %d",
                       a->cout, g);
    int ho = conv_out_size(x.h, a->k, s, a->pad);
    int wo = conv_out_size(x.w, a->k, s, a->pad);
    if (ho < 1 || wo < 1)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "conv2d: kernel %d larger than input %dx%d padded by %d",
                       a->k, x.h, x.w, a->pad);
    *out = (nc_shape){ a->cout, ho, wo };
    return NC_OK;
}

static size_t conv_n_params(const nc_attr *a, const nc_shape *in)
{
    int g = a->groups > 0 ? a->groups : 1;
    size_t nw = (size_t)a->cout * (size_t)(in[0].c / g) * (size_t)a->k * a->k;
    return nw + (a->bias ? (size_t)a->cout : 0);
}

/* Target size of one chunk's column matrix, in floats. */
#ifndef NC_CONV_COL_FLOATS
#define NC_CONV_COL_FLOATS (1u << 18)
#endif

static size_t r16(size_t x)
{
    return (x + 15) & ~(size_t)15;
}

static size_t zmax(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Stride 1 with pad <= k-1: the input gradient is itself a convolution, of
 * dY padded by k-1-pad with the flipped, transposed kernel. That is one more
 * im2col + GEMM of the forward shape, where the alternative (dcol = Wᵀ·dY,
 * then col2im) is a GEMM with the short inner dimension cout and a
 * scatter-add of k*k times the input. */
static int conv_dx_as_conv(const conv_geom *c)
{
    return c->s == 1 && c->p <= c->k - 1;
}

/* Floats per image of the column buffer: the im2col of x, or of dY. */
static size_t conv_col_per_image(const conv_geom *c)
{
    size_t a = (size_t)c->kdim * c->ho * c->wo;
    if (conv_dx_as_conv(c))
        a = zmax(a, (size_t)c->cout_g * c->k * c->k * c->h * c->w);
    return a;
}

static int conv_chunk_max(const conv_geom *c)
{
    size_t m = NC_CONV_COL_FLOATS / conv_col_per_image(c);
    return m < 1 ? 1 : m > (1u << 30) ? 1 << 30 : (int)m;
}

/* Chunks of a batch of n on T threads: as few as the cache target allows,
 * but a multiple of T (when n allows), with sizes that differ by at most
 * one image (chunk i is images [i*n/nch, (i+1)*n/nch)), so every thread
 * gets the same work. A function of n and T alone, so every result bit
 * depends only on them. */
static int conv_chunks(const conv_geom *c, int n, int T)
{
    int cm = conv_chunk_max(c);
    int nch = (n + cm - 1) / cm;
    if (T > 1) {
        nch = (nch + T - 1) / T * T;
        if (nch > n)
            nch = n;
    }
    return nch;
}

/* One thread's scratch, as offsets in floats from its base (thread t's base
 * is e->work + t * e->n_work). wflip lives in thread 0's region only and is
 * read by all threads. */
typedef struct conv_lay {
    size_t wflip;   /* flipped weights for dX as a convolution */
    size_t part;    /* this thread's partial weight gradient */
    size_t col;     /* column matrix of one chunk */
    size_t stage;   /* im2col / depthwise staging */
    size_t pack;    /* nc_gemm's packed A */
    size_t total;
} conv_lay;

static conv_lay conv_layout(const conv_geom *c, int n)
{
    conv_lay L = { 0 };
    size_t nw = (size_t)c->cout * c->kdim, at = 0;
    if (conv_is_depthwise(c)) {
        L.part = at;
        at += r16(nw);
        L.stage = at;
        at += r16(nc_dwconv_scratch(c->k, c->s, c->ho, c->wo));
        L.total = at;
        return L;
    }
    const int kk = c->k * c->k;
    size_t pack = nc_gemm_pack_floats(c->cout_g, c->kdim);
    if (!conv_is_pointwise(c)) {
        int dxc = conv_dx_as_conv(c);
        if (dxc) {
            L.wflip = at;
            at += r16(nw);
        }
        L.part = at;
        at += r16(nw);
        int cm = conv_chunk_max(c);
        L.col = at;
        at += r16(conv_col_per_image(c) * (size_t)(cm < n ? cm : n));
        size_t st = nc_im2col_scratch(c->k, c->s, c->ho, c->wo);
        if (dxc)
            st = zmax(st, nc_im2col_scratch(c->k, 1, c->h, c->w));
        L.stage = at;
        at += r16(st);
        pack = zmax(pack, dxc ? nc_gemm_pack_floats(c->cin_g, c->cout_g * kk)
                              : nc_gemm_pack_floats(c->kdim, c->cout_g));
    } else {
        L.part = at;
        at += r16(nw);
        pack = zmax(pack, nc_gemm_pack_floats(c->cin_g, c->cout_g));
    }
    L.pack = at;
    at += r16(pack);
    L.total = at;
    return L;
}

static size_t conv_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                          int n)
{
    conv_geom c = conv_geom_of(a, in[0], out);
    return conv_layout(&c, n).total;
}
static void conv_init(const nc_attr *a, const nc_shape *in, float *w,
                      float *state, nc_rng *rng)
{
    (void)state;
    int g = a->groups > 0 ? a->groups : 1;
    size_t fan_in = (size_t)(in[0].c / g) * (size_t)a->k * a->k;
    size_t nw = (size_t)a->cout * fan_in;
    /* PyTorch: kaiming_uniform(a=sqrt(5)) gives this same bound. */
    float bound = (float)(1.0 / sqrt((double)fan_in));
    for (size_t i = 0; i < nw; i++)
        w[i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
    if (a->bias)
        for (int i = 0; i < a->cout; i++)
            w[nw + i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
}

/* Everything the parallel tasks of one forward or backward call share. */
typedef struct conv_job {
    const nc_exec *e;
    conv_geom c;
    conv_lay L;
    int T;            /* threads */
    int chunk, nch;   /* pointwise: columns per chunk; chunks per group */
    int ntasks;
    int dcb, dnb;     /* depthwise: channel blocks, batch blocks */
    int direct_dw;    /* tasks own disjoint weights: all add into e->dw */
    const float *bias;
} conv_job;

static conv_job conv_job_of(const nc_exec *e)
{
    conv_job j;
    memset(&j, 0, sizeof j);
    j.e = e;
    j.c = conv_geom_of(e->attr, e->in[0], e->out);
    j.L = conv_layout(&j.c, e->n);
    j.T = e->pool && e->threads > 1 ? e->threads : 1;
    j.bias = e->attr->bias ? e->w + (size_t)j.c.cout * j.c.kdim : NULL;
    const conv_geom *c = &j.c;
    if (conv_is_depthwise(c)) {
        /* Channels if there are enough, else images (the first conv of a
         * grayscale net has one input channel). */
        if (c->cin >= j.T) {
            j.dcb = j.T;
            j.dnb = 1;
        } else {
            j.dcb = c->cin;
            j.dnb = j.T < e->n ? j.T : e->n;
        }
        j.ntasks = j.dcb * j.dnb;
        j.direct_dw = j.dnb == 1;
    } else if (conv_is_pointwise(c)) {
        /* Column ranges of a multiple of 16 floats (whole vectors). */
        int ncol = e->n * c->ho * c->wo;
        int span = (ncol + j.T - 1) / j.T;
        j.chunk = (span + 15) & ~15;
        j.nch = (ncol + j.chunk - 1) / j.chunk;
        j.ntasks = c->g * j.nch;
    } else {
        j.nch = conv_chunks(c, e->n, j.T);
        j.ntasks = c->g * j.nch;
    }
    return j;
}

static float *job_region(const conv_job *j, int t)
{
    return j->e->work + (j->T > 1 ? (size_t)t * j->e->n_work : 0);
}

/* Where thread t adds its weight gradient: thread 0 straight into e->dw,
 * the others into their partials, which conv_reduce adds in thread order. A
 * thread zeroes its partial on its first task (task == t). */
static float *job_dw(const conv_job *j, int task, int t)
{
    if (t == 0 || j->direct_dw)
        return j->e->dw;
    float *p = job_region(j, t) + j->L.part;
    if (task == t)
        memset(p, 0, (size_t)j->c.cout * j->c.kdim * sizeof(float));
    return p;
}

static void dw_range(const conv_job *j, int task, int *c0, int *cc, int *n0,
                     int *m)
{
    int cb = task / j->dnb, nb = task % j->dnb, n = j->e->n;
    *c0 = (int)((long)cb * j->c.cin / j->dcb);
    *cc = (int)((long)(cb + 1) * j->c.cin / j->dcb) - *c0;
    *n0 = (int)((long)nb * n / j->dnb);
    *m = (int)((long)(nb + 1) * n / j->dnb) - *n0;
}

static void conv_fwd_task(void *arg, int task, int t)
{
    const conv_job *j = arg;
    const nc_exec *e = j->e;
    const conv_geom *c = &j->c;
    float *r = job_region(j, t);
    const int n = e->n, howo = c->ho * c->wo, ncol = n * howo;
    const size_t plane = (size_t)c->h * c->w;
    if (conv_is_depthwise(c)) {
        int c0, cc, n0, m;
        dw_range(j, task, &c0, &cc, &n0, &m);
        int mult = c->cout / c->cin;
        if (cc > 0 && m > 0)
            nc_dwconv_forward(e->y + ((size_t)c0 * mult * n + n0) * howo,
                              r + j->L.stage,
                              e->x[0] + ((size_t)c0 * n + n0) * plane,
                              e->w + (size_t)c0 * mult * c->k * c->k,
                              j->bias ? j->bias + (size_t)c0 * mult : NULL,
                              cc, mult, n, m, c->h, c->w, c->k, c->s, c->p,
                              c->ho, c->wo);
        return;
    }
    const int g = task / j->nch, i = task % j->nch;
    const size_t xg = (size_t)c->cin_g * n * plane;
    const float *wg = e->w + (size_t)g * c->cout_g * c->kdim;
    const float *bg = j->bias ? j->bias + (size_t)g * c->cout_g : NULL;
    float *yg = e->y + (size_t)g * c->cout_g * ncol;
    if (conv_is_pointwise(c)) {
        int c0 = i * j->chunk, cols = ncol - c0 < j->chunk ? ncol - c0 : j->chunk;
        nc_gemm(c->cout_g, cols, c->kdim, wg, c->kdim, 1, e->x[0] + g * xg + c0,
                (size_t)ncol, yg + c0, (size_t)ncol, 0, bg, r + j->L.pack);
        return;
    }
    int n0 = (int)((long)i * n / j->nch);
    int m = (int)((long)(i + 1) * n / j->nch) - n0;
    float *col = r + j->L.col;
    nc_im2col(col, r + j->L.stage, e->x[0] + g * xg + n0 * plane, c->cin_g, n,
              m, c->h, c->w, c->k, c->s, c->p, c->ho, c->wo);
    nc_gemm(c->cout_g, m * howo, c->kdim, wg, c->kdim, 1, col, (size_t)m * howo,
            yg + (size_t)n0 * howo, (size_t)ncol, 0, bg, r + j->L.pack);
}

static void conv_forward(const nc_exec *e)
{
    conv_job j = conv_job_of(e);
    nc_pool_run(j.T > 1 ? e->pool : NULL, j.ntasks, conv_fwd_task, &j);
}

static void conv_bwd_task(void *arg, int task, int t)
{
    const conv_job *j = arg;
    const nc_exec *e = j->e;
    const conv_geom *c = &j->c;
    float *r = job_region(j, t), *dx = e->dx[0];
    float *dw = e->dw ? job_dw(j, task, t) : NULL;
    const int n = e->n, howo = c->ho * c->wo, ncol = n * howo;
    const int kk = c->k * c->k;
    const size_t plane = (size_t)c->h * c->w;
    if (conv_is_depthwise(c)) {
        int c0, cc, n0, m;
        dw_range(j, task, &c0, &cc, &n0, &m);
        int mult = c->cout / c->cin;
        if (cc > 0 && m > 0)
            nc_dwconv_backward(dx ? dx + ((size_t)c0 * n + n0) * plane : NULL,
                               dw ? dw + (size_t)c0 * mult * kk : NULL,
                               r + j->L.stage,
                               e->dy + ((size_t)c0 * mult * n + n0) * howo,
                               e->x[0] + ((size_t)c0 * n + n0) * plane,
                               e->w + (size_t)c0 * mult * kk, cc, mult, n, m,
                               c->h, c->w, c->k, c->s, c->p, c->ho, c->wo);
        return;
    }
    const int g = task / j->nch, i = task % j->nch;
    const size_t xg = (size_t)c->cin_g * n * plane;
    const float *wg = e->w + (size_t)g * c->cout_g * c->kdim;
    const float *dyg = e->dy + (size_t)g * c->cout_g * ncol;
    float *dwg = dw ? dw + (size_t)g * c->cout_g * c->kdim : NULL;
    float *pack = r + j->L.pack;
    if (conv_is_pointwise(c)) {
        int c0 = i * j->chunk, cols = ncol - c0 < j->chunk ? ncol - c0 : j->chunk;
        if (dwg)
            nc_gemm_nt(c->cout_g, c->kdim, cols, dyg + c0, (size_t)ncol,
                       e->x[0] + g * xg + c0, (size_t)ncol, dwg,
                       (size_t)c->kdim);
        if (dx)
            nc_gemm(c->cin_g, cols, c->cout_g, wg, 1, c->kdim, dyg + c0,
                    (size_t)ncol, dx + g * xg + c0, (size_t)ncol, 1, NULL,
                    pack);
        return;
    }
    int n0 = (int)((long)i * n / j->nch);
    int m = (int)((long)(i + 1) * n / j->nch) - n0;
    int mcol = m * howo;
    float *col = r + j->L.col, *stage = r + j->L.stage;
    dyg += (size_t)n0 * howo;
    if (dwg) {
        nc_im2col(col, stage, e->x[0] + g * xg + n0 * plane, c->cin_g, n, m,
                  c->h, c->w, c->k, c->s, c->p, c->ho, c->wo);
        /* dW_g[cout_g × kdim] += dY_g · colᵀ, summed along the pixels. */
        nc_gemm_nt(c->cout_g, c->kdim, mcol, dyg, (size_t)ncol, col,
                   (size_t)mcol, dwg, (size_t)c->kdim);
    }
    if (!dx)
        return;
    float *dxg = dx + g * xg + n0 * plane;
    if (conv_dx_as_conv(c)) {
        const float *wf = job_region(j, 0) + j->L.wflip
                          + (size_t)g * c->cin_g * c->cout_g * kk;
        int mpix = m * c->h * c->w;
        nc_im2col(col, stage, dyg, c->cout_g, n, m, c->ho, c->wo, c->k, 1,
                  c->k - 1 - c->p, c->h, c->w);
        nc_gemm(c->cin_g, mpix, c->cout_g * kk, wf, (ptrdiff_t)c->cout_g * kk,
                1, col, (size_t)mpix, dxg, (size_t)n * plane, 1, NULL, pack);
    } else {
        /* dcol[kdim × mcol] = W_gᵀ · dY_g, folded back by col2im. */
        nc_gemm(c->kdim, mcol, c->cout_g, wg, 1, c->kdim, dyg, (size_t)ncol,
                col, (size_t)mcol, 0, NULL, pack);
        nc_col2im_add(dxg, stage, col, c->cin_g, n, m, c->h, c->w, c->k, c->s,
                      c->p, c->ho, c->wo);
    }
}

/* Task t of T adds, for its range of output channels, the partial weight
 * gradients of threads 1.. (in that order) into e->dw, and the bias
 * gradient. */
typedef struct conv_red {
    const conv_job *j;
    int parts;   /* threads that ran a task: partials 1..parts-1 */
} conv_red;

static void conv_reduce_task(void *arg, int task, int t)
{
    (void)t;
    const conv_red *rd = arg;
    const conv_job *j = rd->j;
    const nc_exec *e = j->e;
    const conv_geom *c = &j->c;
    int r0 = (int)((long)task * c->cout / j->T);
    int r1 = (int)((long)(task + 1) * c->cout / j->T);
    size_t lo = (size_t)r0 * c->kdim, hi = (size_t)r1 * c->kdim;
    for (int p = 1; p < rd->parts; p++) {
        const float *src = job_region(j, p) + j->L.part;
        for (size_t q = lo; q < hi; q++)
            e->dw[q] += src[q];
    }
    if (j->bias && r1 > r0)
        nc_rows_sum_add(e->dw + (size_t)c->cout * c->kdim + r0,
                        e->dy + (size_t)r0 * e->n * c->ho * c->wo,
                        (size_t)(r1 - r0), (size_t)e->n * c->ho * c->wo);
}

/* Wf[g][ci][co][ky][kx] = W[g*cout_g + co][ci][k-1-ky][k-1-kx]: the kernel
 * of the input gradient as a convolution of dY. */
static void conv_flip(float *wf, const float *w, const conv_geom *c)
{
    const int k = c->k, kk = k * k;
    for (int g = 0; g < c->g; g++)
        for (int ci = 0; ci < c->cin_g; ci++)
            for (int co = 0; co < c->cout_g; co++) {
                const float *src = w + ((size_t)(g * c->cout_g + co) * c->cin_g
                                        + ci) * kk;
                float *dst = wf + (((size_t)g * c->cin_g + ci) * c->cout_g + co)
                                  * kk;
                for (int q = 0; q < kk; q++)
                    dst[q] = src[kk - 1 - q];
            }
}

static void conv_backward(const nc_exec *e)
{
    if (!e->dw && !e->dx[0])
        return;
    conv_job j = conv_job_of(e);
    const conv_geom *c = &j.c;
    if (e->dx[0] && !conv_is_depthwise(c) && !conv_is_pointwise(c) &&
        conv_dx_as_conv(c))
        conv_flip(job_region(&j, 0) + j.L.wflip, e->w, c);
    nc_pool *pool = j.T > 1 ? e->pool : NULL;
    nc_pool_run(pool, j.ntasks, conv_bwd_task, &j);
    if (!e->dw)
        return;
    if (j.T == 1) {
        if (j.bias)
            nc_rows_sum_add(e->dw + (size_t)c->cout * c->kdim, e->dy,
                            (size_t)c->cout, (size_t)e->n * c->ho * c->wo);
        return;
    }
    conv_red rd = { &j, j.direct_dw ? 1 : j.ntasks < j.T ? j.ntasks : j.T };
    nc_pool_run(pool, j.T, conv_reduce_task, &rd);
}
static double conv_macs(const nc_attr *a, const nc_shape *in, nc_shape out)
{
    int g = a->groups > 0 ? a->groups : 1;
    return (double)a->cout * out.h * out.w * (double)(in[0].c / g) * a->k * a->k;
}

const nc_op_def nc_op_conv2d_def = {
    .name = "conv2d",
    .min_in = 1,
    .max_in = 1,
    .shape = conv_shape,
    .n_params = conv_n_params,
    .n_work = conv_n_work,
    .init = conv_init,
    .forward = conv_forward,
    .backward = conv_backward,
    .macs = conv_macs,
};
