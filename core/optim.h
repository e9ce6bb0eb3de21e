/*
 * optim.h — optimizers over a flat parameter buffer, and learning-rate
 * schedules.
 *
 * SGD (momentum, Nesterov, weight decay, PyTorch's formulation) and Adam.
 * An optimizer owns its state (velocity or moments), a flat array of
 * nc_optim_state_len() floats that checkpoints save and restore verbatim.
 *
 *     nc_optim_cfg oc = { .kind = NC_OPTIM_SGD, .momentum = 0.9f,
 *                         .nesterov = 1, .weight_decay = 5e-4f };
 *     nc_optim *opt = nc_optim_new(&oc, nc_net_n_params(net));
 *     nc_sched sc = { .kind = NC_SCHED_COSINE, .base_lr = 0.05f,
 *                     .total_steps = steps };
 *     nc_optim_step(opt, nc_net_params(net), nc_net_grads(net),
 *                   nc_sched_lr(&sc, step));
 *     nc_optim_free(opt);
 */
#ifndef NC_OPTIM_H
#define NC_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef enum nc_optim_kind { NC_OPTIM_SGD = 0, NC_OPTIM_ADAM } nc_optim_kind;

typedef struct nc_optim_cfg {
    nc_optim_kind kind;
    float momentum;      /* SGD */
    int nesterov;        /* SGD: 1 for Nesterov momentum */
    float weight_decay;  /* L2 added to the gradient (both kinds) */
    float beta1, beta2;  /* Adam; 0 is read as 0.9 / 0.999 */
    float eps;           /* Adam; 0 is read as 1e-8 */
} nc_optim_cfg;

typedef struct nc_optim nc_optim;

/* An optimizer for n parameters with zeroed state, or NULL (out of memory).
 * The caller owns it: nc_optim_free. */
nc_optim *nc_optim_new(const nc_optim_cfg *cfg, size_t n);
void nc_optim_free(nc_optim *o);

/* One update of w[0..n) with gradient g at learning rate lr. */
void nc_optim_step(nc_optim *o, float *w, const float *g, float lr);

struct nc_pool;
/* The same update spread over a thread pool (NULL: one thread). The update
 * is element-wise, so the result does not depend on the thread count. */
void nc_optim_step_pool(nc_optim *o, struct nc_pool *pool, float *w,
                        const float *g, float lr);

/* The state as one flat float array (SGD: velocity; Adam: m then v), owned
 * by the optimizer, plus the step count Adam's bias correction needs. */
size_t nc_optim_state_len(const nc_optim *o);
float *nc_optim_state(nc_optim *o);
int64_t nc_optim_steps(const nc_optim *o);
void nc_optim_set_steps(nc_optim *o, int64_t t);

typedef enum nc_sched_kind {
    NC_SCHED_CONST = 0,
    NC_SCHED_COSINE,     /* linear warm-up, then cosine to min_lr */
    NC_SCHED_STEP        /* warm-up, then lr *= gamma every step_size steps */
} nc_sched_kind;

typedef struct nc_sched {
    nc_sched_kind kind;
    float base_lr;
    float min_lr;
    int64_t warmup_steps;
    int64_t total_steps;   /* cosine: steps to reach min_lr */
    int64_t step_size;     /* step: steps between decays */
    float gamma;           /* step: decay factor */
} nc_sched;

/* Learning rate for optimizer step `step` (0-based). */
float nc_sched_lr(const nc_sched *s, int64_t step);

#endif
