/*
 * cmd_show.c — `nasc show RUN`: everything the log holds about one run.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char CMD[] = "show";

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Shows one run: its status, timings, code version and progress, who\n"
    "works on it (while it runs) or why it failed, its full configuration,\n"
    "the metrics of every finished epoch, and the result if it is done.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "print one JSON line: an object with id, kind, status, created, "
    "updated (unix seconds), code_version, seed (a string), threads, "
    "epochs_done, owner (\"host:pid:start\" of the process that "
    "holds the run, \"\" when none), owner_alive (whether that process "
    "lives), reason and reason_status (why a "
    "failed run failed, \"\" otherwise), units_done, units_total "
    "(null when unknown), parent (the campaign of a trial's run, else "
    "null), tag, train_seconds, config (object), epochs (array of "
    "per-epoch metrics: epoch, step, lr, train_loss, train_accuracy, "
    "valid_loss, valid_accuracy, seconds; accuracies as fractions, "
    "null where not measured) and result (object, or null until "
    "done)";

/* Everything shown about a run, gathered before anything is printed so
 * that a failure does not leave half a report. */
typedef struct show {
    int64_t id;
    const char *dbpath;
    const nc_run_info *info;
    const nc_cli_view *view;
    nc_epoch_metrics *ep;
    int n_ep;
    cJSON *config;     /* parsed configuration, or NULL */
    cJSON *result;     /* parsed result, or NULL (not done) */
} show;

static void show_free(show *s)
{
    free(s->ep);
    cJSON_Delete(s->config);
    cJSON_Delete(s->result);
}

static int gather(nc_ctx *ctx, nc_store *db, show *s)
{
    nc_status st;
    if ((st = nc_store_epochs(ctx, db, s->id, &s->ep, &s->n_ep)))
        return nc_cli_fail(CMD, ctx, st, NC_CLI_AT_STORE);
    char *res = NULL;
    if ((st = nc_store_run_result(ctx, db, s->id, &res)))
        return nc_cli_fail(CMD, ctx, st, NC_CLI_AT_STORE);
    if (res) {
        s->result = cJSON_Parse(res);
        free(res);
        if (!s->result) {
            fprintf(stderr, "nasc %s: run %lld: the stored result is not "
                    "valid JSON\n", CMD, (long long)s->id);
            return NC_EXIT_DB;
        }
    }
    if (s->info->config_json) {
        s->config = cJSON_Parse(s->info->config_json);
        if (!s->config) {
            fprintf(stderr, "nasc %s: run %lld: the stored configuration is "
                    "not valid JSON\n", CMD, (long long)s->id);
            return NC_EXIT_DB;
        }
    }
    return NC_EXIT_OK;
}

/* A JSON scalar as text for the key/value listings. */
static void scalar_text(const char *key, const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsString(v))
        snprintf(buf, n, "%s", v->valuestring[0] ? v->valuestring : "-");
    else if (cJSON_IsBool(v))
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else if (cJSON_IsNull(v))
        snprintf(buf, n, "-");
    else if (cJSON_IsNumber(v)) {
        size_t kl = strlen(key);
        if (kl >= 8 && strcmp(key + kl - 8, "accuracy") == 0)
            snprintf(buf, n, "%.2f%%", 100.0 * v->valuedouble);
        else
            snprintf(buf, n, "%.6g", v->valuedouble);
    } else {
        char *s = cJSON_PrintUnformatted(v);
        snprintf(buf, n, "%s", s ? s : "?");
        free(s);
    }
}

static void print_object(const char *title, const cJSON *o)
{
    printf("\n%s\n", title);
    int w = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        int l = it->string ? (int)strlen(it->string) : 0;
        if (l > w)
            w = l;
    }
    cJSON_ArrayForEach(it, o) {
        char val[NC_ARCH_MAX + 64];
        const char *k = it->string ? it->string : "";
        scalar_text(k, it, val, sizeof val);
        printf("  %-*s  %s\n", w, k, val);
    }
}

static void print_epochs(const show *s)
{
    printf("\nepochs\n");
    if (s->n_ep == 0) {
        printf("  none finished yet\n");
        return;
    }
    int valid = 0;
    for (int i = 0; i < s->n_ep; i++)
        valid |= !isnan(s->ep[i].valid_accuracy);
    printf("  %5s  %8s  %9s  %10s  %9s", "EPOCH", "STEP", "LR", "TRAIN_LOSS",
           "TRAIN_ACC");
    if (valid)
        printf("  %10s  %9s", "VALID_LOSS", "VALID_ACC");
    printf("  %7s\n", "SECONDS");
    for (int i = 0; i < s->n_ep; i++) {
        const nc_epoch_metrics *m = &s->ep[i];
        printf("  %5d  %8lld  %9.3g  %10.4f  %8.2f%%", m->epoch,
               (long long)m->step, m->lr, m->train_loss,
               100.0 * m->train_accuracy);
        if (valid && isnan(m->valid_accuracy))
            printf("  %10s  %9s", "-", "-");
        else if (valid && isnan(m->valid_loss))
            /* DARTS measures accuracy only. */
            printf("  %10s  %8.2f%%", "-", 100.0 * m->valid_accuracy);
        else if (valid)
            printf("  %10.4f  %8.2f%%", m->valid_loss,
                   100.0 * m->valid_accuracy);
        printf("  %7.1f\n", m->seconds);
    }
}

/* A number of a JSON array, NaN where it is not one (null: not tried). */
static double arr_num(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A DARTS result holds arrays too long for one line: its scalars as usual,
 * then softmax(alpha) per edge, DARTS-PT's decisions and the trajectory of
 * the op weights (softmax summed over the edges) per epoch. */
static void print_darts(const show *s)
{
    enum { E = 6, K = 5 };
    static const char *const ops[K] = { "none", "skip", "conv1x1", "conv3x3",
                                        "avgpool" };
    const cJSON *r = s->result, *it;
    cJSON *sc = cJSON_CreateObject();
    cJSON_ArrayForEach(it, r)
        if (sc && !cJSON_IsArray(it) && it->string)
            cJSON_AddItemToObject(sc, it->string, cJSON_Duplicate(it, 1));
    if (sc)
        print_object("result", sc);
    cJSON_Delete(sc);
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(r, "softmax");
    if (cJSON_GetArraySize(sm) == E * K) {
        printf("\nsoftmax(alpha) per edge\n  %4s", "EDGE");
        for (int k = 0; k < K; k++)
            printf("  %7s", ops[k]);
        printf("\n");
        for (int e = 0; e < E; e++) {
            printf("  %4d", e);
            for (int k = 0; k < K; k++)
                printf("  %7.3f", arr_num(sm, e * K + k));
            printf("\n");
        }
    }
    const cJSON *ord = cJSON_GetObjectItemCaseSensitive(r, "pt_order");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(r, "pt_base");
    const cJSON *drop = cJSON_GetObjectItemCaseSensitive(r, "pt_drop");
    if (cJSON_GetArraySize(ord) == E && cJSON_GetArraySize(drop) == E * K) {
        printf("\nDARTS-PT decisions (accuracy points lost removing each op)\n"
               "  %5s  %4s  %8s", "ORDER", "EDGE", "BASE");
        for (int k = 0; k < K; k++)
            printf("  %7s", ops[k]);
        printf("\n");
        for (int i = 0; i < E; i++) {
            int e = (int)arr_num(ord, i);
            if (e < 0 || e >= E)
                continue;
            printf("  %5d  %4d  %7.2f%%", i + 1, e, 100 * arr_num(base, i));
            for (int k = 0; k < K; k++)
                printf("  %7.2f", 100 * arr_num(drop, e * K + k));
            printf("\n");
        }
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "alpha_history");
    const cJSON *ce = s->config ? cJSON_GetObjectItemCaseSensitive(s->config,
                                                                   "epochs")
                                : NULL;
    int search = cJSON_IsNumber(ce) ? ce->valueint : -1;
    if (cJSON_GetArraySize(h) > 0) {
        printf("\nop weights per epoch (softmax(alpha) summed over the edges)\n"
               "  %5s  %6s", "EPOCH", "PHASE");
        for (int k = 0; k < K; k++)
            printf("  %7s", ops[k]);
        printf("\n");
        for (int i = 0; i < cJSON_GetArraySize(h); i++) {
            const cJSON *row = cJSON_GetArrayItem(h, i);
            double sum[K] = { 0 };
            for (int e = 0; e < E; e++) {
                double mx = -INFINITY, z = 0;
                for (int k = 0; k < K; k++)
                    mx = fmax(mx, arr_num(row, e * K + k));
                for (int k = 0; k < K; k++)
                    z += exp(arr_num(row, e * K + k) - mx);
                for (int k = 0; k < K; k++)
                    sum[k] += exp(arr_num(row, e * K + k) - mx) / z;
            }
            printf("  %5d  %6s", i + 1, search < 0 ? "-"
                   : i < search ? "search" : "tune");
            for (int k = 0; k < K; k++)
                printf("  %7.3f", sum[k]);
            printf("\n");
        }
    }
}

static int print_human(const show *s)
{
    const nc_run_info *ri = s->info;
    char created[32], updated[32];
    printf("run %lld\n", (long long)s->id);
    printf("  kind           %s\n", ri->kind ? ri->kind : "-");
    printf("  status         %s\n", ri->status ? ri->status : "-");
    printf("  created        %s\n",
           nc_cli_format_time(ri->created, created, sizeof created));
    printf("  updated        %s\n",
           nc_cli_format_time(ri->updated, updated, sizeof updated));
    printf("  code version   %s\n", ri->code_version ? ri->code_version : "-");
    printf("  seed           %llu\n", (unsigned long long)ri->seed);
    printf("  threads        %d\n", ri->threads);
    printf("  epochs done    %d\n", ri->epochs_done);
    if (s->view->total > 0)
        printf("  progress       %lld/%lld units\n", (long long)s->view->done,
               (long long)s->view->total);
    if (s->view->phase[0])
        printf("  phase          %s\n", s->view->phase);
    printf("  train seconds  %.1f\n", ri->train_seconds);
    if (ri->parent > 0)
        printf("  part of        run %lld (%s)\n", (long long)ri->parent,
               ri->tag && ri->tag[0] ? ri->tag : "-");
    nc_cli_print_state(ri, s->dbpath);
    if (s->config)
        print_object("config", s->config);
    print_epochs(s);
    if (s->result && ri->kind && strcmp(ri->kind, "darts") == 0)
        print_darts(s);
    else if (s->result)
        print_object("result", s->result);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}

static int print_json(show *s)
{
    const nc_run_info *ri = s->info;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)ri->seed);
    cJSON *o = cJSON_CreateObject();
    cJSON *eps = cJSON_CreateArray();
    int ok = o && eps;
    for (int i = 0; ok && i < s->n_ep; i++) {
        cJSON *e = nc_cli_epoch_json(&s->ep[i]);
        ok = e && cJSON_AddItemToArray(eps, e);
        if (!ok)
            cJSON_Delete(e);
    }
    ok = ok &&
        cJSON_AddNumberToObject(o, "id", (double)s->id) &&
        cJSON_AddStringToObject(o, "kind", ri->kind ? ri->kind : "") &&
        cJSON_AddStringToObject(o, "status", ri->status ? ri->status : "") &&
        cJSON_AddNumberToObject(o, "created", ri->created) &&
        cJSON_AddNumberToObject(o, "updated", ri->updated) &&
        cJSON_AddStringToObject(o, "code_version",
                                ri->code_version ? ri->code_version : "") &&
        cJSON_AddStringToObject(o, "seed", seed) &&
        cJSON_AddNumberToObject(o, "threads", ri->threads) &&
        cJSON_AddNumberToObject(o, "epochs_done", ri->epochs_done) &&
        nc_cli_json_state(o, ri, s->view) &&
        (ri->parent > 0 ? cJSON_AddNumberToObject(o, "parent",
                                                  (double)ri->parent)
                        : cJSON_AddNullToObject(o, "parent")) &&
        cJSON_AddStringToObject(o, "tag", ri->tag ? ri->tag : "") &&
        cJSON_AddNumberToObject(o, "train_seconds", ri->train_seconds);
    /* The object owns each part once it is added, not before. */
    if (ok && (ok = cJSON_AddItemToObject(o, "config", s->config ? s->config
                                                      : cJSON_CreateNull())))
        s->config = NULL;
    if (ok && (ok = cJSON_AddItemToObject(o, "epochs", eps)))
        eps = NULL;
    if (ok && (ok = cJSON_AddItemToObject(o, "result", s->result ? s->result
                                                      : cJSON_CreateNull())))
        s->result = NULL;
    cJSON_Delete(eps);
    if (!ok) {
        cJSON_Delete(o);
        o = NULL;
    }
    return nc_cli_print_json(o);
}

static int on_run(const nc_cli_args *a, void *opts, nc_cli_run *r)
{
    show s = { .id = r->id, .dbpath = a->db, .info = &r->info,
               .view = &r->view };
    int rc = gather(&r->ctx, r->db, &s);
    if (rc == NC_EXIT_OK)
        rc = a->json ? print_json(&s) : print_human(&s);
    show_free(&s);
    return rc;
}

const nc_cli_cmd nc_cli_cmd_show = {
    .name = "show", .usage = "RUN [OPTIONS]",
    .summary = "show a run's configuration, epochs and result",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN,
    .on_run = on_run,
};
