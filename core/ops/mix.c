/*
 * mix.c — a supernet edge: the weighted sum of K candidate ops' outputs,
 *     y = sum_k w_k x_k,   w_k = mask_k * (hard ? 1 : softmax(alpha)_k)
 * (without alpha parameters, w_k = mask_k).
 *
 * One row serves every way a weight-sharing supernet runs an edge:
 *   DARTS      soft mode, every mask 1: the continuous relaxation, with the
 *              architecture weights alpha as this node's parameters;
 *   DARTS-PT   soft mode with one mask 0: the edge without one op;
 *   SPOS, a chosen subnet: hard mode, one mask 1: exactly that op.
 * Mask and mode are state (mask[K], then hard), not attributes, so a caller
 * switches them between steps without rebuilding the net, and a checkpoint
 * of the state keeps them. Inputs with w_k = 0 are not read, and the row's
 * input_live says so: the net then skips every node that only feeds them,
 * which is what makes single-path training cost one path.
 */
#include "core/ops/ops.h"
#include "core/ops/par.h"

#include <math.h>
#include <string.h>

static nc_status mix_shape(nc_ctx *ctx, const nc_attr *a, int n_in,
                           const nc_shape *in, nc_shape *out)
{
    if (n_in < 1 || n_in > NC_MAX_IN)
        return nc_fail(ctx, NC_ERR_INVAL, "mix: needs 1..%d inputs, got %d",
                       NC_MAX_IN, n_in);
    if (in[0].c < 1 || in[0].h < 1 || in[0].w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "mix: bad input shape %dx%dx%d",
                       in[0].c, in[0].h, in[0].w);
    if (a->cout != n_in)
        return nc_fail(ctx, NC_ERR_INVAL, "mix: attribute cout %d must equal "
                       "the %d inputs", a->cout, n_in);
    nc_status st = nc_op_shape_same(ctx, a, n_in, in, out);
    if (st)
        nc_ctx_prefix(ctx, "mix");
    return st;
}

/* The number of inputs is not in the attributes, so the sizes below are
 * per input count: the net passes in[] of n_in shapes but not n_in itself.
 * attr.cout carries K (set by nc_net_mix). */
static size_t mix_n_params(const nc_attr *a, const nc_shape *in)
{
    (void)in;
    return a->bias ? (size_t)a->cout : 0;
}

static size_t mix_n_state(const nc_attr *a, const nc_shape *in)
{
    (void)in;
    return (size_t)a->cout + 1;
}

static void mix_init(const nc_attr *a, const nc_shape *in, float *w,
                     float *state, nc_rng *rng)
{
    (void)in;
    int K = a->cout;
    for (int k = 0; k < K; k++)
        state[k] = 1.0f;
    state[K] = 0.0f;
    /* DARTS's initialization: alpha ~ 1e-3 N(0, 1). */
    if (a->bias)
        for (int k = 0; k < K; k++)
            w[k] = 1e-3f * nc_rng_normal(rng);
}

/* The edge weights w[0..K) from mask, mode and alpha. */
static void mix_weights(const nc_attr *a, const float *alpha,
                        const float *state, float *w)
{
    int K = a->cout, hard = state[K] != 0.0f;
    if (!a->bias || hard) {
        for (int k = 0; k < K; k++)
            w[k] = state[k] != 0.0f ? 1.0f : 0.0f;
        return;
    }
    float mx = alpha[0];
    for (int k = 1; k < K; k++)
        mx = alpha[k] > mx ? alpha[k] : mx;
    double z = 0;
    for (int k = 0; k < K; k++)
        z += exp((double)(alpha[k] - mx));
    for (int k = 0; k < K; k++)
        w[k] = state[k] != 0.0f ? (float)(exp((double)(alpha[k] - mx)) / z) : 0.0f;
}

static int mix_input_live(const nc_attr *a, const float *w, const float *state,
                          int j)
{
    (void)w;
    return j < a->cout && state[j] != 0.0f;
}

typedef struct mix_job {
    const nc_exec *e;
    float w[NC_MAX_IN];
} mix_job;

/* Inputs are added in index order, so each element is bit-identical for
 * any split of the range. */
static void mix_fwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const mix_job *j = arg;
    const nc_exec *e = j->e;
    float *restrict y = e->y;
    int first = 1;
    for (int k = 0; k < e->n_in; k++) {
        if (j->w[k] == 0.0f)
            continue;
        const float *restrict x = e->x[k];
        float wk = j->w[k];
        if (first && wk == 1.0f)
            memcpy(y + lo, x + lo, (hi - lo) * sizeof(float));
        else if (first)
            for (size_t i = lo; i < hi; i++)
                y[i] = wk * x[i];
        else
            for (size_t i = lo; i < hi; i++)
                y[i] += wk * x[i];
        first = 0;
    }
    if (first)
        memset(y + lo, 0, (hi - lo) * sizeof(float));
}

static void mix_forward(const nc_exec *e)
{
    mix_job j = { .e = e };
    mix_weights(e->attr, e->w, e->state, j.w);
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, (size_t)(e->n_in + 1) * m, mix_fwd_span, &j);
}

static void mix_bwd_span(void *arg, size_t lo, size_t hi, int thread)
{
    (void)thread;
    const mix_job *j = arg;
    const nc_exec *e = j->e;
    const float *restrict dy = e->dy;
    for (int k = 0; k < e->n_in; k++) {
        if (j->w[k] == 0.0f || !e->dx[k])
            continue;
        float *restrict dx = e->dx[k];
        float wk = j->w[k];
        for (size_t i = lo; i < hi; i++)
            dx[i] += wk * dy[i];
    }
}

static void mix_backward(const nc_exec *e)
{
    const nc_attr *a = e->attr;
    mix_job j = { .e = e };
    mix_weights(a, e->w, e->state, j.w);
    size_t m = (size_t)e->n * nc_shape_size(e->out);
    nc_par_for(e, m, NC_PAR_LINE, (size_t)(2 * e->n_in + 1) * m, mix_bwd_span, &j);
    int K = a->cout;
    if (!a->bias || !e->dw || e->state[K] != 0.0f)
        return;
    /* dL/dalpha_i = sum_k g_k dw_k/dalpha_i with g_k = <dy, x_k> and
     * w_k = mask_k s_k: dw_k/dalpha_i = mask_k s_k (delta_ki - s_i). Masked
     * inputs have g_k * mask_k = 0, so they are never read. */
    double g[NC_MAX_IN] = { 0 }, s[NC_MAX_IN], gs = 0;
    float mx = e->w[0];
    for (int k = 1; k < K; k++)
        mx = e->w[k] > mx ? e->w[k] : mx;
    double z = 0;
    for (int k = 0; k < K; k++)
        z += (s[k] = exp((double)(e->w[k] - mx)));
    for (int k = 0; k < K; k++) {
        s[k] /= z;
        if (e->state[k] == 0.0f)
            continue;
        const float *x = e->x[k];
        double acc = 0;
        for (size_t i = 0; i < m; i++)
            acc += (double)e->dy[i] * x[i];
        g[k] = acc;
        gs += acc * s[k];
    }
    for (int i = 0; i < K; i++)
        e->dw[i] += (float)(s[i] * ((e->state[i] != 0.0f ? g[i] : 0.0) - gs));
}

const nc_op_def nc_op_mix_def = {
    .name = "mix",
    .min_in = 1,
    .max_in = NC_MAX_IN,
    .shape = mix_shape,
    .n_params = mix_n_params,
    .n_state = mix_n_state,
    .init = mix_init,
    .forward = mix_forward,
    .backward = mix_backward,
    .input_live = mix_input_live,
};
