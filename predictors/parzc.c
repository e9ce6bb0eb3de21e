/*
 * parzc.c — the parametric zero-cost proxy of predictors/parzc.h: per-slot
 * weights fitted by Adam on a soft Kendall tau.
 */
#include "predictors/parzc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { D_MAX = 4096 };

struct nc_parzc {
    int d;
    nc_parzc_opts o;
    double *w;        /* d */
    double sigma;     /* SHARE/LOGSHARE scale, from the last fit (1 before) */
    double *mu, *sd;  /* LOGSHARE: per-slot standardization of the last fit */
};

/* LOGSHARE's floor under a share, so that a zero slot is a finite level. */
static const double LOG_EPS = 1e-4;

nc_parzc_opts nc_parzc_defaults(void)
{
    nc_parzc_opts o = { NC_PARZC_LSE, 300, 0.05, 0.1, 1e-3 };
    return o;
}

nc_status nc_parzc_new(nc_ctx *ctx, int d, const nc_parzc_opts *opts,
                       nc_parzc **out)
{
    nc_parzc_opts o = opts ? *opts : nc_parzc_defaults();
    if (d < 1 || d > D_MAX)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: %d statistics per row; "
                       "need 1..%d", d, D_MAX);
    if ((o.form != NC_PARZC_LSE && o.form != NC_PARZC_SHARE &&
         o.form != NC_PARZC_LOGSHARE) || o.steps < 0 ||
        !(o.lr > 0) || !(o.temp > 0) || !(o.l2 >= 0) || !isfinite(o.lr) ||
        !isfinite(o.temp) || !isfinite(o.l2))
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: options out of range (form "
                       "%d, steps %d, lr %g, temp %g, l2 %g; need form LSE or "
                       "SHARE, steps >= 0, lr > 0, temp > 0, l2 >= 0)",
                       (int)o.form, o.steps, o.lr, o.temp, o.l2);
    nc_parzc *m = calloc(1, sizeof *m);
    double *w = calloc((size_t)d, sizeof *w);
    double *mu = calloc((size_t)d, sizeof *mu), *sd = malloc((size_t)d * sizeof *sd);
    if (!m || !w || !mu || !sd) {
        free(m);
        free(w);
        free(mu);
        free(sd);
        return nc_fail(ctx, NC_ERR_NOMEM, "parzc: out of memory");
    }
    m->d = d;
    m->o = o;
    m->w = w;
    m->mu = mu;
    m->sd = sd;
    for (int l = 0; l < d; l++)
        sd[l] = 1;
    m->sigma = 1;
    *out = m;
    return NC_OK;
}

void nc_parzc_free(nc_parzc *m)
{
    if (!m)
        return;
    free(m->w);
    free(m->mu);
    free(m->sd);
    free(m);
}

const double *nc_parzc_weights(const nc_parzc *m)
{
    return m->w;
}

/* Checks rows (and y if given) as the header promises. */
static nc_status check_rows(nc_ctx *ctx, const nc_parzc *m, const double *s,
                            size_t n, int d, const double *y)
{
    if (d != m->d)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: rows have %d statistics, "
                       "the model %d", d, m->d);
    if (n > 0 && !s)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: no rows given");
    for (size_t i = 0; i < n; i++)
        for (int l = 0; l < d; l++) {
            double v = s[i * (size_t)d + (size_t)l];
            if (!isfinite(v))
                return nc_fail(ctx, NC_ERR_NUMERIC, "parzc: statistic %d of "
                               "row %zu is %g", l, i, v);
            if (v < 0)
                return nc_fail(ctx, NC_ERR_INVAL, "parzc: statistic %d of row "
                               "%zu is negative (%g)", l, i, v);
        }
    for (size_t i = 0; y && i < n; i++)
        if (!isfinite(y[i]))
            return nc_fail(ctx, NC_ERR_NUMERIC, "parzc: target of row %zu is "
                           "%g", i, y[i]);
    return NC_OK;
}

/* The fitted rows, in the form the objective needs: per row its plain
 * log-proxy, targets, and per slot log s (LSE; -inf for 0), the share
 * s_l / sum s (SHARE) or its standardized log (LOGSHARE). */
typedef struct prep {
    int d;
    nc_parzc_form form;
    size_t n;              /* non-degenerate rows */
    double *base;          /* n: log(sum_l s_l) */
    double *y;             /* n */
    double *z;             /* n x d: log s or share */
    double sigma, T;
    double *mu, *sd;       /* d: LOGSHARE standardization */
    double *f, *jac, *c;   /* scratch: n, n x d, n */
} prep;

static void prep_free(prep *p)
{
    free(p->base);
    free(p->y);
    free(p->z);
    free(p->f);
    free(p->jac);
    free(p->c);
    free(p->mu);
    free(p->sd);
}

static nc_status prep_make(nc_ctx *ctx, const nc_parzc *m, const double *s,
                           size_t n, int d, const double *y, prep *p)
{
    memset(p, 0, sizeof *p);
    if (!y)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: no targets given");
    nc_status st = check_rows(ctx, m, s, n, d, y);
    if (st)
        return st;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (int l = 0; l < d; l++)
            t += s[i * (size_t)d + (size_t)l];
        k += t > 0;
    }
    if (k < 2)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: %zu non-degenerate row%s "
                       "(of %zu); need at least 2 to rank", k,
                       k == 1 ? "" : "s", n);
    p->d = d;
    p->form = m->o.form;
    p->n = k;
    size_t dd = (size_t)d;
    p->base = malloc(k * sizeof *p->base);
    p->y = malloc(k * sizeof *p->y);
    p->z = malloc(k * dd * sizeof *p->z);
    p->f = malloc(k * sizeof *p->f);
    p->jac = malloc(k * dd * sizeof *p->jac);
    p->c = malloc(k * sizeof *p->c);
    p->mu = calloc(dd, sizeof *p->mu);
    p->sd = malloc(dd * sizeof *p->sd);
    if (!p->base || !p->y || !p->z || !p->f || !p->jac || !p->c || !p->mu ||
        !p->sd) {
        prep_free(p);
        return nc_fail(ctx, NC_ERR_NOMEM, "parzc: out of memory");
    }
    k = 0;
    for (size_t i = 0; i < n; i++) {
        const double *r = s + i * dd;
        double t = 0;
        for (int l = 0; l < d; l++)
            t += r[l];
        if (!(t > 0))
            continue;
        double *z = p->z + k * dd;
        for (int l = 0; l < d; l++)
            z[l] = m->o.form == NC_PARZC_LSE ? (r[l] > 0 ? log(r[l]) : -INFINITY)
                   : m->o.form == NC_PARZC_SHARE ? r[l] / t
                   : log(r[l] / t + LOG_EPS);
        p->base[k] = log(t);
        p->y[k++] = y[i];
    }
    double mean = 0, var = 0;
    for (size_t i = 0; i < k; i++)
        mean += p->base[i];
    mean /= (double)k;
    for (size_t i = 0; i < k; i++)
        var += (p->base[i] - mean) * (p->base[i] - mean);
    double sd = sqrt(var / (double)(k - 1));
    p->sigma = sd > 0 && isfinite(sd) ? sd : 1;
    p->T = m->o.temp * p->sigma;
    for (int l = 0; l < d; l++)
        p->sd[l] = 1;
    if (m->o.form == NC_PARZC_LOGSHARE) {
        /* Standardize each slot over the fitted rows, so that one step of
         * Adam and the L2 pull mean the same for every slot. */
        for (int l = 0; l < d; l++) {
            double mu = 0, v = 0;
            for (size_t i = 0; i < k; i++)
                mu += p->z[i * dd + (size_t)l];
            mu /= (double)k;
            for (size_t i = 0; i < k; i++) {
                double e = p->z[i * dd + (size_t)l] - mu;
                v += e * e;
            }
            double s_ = sqrt(v / (double)(k - 1));
            p->mu[l] = mu;
            p->sd[l] = s_ > 0 ? s_ : 1;
            for (size_t i = 0; i < k; i++)
                p->z[i * dd + (size_t)l] = (p->z[i * dd + (size_t)l] - mu) / p->sd[l];
        }
    }
    return NC_OK;
}

/* f = the scores of the fitted rows at w, and jac = df_i/dw_l (n x d). */
static void eval_f(const prep *p, const double *w)
{
    size_t dd = (size_t)p->d;
    for (size_t i = 0; i < p->n; i++) {
        const double *z = p->z + i * dd;
        double *J = p->jac + i * dd;
        if (p->form == NC_PARZC_LSE) {
            /* log sum exp(w_l + log s_l), from the largest term so that
             * statistics of 1e48 and more stay in range. */
            double mx = -INFINITY;
            for (size_t l = 0; l < dd; l++)
                if (w[l] + z[l] > mx)
                    mx = w[l] + z[l];
            double sum = 0;
            for (size_t l = 0; l < dd; l++) {
                J[l] = exp(w[l] + z[l] - mx);   /* exp(-inf) = 0 */
                sum += J[l];
            }
            for (size_t l = 0; l < dd; l++)
                J[l] /= sum;                    /* softmax: df/dw_l */
            p->f[i] = mx + log(sum);
        } else {
            double lin = 0;
            for (size_t l = 0; l < dd; l++) {
                J[l] = p->sigma * z[l];
                lin += w[l] * J[l];
            }
            p->f[i] = p->base[i] + lin;
        }
    }
}

/* J(w) into *obj and dJ/dw into grad (may be NULL). */
static void objective(const prep *p, const double *w, double l2, double *obj,
                      double *grad)
{
    eval_f(p, w);
    size_t n = p->n, dd = (size_t)p->d;
    double P = 0.5 * (double)n * (double)(n - 1), invT = 1 / p->T;
    double tau = 0;
    memset(p->c, 0, n * sizeof *p->c);
    /* Pairs (i, j), i < j: d tanh(u)/du = 1 - tanh^2, u = (f_i - f_j)/T, so
     * the pair adds sgn (1 - t^2)/T to dtau/df_i and takes it from
     * dtau/df_j; c collects dtau/df (times P). */
    for (size_t i = 0; i < n; i++) {
        double fi = p->f[i], yi = p->y[i], ci = 0;
        for (size_t j = i + 1; j < n; j++) {
            double sg = (yi > p->y[j]) - (yi < p->y[j]);
            if (sg == 0)
                continue;
            double t = tanh((fi - p->f[j]) * invT);
            tau += sg * t;
            double g = sg * (1 - t * t) * invT;
            ci += g;
            p->c[j] -= g;
        }
        p->c[i] += ci;
    }
    double pen = 0;
    for (size_t l = 0; l < dd; l++)
        pen += w[l] * w[l];
    *obj = tau / P - 0.5 * l2 * pen;
    if (!grad)
        return;
    for (size_t l = 0; l < dd; l++)
        grad[l] = 0;
    for (size_t i = 0; i < n; i++) {
        double ci = p->c[i] / P;
        const double *J = p->jac + i * dd;
        for (size_t l = 0; l < dd; l++)
            grad[l] += ci * J[l];
    }
    for (size_t l = 0; l < dd; l++)
        grad[l] -= l2 * w[l];
}

nc_status nc_parzc_objective(nc_ctx *ctx, const nc_parzc *m, const double *s,
                             size_t n, int d, const double *y, const double *w,
                             double *obj, double *grad)
{
    if (!w || !obj)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: objective needs w and obj");
    prep p;
    nc_status st = prep_make(ctx, m, s, n, d, y, &p);
    if (st)
        return st;
    objective(&p, w, m->o.l2, obj, grad);
    prep_free(&p);
    return NC_OK;
}

nc_status nc_parzc_fit(nc_ctx *ctx, nc_parzc *m, const double *s, size_t n,
                       int d, const double *y)
{
    prep p;
    nc_status st = prep_make(ctx, m, s, n, d, y, &p);
    if (st)
        return st;
    size_t dd = (size_t)d;
    double *w = calloc(dd, sizeof *w), *g = malloc(dd * sizeof *g);
    double *m1 = calloc(dd, sizeof *m1), *m2 = calloc(dd, sizeof *m2);
    if (!w || !g || !m1 || !m2) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "parzc: out of memory");
        goto done;
    }
    /* Adam, ascending J. */
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double p1 = 1, p2 = 1, obj;
    for (int t = 0; t < m->o.steps; t++) {
        objective(&p, w, m->o.l2, &obj, g);
        p1 *= b1;
        p2 *= b2;
        for (size_t l = 0; l < dd; l++) {
            m1[l] = b1 * m1[l] + (1 - b1) * g[l];
            m2[l] = b2 * m2[l] + (1 - b2) * g[l] * g[l];
            double mh = m1[l] / (1 - p1), vh = m2[l] / (1 - p2);
            w[l] += m->o.lr * mh / (sqrt(vh) + eps);
        }
    }
    for (size_t l = 0; l < dd; l++)
        if (!isfinite(w[l])) {
            st = nc_fail(ctx, NC_ERR_NUMERIC, "parzc: the fit made weight "
                         "%zu non-finite", l);
            goto done;
        }
    memcpy(m->w, w, dd * sizeof *w);
    memcpy(m->mu, p.mu, dd * sizeof *w);
    memcpy(m->sd, p.sd, dd * sizeof *w);
    m->sigma = p.sigma;
done:
    free(w);
    free(g);
    free(m1);
    free(m2);
    prep_free(&p);
    return st;
}

nc_status nc_parzc_score(nc_ctx *ctx, const nc_parzc *m, const double *s,
                         size_t n, int d, double *out)
{
    nc_status st = check_rows(ctx, m, s, n, d, NULL);
    if (st)
        return st;
    if (n > 0 && !out)
        return nc_fail(ctx, NC_ERR_INVAL, "parzc: no output array given");
    const double *w = m->w;
    for (size_t i = 0; i < n; i++) {
        const double *r = s + i * (size_t)d;
        double t = 0;
        for (int l = 0; l < d; l++)
            t += r[l];
        if (!(t > 0)) {
            out[i] = -INFINITY;
            continue;
        }
        if (m->o.form == NC_PARZC_LSE) {
            double mx = -INFINITY, sum = 0;
            for (int l = 0; l < d; l++)
                if (r[l] > 0 && w[l] + log(r[l]) > mx)
                    mx = w[l] + log(r[l]);
            for (int l = 0; l < d; l++)
                if (r[l] > 0)
                    sum += exp(w[l] + log(r[l]) - mx);
            out[i] = mx + log(sum);
        } else {
            double lin = 0;
            for (int l = 0; l < d; l++)
                lin += w[l] * (m->o.form == NC_PARZC_SHARE
                                   ? r[l] / t
                                   : (log(r[l] / t + LOG_EPS) - m->mu[l]) / m->sd[l]);
            out[i] = log(t) + m->sigma * lin;
        }
    }
    return NC_OK;
}
