/*
 * darts_cfg.c — the configuration of a logged DARTS run (nc_darts_job):
 * defaults, validation naming the field, and JSON both ways.
 */
#include "supernet/darts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "train/json_field.h"

nc_darts_job nc_darts_job_defaults(void)
{
    nc_darts_job j;
    memset(&j, 0, sizeof j);
    j.darts = nc_darts_defaults();
    strcpy(j.dataset, "fashion-mnist");
    j.valid = 10000;
    j.threads = 1;
    return j;
}

nc_status nc_darts_job_validate(nc_ctx *ctx, const nc_darts_job *j)
{
    const nc_darts_cfg *c = &j->darts;
    /* Field by field, so that each message names what to change. */
    struct { const char *name; long v, lo, hi; } ints[] = {
        { "epochs", c->epochs, 0, 100000 },
        { "batch", c->batch, 1, 4096 },
        { "order", c->order, 1, 2 },
        { "pt_epochs", c->pt_epochs, -1, 1000 },
        { "eval_samples", c->eval_samples, 0, 10000000 },
        { "nb201_c", c->nb201_c, 1, 256 },
        { "nb201_n", c->nb201_n, 0, 20 },
        { "valid", j->valid, 1, 10000000 },
        { "train_samples", j->train_samples, 0, 10000000 },
        { "threads", j->threads, 1, 1024 },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (ints[i].v < ints[i].lo || ints[i].v > ints[i].hi)
            return nc_fail(ctx, NC_ERR_RANGE, "%s: %ld is outside %ld..%ld",
                           ints[i].name, ints[i].v, ints[i].lo, ints[i].hi);
    struct { const char *name; double v, lo, hi; int lo_open; } dbl[] = {
        { "w_lr", c->w_lr, 0, 100, 1 },
        { "w_lr_min", c->w_lr_min, 0, 100, 0 },
        { "w_momentum", c->w_momentum, 0, 0.9999, 0 },
        { "w_wd", c->w_wd, 0, 1, 0 },
        { "w_clip", c->w_clip, 0, 1e6, 0 },
        { "a_lr", c->a_lr, 0, 100, 1 },
        { "a_wd", c->a_wd, 0, 1, 0 },
    };
    for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++)
        if (!(dbl[i].v >= dbl[i].lo && dbl[i].v <= dbl[i].hi) ||
            (dbl[i].lo_open && dbl[i].v == dbl[i].lo))
            return nc_fail(ctx, NC_ERR_RANGE, "%s: %g is outside %s%g..%g",
                           dbl[i].name, dbl[i].v, dbl[i].lo_open ? "(" : "",
                           dbl[i].lo, dbl[i].hi);
    if (!nc_dataset_default_dir(j->dataset))
        return nc_fail(ctx, NC_ERR_INVAL, "dataset: unknown data set '%s' "
                       "(known: fashion-mnist, mnist, cifar10, cifar100)",
                       j->dataset);
    return nc_darts_cfg_validate(ctx, c);
}

char *nc_darts_job_to_json(const nc_darts_job *j)
{
    const nc_darts_cfg *c = &j->darts;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(o, "dataset", j->dataset);
    cJSON_AddStringToObject(o, "data_dir", j->data_dir);
    cJSON_AddNumberToObject(o, "valid", j->valid);
    cJSON_AddNumberToObject(o, "train_samples", j->train_samples);
    cJSON_AddNumberToObject(o, "epochs", c->epochs);
    cJSON_AddNumberToObject(o, "batch", c->batch);
    cJSON_AddNumberToObject(o, "w_lr", c->w_lr);
    cJSON_AddNumberToObject(o, "w_lr_min", c->w_lr_min);
    cJSON_AddNumberToObject(o, "w_momentum", c->w_momentum);
    cJSON_AddNumberToObject(o, "w_wd", c->w_wd);
    cJSON_AddNumberToObject(o, "w_clip", c->w_clip);
    cJSON_AddNumberToObject(o, "a_lr", c->a_lr);
    cJSON_AddNumberToObject(o, "a_wd", c->a_wd);
    cJSON_AddNumberToObject(o, "order", c->order);
    cJSON_AddNumberToObject(o, "pt_epochs", c->pt_epochs);
    cJSON_AddNumberToObject(o, "eval_samples", c->eval_samples);
    cJSON_AddNumberToObject(o, "nb201_c", c->nb201_c);
    cJSON_AddNumberToObject(o, "nb201_n", c->nb201_n);
    /* A string: a JSON number cannot carry every 64-bit seed. */
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON_AddNumberToObject(o, "threads", j->threads);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

nc_status nc_darts_job_from_json(nc_ctx *ctx, const char *json, nc_darts_job *j)
{
    static const char *const known[] = {
        "dataset", "data_dir", "valid", "train_samples", "epochs", "batch",
        "w_lr", "w_lr_min", "w_momentum", "w_wd", "w_clip", "a_lr", "a_wd",
        "order", "pt_epochs", "eval_samples", "nb201_c", "nb201_n", "seed",
        "threads", NULL
    };
    *j = nc_darts_job_defaults();
    nc_darts_cfg *c = &j->darts;
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration is not a JSON object");
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = it->string && strcmp(it->string, known[i]) == 0;
        if (!ok) {
            nc_status st = nc_fail(ctx, NC_ERR_FORMAT, "configuration: unknown "
                                   "field '%s'", it->string ? it->string : "");
            cJSON_Delete(o);
            return st;
        }
    }
    char seed[32];
    nc_status st;
    if ((st = nc_json_str(ctx, o, "dataset", j->dataset, sizeof j->dataset)) ||
        (st = nc_json_str(ctx, o, "data_dir", j->data_dir, sizeof j->data_dir)) ||
        (st = nc_json_int(ctx, o, "valid", 0, &j->valid)) ||
        (st = nc_json_int(ctx, o, "train_samples", 0, &j->train_samples)) ||
        (st = nc_json_int(ctx, o, "epochs", 0, &c->epochs)) ||
        (st = nc_json_int(ctx, o, "batch", 0, &c->batch)) ||
        (st = nc_json_num(ctx, o, "w_lr", 0, &c->w_lr)) ||
        (st = nc_json_num(ctx, o, "w_lr_min", 0, &c->w_lr_min)) ||
        (st = nc_json_num(ctx, o, "w_momentum", 0, &c->w_momentum)) ||
        (st = nc_json_num(ctx, o, "w_wd", 0, &c->w_wd)) ||
        (st = nc_json_num(ctx, o, "w_clip", 0, &c->w_clip)) ||
        (st = nc_json_num(ctx, o, "a_lr", 0, &c->a_lr)) ||
        (st = nc_json_num(ctx, o, "a_wd", 0, &c->a_wd)) ||
        (st = nc_json_int(ctx, o, "order", 0, &c->order)) ||
        (st = nc_json_int(ctx, o, "pt_epochs", 0, &c->pt_epochs)) ||
        (st = nc_json_int(ctx, o, "eval_samples", 0, &c->eval_samples)) ||
        (st = nc_json_int(ctx, o, "nb201_c", 0, &c->nb201_c)) ||
        (st = nc_json_int(ctx, o, "nb201_n", 0, &c->nb201_n)) ||
        (st = nc_json_str(ctx, o, "seed", seed, sizeof seed)) ||
        (st = nc_json_int(ctx, o, "threads", 0, &j->threads))) {
        cJSON_Delete(o);
        return st;
    }
    cJSON_Delete(o);
    char *end;
    c->seed = strtoull(seed, &end, 10);
    if (!seed[0] || *end || seed[0] == '-')
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field 'seed' must "
                       "be a decimal integer, got '%s'", seed);
    return NC_OK;
}
