#include "core/optim.h"
#include "core/pool.h"

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
 * With mu = 0 the velocity is unused and step = g'. Works on [lo, hi). */
static void sgd_step(nc_optim *o, float *restrict w, const float *restrict g,
                     float lr, size_t lo, size_t hi)
{
    const float mu = o->cfg.momentum, wd = o->cfg.weight_decay;
    float *restrict v = o->state + lo;
    const size_t n = hi - lo;
    w += lo;
    g += lo;
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

static void adam_step(nc_optim *o, float *restrict w, const float *restrict g,
                      float lr, size_t lo, size_t hi)
{
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    const float wd = o->cfg.weight_decay;
    float *restrict m = o->state + lo, *restrict v = o->state + o->n + lo;
    w += lo;
    g += lo;
    double t = (double)(o->t + 1);
    const float c1 = (float)(1.0 - pow(b1, t)), c2 = (float)sqrt(1.0 - pow(b2, t));
    const float step = lr * c2 / c1;
    const float epsh = eps * c2;   /* PyTorch's eps sits outside the bias correction */
    for (size_t i = 0; i < hi - lo; i++) {
        float gi = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= step * m[i] / (sqrtf(v[i]) + epsh);
    }
}

/* Parameters per pool task: large enough to amortize the fork-join, small
 * enough that two threads share a small net's update. */
enum { OPTIM_CHUNK = 1 << 15 };

typedef struct optim_job {
    nc_optim *o;
    float *w;
    const float *g;
    float lr;
} optim_job;

static void optim_chunk(void *arg, int task, int thread)
{
    (void)thread;
    optim_job *j = arg;
    size_t lo = (size_t)task * OPTIM_CHUNK, hi = lo + OPTIM_CHUNK;
    if (hi > j->o->n)
        hi = j->o->n;
    if (j->o->cfg.kind == NC_OPTIM_ADAM)
        adam_step(j->o, j->w, j->g, j->lr, lo, hi);
    else
        sgd_step(j->o, j->w, j->g, j->lr, lo, hi);
}

void nc_optim_step_pool(nc_optim *o, nc_pool *pool, float *w, const float *g,
                        float lr)
{
    optim_job j = { o, w, g, lr };
    int tasks = (int)((o->n + OPTIM_CHUNK - 1) / OPTIM_CHUNK);
    nc_pool_run(pool, tasks, optim_chunk, &j);
    o->t++;
}

void nc_optim_step(nc_optim *o, float *w, const float *g, float lr)
{
    nc_optim_step_pool(o, NULL, w, g, lr);
}

size_t nc_optim_state_len(const nc_optim *o)
{
    return o->cfg.kind == NC_OPTIM_ADAM ? 2 * o->n : o->n;
}

float *nc_optim_state(nc_optim *o) { return o->state; }
int64_t nc_optim_steps(const nc_optim *o) { return o->t; }
void nc_optim_set_steps(nc_optim *o, int64_t t) { o->t = t; }
