/*
 * darts_int.h — what the DARTS run (darts.c) shares with its checkpoint
 * blob (darts_pack.c): the run's structure, whose every field the blob
 * saves or checks, and the gate setting a restore redoes. Not a public
 * header: nc_darts is opaque to its users.
 */
#ifndef NC_DARTS_INT_H
#define NC_DARTS_INT_H

#include "supernet/darts.h"
#include "core/optim.h"

enum { E = NC_NB201_N_EDGES, K = NC_NB201_N_OPS, A = NC_DARTS_ALPHA };

/* A run and where it stands. The position is (epoch, n_decided): the
 * schedule of units is fixed, so these two say what comes next. */
struct nc_darts {
    nc_darts_cfg c;
    const nc_dataset *train, *valid;
    nc_supernet *sn;
    nc_optim *wopt, *aopt;
    float *x, *xv, *scratch;
    int32_t *y, *yv;
    uint32_t *perm, *vperm, *eidx;
    int n_eval;
    int64_t steps_per_epoch, total_steps, step;
    const nc_darts_progress *prog;
    int epoch;                 /* epochs run (search, then tuning) */
    int n_decided;             /* DARTS-PT edges decided */
    int have_sacc;             /* supernet_accuracy measured */
    uint64_t units;            /* units run */
    double seconds;            /* work time over all sessions */
    int order[E], decided[E];
    double pt_base[E], pt_drop[A], supernet_accuracy;
    float *hist;               /* alpha after each epoch */
};

/* Opens every gate of undecided edges (soft) and the chosen op of decided
 * ones (hard); `without` (edge * K + op, or -1) is shut. */
nc_status nc_darts_set_gates(nc_ctx *ctx, nc_supernet *sn, const int *decided,
                             int without);

#endif
