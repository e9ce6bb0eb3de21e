/*
 * darts_cfg.c — the configuration of a logged DARTS run (nc_darts_job) as
 * one field table (core/cfgtab.h): defaults, ranges, JSON keys (one flat
 * object, the search settings and the job's side by side) and the options
 * of `nasc darts`. The data set is checked by hand, then the search
 * settings once more by nc_darts_cfg_validate.
 */
#include "supernet/darts.h"

#include <stddef.h>
#include <string.h>

#include "core/cfgtab.h"
#include "data/dataset.h"

#define OFF(m) offsetof(nc_darts_job, m)

/* In the order of the stored JSON, which run logs already hold. The search
 * settings' defaults are nc_darts_defaults()'s (tests/test_cfgtab.c holds
 * the two together). */
static const nc_cfg_field DARTS_FIELDS[] = {
    { .key = "dataset", .type = NC_CFG_STR, .off = OFF(dataset),
      .size = sizeof ((nc_darts_job *)0)->dataset, .def_str = "fashion-mnist",
      .opt = "--dataset", .metavar = "D",
      .help = "fashion-mnist, mnist, cifar10 or cifar100" },
    { .key = "data_dir", .type = NC_CFG_STR, .off = OFF(data_dir),
      .size = sizeof ((nc_darts_job *)0)->data_dir, .opt = "--data-dir",
      .metavar = "DIR",
      .help = "directory of the data files (default: the data set's own)" },
    { .key = "valid", .type = NC_CFG_INT, .off = OFF(valid), .lo = 1,
      .hi = 10000000, .def = 10000, .opt = "--valid", .metavar = "N",
      .help = "training samples held out to train alpha" },
    { .key = "train_samples", .type = NC_CFG_INT, .off = OFF(train_samples),
      .lo = 0, .hi = 10000000, .opt = "--train-samples", .metavar = "N",
      .help = "weight-training samples (0: all the rest)" },
    { .key = "epochs", .type = NC_CFG_INT, .off = OFF(darts.epochs), .lo = 0,
      .hi = 100000, .def = 10, .opt = "--epochs", .metavar = "E",
      .help = "search epochs" },
    { .key = "batch", .type = NC_CFG_INT, .off = OFF(darts.batch), .lo = 1,
      .hi = 4096, .def = 64, .opt = "--batch", .metavar = "B",
      .help = "batch size" },
    { .key = "w_lr", .type = NC_CFG_DOUBLE, .off = OFF(darts.w_lr),
      .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 100, .def = 0.025,
      .opt = "--w-lr", .metavar = "X",
      .help = "SGD rate of the weights, cosine down to w_lr_min" },
    { .key = "w_lr_min", .type = NC_CFG_DOUBLE, .off = OFF(darts.w_lr_min),
      .lo = 0, .hi = 100, .def = 0.001 },
    { .key = "w_momentum", .type = NC_CFG_DOUBLE, .off = OFF(darts.w_momentum),
      .lo = 0, .hi = 0.9999, .def = 0.9 },
    { .key = "w_wd", .type = NC_CFG_DOUBLE, .off = OFF(darts.w_wd), .lo = 0,
      .hi = 1, .def = 3e-4 },
    { .key = "w_clip", .type = NC_CFG_DOUBLE, .off = OFF(darts.w_clip),
      .lo = 0, .hi = 1e6, .def = 5.0 },
    { .key = "a_lr", .type = NC_CFG_DOUBLE, .off = OFF(darts.a_lr),
      .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 100, .def = 3e-4,
      .opt = "--a-lr", .metavar = "X", .help = "Adam rate of alpha" },
    { .key = "a_wd", .type = NC_CFG_DOUBLE, .off = OFF(darts.a_wd), .lo = 0,
      .hi = 1, .def = 1e-3 },
    { .key = "order", .type = NC_CFG_INT, .off = OFF(darts.order), .lo = 1,
      .hi = 2, .def = 1, .opt = "--order", .metavar = "1|2",
      .help = "first or second-order alpha gradient" },
    { .key = "pt_epochs", .type = NC_CFG_INT, .off = OFF(darts.pt_epochs),
      .lo = -1, .hi = 1000, .def = 1, .opt = "--pt-epochs", .metavar = "P",
      .help = "DARTS-PT tuning epochs per edge; -1 skips DARTS-PT" },
    { .key = "eval_samples", .type = NC_CFG_INT, .off = OFF(darts.eval_samples),
      .lo = 0, .hi = 10000000, .opt = "--eval", .metavar = "N",
      .help = "held-out samples for accuracies (0: all)" },
    { .key = "nb201_c", .type = NC_CFG_INT, .off = OFF(darts.nb201_c), .lo = 1,
      .hi = 256, .def = 16, .opt = "--nb201-c", .metavar = "C",
      .help = "supernet channels in the first stage" },
    { .key = "nb201_n", .type = NC_CFG_INT, .off = OFF(darts.nb201_n), .lo = 0,
      .hi = 20, .def = 5, .opt = "--nb201-n", .metavar = "N",
      .help = "cells per stage" },
    { .key = "seed", .type = NC_CFG_SEED, .off = OFF(darts.seed), .def = 1,
      .opt = "--seed", .metavar = "S", .help = "seed of every random choice" },
    { .key = "threads", .type = NC_CFG_INT, .off = OFF(threads), .lo = 1,
      .hi = 1024, .def = 1, .opt = "--threads", .metavar = "T",
      .help = "threads (same bits only at the same thread count)" },
};

static const nc_cfg_table DARTS = NC_CFG_TABLE("configuration", 0,
                                               DARTS_FIELDS);

const nc_cfg_table *nc_darts_job_table(void)
{
    return &DARTS;
}

nc_darts_job nc_darts_job_defaults(void)
{
    nc_darts_job j;
    memset(&j, 0, sizeof j);   /* padding too */
    nc_cfgtab_defaults(&DARTS, &j);
    return j;
}

nc_status nc_darts_job_validate(nc_ctx *ctx, const nc_darts_job *j)
{
    nc_status st = nc_cfgtab_validate(ctx, &DARTS, j);
    if (st)
        return st;
    if (!nc_dataset_default_dir(j->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "dataset: unknown data set '%s' "
                       "(known: fashion-mnist, mnist, cifar10, cifar100)",
                       j->dataset);
    return nc_darts_cfg_validate(ctx, &j->darts);
}

char *nc_darts_job_to_json(const nc_darts_job *j)
{
    return nc_cfgtab_to_json(&DARTS, j, 0);
}

nc_status nc_darts_job_from_json(nc_ctx *ctx, const char *json, nc_darts_job *j)
{
    *j = nc_darts_job_defaults();
    return nc_cfgtab_from_json(ctx, &DARTS, json, NULL, j);
}
