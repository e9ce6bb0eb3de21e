#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supernet/darts.h"

static const char CMD[] = "darts";

enum {
    OPT_DATASET = 256, OPT_DATA_DIR, OPT_VALID, OPT_TRAIN_SAMPLES, OPT_EPOCHS,
    OPT_BATCH, OPT_ORDER, OPT_PT_EPOCHS, OPT_EVAL, OPT_A_LR, OPT_W_LR,
    OPT_NB201_C, OPT_NB201_N, OPT_SEED, OPT_THREADS, OPT_DB, OPT_JSON,
    OPT_QUIET
};

static const struct option LONGOPTS[] = {
    { "dataset", required_argument, NULL, OPT_DATASET },
    { "data-dir", required_argument, NULL, OPT_DATA_DIR },
    { "valid", required_argument, NULL, OPT_VALID },
    { "train-samples", required_argument, NULL, OPT_TRAIN_SAMPLES },
    { "epochs", required_argument, NULL, OPT_EPOCHS },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "order", required_argument, NULL, OPT_ORDER },
    { "pt-epochs", required_argument, NULL, OPT_PT_EPOCHS },
    { "eval", required_argument, NULL, OPT_EVAL },
    { "a-lr", required_argument, NULL, OPT_A_LR },
    { "w-lr", required_argument, NULL, OPT_W_LR },
    { "nb201-c", required_argument, NULL, OPT_NB201_C },
    { "nb201-n", required_argument, NULL, OPT_NB201_N },
    { "seed", required_argument, NULL, OPT_SEED },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_darts_help(FILE *f)
{
    nc_darts_job d = nc_darts_job_defaults();
    fprintf(f,
        "Usage: nasc darts [OPTIONS]\n"
        "\n"
        "Differentiable architecture search (DARTS) of an nb201 cell as a new\n"
        "run in the run log, followed by DARTS-PT's perturbation-based\n"
        "selection: edges in a seeded order, on each the op whose removal\n"
        "costs the most validation accuracy is kept, then the supernet is\n"
        "tuned. Every epoch and every DARTS-PT decision is committed, so a\n"
        "killed run continues with 'nasc resume RUN' to the same bits.\n"
        "\n"
        "Data:\n"
        "  --dataset D        fashion-mnist, mnist, cifar10 or cifar100\n"
        "                     (default %s)\n"
        "  --data-dir DIR     directory of the data files (default: the data\n"
        "                     set's own)\n"
        "  --valid N          training samples held out to train alpha and\n"
        "                     measure accuracy, >= 1 (default %d)\n"
        "  --train-samples N  weight-training samples (0: all the rest;\n"
        "                     default %d)\n"
        "\n"
        "Search:\n"
        "  --epochs E         search epochs, >= 0 (default %d)\n"
        "  --batch B          batch size (default %d)\n"
        "  --order 1|2        first or second-order alpha gradient (default %d)\n"
        "  --pt-epochs P      DARTS-PT tuning epochs per edge; -1 skips\n"
        "                     DARTS-PT (default %d)\n"
        "  --eval N           held-out samples for accuracies (0: all;\n"
        "                     default %d)\n"
        "  --a-lr X           Adam rate of alpha (default %g)\n"
        "  --w-lr X           SGD rate of the weights, cosine to %g (default %g)\n"
        "  --nb201-c C        supernet channels in the first stage (default %d)\n"
        "  --nb201-n N        cells per stage (default %d)\n"
        "  --seed S           seed of every random choice (default %" PRIu64 ")\n"
        "  --threads T        threads (default %d); the bits are the same only\n"
        "                     at the same seed and thread count\n"
        "\n"
        "Output:\n"
        "  --db FILE          run log, created if missing (default runs.db)\n"
        "  --json             end stdout with the result as one JSON line:\n"
        "                     run, darts and pt cells, supernet_accuracy,\n"
        "                     epochs, seconds, weights_sha256, alpha, softmax,\n"
        "                     pt_order, pt_base, pt_drop, alpha_history\n"
        "  --quiet            no progress lines\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        d.dataset, d.valid, d.train_samples, d.darts.epochs, d.darts.batch,
        d.darts.order, d.darts.pt_epochs, d.darts.eval_samples, d.darts.a_lr,
        d.darts.w_lr_min, d.darts.w_lr, d.darts.nb201_c, d.darts.nb201_n,
        d.darts.seed, d.threads, nc_cli_exit_codes_help);
}

typedef struct darts_opts {
    nc_darts_job job;
    const char *db;
    int json, quiet;
} darts_opts;

/* The configuration is stored with the run and read again by resume, which
 * may run elsewhere: no relative data path in it. */
static int absolute_dir(char *dir, size_t n)
{
    if (dir[0] == '/')
        return 0;
    char cwd[NC_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "nasc %s: --data-dir: cannot find the current "
                "directory: %s\n", CMD, strerror(errno));
        return NC_EXIT_DATA;
    }
    char full[2 * NC_PATH_MAX + 2];
    snprintf(full, sizeof full, "%s/%s", cwd, dir);
    return nc_cli_parse_str(CMD, "--data-dir", full, dir, n);
}

/* Returns 0, or the exit code of a bad option; --help sets *help. */
static int parse(int argc, char **argv, darts_opts *o, int *help)
{
    nc_darts_job *j = &o->job;
    nc_darts_cfg *c = &j->darts;
    int r = 0, ch;
    optind = 0;
    opterr = 0;
    while (r == 0 &&
           (ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_DATASET:
            r = nc_cli_parse_str(CMD, "--dataset", a, j->dataset,
                                 sizeof j->dataset);
            break;
        case OPT_DATA_DIR:
            r = nc_cli_parse_str(CMD, "--data-dir", a, j->data_dir,
                                 sizeof j->data_dir);
            break;
        case OPT_VALID:
            r = nc_cli_parse_int(CMD, "--valid", a, 1, INT_MAX, &j->valid);
            break;
        case OPT_TRAIN_SAMPLES:
            r = nc_cli_parse_int(CMD, "--train-samples", a, 0, INT_MAX,
                                 &j->train_samples);
            break;
        case OPT_EPOCHS:
            r = nc_cli_parse_int(CMD, "--epochs", a, 0, 100000, &c->epochs);
            break;
        case OPT_BATCH:
            r = nc_cli_parse_int(CMD, "--batch", a, 1, 4096, &c->batch);
            break;
        case OPT_ORDER:
            r = nc_cli_parse_int(CMD, "--order", a, 1, 2, &c->order);
            break;
        case OPT_PT_EPOCHS:
            r = nc_cli_parse_int(CMD, "--pt-epochs", a, -1, 1000, &c->pt_epochs);
            break;
        case OPT_EVAL:
            r = nc_cli_parse_int(CMD, "--eval", a, 0, INT_MAX, &c->eval_samples);
            break;
        case OPT_A_LR:
            r = nc_cli_parse_double(CMD, "--a-lr", a, 0, 1, 100, 0, &c->a_lr);
            break;
        case OPT_W_LR:
            r = nc_cli_parse_double(CMD, "--w-lr", a, 0, 1, 100, 0, &c->w_lr);
            break;
        case OPT_NB201_C:
            r = nc_cli_parse_int(CMD, "--nb201-c", a, 1, 256, &c->nb201_c);
            break;
        case OPT_NB201_N:
            r = nc_cli_parse_int(CMD, "--nb201-n", a, 0, 20, &c->nb201_n);
            break;
        case OPT_SEED:
            r = nc_cli_parse_u64(CMD, "--seed", a, &c->seed);
            break;
        case OPT_THREADS:
            r = nc_cli_parse_int(CMD, "--threads", a, 1, 1024, &j->threads);
            break;
        case OPT_DB:
            r = nc_cli_path_arg(CMD, "--db", a, &o->db);
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case 'h':
            *help = 1;
            return 0;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    if (r)
        return r;
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (j->data_dir[0] && (r = absolute_dir(j->data_dir, sizeof j->data_dir)))
        return r;
    return 0;
}

/* The library names configuration fields; the user typed options. */
static void name_option(nc_ctx *ctx)
{
    static const nc_cli_field_opt map[] = {
        { "dataset", "--dataset" }, { "valid", "--valid" },
        { "train_samples", "--train-samples" }, { "epochs", "--epochs" },
        { "batch", "--batch" }, { "order", "--order" },
        { "pt_epochs", "--pt-epochs" }, { "eval_samples", "--eval" },
        { "a_lr", "--a-lr" }, { "w_lr", "--w-lr" },
        { "nb201_c", "--nb201-c" }, { "nb201_n", "--nb201-n" },
        { "threads", "--threads" },
    };
    nc_cli_name_option(ctx, map, sizeof map / sizeof map[0]);
}

/* Progress on stderr: one line per epoch and per DARTS-PT decision. */
typedef struct darts_view {
    int enabled, total;
} darts_view;

static int view_epoch(void *ud, const nc_darts_epoch *e)
{
    darts_view *v = ud;
    if (v->enabled) {
        nc_nb201_arch am;
        char s[NC_NB201_STR_MAX];
        nc_darts_argmax(e->alpha, &am);
        nc_nb201_format(&am, s, sizeof s);
        fprintf(stderr, "epoch %d/%d (%s): loss %.4f, train %.2f%%, valid "
                "%.2f%%, %.1f s, arg-max %s\n", e->epoch, v->total,
                e->phase ? "DARTS-PT tuning" : "search", e->train_loss,
                100 * e->train_accuracy, 100 * e->valid_accuracy, e->seconds, s);
    }
    return 0;
}

static int view_decision(void *ud, int i, int edge, int op)
{
    darts_view *v = ud;
    if (v->enabled)
        fprintf(stderr, "DARTS-PT decision %d/%d: edge %d keeps %s\n", i + 1,
                NC_NB201_N_EDGES, edge, nc_nb201_op_name(op));
    return 0;
}

/* The stored result: one JSON line, or a few lines for people. */
static int print_result(nc_ctx *ctx, nc_store *db, int64_t run, int json)
{
    char *js = NULL;
    nc_status st = nc_store_run_result(ctx, db, run, &js);
    if (st)
        return nc_cli_fail(CMD, ctx, st, NC_CLI_AT_STORE);
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (!o) {
        fprintf(stderr, "nasc %s: run %lld: no readable result\n", CMD,
                (long long)run);
        return NC_EXIT_DB;
    }
    if (json)
        return nc_cli_print_json(o);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "darts");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pt");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "supernet_accuracy");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    printf("run %lld\n", (long long)run);
    printf("DARTS cell:         %s\n", cJSON_IsString(d) ? d->valuestring : "-");
    printf("DARTS-PT cell:      %s\n", cJSON_IsString(p) ? p->valuestring
                                                         : "- (skipped)");
    if (cJSON_IsNumber(a))
        printf("supernet accuracy:  %.2f%%\n", 100 * a->valuedouble);
    if (cJSON_IsNumber(s))
        printf("seconds:            %.1f\n", s->valuedouble);
    cJSON_Delete(o);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}

int nc_cli_darts_resume(nc_ctx *ctx, nc_store *db, int64_t run, int json,
                        int quiet)
{
    darts_view v = { .enabled = !quiet && isatty(STDERR_FILENO) };
    nc_darts_progress prog = { .epoch = view_epoch,
                               .decision = view_decision, .ud = &v };
    nc_run_info info;
    nc_darts_job j;
    if (nc_store_run_get(ctx, db, run, &info) == NC_OK) {
        if (nc_darts_job_from_json(ctx, info.config_json, &j) == NC_OK)
            v.total = nc_darts_epochs_total(&j.darts);
        nc_run_info_clear(&info);
        nc_ctx_clear(ctx);
    }
    nc_darts_result res;
    nc_status st = nc_darts_resume(ctx, db, run, &prog, &res);
    if (st)
        return nc_cli_fail("resume", ctx, st, NC_CLI_AT_WORK);
    return print_result(ctx, db, run, json);
}

int nc_cli_darts(int argc, char **argv)
{
    darts_opts o = { .job = nc_darts_job_defaults(), .db = "runs.db" };
    int help = 0;
    int r = parse(argc, argv, &o, &help);
    if (r)
        return r;
    if (help) {
        nc_cli_darts_help(stdout);
        return NC_EXIT_OK;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* Checked before the run log is touched: a typo must not create files. */
    nc_status st = nc_darts_job_validate(&ctx, &o.job);
    if (st) {
        name_option(&ctx);
        return nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    }
    int fresh_db = access(o.db, F_OK) != 0;
    nc_store *db;
    if ((r = nc_cli_open_store(CMD, &ctx, o.db, 1, &db)))
        return r;
    darts_view v = { .enabled = !o.quiet && isatty(STDERR_FILENO),
                     .total = nc_darts_epochs_total(&o.job.darts) };
    nc_darts_progress prog = { .epoch = view_epoch,
                               .decision = view_decision, .ud = &v };
    int64_t run = 0;
    nc_darts_result res;
    st = nc_darts_start(&ctx, db, &o.job, &prog, &run, &res);
    if (st) {
        if (!run)
            name_option(&ctx);
        else
            nc_ctx_prefix(&ctx, "run %lld (continue with: nasc resume %lld "
                          "--db %s)", (long long)run, (long long)run, o.db);
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    } else {
        r = print_result(&ctx, db, run, o.json);
    }
    nc_store_close(db);
    if (st && !run && fresh_db)
        nc_cli_remove_fresh_db(o.db);
    return r;
}
