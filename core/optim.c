#include "core/optim.h"

#include <math.h>
#include <stdlib.h>

struct nc_optim {
    nc_optim_cfg cfg;
    size_t n;
    int64_t t;        /* steps taken, for Adam's bias correction */
    float *state;     /* SGD: velocity[n]; Adam: m[n] then v[n] */
};

nc_optim *nc_optim_new(const nc_optim_cfg *cfg, size_t n)
{
    nc_optim *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->cfg = *cfg;
    if (o->cfg.beta1 == 0)
        o->cfg.beta1 = 0.9f;
    if (o->cfg.beta2 == 0)
        o->cfg.beta2 = 0.999f;
    if (o->cfg.eps == 0)
        o->cfg.eps = 1e-8f;
    o->n = n;
    size_t len = cfg->kind == NC_OPTIM_ADAM ? 2 * n : n;
    o->state = calloc(len + 1, sizeof(float));
    if (!o->state) {
        free(o);
        return NULL;
    }
    return o;
}

void nc_optim_free(nc_optim *o)
{
    if (!o)
        return;
    free(o->state);
    free(o);
}

/* PyTorch's SGD: g' = g + wd*w; v = mu*v + g'; step = nesterov ? g' + mu*v : v.
 * With mu = 0 the velocity is unused and step = g'. */
static void sgd_step(nc_optim *o, float *restrict w, const float *restrict g, float lr)
{
    const float mu = o->cfg.momentum, wd = o->cfg.weight_decay;
    float *restrict v = o->state;
    const size_t n = o->n;
    if (mu == 0.0f) {
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * (g[i] + wd * w[i]);
    } else if (o->cfg.nesterov) {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * w[i];
            float vi = o->t == 0 ? gi : mu * v[i] + gi;
            v[i] = vi;
            w[i] -= lr * (gi + mu * vi);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * w[i];
            float vi = o->t == 0 ? gi : mu * v[i] + gi;
            v[i] = vi;
            w[i] -= lr * vi;
        }
    }
}

static void adam_step(nc_optim *o, float *restrict w, const float *restrict g, float lr)
{
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    const float wd = o->cfg.weight_decay;
    float *restrict m = o->state, *restrict v = o->state + o->n;
    double t = (double)(o->t + 1);
    const float c1 = (float)(1.0 - pow(b1, t)), c2 = (float)sqrt(1.0 - pow(b2, t));
    const float step = lr * c2 / c1;
    const float epsh = eps * c2;   /* PyTorch's eps sits outside the bias correction */
    for (size_t i = 0; i < o->n; i++) {
        float gi = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= step * m[i] / (sqrtf(v[i]) + epsh);
    }
}

void nc_optim_step(nc_optim *o, float *w, const float *g, float lr)
{
    if (o->cfg.kind == NC_OPTIM_ADAM)
        adam_step(o, w, g, lr);
    else
        sgd_step(o, w, g, lr);
    o->t++;
}

size_t nc_optim_state_len(const nc_optim *o)
{
    return o->cfg.kind == NC_OPTIM_ADAM ? 2 * o->n : o->n;
}

float *nc_optim_state(nc_optim *o) { return o->state; }
int64_t nc_optim_steps(const nc_optim *o) { return o->t; }
void nc_optim_set_steps(nc_optim *o, int64_t t) { o->t = t; }
