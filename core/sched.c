#include "core/optim.h"

#include <math.h>

float nc_sched_lr(const nc_sched *s, int64_t step)
{
    if (step < s->warmup_steps)
        return s->base_lr * (float)(step + 1) / (float)s->warmup_steps;
    int64_t t = step - s->warmup_steps;
    switch (s->kind) {
    case NC_SCHED_COSINE: {
        int64_t span = s->total_steps - s->warmup_steps;
        if (span <= 0 || t >= span)
            return s->min_lr;
        double c = 0.5 * (1.0 + cos(M_PI * (double)t / (double)span));
        return (float)(s->min_lr + (s->base_lr - s->min_lr) * c);
    }
    case NC_SCHED_STEP:
        if (s->step_size <= 0)
            return s->base_lr;
        return (float)(s->base_lr * pow(s->gamma, (double)(t / s->step_size)));
    case NC_SCHED_CONST:
    default:
        return s->base_lr;
    }
}
