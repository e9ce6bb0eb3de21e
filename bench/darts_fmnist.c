/*
 * darts_fmnist.c — DARTS and DARTS-PT with the nb201 cell on Fashion-MNIST,
 * printing a Markdown report: per epoch the supernet's losses and accuracy
 * and the softmax weight of each op summed over the 6 edges (is DARTS
 * drifting towards skip connections?), then the cells DARTS (arg-max alpha)
 * and DARTS-PT select, and DARTS-PT's accuracy drops per edge and op.
 *
 *   build/bench/darts_fmnist [--train N] [--valid N] [--epochs E]
 *       [--order 1|2] [--pt-epochs P] [--c C] [--n N] [--batch B]
 *       [--eval N] [--a-lr LR] [--w-lr LR] [--seed S] [--seed-offset K]
 *       [--threads T] [--data-dir DIR]
 *
 * --seed-offset K runs with seed S + K (bench/util/seed_offset.h), the
 * option every bench shares.
 *
 * The weights train on the first --train samples of a seeded split of the
 * training file and alpha on --valid held-out samples (DARTS's halves).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "supernet/darts.h"
#include "bench/util/seed_offset.h"

static int on_epoch(void *ud, const nc_darts_epoch *e)
{
    (void)ud;
    double sum[NC_NB201_N_OPS] = { 0 };
    for (int ed = 0; ed < NC_NB201_N_EDGES; ed++) {
        const float *a = e->alpha + ed * NC_NB201_N_OPS;
        float mx = a[0];
        for (int k = 1; k < NC_NB201_N_OPS; k++)
            mx = fmaxf(mx, a[k]);
        double z = 0;
        for (int k = 0; k < NC_NB201_N_OPS; k++)
            z += exp((double)(a[k] - mx));
        for (int k = 0; k < NC_NB201_N_OPS; k++)
            sum[k] += exp((double)(a[k] - mx)) / z;
    }
    nc_nb201_arch am;
    nc_darts_argmax(e->alpha, &am);
    printf("| %d | %s | %.4f | %.2f | %.2f |", e->epoch,
           e->phase ? "PT tune" : "search", e->train_loss,
           100 * e->train_accuracy, 100 * e->valid_accuracy);
    for (int k = 0; k < NC_NB201_N_OPS; k++)
        printf(" %.3f |", sum[k]);
    printf(" %d | %.0f |\n", nc_nb201_count_op(&am, NC_NB201_SKIP), e->seconds);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    nc_darts_cfg c = nc_darts_defaults();
    int n_train = 10000, n_valid = 10000, threads = 2;
    const char *dir = NULL;
    c.nb201_c = 8;
    c.nb201_n = 1;
    c.eval_samples = 2000;
    uint64_t off;
    if (nc_bench_seed_offset("darts_fmnist", &argc, argv, &off))
        return 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--train")) n_train = atoi(v);
        else if (!strcmp(k, "--valid")) n_valid = atoi(v);
        else if (!strcmp(k, "--epochs")) c.epochs = atoi(v);
        else if (!strcmp(k, "--order")) c.order = atoi(v);
        else if (!strcmp(k, "--pt-epochs")) c.pt_epochs = atoi(v);
        else if (!strcmp(k, "--c")) c.nb201_c = atoi(v);
        else if (!strcmp(k, "--n")) c.nb201_n = atoi(v);
        else if (!strcmp(k, "--batch")) c.batch = atoi(v);
        else if (!strcmp(k, "--eval")) c.eval_samples = atoi(v);
        else if (!strcmp(k, "--a-lr")) c.a_lr = atof(v);
        else if (!strcmp(k, "--w-lr")) c.w_lr = atof(v);
        else if (!strcmp(k, "--seed")) c.seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--threads")) threads = atoi(v);
        else if (!strcmp(k, "--data-dir")) dir = v;
        else {
            fprintf(stderr, "darts_fmnist: unknown option %s\n", k);
            return 2;
        }
    }
    c.seed += off;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_blas_serial();
    nc_dataset *tr = NULL, *va = NULL, *te = NULL;
    if (nc_dataset_prepare(&ctx, "fashion-mnist", dir, n_valid, c.seed, &tr, &va,
                           &te)) {
        fprintf(stderr, "darts_fmnist: %s\n", ctx.msg);
        return 1;
    }
    if (n_train > 0 && n_train < tr->n)
        tr->n = n_train;   /* a prefix of a seeded permutation: a random subset */
    printf("# DARTS / DARTS-PT, nb201 cell, Fashion-MNIST\n\n");
    printf("Skeleton C=%d N=%d; %d training samples for the weights, %d "
           "held-out samples for alpha; batch %d; alpha lr %g, weight lr %g; "
           "order %d; %d search epochs; "
           "DARTS-PT tuning %d epoch(s) per edge; accuracies on %d held-out "
           "samples; seed %llu; %d threads.\n\n",
           c.nb201_c, c.nb201_n, tr->n, va->n, c.batch, c.a_lr, c.w_lr,
           c.order, c.epochs,
           c.pt_epochs, c.eval_samples ? c.eval_samples : va->n,
           (unsigned long long)c.seed, threads);
    printf("Op weights are softmax(alpha) summed over the 6 edges "
           "(each column at most 6; uniform is 1.2).\n\n");
    printf("| epoch | phase | train loss | train acc %% | valid acc %% | none | "
           "skip | conv1x1 | conv3x3 | avgpool | skip edges in arg-max | s |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    nc_darts_progress prog = { .epoch = on_epoch };
    nc_darts_result r;
    nc_status st = nc_darts_run(&ctx, &c, threads, tr, va, &prog, &r);
    if (st) {
        fprintf(stderr, "darts_fmnist: %s\n", ctx.msg);
        return 1;
    }
    char s[NC_NB201_STR_MAX];
    nc_nb201_format(&r.darts, s, sizeof s);
    printf("\nDARTS (arg-max alpha): `%s` (%d skip, %d none)\n\n", s,
           nc_nb201_count_op(&r.darts, NC_NB201_SKIP),
           nc_nb201_count_op(&r.darts, NC_NB201_NONE));
    printf("Supernet validation accuracy after search: %.2f%%\n\n",
           100 * r.supernet_accuracy);
    if (c.pt_epochs >= 0) {
        nc_nb201_format(&r.pt, s, sizeof s);
        printf("DARTS-PT: `%s` (%d skip, %d none)\n\n", s,
               nc_nb201_count_op(&r.pt, NC_NB201_SKIP),
               nc_nb201_count_op(&r.pt, NC_NB201_NONE));
        printf("DARTS-PT decisions (accuracy lost, in points, when the op is "
               "removed from the edge; the largest loss is kept):\n\n");
        printf("| order | edge | base acc %% | none | skip | conv1x1 | conv3x3 "
               "| avgpool | kept |\n|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < NC_NB201_N_EDGES; i++) {
            int e = r.pt_order[i];
            printf("| %d | %d | %.2f |", i + 1, e, 100 * r.pt_base[i]);
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                printf(" %.2f |", 100 * r.pt_drop[e * NC_NB201_N_OPS + k]);
            printf(" %s |\n", nc_nb201_op_name(r.pt.op[e]));
        }
    }
    printf("\nTotal %.0f s.\n", r.seconds);
    nc_dataset_free(tr);
    nc_dataset_free(va);
    nc_dataset_free(te);
    return 0;
}
