/*
 * softmax_xent.c — softmax cross-entropy loss per sample.
 *
 * Input: logits (F, 1, 1), stored F × n (logit f of sample i at f*n + i).
 * Output: (1, 1, 1) per sample, y[i] = -log softmax(x[:, i])[labels[i]],
 * computed as logsumexp - x[label] around the max so no logit overflows.
 * The probabilities are saved (F × n, same layout) for the backward pass,
 * dx += dy[i] * (p - onehot(label)).
 *
 * A label outside [0, F) (or no labels at all) yields a NaN loss for that
 * sample rather than an out-of-bounds read, so the caller's finiteness check
 * reports it; its gradient is then p alone.
 *
 * Samples are independent: large batches of many classes are split over
 * the pool in spans of samples (each sample handled by one thread).
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <math.h>

static nc_status sx_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                          const nc_shape *in, nc_shape *out)
{
    (void)a;
    if (n_in != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "softmax_xent: needs 1 input, got %d",
                       n_in);
    if (in[0].h != 1 || in[0].w != 1)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "softmax_xent: logits must be (F,1,1), got %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    if (in[0].c < 2)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "softmax_xent: needs at least 2 classes, got %d", in[0].c);
    *out = (nc_shape){ 1, 1, 1 };
    return NC_OK;
}

static size_t sx_n_save(const nc_attr *a, const nc_shape *in, nc_shape out, int n)
{
    (void)a;
    (void)out;
    return (size_t)in[0].c * (size_t)n;
}

static int sx_label(const nc_exec *e, int i)
{
    if (!e->labels || e->labels[i] < 0 || e->labels[i] >= e->in[0].c)
        return -1;
    return e->labels[i];
}

static void sx_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t n = (size_t)e->n;
    int F = e->in[0].c;
    const float *x = e->x[0];
    float *p = e->save;
    /* One sample at a time: F is a class count (10..1000), so the strided
     * walk is short, and the per-sample sums stay in registers. */
    for (size_t i = lo; i < hi; i++) {
        float mx = x[i];
        for (int f = 1; f < F; f++)
            mx = x[(size_t)f * n + i] > mx ? x[(size_t)f * n + i] : mx;
        double s = 0;
        for (int f = 0; f < F; f++) {
            float ex = expf(x[(size_t)f * n + i] - mx);
            p[(size_t)f * n + i] = ex;
            s += ex;
        }
        float inv = (float)(1.0 / s);
        for (int f = 0; f < F; f++)
            p[(size_t)f * n + i] *= inv;
        int lab = sx_label(e, (int)i);
        e->y[i] = lab < 0 ? NAN
                          : (float)(log(s) - ((double)x[(size_t)lab * n + i] - mx));
    }
}

static void sx_forward(const nc_exec *e)
{
    size_t n = (size_t)e->n, F = (size_t)e->in[0].c;
    /* expf makes a logit cost about as much as several streamed floats. */
    nc_par_for(e, n, NC_PAR_LINE, 8 * F * n, sx_fwd_span, (void *)e);
}

/* p - 1 is formed before scaling by dy: for a confident correct class it is
 * a small exact difference, where adding dy*p and then subtracting dy would
 * cancel. Out-of-range labels never equal f, as documented above. */
static void sx_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const nc_exec *e = arg;
    size_t n = (size_t)e->n;
    int F = e->in[0].c;
    const float *restrict p = e->save;
    const float *restrict dy = e->dy;
    const int32_t *restrict lab = e->labels;
    float *restrict dx = e->dx[0];
    for (int f = 0; f < F; f++) {
        const float *restrict pf = p + (size_t)f * n;
        float *restrict dxf = dx + (size_t)f * n;
        if (lab)
            for (size_t i = lo; i < hi; i++)
                dxf[i] += dy[i] * (pf[i] - (lab[i] == f ? 1.0f : 0.0f));
        else
            for (size_t i = lo; i < hi; i++)
                dxf[i] += dy[i] * pf[i];
    }
}

static void sx_backward(const nc_exec *e)
{
    if (!e->dx[0])
        return;
    size_t n = (size_t)e->n, F = (size_t)e->in[0].c;
    nc_par_for(e, n, NC_PAR_LINE, 3 * F * n, sx_bwd_span, (void *)e);
}

const nc_op_def nc_op_softmax_xent_def = {
    .name = "softmax_xent",
    .min_in = 1,
    .max_in = 1,
    .shape = sx_shape,
    .n_save = sx_n_save,
    .forward = sx_forward,
    .backward = sx_backward,
};
