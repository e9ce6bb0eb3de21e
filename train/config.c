#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "train/json_field.h"

#include "data/dataset.h"
#include "models/models.h"

nc_train_cfg nc_train_cfg_defaults(void)
{
    nc_train_cfg c;
    memset(&c, 0, sizeof c);
    strcpy(c.model, "cnn");
    strcpy(c.dataset, "fashion-mnist");
    strcpy(c.optimizer, "sgd");
    strcpy(c.schedule, "cosine");
    c.epochs = 10;
    c.batch = 128;
    c.lr = 0.05;
    c.momentum = 0.9;
    c.nesterov = 1;
    c.weight_decay = 5e-4;
    c.step_epochs = 30;
    c.step_gamma = 0.1;
    c.nb201_c = 16;
    c.nb201_n = 5;
    c.seed = 1;
    c.threads = 1;
    return c;
}

static int one_of(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(s, *names) == 0)
            return 1;
    return 0;
}

nc_status nc_train_cfg_validate(nc_ctx *ctx, const nc_train_cfg *c)
{
    static const char *const optims[] = { "sgd", "adam", NULL };
    static const char *const scheds[] = { "cosine", "step", "const", NULL };
    /* models/ knows which models exist and which take an arch string. */
    nc_status mst = nc_model_check(ctx, c->model, c->arch);
    if (mst)
        return mst;
    if (!nc_dataset_default_dir(c->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "dataset: unknown data set '%s' (known: "
                       "fashion-mnist, mnist, cifar10, cifar100)", c->dataset);
    if (!one_of(c->optimizer, optims))
        return nc_fail(ctx, NC_ERR_INVAL, "optimizer: unknown optimizer '%s' "
                       "(known: sgd, adam)", c->optimizer);
    if (!one_of(c->schedule, scheds))
        return nc_fail(ctx, NC_ERR_INVAL, "schedule: unknown schedule '%s' "
                       "(known: cosine, step, const)", c->schedule);
    struct { const char *name; long v, lo, hi; } ints[] = {
        { "epochs", c->epochs, 1, 100000 },
        { "batch", c->batch, 1, 65536 },
        { "warmup_epochs", c->warmup_epochs, 0, 100000 },
        { "step_epochs", c->step_epochs, 1, 100000 },
        { "valid", c->valid, 0, 10000000 },
        { "train_samples", c->train_samples, 0, 10000000 },
        { "augment_pad", c->augment_pad, 0, 64 },
        { "augment_flip", c->augment_flip, 0, 1 },
        { "nesterov", c->nesterov, 0, 1 },
        { "nb201_c", c->nb201_c, 1, 4096 },
        { "nb201_n", c->nb201_n, 1, 100 },
        { "threads", c->threads, 1, 1024 },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (ints[i].v < ints[i].lo || ints[i].v > ints[i].hi)
            return nc_fail(ctx, NC_ERR_RANGE, "%s: %ld is outside %ld..%ld",
                           ints[i].name, ints[i].v, ints[i].lo, ints[i].hi);
    struct { const char *name; double v, lo, hi; } dbl[] = {
        { "lr", c->lr, 0, 100 },
        { "momentum", c->momentum, 0, 0.9999 },
        { "weight_decay", c->weight_decay, 0, 1 },
        { "step_gamma", c->step_gamma, 0, 1 },
    };
    for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++)
        if (!(dbl[i].v >= dbl[i].lo && dbl[i].v <= dbl[i].hi))
            return nc_fail(ctx, NC_ERR_RANGE, "%s: %g is outside %g..%g",
                           dbl[i].name, dbl[i].v, dbl[i].lo, dbl[i].hi);
    if (c->nesterov && c->momentum == 0 && strcmp(c->optimizer, "sgd") == 0)
        return nc_fail(ctx, NC_ERR_INVAL, "nesterov: Nesterov momentum needs "
                       "momentum > 0");
    return NC_OK;
}

char *nc_train_cfg_to_json(const nc_train_cfg *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(o, "model", c->model);
    cJSON_AddStringToObject(o, "arch", c->arch);
    cJSON_AddStringToObject(o, "dataset", c->dataset);
    cJSON_AddStringToObject(o, "data_dir", c->data_dir);
    cJSON_AddStringToObject(o, "optimizer", c->optimizer);
    cJSON_AddStringToObject(o, "schedule", c->schedule);
    cJSON_AddNumberToObject(o, "epochs", c->epochs);
    cJSON_AddNumberToObject(o, "batch", c->batch);
    cJSON_AddNumberToObject(o, "lr", c->lr);
    cJSON_AddNumberToObject(o, "momentum", c->momentum);
    cJSON_AddBoolToObject(o, "nesterov", c->nesterov);
    cJSON_AddNumberToObject(o, "weight_decay", c->weight_decay);
    cJSON_AddNumberToObject(o, "warmup_epochs", c->warmup_epochs);
    cJSON_AddNumberToObject(o, "step_epochs", c->step_epochs);
    cJSON_AddNumberToObject(o, "step_gamma", c->step_gamma);
    cJSON_AddNumberToObject(o, "valid", c->valid);
    cJSON_AddNumberToObject(o, "train_samples", c->train_samples);
    cJSON_AddNumberToObject(o, "augment_pad", c->augment_pad);
    cJSON_AddBoolToObject(o, "augment_flip", c->augment_flip);
    cJSON_AddNumberToObject(o, "nb201_c", c->nb201_c);
    cJSON_AddNumberToObject(o, "nb201_n", c->nb201_n);
    /* A string, because a JSON number cannot carry every 64-bit seed. */
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

nc_status nc_train_cfg_from_json(nc_ctx *ctx, const char *json, nc_train_cfg *c)
{
    *c = nc_train_cfg_defaults();
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration is not a JSON object");
    }
    char seed[32];
    nc_status st;
    if ((st = nc_json_str(ctx, o, "model", c->model, sizeof c->model)) ||
        (st = nc_json_str(ctx, o, "arch", c->arch, sizeof c->arch)) ||
        (st = nc_json_str(ctx, o, "dataset", c->dataset, sizeof c->dataset)) ||
        (st = nc_json_str(ctx, o, "data_dir", c->data_dir, sizeof c->data_dir)) ||
        (st = nc_json_str(ctx, o, "optimizer", c->optimizer, sizeof c->optimizer)) ||
        (st = nc_json_str(ctx, o, "schedule", c->schedule, sizeof c->schedule)) ||
        (st = nc_json_int(ctx, o, "epochs", 1, &c->epochs)) ||
        (st = nc_json_int(ctx, o, "batch", 1, &c->batch)) ||
        (st = nc_json_num(ctx, o, "lr", 1, &c->lr)) ||
        (st = nc_json_num(ctx, o, "momentum", 1, &c->momentum)) ||
        (st = nc_json_int(ctx, o, "nesterov", 1, &c->nesterov)) ||
        (st = nc_json_num(ctx, o, "weight_decay", 1, &c->weight_decay)) ||
        (st = nc_json_int(ctx, o, "warmup_epochs", 1, &c->warmup_epochs)) ||
        (st = nc_json_int(ctx, o, "step_epochs", 1, &c->step_epochs)) ||
        (st = nc_json_num(ctx, o, "step_gamma", 1, &c->step_gamma)) ||
        (st = nc_json_int(ctx, o, "valid", 1, &c->valid)) ||
        /* Added after the first runs were logged: absent means all. */
        (cJSON_GetObjectItemCaseSensitive(o, "train_samples") &&
         (st = nc_json_int(ctx, o, "train_samples", 1, &c->train_samples))) ||
        (st = nc_json_int(ctx, o, "augment_pad", 1, &c->augment_pad)) ||
        (st = nc_json_int(ctx, o, "augment_flip", 1, &c->augment_flip)) ||
        (st = nc_json_int(ctx, o, "nb201_c", 1, &c->nb201_c)) ||
        (st = nc_json_int(ctx, o, "nb201_n", 1, &c->nb201_n)) ||
        (st = nc_json_str(ctx, o, "seed", seed, sizeof seed)) ||
        (st = nc_json_int(ctx, o, "threads", 1, &c->threads))) {
        cJSON_Delete(o);
        return st;
    }
    cJSON_Delete(o);
    char *end;
    c->seed = strtoull(seed, &end, 10);
    if (!seed[0] || *end)
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field 'seed' must be a "
                       "decimal integer, got '%s'", seed);
    return NC_OK;
}
