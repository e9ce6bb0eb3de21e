/*
 * proxy_act.c — the proxies built on activations and the input Jacobian:
 * naswot and jacob_cov (definitions in predictors/proxy.h), and the small
 * double-precision linear algebra they need (n is a batch size, at most a
 * few hundred, so plain O(n^3) loops are enough).
 */
#include "predictors/proxy_int.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nc_proxy_sym_eig(double *a, int n, double *v)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < n; i++) {
            diag += a[i * n + i] * a[i * n + i];
            for (int j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        }
        if (off <= 1e-30 * diag || off == 0)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0)
                    continue;
                /* The rotation that zeroes a[p][q] (Golub & Van Loan 8.4). */
                double th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < n; i++)
        v[i] = a[i * n + i];
}

double nc_proxy_logdet(double *a, int n)
{
    double ld = 0;
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > fabs(a[p * n + k]))
                p = i;
        if (a[p * n + k] == 0)
            return -INFINITY;
        if (p != k)
            for (int j = 0; j < n; j++) {
                double t = a[k * n + j];
                a[k * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
        double piv = a[k * n + k];
        ld += log(fabs(piv));
        for (int i = k + 1; i < n; i++) {
            double f = a[i * n + k] / piv;
            if (f != 0)
                for (int j = k + 1; j < n; j++)
                    a[i * n + j] -= f * a[k * n + j];
        }
    }
    return ld;
}

nc_status nc_proxy_naswot(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                          double *raw)
{
    int n = b->n;
    nc_status st = nc_net_forward(ctx, net, b->x, NULL, n, 1, NULL);
    if (st)
        return st;
    size_t maxhw = 0;
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info in;
        nc_net_node(net, i, &in);
        size_t hw = (size_t)in.out.h * in.out.w;
        if (in.kind == NC_OP_RELU && hw > maxhw)
            maxhw = hw;
    }
    size_t nn = (size_t)n * n;
    double *k = calloc(nn, sizeof *k);
    float *kf = malloc(nn * sizeof *kf);
    float *sg = malloc(((size_t)n * maxhw + 1) * sizeof *sg);
    if (!k || !kf || !sg) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Agreements of two +-1 codes over U units: (U + s_i . s_j) / 2. One
     * channel of a CNHW activation is an n x hw matrix, so s s^T is a
     * rank-k update per channel; the sums are integers below 2^24 per node,
     * exact in float, and carried across nodes in double. */
    for (int i = 0; i < nc_net_n_nodes(net); i++) {
        nc_net_node_info in;
        nc_net_node(net, i, &in);
        const float *y = nc_net_node_output(net, i);
        if (in.kind != NC_OP_RELU || !y)
            continue;
        size_t hw = (size_t)in.out.h * in.out.w;
        memset(kf, 0, nn * sizeof *kf);
        for (int c = 0; c < in.out.c; c++) {
            const float *yc = y + (size_t)c * n * hw;
            for (size_t p = 0; p < (size_t)n * hw; p++)
                sg[p] = yc[p] > 0 ? 1.0f : -1.0f;
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, (int)hw,
                        1.0f, sg, (int)hw, 1.0f, kf, n);
        }
        double u = (double)in.out.c * hw;
        for (int r = 0; r < n; r++)
            for (int q = r; q < n; q++)
                k[(size_t)r * n + q] += 0.5 * (u + kf[(size_t)r * n + q]);
    }
    for (int r = 0; r < n; r++)
        for (int q = 0; q < r; q++)
            k[(size_t)r * n + q] = k[(size_t)q * n + r];
    *raw = nc_proxy_logdet(k, n);
done:
    free(k);
    free(kf);
    free(sg);
    return st;
}

nc_status nc_proxy_jacob_cov(nc_ctx *ctx, nc_net *net, const nc_proxy_batch *b,
                             double *raw)
{
    int n = b->n, F = nc_net_n_classes(net);
    size_t hw = (size_t)b->shape.h * b->shape.w, d = (size_t)b->shape.c * hw;
    nc_status st = nc_net_forward(ctx, net, b->x, NULL, n, 1, NULL);
    if (st)
        return st;
    float *ones = malloc((size_t)F * n * sizeof *ones);
    double *jc = malloc((size_t)n * d * sizeof *jc);
    double *c = malloc((size_t)n * n * sizeof *c);
    double *v = malloc((size_t)n * sizeof *v);
    if (!ones || !jc || !c || !v) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)F * n; i++)
        ones[i] = 1.0f;
    nc_net_zero_grad(net);
    if ((st = nc_net_backward_from(ctx, net, ones)))
        goto done;
    const float *dx = nc_net_node_grad(net, 0);
    if (!dx && nc_net_input_reaches_output(net) == 0) {
        *raw = NAN; /* J = 0: every correlation is 0/0 */
        goto done;
    }
    if (!dx) {
        st = nc_fail(ctx, NC_ERR_STATE, "needs the input gradient: call "
                     "nc_net_want_input_grad before nc_net_finalize");
        goto done;
    }
    /* Row i: sample i's Jacobian, centred (numpy.corrcoef's rows). */
    for (int i = 0; i < n; i++) {
        double *row = jc + (size_t)i * d, mean = 0;
        for (int ch = 0; ch < b->shape.c; ch++)
            for (size_t p = 0; p < hw; p++)
                row[ch * hw + p] = dx[((size_t)ch * n + i) * hw + p];
        for (size_t p = 0; p < d; p++)
            mean += row[p];
        mean /= (double)d;
        for (size_t p = 0; p < d; p++)
            row[p] -= mean;
    }
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double s = 0;
            const double *ri = jc + (size_t)i * d, *rj = jc + (size_t)j * d;
            for (size_t p = 0; p < d; p++)
                s += ri[p] * rj[p];
            c[(size_t)i * n + j] = c[(size_t)j * n + i] = s;
        }
    for (int i = 0; i < n; i++)
        v[i] = sqrt(c[(size_t)i * n + i]);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            c[(size_t)i * n + j] /= v[i] * v[j];   /* NaN for a zero row */
    for (size_t i = 0; i < (size_t)n * n; i++)
        if (isnan(c[i])) {
            *raw = NAN;
            goto done;
        }
    nc_proxy_sym_eig(c, n, v);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += log(v[i] + 1e-5) + 1 / (v[i] + 1e-5);
    *raw = -s;
done:
    free(ones);
    free(jc);
    free(c);
    free(v);
    return st;
}
