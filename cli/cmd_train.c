#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static const char CMD[] = "train";

/* Option codes for long options without a short form. */
enum {
    OPT_MODEL = 256, OPT_ARCH, OPT_DATASET, OPT_DATA_DIR, OPT_EPOCHS,
    OPT_BATCH, OPT_LR, OPT_MOMENTUM, OPT_WD, OPT_NO_NESTEROV, OPT_OPTIMIZER,
    OPT_SCHEDULE, OPT_WARMUP, OPT_STEP_EPOCHS, OPT_STEP_GAMMA, OPT_VALID, OPT_TRAIN_SAMPLES,
    OPT_AUGMENT, OPT_NB201_C, OPT_NB201_N, OPT_SEED, OPT_THREADS, OPT_DB,
    OPT_JSON, OPT_QUIET
};

static const struct option LONGOPTS[] = {
    { "model", required_argument, NULL, OPT_MODEL },
    { "arch", required_argument, NULL, OPT_ARCH },
    { "dataset", required_argument, NULL, OPT_DATASET },
    { "data-dir", required_argument, NULL, OPT_DATA_DIR },
    { "epochs", required_argument, NULL, OPT_EPOCHS },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "lr", required_argument, NULL, OPT_LR },
    { "momentum", required_argument, NULL, OPT_MOMENTUM },
    { "weight-decay", required_argument, NULL, OPT_WD },
    { "no-nesterov", no_argument, NULL, OPT_NO_NESTEROV },
    { "optimizer", required_argument, NULL, OPT_OPTIMIZER },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "warmup", required_argument, NULL, OPT_WARMUP },
    { "step-epochs", required_argument, NULL, OPT_STEP_EPOCHS },
    { "step-gamma", required_argument, NULL, OPT_STEP_GAMMA },
    { "valid", required_argument, NULL, OPT_VALID },
    { "train-samples", required_argument, NULL, OPT_TRAIN_SAMPLES },
    { "augment", no_argument, NULL, OPT_AUGMENT },
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

/* The padding and flips that --augment turns on (CIFAR-style). */
enum { AUGMENT_PAD = 4 };

void nc_cli_train_help(FILE *f)
{
    /* Defaults come from the library, so the help cannot drift from them. */
    nc_train_cfg d = nc_train_cfg_defaults();
    fprintf(f,
        "Usage: nasc train [OPTIONS]\n"
        "\n"
        "Trains a model from scratch as a new run in the run log, printing the\n"
        "test accuracy at the end. A run that is killed can be continued with\n"
        "'nasc resume RUN'; it then ends with exactly the same weights.\n"
        "\n"
        "Model and data:\n"
        "  --model M          mlp, cnn or nb201 (default %s; nb201 if --arch\n"
        "                     is given without --model)\n"
        "  --arch A           NAS-Bench-201 architecture string for nb201:\n"
        "                     '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|', each op\n"
        "                     one of none, skip_connect, nor_conv_1x1,\n"
        "                     nor_conv_3x3, avg_pool_3x3 (no default)\n"
        "  --nb201-c C        nb201 channels in the first stage (default %d)\n"
        "  --nb201-n N        nb201 cells per stage (default %d)\n"
        "  --dataset D        fashion-mnist, mnist, cifar10 or cifar100\n"
        "                     (default %s)\n"
        "  --data-dir DIR     directory of the data files (default: the data\n"
        "                     set's own, e.g. /usr/share/datasets/fashion-mnist)\n"
        "  --valid N          hold N training samples out for validation\n"
        "  --train-samples N  train on N of the remaining samples (0: all)\n"
        "                     (default %d: none)\n"
        "  --augment          random crop with padding %d and horizontal flips\n"
        "                     (default off)\n"
        "\n"
        "Optimization:\n"
        "  --epochs E         training epochs, >= 1 (default %d)\n"
        "  --batch B          batch size, >= 1 (default %d)\n"
        "  --optimizer O      sgd or adam (default %s)\n"
        "  --lr X             learning rate, > 0 (default %g)\n"
        "  --momentum X       SGD momentum in [0, 1) (default %g)\n"
        "  --no-nesterov      plain instead of Nesterov momentum (default %s)\n"
        "  --weight-decay X   weight decay, >= 0 (default %g)\n"
        "  --schedule S       learning-rate schedule: cosine, step or const\n"
        "                     (default %s)\n"
        "  --warmup E         epochs of linear warm-up, >= 0 (default %d)\n"
        "  --step-epochs E    step schedule: epochs between decays (default %d)\n"
        "  --step-gamma X     step schedule: decay factor in (0, 1] (default %g)\n"
        "  --seed S           seed of every random choice, 64-bit (default %"
        PRIu64 ")\n"
        "  --threads T        threads, >= 1 (default %d); results are the same\n"
        "                     bits only at the same seed and thread count\n"
        "\n"
        "Output:\n"
        "  --db FILE          run log, created if missing (default runs.db)\n"
        "  --json             end stdout with one JSON line: run, epochs,\n"
        "                     test_accuracy (fraction), test_loss,\n"
        "                     train_seconds, weights_sha256\n"
        "  --quiet            no progress display\n"
        "  -h, --help         show this help\n"
        "\n"
        "On a terminal, stderr shows the run id, a progress line and one line\n"
        "per epoch; otherwise only the final result is printed.\n"
        "\n"
        "Exit status:\n%s",
        d.model, d.nb201_c, d.nb201_n, d.dataset, d.valid, AUGMENT_PAD,
        d.epochs, d.batch, d.optimizer, d.lr, d.momentum,
        d.nesterov ? "Nesterov" : "plain", d.weight_decay, d.schedule,
        d.warmup_epochs, d.step_epochs, d.step_gamma, d.seed, d.threads,
        nc_cli_exit_codes_help);
}

typedef struct train_opts {
    nc_train_cfg cfg;
    const char *db;
    int json, quiet, model_given;
} train_opts;

/* The configuration is stored with the run and read again by resume and
 * eval, which may run in another directory: keep no relative path there. */
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

/* Returns 0, or the exit code (usage) of a bad value; help sets *help. */
static int parse(int argc, char **argv, train_opts *o, int *help)
{
    nc_train_cfg *c = &o->cfg;
    int r = 0;
    int ch;
    optind = 0;   /* GNU: a full reset, whatever parsed argv before */
    opterr = 0;   /* our own messages name the command */
    while (r == 0 &&
           (ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_MODEL:
            r = nc_cli_parse_str(CMD, "--model", a, c->model, sizeof c->model);
            o->model_given = 1;
            break;
        case OPT_ARCH:
            r = nc_cli_parse_str(CMD, "--arch", a, c->arch, sizeof c->arch);
            break;
        case OPT_DATASET:
            r = nc_cli_parse_str(CMD, "--dataset", a, c->dataset,
                                 sizeof c->dataset);
            break;
        case OPT_DATA_DIR:
            r = nc_cli_parse_str(CMD, "--data-dir", a, c->data_dir,
                                 sizeof c->data_dir);
            break;
        case OPT_OPTIMIZER:
            r = nc_cli_parse_str(CMD, "--optimizer", a, c->optimizer,
                                 sizeof c->optimizer);
            break;
        case OPT_SCHEDULE:
            r = nc_cli_parse_str(CMD, "--schedule", a, c->schedule,
                                 sizeof c->schedule);
            break;
        case OPT_EPOCHS:
            r = nc_cli_parse_int(CMD, "--epochs", a, 1, INT_MAX, &c->epochs);
            break;
        case OPT_BATCH:
            r = nc_cli_parse_int(CMD, "--batch", a, 1, INT_MAX, &c->batch);
            break;
        case OPT_WARMUP:
            r = nc_cli_parse_int(CMD, "--warmup", a, 0, INT_MAX,
                                 &c->warmup_epochs);
            break;
        case OPT_STEP_EPOCHS:
            r = nc_cli_parse_int(CMD, "--step-epochs", a, 1, INT_MAX,
                                 &c->step_epochs);
            break;
        case OPT_VALID:
            r = nc_cli_parse_int(CMD, "--valid", a, 0, INT_MAX, &c->valid);
            break;
        case OPT_TRAIN_SAMPLES:
            r = nc_cli_parse_int(CMD, "--train-samples", a, 0, INT_MAX,
                                 &c->train_samples);
            break;
        case OPT_NB201_C:
            r = nc_cli_parse_int(CMD, "--nb201-c", a, 1, INT_MAX, &c->nb201_c);
            break;
        case OPT_NB201_N:
            r = nc_cli_parse_int(CMD, "--nb201-n", a, 1, INT_MAX, &c->nb201_n);
            break;
        case OPT_THREADS:
            r = nc_cli_parse_int(CMD, "--threads", a, 1, INT_MAX, &c->threads);
            break;
        case OPT_LR:
            r = nc_cli_parse_double(CMD, "--lr", a, 0, 1, INFINITY, 0, &c->lr);
            break;
        case OPT_MOMENTUM:
            r = nc_cli_parse_double(CMD, "--momentum", a, 0, 0, 1, 1,
                                    &c->momentum);
            break;
        case OPT_WD:
            r = nc_cli_parse_double(CMD, "--weight-decay", a, 0, 0, INFINITY, 0,
                                    &c->weight_decay);
            break;
        case OPT_STEP_GAMMA:
            r = nc_cli_parse_double(CMD, "--step-gamma", a, 0, 1, 1, 0,
                                    &c->step_gamma);
            break;
        case OPT_SEED:
            r = nc_cli_parse_u64(CMD, "--seed", a, &c->seed);
            break;
        case OPT_NO_NESTEROV:
            c->nesterov = 0;
            break;
        case OPT_AUGMENT:
            c->augment_pad = AUGMENT_PAD;
            c->augment_flip = 1;
            break;
        case OPT_DB:
            if (!a[0])
                r = nc_cli_usage(CMD, "--db: expected a file name, got ''");
            o->db = a;
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
    if (c->data_dir[0] && (r = absolute_dir(c->data_dir, sizeof c->data_dir)))
        return r;
    if (optind < argc)
        return nc_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    /* An architecture string only means something to nb201. */
    if (c->arch[0] && !o->model_given)
        snprintf(c->model, sizeof c->model, "nb201");
    return 0;
}

/* The library names configuration fields ("warmup_epochs: ..."); the user
 * typed options, so say which one. */
static void name_option(nc_ctx *ctx)
{
    static const nc_cli_field_opt map[] = {
        { "model", "--model" }, { "arch", "--arch" },
        { "dataset", "--dataset" }, { "data_dir", "--data-dir" },
        { "optimizer", "--optimizer" }, { "schedule", "--schedule" },
        { "epochs", "--epochs" }, { "batch", "--batch" }, { "lr", "--lr" },
        { "momentum", "--momentum" }, { "nesterov", "--no-nesterov" },
        { "weight_decay", "--weight-decay" }, { "warmup_epochs", "--warmup" },
        { "step_epochs", "--step-epochs" }, { "step_gamma", "--step-gamma" },
        { "valid", "--valid" }, { "train_samples", "--train-samples" },
        { "augment_pad", "--augment" },
        { "augment_flip", "--augment" }, { "nb201_c", "--nb201-c" },
        { "nb201_n", "--nb201-n" }, { "seed", "--seed" },
        { "threads", "--threads" },
    };
    nc_cli_name_option(ctx, map, sizeof map / sizeof map[0]);
}

int nc_cli_train(int argc, char **argv)
{
    train_opts o = { .cfg = nc_train_cfg_defaults(), .db = "runs.db" };
    int help = 0;
    int r = parse(argc, argv, &o, &help);
    if (r)
        return r;
    if (help) {
        nc_cli_train_help(stdout);
        return NC_EXIT_OK;
    }

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* Checked before the run log is touched: a typo must not create files. */
    nc_status st = nc_train_cfg_validate(&ctx, &o.cfg);
    if (st) {
        name_option(&ctx);
        return nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    }

    /* A run log this command creates and then fails to use (bad data
     * directory, corrupt data) is removed again: no stray empty files. */
    int fresh_db = access(o.db, F_OK) != 0;
    nc_store *db;
    if ((r = nc_cli_open_store(CMD, &ctx, o.db, 1, &db)))
        return r;

    char what[NC_NAME_MAX * 3 + 64];
    snprintf(what, sizeof what, "%s on %s, %d epoch%s", o.cfg.model,
             o.cfg.dataset, o.cfg.epochs, o.cfg.epochs == 1 ? "" : "s");
    int64_t run = 0;
    nc_cli_progress prog;
    nc_cli_progress_init(&prog, !o.quiet && isatty(STDERR_FILENO), o.db,
                         db, &run, o.cfg.batch, 0, what);
    nc_train_progress hook = nc_cli_progress_hook(&prog);
    nc_train_result res;
    memset(&res, 0, sizeof res);
    st = nc_train_start(&ctx, db, &o.cfg, &hook, &run, &res);
    nc_cli_progress_end(&prog);
    if (st) {
        /* Errors before the run exists are about the configuration or the
         * data; name the option where the library names a field. */
        if (!run)
            name_option(&ctx);
        r = nc_cli_fail(CMD, &ctx, st, NC_CLI_AT_WORK);
    } else {
        r = nc_cli_print_result(&res, o.json);
    }
    nc_store_close(db);
    if (st && !run && fresh_db)
        nc_cli_remove_fresh_db(o.db);
    return r;
}
