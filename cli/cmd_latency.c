#include "cli/cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "campaign/latency.h"
#include "supernet/space.h"

static const char CMD[] = "latency-table";

enum {
    OPT_SPACE = 256, OPT_INPUT, OPT_CLASSES, OPT_BATCH, OPT_THREADS,
    OPT_REPEATS, OPT_CALIBRATE, OPT_EVAL, OPT_SEED, OPT_OUT, OPT_JSON
};

static const struct option LONGOPTS[] = {
    { "space", required_argument, NULL, OPT_SPACE },
    { "input", required_argument, NULL, OPT_INPUT },
    { "classes", required_argument, NULL, OPT_CLASSES },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "repeats", required_argument, NULL, OPT_REPEATS },
    { "calibrate", required_argument, NULL, OPT_CALIBRATE },
    { "eval", required_argument, NULL, OPT_EVAL },
    { "seed", required_argument, NULL, OPT_SEED },
    { "out", required_argument, NULL, OPT_OUT },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

enum { MAX_EVAL = 10000 };

void nc_cli_latency_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc latency-table --out FILE [OPTIONS]\n"
        "\n"
        "Measures a layer-wise latency table of a search space on this machine\n"
        "(every distinct layer configuration, see campaign/latency.h), fits its\n"
        "calibration scale on random architectures and saves it as FILE, for\n"
        "the 'latency_table' field of a campaign file. With --eval N it then\n"
        "measures N further random architectures (drawn from another seed than\n"
        "the calibration's) and prints predicted against measured latency with\n"
        "the median and 90th-percentile absolute relative error.\n"
        "\n"
        "  --out FILE         where to save the table (required)\n"
        "  --space NAME       search space (default mbv, the only one with a\n"
        "                     table)\n"
        "  --input CxHxW      per-sample input shape (default 1x28x28)\n"
        "  --classes N        output classes (default 10)\n"
        "  --batch N          samples per timed forward pass (default 1)\n"
        "  --threads N        threads (default 1)\n"
        "  --repeats N        timed passes per measurement; the median counts\n"
        "                     (default 21)\n"
        "  --calibrate N      architectures for the scale fit; 0 keeps the\n"
        "                     plain sum (default 10)\n"
        "  --eval N           architectures to check the table on (default 0)\n"
        "  --seed N           seed of the calibration draws; the evaluation\n"
        "                     draws from seed+1 (default 1)\n"
        "  --json             end stdout with one JSON line: out, space,\n"
        "                     entries, scale, batch, threads, eval (arch,\n"
        "                     predicted_ms, measured_ms), median_abs_rel_err,\n"
        "                     p90_abs_rel_err (null without --eval)\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

typedef struct opts {
    const char *out;
    char space[32];
    nc_shape in;
    int classes, batch, threads, repeats, calibrate, eval, json;
    uint64_t seed;
} opts;

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

static int parse_args(int argc, char **argv, opts *o, int *done)
{
    int ch, r = 0;
    *done = 0;
    optind = 0;
    opterr = 0;
    while (!r && (ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_SPACE:
            r = nc_cli_parse_str(CMD, "--space", optarg, o->space, sizeof o->space);
            break;
        case OPT_INPUT: r = parse_input(optarg, &o->in); break;
        case OPT_CLASSES:
            r = nc_cli_parse_int(CMD, "--classes", optarg, 2, 100000, &o->classes);
            break;
        case OPT_BATCH:
            r = nc_cli_parse_int(CMD, "--batch", optarg, 1, 4096, &o->batch);
            break;
        case OPT_THREADS:
            r = nc_cli_parse_int(CMD, "--threads", optarg, 1, 1024, &o->threads);
            break;
        case OPT_REPEATS:
            r = nc_cli_parse_int(CMD, "--repeats", optarg, 1, 100000, &o->repeats);
            break;
        case OPT_CALIBRATE:
            r = nc_cli_parse_int(CMD, "--calibrate", optarg, 0, 10000,
                                 &o->calibrate);
            break;
        case OPT_EVAL:
            r = nc_cli_parse_int(CMD, "--eval", optarg, 0, MAX_EVAL, &o->eval);
            break;
        case OPT_SEED: r = nc_cli_parse_u64(CMD, "--seed", optarg, &o->seed); break;
        case OPT_OUT: r = nc_cli_path_arg(CMD, "--out", optarg, &o->out); break;
        case OPT_JSON: o->json = 1; break;
        case 'h':
            nc_cli_latency_help(stdout);
            *done = 1;
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    if (r)
        return NC_EXIT_USAGE;
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->out)
        return nc_cli_usage(CMD, "missing --out FILE (where to save the table)");
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

static int print(const opts *o, const nc_latency_table *t, const eval_row *rows,
                 double med, double p90)
{
    if (o->json) {
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

int nc_cli_latency(int argc, char **argv)
{
    opts o = { .in = { 1, 28, 28 }, .classes = 10, .batch = 1, .threads = 1,
               .repeats = 21, .calibrate = 10, .seed = 1 };
    strcpy(o.space, "mbv");
    int done, r = parse_args(argc, argv, &o, &done);
    if (r || done)
        return r;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    const nc_space *sp = nc_space_find(o.space);
    if (!sp)
        return nc_cli_usage(CMD, "--space: unknown space '%s' (known: %s)",
                            o.space, nc_space_names());
    if (strcmp(o.space, "mbv") != 0)
        return nc_cli_usage(CMD, "--space: only the mbv space has a latency "
                            "table, not '%s'", o.space);
    eval_row *rows = calloc((size_t)o.eval + 1, sizeof *rows);
    double *err = calloc((size_t)o.eval + 1, sizeof *err);
    nc_latency_table *t = NULL;
    nc_status st = rows && err ? NC_OK
                               : nc_fail(&ctx, NC_ERR_NOMEM, "out of memory");
    if (!st)
        st = nc_latency_table_build(&ctx, sp, o.in, o.classes, o.batch,
                                    o.threads, o.repeats, 0, o.seed, &t);
    if (!st && o.calibrate > 0)
        st = nc_latency_table_calibrate(&ctx, t, sp, o.in, o.classes, o.repeats,
                                        o.calibrate, o.seed);
    if (!st)
        st = nc_latency_table_save(&ctx, t, o.out);
    if (!st)
        st = evaluate(&ctx, &o, sp, t, rows);
    double med = NAN, p90 = NAN;
    if (st) {
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    } else {
        for (int i = 0; i < o.eval; i++)
            err[i] = fabs(rows[i].pred - rows[i].meas) / rows[i].meas;
        if (o.eval > 0)
            summarize(err, o.eval, &med, &p90);
        r = print(&o, t, rows, med, p90);
    }
    nc_latency_table_free(t);
    free(rows);
    free(err);
    return r;
}
