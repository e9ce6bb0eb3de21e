/*
 * linear.c — fully connected layer on flat features: Y[cout × n] =
 * W[cout × F] · X[F × n] + b, with the (F,1,1) CNHW input read as the F × n
 * matrix it already is. Parameters W[cout][F] then b[cout] (PyTorch).
 */
#include "core/op.h"
#include "core/ops/ops.h"
#include "core/kernels/gemm.h"
#include "core/kernels/im2col.h"
#include "core/pool.h"

#include <math.h>

static nc_status linear_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                              const nc_shape *in, nc_shape *out)
{
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: needs exactly 1 input, got %d",
                       n_in);
    if (in[0].c < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: empty input");
    if (in[0].h != 1 || in[0].w != 1)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "linear: input must be flat (F,1,1), got %dx%dx%d "
                       "(add a flatten or global pooling first)",
                       in[0].c, in[0].h, in[0].w);
    if (a->cout < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "linear: output features %d < 1",
                       a->cout);
    *out = (nc_shape){ a->cout, 1, 1 };
    return NC_OK;
}

static size_t linear_n_params(const nc_attr *a, const nc_shape *in)
{
    return (size_t)a->cout * (size_t)in[0].c + (a->bias ? (size_t)a->cout : 0);
}

static void linear_init(const nc_attr *a, const nc_shape *in, float *w,
                        float *state, nc_rng *rng)
{
    (void)state;
    size_t nw = (size_t)a->cout * (size_t)in[0].c;
    float bound = (float)(1.0 / sqrt((double)in[0].c));
    for (size_t i = 0; i < nw; i++)
        w[i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
    if (a->bias)
        for (int i = 0; i < a->cout; i++)
            w[nw + i] = bound * (2.0f * nc_rng_uniform(rng) - 1.0f);
}

/* Below this many multiply-adds a product runs as one task: splitting it
 * would cost more in fork-join than it saves. */
enum { LIN_SPLIT_MACS = 1 << 18 };

static size_t lin_r16(size_t x)
{
    return (x + 15) & ~(size_t)15;
}

/* Per thread: Xᵀ of its feature range (the B operand of dW = dY · Xᵀ), then
 * nc_gemm's pack. */
static size_t linear_n_work(const nc_attr *a, const nc_shape *in, nc_shape out,
                            int n)
{
    (void)out;
    const int f = in[0].c, m = a->cout;
    size_t pack = nc_gemm_pack_floats(m, f);
    size_t p2 = nc_gemm_pack_floats(m, n), p3 = nc_gemm_pack_floats(f, m);
    if (p2 > pack)
        pack = p2;
    if (p3 > pack)
        pack = p3;
    return lin_r16((size_t)n * f) + lin_r16(pack);
}

typedef struct lin_job {
    const nc_exec *e;
    int f, m, n, tasks;
    const float *bias;
} lin_job;

static lin_job lin_job_of(const nc_exec *e)
{
    lin_job j = { e, e->in[0].c, e->attr->cout, e->n, 1, NULL };
    int T = e->pool && e->threads > 1 ? e->threads : 1;
    if ((double)j.f * j.m * j.n >= LIN_SPLIT_MACS)
        j.tasks = T;
    j.bias = e->attr->bias ? e->w + (size_t)j.m * j.f : NULL;
    return j;
}

static float *lin_region(const lin_job *j, int t)
{
    return j->e->work + (size_t)t * j->e->n_work;
}

/* [lo, hi) of task t of `tasks` over `len`, in multiples of `al` but the
 * last. */
static void lin_range(int len, int tasks, int t, int al, int *lo, int *hi)
{
    int span = (len + tasks - 1) / tasks;
    span = (span + al - 1) / al * al;
    *lo = t * span < len ? t * span : len;
    *hi = (t + 1) * span < len ? (t + 1) * span : len;
}

static void lin_fwd_task(void *arg, int task, int t)
{
    const lin_job *j = arg;
    const nc_exec *e = j->e;
    int r0, r1;
    lin_range(j->m, j->tasks, task, 8, &r0, &r1);
    if (r1 > r0)
        nc_gemm(r1 - r0, j->n, j->f, e->w + (size_t)r0 * j->f, j->f, 1,
                e->x[0], (size_t)j->n, e->y + (size_t)r0 * j->n, (size_t)j->n,
                0, j->bias ? j->bias + r0 : NULL,
                lin_region(j, t) + lin_r16((size_t)j->n * j->f));
}

static void linear_forward(const nc_exec *e)
{
    lin_job j = lin_job_of(e);
    nc_pool_run(j.tasks > 1 ? e->pool : NULL, j.tasks, lin_fwd_task, &j);
}

/* Task t: the weight-gradient columns and input-gradient rows of its
 * feature range [f0, f1), and the bias gradient of its output rows. No two
 * tasks write the same element, so no reduction is needed and every element
 * is computed as on one thread. */
static void lin_bwd_task(void *arg, int task, int t)
{
    const lin_job *j = arg;
    const nc_exec *e = j->e;
    const int f = j->f, m = j->m, n = j->n;
    float *xt = lin_region(j, t), *pack = xt + lin_r16((size_t)n * f);
    int f0, f1;
    lin_range(f, j->tasks, task, 16, &f0, &f1);
    const int fs = f1 - f0;
    if (e->dw && fs > 0) {
        /* dW[:, f0:f1] += dY · X[f0:f1]ᵀ, with that slice of X transposed
         * so that the product reads both operands row-wise. */
        nc_transpose(xt, (size_t)fs, e->x[0] + (size_t)f0 * n, (size_t)n, fs,
                     n);
        nc_gemm(m, fs, n, e->dy, n, 1, xt, (size_t)fs, e->dw + f0, (size_t)f,
                1, NULL, pack);
    }
    if (e->dw && j->bias) {
        int r0, r1;
        lin_range(m, j->tasks, task, 1, &r0, &r1);
        if (r1 > r0)
            nc_rows_sum_add(e->dw + (size_t)m * f + r0, e->dy + (size_t)r0 * n,
                            (size_t)(r1 - r0), (size_t)n);
    }
    if (e->dx[0] && fs > 0)
        /* dX[f0:f1] += W[:, f0:f1]ᵀ · dY */
        nc_gemm(fs, n, m, e->w + f0, 1, f, e->dy, (size_t)n,
                e->dx[0] + (size_t)f0 * n, (size_t)n, 1, NULL, pack);
}

static void linear_backward(const nc_exec *e)
{
    if (!e->dw && !e->dx[0])
        return;
    lin_job j = lin_job_of(e);
    nc_pool_run(j.tasks > 1 ? e->pool : NULL, j.tasks, lin_bwd_task, &j);
}

static double linear_macs(const nc_attr *a, const nc_shape *in, nc_shape out)
{
    (void)out;
    return (double)a->cout * in[0].c;
}

const nc_op_def nc_op_linear_def = {
    .name = "linear",
    .min_in = 1,
    .max_in = 1,
    .shape = linear_shape,
    .n_params = linear_n_params,
    .n_work = linear_n_work,
    .init = linear_init,
    .forward = linear_forward,
    .backward = linear_backward,
    .macs = linear_macs,
};
