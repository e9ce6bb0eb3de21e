/*
 * config.c — the training run's configuration (nc_train_cfg) as one field
 * table (core/cfgtab.h): defaults, ranges, JSON keys and command-line
 * options all come from TRAIN_FIELDS; what involves other layers (the model
 * and its architecture, the data set) or several fields is checked by hand
 * around the table's pass.
 */
#include "train/train.h"

#include <stddef.h>
#include <string.h>

#include "core/cfgtab.h"
#include "data/dataset.h"
#include "models/models.h"

#define OFF(m) offsetof(nc_train_cfg, m)

static const char *const OPTIMIZERS[] = { "sgd", "adam", NULL };
static const char *const SCHEDULES[] = { "cosine", "step", "const", NULL };

/* In the order of the stored JSON, which run logs already hold. */
static const nc_cfg_field TRAIN_FIELDS[] = {
    { .key = "model", .type = NC_CFG_STR, .off = OFF(model),
      .size = NC_NAME_MAX, .def_str = "cnn", .opt = "--model", .metavar = "M",
      .help = "mlp, cnn or nb201 (nb201 when only --arch is given)" },
    { .key = "arch", .type = NC_CFG_STR, .off = OFF(arch), .size = NC_ARCH_MAX,
      .opt = "--arch", .metavar = "A",
      .help = "NAS-Bench-201 architecture string for nb201" },
    { .key = "dataset", .type = NC_CFG_STR, .off = OFF(dataset),
      .size = NC_NAME_MAX, .def_str = "fashion-mnist", .opt = "--dataset",
      .metavar = "D", .help = "fashion-mnist, mnist, cifar10 or cifar100" },
    { .key = "data_dir", .type = NC_CFG_STR, .off = OFF(data_dir),
      .size = NC_PATH_MAX, .opt = "--data-dir", .metavar = "DIR",
      .help = "directory of the data files (default: the data set's own)" },
    { .key = "optimizer", .type = NC_CFG_STR, .off = OFF(optimizer),
      .size = NC_NAME_MAX, .names = OPTIMIZERS, .noun = "optimizer",
      .def_str = "sgd", .opt = "--optimizer", .metavar = "O",
      .help = "sgd or adam" },
    { .key = "schedule", .type = NC_CFG_STR, .off = OFF(schedule),
      .size = NC_NAME_MAX, .names = SCHEDULES, .noun = "schedule",
      .def_str = "cosine", .opt = "--schedule", .metavar = "S",
      .help = "learning-rate schedule: cosine, step or const" },
    { .key = "epochs", .type = NC_CFG_INT, .off = OFF(epochs), .lo = 1,
      .hi = 100000, .def = 10, .opt = "--epochs", .metavar = "E",
      .help = "training epochs" },
    { .key = "batch", .type = NC_CFG_INT, .off = OFF(batch), .lo = 1,
      .hi = 65536, .def = 128, .opt = "--batch", .metavar = "B",
      .help = "batch size" },
    { .key = "lr", .type = NC_CFG_DOUBLE, .off = OFF(lr),
      .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 100, .def = 0.05, .opt = "--lr",
      .metavar = "X", .help = "learning rate, > 0" },
    { .key = "momentum", .type = NC_CFG_DOUBLE, .off = OFF(momentum), .lo = 0,
      .hi = 0.9999, .def = 0.9, .opt = "--momentum", .metavar = "X",
      .help = "SGD momentum in [0, 1)" },
    { .key = "nesterov", .type = NC_CFG_FLAG, .off = OFF(nesterov), .def = 1,
      .opt = "--no-nesterov", .opt_value = "0",
      .help = "plain instead of Nesterov momentum" },
    { .key = "weight_decay", .type = NC_CFG_DOUBLE, .off = OFF(weight_decay),
      .lo = 0, .hi = 1, .def = 5e-4, .opt = "--weight-decay", .metavar = "X",
      .help = "weight decay, >= 0" },
    { .key = "warmup_epochs", .type = NC_CFG_INT, .off = OFF(warmup_epochs),
      .lo = 0, .hi = 100000, .opt = "--warmup", .metavar = "E",
      .help = "epochs of linear warm-up" },
    { .key = "step_epochs", .type = NC_CFG_INT, .off = OFF(step_epochs),
      .lo = 1, .hi = 100000, .def = 30, .opt = "--step-epochs", .metavar = "E",
      .help = "step schedule: epochs between decays" },
    { .key = "step_gamma", .type = NC_CFG_DOUBLE, .off = OFF(step_gamma),
      .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 1, .def = 0.1,
      .opt = "--step-gamma", .metavar = "X",
      .help = "step schedule: decay factor in (0, 1]" },
    { .key = "valid", .type = NC_CFG_INT, .off = OFF(valid), .lo = 0,
      .hi = 10000000, .opt = "--valid", .metavar = "N",
      .help = "hold N training samples out for validation" },
    /* Added after the first runs were logged: absent means all. */
    { .key = "train_samples", .type = NC_CFG_INT, .off = OFF(train_samples),
      .flags = NC_CFG_OPTIONAL, .lo = 0, .hi = 10000000,
      .opt = "--train-samples", .metavar = "N",
      .help = "train on N of the remaining samples (0: all)" },
    { .key = "augment_pad", .type = NC_CFG_INT, .off = OFF(augment_pad),
      .lo = 0, .hi = 64, .opt = "--augment", .opt_value = "4",
      .help = "random crop with padding 4 and horizontal flips" },
    { .key = "augment_flip", .type = NC_CFG_FLAG, .off = OFF(augment_flip),
      .opt = "--augment", .opt_value = "1" },
    { .key = "nb201_c", .type = NC_CFG_INT, .off = OFF(nb201_c), .lo = 1,
      .hi = 4096, .def = 16, .opt = "--nb201-c", .metavar = "C",
      .help = "nb201 channels in the first stage" },
    { .key = "nb201_n", .type = NC_CFG_INT, .off = OFF(nb201_n), .lo = 1,
      .hi = 100, .def = 5, .opt = "--nb201-n", .metavar = "N",
      .help = "nb201 cells per stage" },
    { .key = "seed", .type = NC_CFG_SEED, .off = OFF(seed), .def = 1,
      .opt = "--seed", .metavar = "S",
      .help = "seed of every random choice, 64-bit" },
    { .key = "threads", .type = NC_CFG_INT, .off = OFF(threads), .lo = 1,
      .hi = 1024, .def = 1, .opt = "--threads", .metavar = "T",
      .help = "threads (same bits only at the same thread count)" },
};

static const nc_cfg_table TRAIN = NC_CFG_TABLE("configuration", 0,
                                               TRAIN_FIELDS);

const nc_cfg_table *nc_train_cfg_table(void)
{
    return &TRAIN;
}

nc_train_cfg nc_train_cfg_defaults(void)
{
    nc_train_cfg c;
    memset(&c, 0, sizeof c);   /* padding too: configs compare as bytes */
    nc_cfgtab_defaults(&TRAIN, &c);
    return c;
}

nc_status nc_train_cfg_validate(nc_ctx *ctx, const nc_train_cfg *c)
{
    /* models/ knows which models exist and which take an arch string. */
    nc_status st = nc_model_check(ctx, c->model, c->arch);
    if (st)
        return st;
    if (!nc_dataset_default_dir(c->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "dataset: unknown data set '%s' (known: "
                       "fashion-mnist, mnist, cifar10, cifar100)", c->dataset);
    if ((st = nc_cfgtab_validate(ctx, &TRAIN, c)))
        return st;
    if (c->nesterov && c->momentum == 0 && strcmp(c->optimizer, "sgd") == 0)
        return nc_fail(ctx, NC_ERR_INVAL, "nesterov: Nesterov momentum needs "
                       "momentum > 0");
    return NC_OK;
}

char *nc_train_cfg_to_json(const nc_train_cfg *c)
{
    return nc_cfgtab_to_json(&TRAIN, c, 0);
}

nc_status nc_train_cfg_from_json(nc_ctx *ctx, const char *json, nc_train_cfg *c)
{
    *c = nc_train_cfg_defaults();
    return nc_cfgtab_from_json(ctx, &TRAIN, json, NULL, c);
}
