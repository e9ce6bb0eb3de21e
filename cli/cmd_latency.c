/*
 * cmd_latency.c — `nasc latency-table`: a search space's layer-wise latency
 * table (campaign/latency.h) measured on this machine, and its check.
 */
#include "cli/cli.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "campaign/latency.h"
#include "supernet/space.h"

static const char CMD[] = "latency-table";

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Measures a layer-wise latency table of a search space on this machine\n"
    "(every distinct layer configuration, see campaign/latency.h), fits its\n"
    "calibration scale on random architectures and saves it as FILE, for\n"
    "the 'latency_table' field of a campaign file. With --eval N it then\n"
    "measures N further random architectures (drawn from another seed than\n"
    "the calibration's) and prints predicted against measured latency with\n"
    "the median and 90th-percentile absolute relative error.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with one JSON line: out, space, entries, scale, "
    "batch, threads, eval (an array of arch, predicted_ms, "
    "measured_ms), median_abs_rel_err, p90_abs_rel_err (fractions; "
    "null without --eval)";

enum { MAX_EVAL = 10000 };

typedef struct opts {
    char out[NC_PATH_MAX], space[32], input[32];
    nc_shape in;   /* input, parsed */
    int classes, batch, threads, repeats, calibrate, eval;
    uint64_t seed;
} opts;

#define OFF(m) offsetof(opts, m)
static const nc_cfg_field FIELDS[] = {
    { .key = "out", .type = NC_CFG_STR, .off = OFF(out), .size = NC_PATH_MAX,
      .opt = "--out", .metavar = "FILE",
      .help = "where to save the table (required)" },
    { .key = "space", .type = NC_CFG_STR, .off = OFF(space), .size = 32,
      .def_str = "mbv", .opt = "--space", .metavar = "NAME",
      .help = "search space (default mbv, the only one with a table)" },
    { .key = "input", .type = NC_CFG_STR, .off = OFF(input), .size = 32,
      .def_str = "1x28x28", .opt = "--input", .metavar = "CxHxW",
      .help = "per-sample input shape" },
    { .key = "classes", .type = NC_CFG_INT, .off = OFF(classes), .lo = 2,
      .hi = 100000, .def = 10, .opt = "--classes", .metavar = "N",
      .help = "output classes" },
    { .key = "batch", .type = NC_CFG_INT, .off = OFF(batch), .lo = 1,
      .hi = 4096, .def = 1, .opt = "--batch", .metavar = "N",
      .help = "samples per timed forward pass" },
    { .key = "threads", .type = NC_CFG_INT, .off = OFF(threads), .lo = 1,
      .hi = 1024, .opt = "--threads", .metavar = "N",
      .help = "threads of the timed passes; the table holds for this count" },
    { .key = "repeats", .type = NC_CFG_INT, .off = OFF(repeats), .lo = 1,
      .hi = 100000, .def = 21, .opt = "--repeats", .metavar = "N",
      .help = "timed passes per measurement; the median counts" },
    { .key = "calibrate", .type = NC_CFG_INT, .off = OFF(calibrate), .lo = 0,
      .hi = 10000, .def = 10, .opt = "--calibrate", .metavar = "N",
      .help = "architectures for the scale fit; 0 keeps the plain sum" },
    { .key = "eval", .type = NC_CFG_INT, .off = OFF(eval), .lo = 0,
      .hi = MAX_EVAL, .opt = "--eval", .metavar = "N",
      .help = "architectures to check the table on" },
    { .key = "seed", .type = NC_CFG_SEED, .off = OFF(seed), .def = 1,
      .opt = "--seed", .metavar = "N",
      .help = "seed of the calibration draws; the evaluation draws from "
              "seed+1" },
};
#undef OFF
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

/* "CxHxW" with each part 1..4096; prints and returns NC_EXIT_USAGE if not. */
static int parse_input(const char *s, nc_shape *in)
{
    int c, h, w, used = 0;
    if (sscanf(s, "%d x %d x %d%n", &c, &h, &w, &used) != 3 ||
        s[used] != 0 || strchr(s, ' ') || c < 1 || h < 1 || w < 1 ||
        c > 4096 || h > 4096 || w > 4096)
        return nc_cli_usage(CMD, "--input: expected CxHxW with each part "
                            "1..4096 (e.g. 1x28x28), got '%s'", s);
    *in = (nc_shape){ c, h, w };
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and nearest-rank 90th percentile of err[0..n), sorted in place. */
static void summarize(double *err, int n, double *med, double *p90)
{
    qsort(err, (size_t)n, sizeof *err, cmp_double);
    *med = n % 2 ? err[n / 2] : 0.5 * (err[n / 2 - 1] + err[n / 2]);
    int k = (int)ceil(0.9 * n) - 1;
    *p90 = err[k < 0 ? 0 : k];
}

typedef struct eval_row {
    char arch[NC_ARCH_STR_MAX];
    double pred, meas;
} eval_row;

/* Predicts and measures o->eval random architectures into rows. */
static nc_status evaluate(nc_ctx *ctx, const opts *o, const nc_space *sp,
                          const nc_latency_table *t, eval_row *rows)
{
    for (int i = 0; i < o->eval; i++) {
        nc_rng r = nc_rng_make(o->seed + 1, NC_STREAM(NC_PURPOSE_SAMPLE, i));
        nc_arch a;
        memset(&a, 0, sizeof a);
        sp->sample(sp, &r, &a);
        sp->format(sp, &a, rows[i].arch, sizeof rows[i].arch);
        nc_status st = nc_latency_table_predict(ctx, t, sp, &a, o->in,
                                                o->classes, &rows[i].pred);
        if (!st)
            st = nc_latency_measure(ctx, sp, &a, o->in, o->classes, o->batch,
                                    o->threads, o->repeats, &rows[i].meas);
        if (st)
            return st;
    }
    return NC_OK;
}

static int print(const opts *o, int json, const nc_latency_table *t,
                 const eval_row *rows, double med, double p90)
{
    if (json) {
        cJSON *j = cJSON_CreateObject();
        if (j) {
            cJSON_AddStringToObject(j, "out", o->out);
            cJSON_AddStringToObject(j, "space", o->space);
            cJSON_AddNumberToObject(j, "entries", t->n);
            cJSON_AddNumberToObject(j, "scale", t->scale);
            cJSON_AddNumberToObject(j, "batch", o->batch);
            cJSON_AddNumberToObject(j, "threads", o->threads);
            cJSON *a = cJSON_AddArrayToObject(j, "eval");
            for (int i = 0; a && i < o->eval; i++) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddItemToArray(a, e);
                cJSON_AddStringToObject(e, "arch", rows[i].arch);
                cJSON_AddNumberToObject(e, "predicted_ms", rows[i].pred);
                cJSON_AddNumberToObject(e, "measured_ms", rows[i].meas);
            }
            if (o->eval > 0) {
                cJSON_AddNumberToObject(j, "median_abs_rel_err", med);
                cJSON_AddNumberToObject(j, "p90_abs_rel_err", p90);
            } else {
                cJSON_AddNullToObject(j, "median_abs_rel_err");
                cJSON_AddNullToObject(j, "p90_abs_rel_err");
            }
        }
        return nc_cli_print_json(j);
    }
    printf("latency table of %s: %d entries, scale %.4f (batch %d, %d "
           "thread%s), saved to %s\n", o->space, t->n, t->scale, o->batch,
           o->threads, o->threads == 1 ? "" : "s", o->out);
    if (o->eval == 0)
        return NC_EXIT_OK;
    printf("%-52s %12s %12s %8s\n", "ARCH", "PREDICTED_MS", "MEASURED_MS",
           "REL_ERR");
    for (int i = 0; i < o->eval; i++)
        printf("%-52s %12.4f %12.4f %7.1f%%\n", rows[i].arch, rows[i].pred,
               rows[i].meas, 100 * fabs(rows[i].pred - rows[i].meas) /
                                 rows[i].meas);
    printf("absolute relative error over %d architectures: median %.1f%%, "
           "90th percentile %.1f%%\n", o->eval, 100 * med, 100 * p90);
    return NC_EXIT_OK;
}

static int run(const nc_cli_args *a, void *opts_)
{
    opts *o = opts_;
    int r;
    if (!o->out[0])
        return nc_cli_usage(CMD, "missing --out FILE (where to save the "
                            "table)");
    if ((r = parse_input(o->input, &o->in)))
        return r;
    const nc_space *sp = nc_space_find(o->space);
    if (!sp)
        return nc_cli_usage(CMD, "--space: unknown space '%s' (known: %s)",
                            o->space, nc_space_names());
    if (strcmp(o->space, "mbv") != 0)
        return nc_cli_usage(CMD, "--space: only the mbv space has a latency "
                            "table, not '%s'", o->space);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    eval_row *rows = calloc((size_t)o->eval + 1, sizeof *rows);
    double *err = calloc((size_t)o->eval + 1, sizeof *err);
    nc_latency_table *t = NULL;
    nc_status st = rows && err ? NC_OK
                               : nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
    if (!st)
        st = nc_latency_table_build(&ctx, sp, o->in, o->classes, o->batch,
                                    o->threads, o->repeats, 0, o->seed, &t);
    if (!st && o->calibrate > 0)
        st = nc_latency_table_calibrate(&ctx, t, sp, o->in, o->classes,
                                        o->repeats, o->calibrate, o->seed);
    if (!st)
        st = nc_latency_table_save(&ctx, t, o->out);
    if (!st)
        st = evaluate(&ctx, o, sp, t, rows);
    double med = NAN, p90 = NAN;
    if (st) {
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    } else {
        for (int i = 0; i < o->eval; i++)
            err[i] = fabs(rows[i].pred - rows[i].meas) / rows[i].meas;
        if (o->eval > 0)
            summarize(err, o->eval, &med, &p90);
        r = print(o, a->json, t, rows, med, p90);
    }
    nc_latency_table_free(t);
    free(rows);
    free(err);
    return r;
}

const nc_cli_cmd nc_cli_cmd_latency = {
    .name = "latency-table", .usage = "--out FILE [OPTIONS]",
    .summary = "measure a space's layer-wise latency table for campaigns",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_JSON,
    .opts = &OPTS, .size = sizeof(opts),
    .threads_opt = "--threads", .run = run,
};
