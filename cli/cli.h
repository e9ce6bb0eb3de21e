/*
 * cli.h — the pieces shared by the `nasc` subcommands.
 *
 * Only cli/ prints and picks exit codes: library calls return an nc_status
 * with the message in an nc_ctx, and nc_cli_fail turns that into one line on
 * stderr and the exit code below.
 *
 * A command is one nc_cli_cmd (its name, help texts, options and run
 * function), defined in its cmd_*.c file and listed in main.c's table.
 * Option parsing, --help, the RUN operand, the common options (--db,
 * --json, --quiet) and the default thread count are args.c's: a command
 * describes its own options as the fields of a struct (a field table of
 * core/cfgtab.h, the same kind the library uses for its configurations, so
 * a configuration's option rows are options with no further code) and gets
 * them filled in before its run function is called:
 *
 *     typedef struct opts { int top; } opts;
 *     static const nc_cfg_field FIELDS[] = {
 *         { .key = "top", .type = NC_CFG_INT, .off = offsetof(opts, top),
 *           .lo = 0, .hi = 1000, .def = 10, .opt = "--top", .metavar = "K",
 *           .help = "leaderboard length" } };
 *     static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);
 *     static int run(const nc_cli_args *a, void *o) { ... }
 *     const nc_cli_cmd nc_cli_cmd_x = { .name = "x", .summary = "...",
 *         .usage = "RUN [OPTIONS]", .common = NC_CLI_DB | NC_CLI_RUN,
 *         .opts = &OPTS, .size = sizeof(opts), .run = run };
 *
 * A command about one run gets it opened (nc_cli_run_open) and described
 * by its kind's entry (kinds.c: what the run is, its progress, how it
 * resumes, what its status shows), so every command says the same about a
 * missing run, an unreadable configuration, a failed run or one another
 * process works on; commands that start runs share nc_cli_start.
 *
 * Exit codes (also in `nasc --help`):
 *   0  success
 *   1  runtime failure: training diverged (NaN/Inf), out of memory, ...
 *   2  usage error: unknown command or option, bad option value, invalid
 *      configuration (unknown model, malformed --arch, ...)
 *   3  data/input error: a data file or directory is missing, unreadable,
 *      truncated or corrupt
 *   4  run-log error: the --db file cannot be opened, is not a nasc
 *      database, is damaged, is read-only where the command writes, is
 *      locked by another process, is from a newer version, fails a
 *      checksum, or has no such run
 *   5  the run is in the wrong state, e.g. resuming a finished run or one
 *      another process is working on
 */
#ifndef NC_CLI_H
#define NC_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "core/cfgtab.h"
#include "core/ctx.h"
#include "store/store.h"
#include "store/trials.h"
#include "train/train.h"
#include "campaign/campaign.h"
#include "run/jobs.h"

#ifndef NC_VERSION
#define NC_VERSION "unknown"
#endif

enum {
    NC_EXIT_OK = 0,
    NC_EXIT_FAILURE = 1,
    NC_EXIT_USAGE = 2,
    NC_EXIT_DATA = 3,
    NC_EXIT_DB = 4,
    NC_EXIT_STATE = 5
};

/* ---- errors and exit codes (cli/fail.c) ---------------------------------- */

/* The exit-code table above as help text (one line per code, indented). */
extern const char nc_cli_exit_codes_help[];

/* The same status means different things in different places: NC_ERR_IO or
 * NC_ERR_FORMAT while opening the run log is a run-log error (4), while
 * training or evaluating it is about the data files (3) unless the message
 * says the run log failed (store/ starts those with "run log <path>: "; a
 * read-only, locked or damaged log shows up during the work too). */
typedef enum nc_cli_phase {
    NC_CLI_AT_STORE,   /* opening or reading the run log */
    NC_CLI_AT_WORK,    /* training, resuming, evaluating */
    NC_CLI_AT_FILE     /* reading a file the user named (a model file): a
                          missing, damaged or newer file is a data error */
} nc_cli_phase;

/* nc_status -> exit code; the one place that decides it. */
int nc_cli_exit_code(nc_status st, nc_cli_phase phase);

/* Prints "nasc <cmd>: <ctx->msg>" to stderr; returns the exit code for
 * ctx->status (or st, if ctx->status was not set) in that phase. */
int nc_cli_fail(const char *cmd, const nc_ctx *ctx, nc_status st,
                nc_cli_phase phase);

/* nc_cli_fail for work on run `run` (0: the run was never created); when
 * the run exists and a later `nasc resume` could continue it (not a wrong
 * state, not a divergence, which is final), adds the line "nasc <cmd>:
 * continue with: nasc resume RUN --db DB". */
int nc_cli_fail_run(const char *cmd, const nc_ctx *ctx, nc_status st,
                    int64_t run, const char *db);

/* Prints "nasc <cmd>: <message>" and a pointer to --help to stderr;
 * returns NC_EXIT_USAGE. */
int nc_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Deletes the run log at path and its side files (-wal, -shm, -journal):
 * for a command that created the log and then failed before using it. */
void nc_cli_remove_fresh_db(const char *path);

/* ---- commands and options (cli/args.c) ----------------------------------- */

/* What a command takes besides the options of its tables. */
enum {
    NC_CLI_DB = 1u << 0,         /* --db FILE, the run log (default runs.db) */
    NC_CLI_DB_CREATE = 1u << 1,  /* with DB: the help says it is created */
    NC_CLI_JSON = 1u << 2,       /* --json, described by nc_cli_cmd.json */
    NC_CLI_QUIET = 1u << 3,      /* --quiet: no progress display */
    NC_CLI_RUN = 1u << 4,        /* a RUN operand, required */
    NC_CLI_RUN_NEWEST = 1u << 5, /* a RUN operand, optional: 0 when absent
                                    (the command takes the newest run) */
    NC_CLI_FILE = 1u << 6        /* a FILE operand (a model file), required */
};

typedef struct nc_cli_args nc_cli_args;
typedef struct nc_cli_run nc_cli_run;
typedef struct nc_cli_starter nc_cli_starter;

typedef struct nc_cli_cmd {
    const char *name;       /* "train" */
    const char *summary;    /* its line in `nasc --help` */
    const char *usage;      /* after "Usage: nasc NAME ": "RUN [OPTIONS]" */
    /* The help text between the usage line and the options: a static text
     * and/or a function for what depends on the library (lists of names,
     * defaults); either may be NULL. */
    const char *about;
    void (*about_fn)(FILE *f);
    unsigned common;        /* NC_CLI_* above */
    const char *json;       /* help of --json: what the JSON line holds */
    /* The command's own options: rows with .opt of a field table over its
     * options struct (at offset 0). May be NULL. */
    const nc_cfg_table *opts;
    /* A library configuration inside the options struct, at cfg_off, whose
     * option rows are options of the command too (nc_train_cfg_table ...).
     * May be NULL. */
    const nc_cfg_table *(*cfg)(void);
    size_t cfg_off;
    size_t size;            /* sizeof the options struct (0: none) */
    /* The option of those tables that is a thread count: when not given it
     * is set to nc_cli_default_threads() (NULL: none). */
    const char *threads_opt;
    /* Does the work, the options filled in; returns the exit code. One of
     * the three: on_run for a command about one run (RUN, NC_CLI_RUN or
     * NC_CLI_RUN_NEWEST), which gets it opened (nc_cli_run_open); starter
     * for a command that starts a run of the configuration at cfg_off
     * (nc_cli_start). */
    int (*run)(const nc_cli_args *a, void *opts);
    int (*on_run)(const nc_cli_args *a, void *opts, nc_cli_run *r);
    const nc_cli_starter *starter;
} nc_cli_cmd;

/* What every command gets besides its options struct. */
struct nc_cli_args {
    const nc_cli_cmd *cmd;
    const char *name;       /* cmd->name, for messages */
    const char *db;         /* --db, "runs.db" by default */
    int json, quiet;
    int64_t run;            /* the RUN operand; 0 when optional and absent */
    const char *file;       /* the FILE operand (NC_CLI_FILE) */
    /* The options given on the command line ("--model"), each once. */
    const char *given[64];
    int n_given;
};

/* Runs command c on argv (argv[0] is the command's name, as getopt wants):
 * parses the options into a fresh options struct set to the tables'
 * defaults, prints the help for -h/--help, and otherwise does the work
 * (c->on_run with the run opened, nc_cli_start with c->starter, or
 * c->run). Returns the exit code. */
int nc_cli_dispatch(const nc_cli_cmd *c, int argc, char **argv);

/* Prints c's --help: usage, about, one line per option (with its default),
 * the --json fields, the exit codes. */
void nc_cli_help(FILE *f, const nc_cli_cmd *c);

/* 1 if option opt ("--model") was given. */
int nc_cli_given(const nc_cli_args *a, const char *opt);

/* The default thread count of every command: the cores available to the
 * process (core/cpu.h), at most 1024. */
int nc_cli_default_threads(void);

/* A library message that starts with a field of table t ("epochs: 0 is
 * outside 1..100000") is rewritten to name that field's option ("--epochs:
 * ..."), for errors of a configuration the user set through options. */
void nc_cli_name_option(nc_ctx *ctx, const nc_cfg_table *t);

/* Makes the path in dir[0..n) absolute (from the current directory), for
 * paths stored with a run that resume may read from elsewhere. Prints and
 * returns the exit code on failure (opt names the option), 0 otherwise. */
int nc_cli_absolute_path(const char *cmd, const char *opt, char *dir,
                         size_t n);

/* ---- run logs and runs (cli/runlog.c) ------------------------------------ */

/* Opens the run log for a command; on failure prints and returns the exit
 * code (non-zero), with *db NULL. */
int nc_cli_open_store(const char *cmd, nc_ctx *ctx, const char *path,
                      int create, nc_store **db);

/* nc_store_run_get, with "run N not found in DB" as the message when
 * there is no such run. */
nc_status nc_cli_run_get(nc_ctx *ctx, nc_store *db, const char *dbpath,
                         int64_t run, nc_run_info *info);

/* The newest run without a parent (not a campaign's trial), 0 if none. */
nc_status nc_cli_newest_run(nc_ctx *ctx, nc_store *db, int64_t *run);

/* What the commands say of a run of any kind, from its row and its
 * configuration (by its kind's entry in cli/kinds.c; a kind without one
 * gets the row's own fields). */
typedef struct nc_cli_view {
    char what[256];       /* "training cnn on fashion-mnist", "DARTS +
                             DARTS-PT on fashion-mnist", "search on nb201,
                             evolution strategy, table evaluator" */
    char model[64];       /* the model of a training run, the space of a
                             DARTS run or campaign; "-" otherwise */
    int64_t done, total;  /* units done and planned (total 0: unknown) */
    int epochs;           /* training and DARTS runs: epochs planned (search
                             and tuning); a campaign: supernet epochs */
    int search_epochs;    /* DARTS: epochs before DARTS-PT, -1 without it */
    char phase[128];      /* DARTS: "search epoch 3/10", "DARTS-PT: 2/6 edges
                             decided, 2/6 tuning epochs"; else "" */
    int has_cfg;          /* the configuration below was read */
    union {
        nc_train_cfg train;
        nc_darts_job darts;
        nc_campaign_cfg search;
    } cfg;
} nc_cli_view;

/* Fills *v for run info. NC_ERR_FORMAT (and the message) when the stored
 * configuration of a known kind does not read; *v then says what the row
 * alone says, as for a kind without an entry. */
nc_status nc_cli_view_of(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                         nc_cli_view *v);

/* A run opened for a command: its log, row and view. */
struct nc_cli_run {
    nc_ctx ctx;           /* for the calls on it; the errors they leave */
    nc_store *db;
    int64_t id;
    nc_run_info info;
    nc_cli_view view;
};

/* Opens the run log a->db and reads run a->run (without RUN, for
 * NC_CLI_RUN_NEWEST, the newest run that is not a campaign's trial) with
 * its view. A log that does not open, a run that does not exist and a
 * configuration that does not read are run-log errors: printed, the exit
 * code returned, nothing left to close. On success nc_cli_run_close
 * releases it. */
int nc_cli_run_open(const nc_cli_args *a, nc_cli_run *r);
void nc_cli_run_close(nc_cli_run *r);

/* One drive of a run: what nc_cli_starter.drive gets. */
typedef struct nc_cli_drive {
    const nc_cli_args *a;
    nc_ctx *ctx;
    nc_store *db;
    const void *cfg;             /* the configuration (the kind's struct) */
    const nc_run_info *resumed;  /* the row of the run continued, or NULL */
    int64_t run;                 /* the run continued, or 0 for a new one,
                                    set by the drive as soon as it exists */
    nc_status st;                /* the library's status */
} nc_cli_drive;

/* A command that starts runs from a configuration its options set; its
 * kind's entry continues them with the same drive. */
struct nc_cli_starter {
    const nc_cfg_table *(*table)(void);  /* to name options in messages */
    /* The option of that table whose path is stored with the run, made
     * absolute first (a resume may run elsewhere); NULL for none. */
    const char *path_opt;
    nc_status (*validate)(nc_ctx *ctx, const void *cfg);
    /* Starts d->cfg as a new run or continues d->run, with the progress
     * display, setting d->run and d->st. When d->st is NC_OK, prints the
     * result and returns the exit code. */
    int (*drive)(nc_cli_drive *d);
};

/* The job kinds as the commands know them (cli/kinds.c): how to describe a
 * run of the kind (its view), continue it (`nasc resume`) and say where it
 * stands (`nasc status`). A new kind of job is one entry. */
typedef struct nc_cli_kind {
    const char *kind;     /* the run's kind in the log */
    /* Reads the configuration into v and fills the rest of the view. */
    nc_status (*view)(nc_ctx *ctx, nc_store *db, const nc_run_info *info,
                      nc_cli_view *v);
    /* Its command's drive, for `nasc resume` (NULL: resume refuses the
     * kind), which hands it the configuration read by the view. */
    const nc_cli_starter *starter;
    /* What `nasc status` adds about the run: printed, or added to the
     * cJSON object json when it is not NULL. Returns the exit code. */
    int (*status)(const nc_cli_args *a, nc_cli_run *r, void *json);
} nc_cli_kind;

/* The entry of kind, or NULL. */
const nc_cli_kind *nc_cli_kind_find(const char *kind);

/* The life of a command that starts a run: makes s->path_opt's path
 * absolute, validates cfg before touching the run log (a typo must not
 * create files), opens or creates a->db,
 * drives the new run; a failure names the option where the library names
 * a field and, once the run exists, how to continue it; a run log this
 * call created and could not use (no run was made) is removed again.
 * Returns the exit code. */
int nc_cli_start(const nc_cli_args *a, const nc_cli_starter *s, void *cfg);

/* The lines every command prints under a run's other facts: who works on
 * a running run (or that nobody does: its owner is gone or it stopped, and
 * how to continue it), why a failed run failed and whether `nasc resume`
 * can continue it. */
void nc_cli_print_state(const nc_run_info *info, const char *dbpath);

/* Adds owner, reason and reason_status (strings, "" for none),
 * owner_alive (true while the owner's process lives) and units_done,
 * units_total (numbers; units_total null when unknown) to the cJSON object
 * o; returns 0 if out of memory. void * keeps cJSON out of this header. */
int nc_cli_json_state(void *o, const nc_run_info *info, const nc_cli_view *v);

/* ---- output (cli/output.c) ----------------------------------------------- */

/* Prints a cJSON value (then deletes it) as one line on stdout; NULL (a
 * failed build) reports out of memory. */
int nc_cli_print_json(void *cjson);
/* Prints the JSON text s (then frees it) as one line on stdout; NULL
 * reports out of memory. */
int nc_cli_print_json_text(char *s);
/* v as a cJSON number, or null where it is NaN or infinite (JSON has no
 * NaN, which marks "not measured"). */
void *nc_cli_json_num(double v);
/* An epoch's metrics as a cJSON object: epoch, step, lr, train_loss,
 * train_accuracy, valid_loss, valid_accuracy (accuracies as fractions),
 * seconds; null where not measured. NULL if out of memory. */
void *nc_cli_epoch_json(const nc_epoch_metrics *m);
/* One line for people: "epoch 3: train loss 0.4123, train accuracy
 * 85.20%", then the validation loss and accuracy where measured. */
void nc_cli_print_epoch(const nc_epoch_metrics *m);
/* Flushes stdout: NC_EXIT_OK, or NC_EXIT_FAILURE if writing failed. */
int nc_cli_flush(void);
/* Local time "YYYY-MM-DD HH:MM:SS" of unix seconds t, into buf. */
const char *nc_cli_format_time(double t, char *buf, size_t n);
/* The time now on the monotonic clock, in seconds (progress displays). */
double nc_cli_now(void);

/* ---- the progress display of a training run (cli/progress.c) ------------ */

/* Draws only when enabled (stderr is a terminal and not --quiet). The state
 * lives on the caller's stack. */
typedef struct nc_cli_progress {
    int enabled;
    const char *db_path;     /* for the resume hint */
    nc_store *db;            /* for the epoch rows of the summaries */
    const int64_t *run;      /* where the library writes the run id (0: not
                                yet known) */
    int batch;               /* for samples/s; 0 if unknown */
    int announced;           /* the "run N: ..." line has been printed */
    const char *what;        /* short description for that line */
    int epochs_shown;        /* epoch summaries printed so far */
    int epoch, epochs;       /* of the last callback */
    double t_drawn;          /* last redraw, to keep to ~10 per second */
    int line_open;           /* a progress line is on screen */
} nc_cli_progress;

/* enabled: draw at all; epochs_done: epochs finished before this session
 * (their summaries are not repeated on resume). */
void nc_cli_progress_init(nc_cli_progress *p, int enabled,
                          const char *db_path, nc_store *db,
                          const int64_t *run, int batch, int epochs_done,
                          const char *what);
/* The hook to hand to nc_train_start/nc_train_resume. */
nc_train_progress nc_cli_progress_hook(nc_cli_progress *p);
/* After training returns: prints the epoch summaries not yet shown and
 * clears the progress line. */
void nc_cli_progress_end(nc_cli_progress *p);

/* ---- the commands -------------------------------------------------------- */

extern const nc_cli_cmd nc_cli_cmd_train, nc_cli_cmd_resume, nc_cli_cmd_eval,
    nc_cli_cmd_runs, nc_cli_cmd_show, nc_cli_cmd_search, nc_cli_cmd_darts,
    nc_cli_cmd_status, nc_cli_cmd_report, nc_cli_cmd_proxies,
    nc_cli_cmd_latency, nc_cli_cmd_export, nc_cli_cmd_inspect,
    nc_cli_cmd_infer;

/* The kinds' entries, in the command files of their kinds. */
extern const nc_cli_starter nc_cli_train_starter, nc_cli_darts_starter,
    nc_cli_search_starter;
int nc_cli_status_epochs(const nc_cli_args *a, nc_cli_run *r, void *json);
int nc_cli_status_search(const nc_cli_args *a, nc_cli_run *r, void *json);

/* A campaign's trials and their summary (cli/cmd_status.c), for status and
 * report: on failure prints and returns the exit code with nothing to
 * release; on success release *recs with nc_trial_recs_free. */
int nc_cli_campaign_trials(const char *cmd, nc_ctx *ctx, nc_store *db,
                           int64_t run, const nc_campaign_cfg *cfg,
                           nc_trial_rec **recs, int *n,
                           nc_campaign_result *res);

#endif
