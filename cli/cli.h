/*
 * cli.h — the pieces shared by the `nasc` subcommands.
 *
 * Only cli/ prints and picks exit codes: library calls return an nc_status
 * with the message in an nc_ctx, and nc_cli_fail turns that into one line on
 * stderr and the exit code below. Each command lives in its own cmd_*.c file
 * as a pair: nc_cli_<cmd>(argc, argv), with argv[0] the command's name, and
 * nc_cli_<cmd>_help(FILE *), its --help text.
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
 *   5  the run is in the wrong state, e.g. resuming a finished run
 */
#ifndef NC_CLI_H
#define NC_CLI_H

#include <stdint.h>
#include <stdio.h>

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

/* The exit-code table above as help text (one line per code, indented). */
extern const char nc_cli_exit_codes_help[];

/* The same status means different things in different places: NC_ERR_IO or
 * NC_ERR_FORMAT while opening the run log is a run-log error (4), while
 * training or evaluating it is about the data files (3) unless the message
 * says the run log failed (store/ starts those with "run log <path>: "; a
 * read-only, locked or damaged log shows up during the work too). */
typedef enum nc_cli_phase {
    NC_CLI_AT_STORE,   /* opening or reading the run log */
    NC_CLI_AT_WORK     /* training, resuming, evaluating */
} nc_cli_phase;

/* nc_status -> exit code; the one place that decides it. */
int nc_cli_exit_code(nc_status st, nc_cli_phase phase);

/* Prints "nasc <cmd>: <ctx->msg>" to stderr; returns the exit code for
 * ctx->status (or st, if ctx->status was not set) in that phase. */
int nc_cli_fail(const char *cmd, const nc_ctx *ctx, nc_status st,
                nc_cli_phase phase);

/* A library message that starts with a configuration field ("epochs: 0 is
 * outside 1..100000") is rewritten to name the option the user typed
 * ("--epochs: ..."), by the first entry of map[0..n) whose field matches. */
typedef struct nc_cli_field_opt {
    const char *field, *opt;
} nc_cli_field_opt;
void nc_cli_name_option(nc_ctx *ctx, const nc_cli_field_opt *map, size_t n);

/* Deletes the run log at path and its side files (-wal, -shm, -journal):
 * for a command that created the log and then failed before using it. */
void nc_cli_remove_fresh_db(const char *path);

/* A file-name option: sets *dst to arg, or prints "nasc <cmd>: <opt>:
 * expected a file name, got ''" and returns non-zero for an empty arg. */
int nc_cli_path_arg(const char *cmd, const char *opt, const char *arg,
                    const char **dst);

/* Prints "nasc <cmd>: <message>" and a pointer to --help to stderr;
 * returns NC_EXIT_USAGE. */
int nc_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Strict option-value parsers: the whole string must be a number in range
 * (no blanks, no trailing characters, no overflow, finite). On failure they
 * print "nasc <cmd>: <opt>: expected ..., got '<s>'" and return
 * NC_EXIT_USAGE; 0 on success. */
int nc_cli_parse_int(const char *cmd, const char *opt, const char *s,
                     int min, int max, int *out);
int nc_cli_parse_u64(const char *cmd, const char *opt, const char *s,
                     uint64_t *out);
/* Range [min, max], with either end open when the matching flag is set;
 * max may be INFINITY (then unbounded). */
int nc_cli_parse_double(const char *cmd, const char *opt, const char *s,
                        double min, int min_open, double max, int max_open,
                        double *out);
/* Copies s into a buffer of size n, or fails (usage) if it does not fit or
 * is empty. */
int nc_cli_parse_str(const char *cmd, const char *opt, const char *s,
                     char *buf, size_t n);
/* A run id: a positive integer. */
int nc_cli_parse_run(const char *cmd, const char *s, int64_t *out);

/* For getopt_long's '?' and ':' results: the message for the bad option
 * argv[optind - 1] (or optopt), exit code NC_EXIT_USAGE. longopts is the
 * table given to getopt_long, for naming what an ambiguous prefix matches. */
struct option;
int nc_cli_bad_option(const char *cmd, int c, int argc, char **argv,
                      const struct option *longopts);

/* For commands with exactly one RUN operand after getopt: parses
 * argv[optind] and rejects missing or extra operands. */
int nc_cli_run_operand(const char *cmd, int argc, char **argv, int optind_,
                       int64_t *run);

/* Opens the run log for a command; on failure prints and returns the exit
 * code (non-zero), with *db NULL. */
int nc_cli_open_store(const char *cmd, nc_ctx *ctx, const char *path,
                      int create, nc_store **db);

/* nc_store_run_get, with "run N not found in DB" as the message when
 * there is no such run. */
nc_status nc_cli_run_get(nc_ctx *ctx, nc_store *db, const char *dbpath,
                         int64_t run, nc_run_info *info);
/* Fetches run `run` and, for a training run, parses its configuration
 * (*has_cfg 1). A missing run or an unreadable configuration is a run-log
 * error: prints it and returns the exit code, with nothing to release.
 * On success release *info with nc_run_info_clear. */
int nc_cli_load_run(const char *cmd, nc_ctx *ctx, nc_store *db,
                    const char *dbpath, int64_t run, nc_run_info *info,
                    nc_train_cfg *cfg, int *has_cfg);

/* Progress display of a training session (cli/progress.c). Draws only when
 * enabled (stderr is a terminal and not --quiet). The state lives on the
 * caller's stack. */
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

/* Output (cli/output.c). */
/* The final summary of a training session on stdout, human or one JSON
 * line; returns the exit code (1 if the JSON cannot be built). */
int nc_cli_print_result(const nc_train_result *res, int json);
/* Prints a cJSON value (then deletes it) as one line on stdout; NULL (a
 * failed build) reports out of memory. void *, so that this header does
 * not pull in cJSON. */
int nc_cli_print_json(void *cjson);
/* Local time "YYYY-MM-DD HH:MM:SS" of unix seconds t, into buf. */
const char *nc_cli_format_time(double t, char *buf, size_t n);
/* Model name and total epochs of a run from its configuration JSON;
 * "-" and 0 where it cannot be read (a run of another kind). */
void nc_cli_run_model(const nc_run_info *info, char *model, size_t n,
                      int *epochs);

/* The commands. */
int nc_cli_train(int argc, char **argv);
int nc_cli_resume(int argc, char **argv);
int nc_cli_eval(int argc, char **argv);
int nc_cli_runs(int argc, char **argv);
int nc_cli_show(int argc, char **argv);
int nc_cli_search(int argc, char **argv);
int nc_cli_status(int argc, char **argv);
int nc_cli_report(int argc, char **argv);
int nc_cli_latency(int argc, char **argv);
int nc_cli_darts(int argc, char **argv);
int nc_cli_proxies(int argc, char **argv);
void nc_cli_train_help(FILE *f);
void nc_cli_resume_help(FILE *f);
void nc_cli_eval_help(FILE *f);
void nc_cli_runs_help(FILE *f);
void nc_cli_show_help(FILE *f);
void nc_cli_search_help(FILE *f);
void nc_cli_status_help(FILE *f);
void nc_cli_report_help(FILE *f);
void nc_cli_latency_help(FILE *f);
void nc_cli_darts_help(FILE *f);
void nc_cli_proxies_help(FILE *f);

/* Campaigns (cli/cmd_search.c, cli/cmd_status.c). */

/* Resumes search campaign run with the progress display and prints its
 * result as 'nasc search' does; for 'nasc resume' of a run of kind
 * "search". Returns the exit code. */
int nc_cli_search_resume(nc_ctx *ctx, nc_store *db, int64_t run, int json,
                         int quiet);
/* Resumes DARTS run `run` (kind "darts") and prints its result as 'nasc
 * darts' does; for 'nasc resume'. Returns the exit code. */
int nc_cli_darts_resume(nc_ctx *ctx, nc_store *db, int64_t run, int json,
                        int quiet);
/* Loads campaign *run (0: the newest search run, written back to *run): its
 * info, parsed config and trials. On failure prints and returns the exit
 * code with nothing to release; on success release with nc_run_info_clear
 * and nc_trial_recs_free. */
int nc_cli_load_campaign(const char *cmd, nc_ctx *ctx, nc_store *db,
                         const char *dbpath, int64_t *run, nc_run_info *info,
                         nc_campaign_cfg *cfg, nc_trial_rec **recs, int *n);

#endif
