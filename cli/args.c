/*
 * args.c — one command line parser and one help printer for every command
 * (cli/cli.h): the command's option rows (field tables of core/cfgtab.h),
 * the common options, the RUN operand and the default thread count.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cpu.h"

/* getopt_long codes: the common options, then one per table row. */
enum { OPT_DB = 1, OPT_JSON, OPT_QUIET, OPT_ROW = 256 };

enum { MAX_ROWS = 64, HELP_COL = 21, HELP_WIDTH = 79 };

/* A command's options: the option rows of its tables, in help order, and
 * the getopt table built from them and the common options. */
typedef struct optset {
    int n;
    const nc_cfg_field *row[MAX_ROWS];
    const nc_cfg_table *table[MAX_ROWS];  /* the table the row belongs to */
    size_t base[MAX_ROWS];                /* that table in the options struct */
    size_t off[MAX_ROWS];                 /* the row's struct in the table's */
    struct option longopts[MAX_ROWS + 5];
} optset;

static void add_table(optset *s, const nc_cfg_table *t, size_t base)
{
    if (!t)
        return;
    const nc_cfg_field *rows[MAX_ROWS];
    size_t offs[MAX_ROWS];
    int k = nc_cfgtab_opts(t, rows, offs, MAX_ROWS);
    for (int i = 0; i < k && i < MAX_ROWS && s->n < MAX_ROWS; i++) {
        s->row[s->n] = rows[i];
        s->table[s->n] = t;
        s->base[s->n] = base;
        s->off[s->n] = offs[i];
        s->n++;
    }
}

static void optset_make(const nc_cli_cmd *c, optset *s)
{
    memset(s, 0, sizeof *s);
    add_table(s, c->opts, 0);
    add_table(s, c->cfg ? c->cfg() : NULL, c->cfg_off);
    int k = 0;
    for (int i = 0; i < s->n; i++)
        s->longopts[k++] = (struct option){
            s->row[i]->opt + 2, s->row[i]->opt_value ? no_argument
                                                     : required_argument,
            NULL, OPT_ROW + i };
    if (c->common & NC_CLI_DB)
        s->longopts[k++] = (struct option){ "db", required_argument, NULL,
                                            OPT_DB };
    if (c->common & NC_CLI_JSON)
        s->longopts[k++] = (struct option){ "json", no_argument, NULL,
                                            OPT_JSON };
    if (c->common & NC_CLI_QUIET)
        s->longopts[k++] = (struct option){ "quiet", no_argument, NULL,
                                            OPT_QUIET };
    s->longopts[k++] = (struct option){ "help", no_argument, NULL, 'h' };
    s->longopts[k] = (struct option){ NULL, 0, NULL, 0 };
}

/* The options struct at its defaults (malloc'ed; NULL if out of memory). */
static void *opts_new(const nc_cli_cmd *c)
{
    void *o = calloc(1, c->size ? c->size : 1);
    if (o && c->opts)
        nc_cfgtab_defaults(c->opts, o);
    if (o && c->cfg)
        nc_cfgtab_defaults(c->cfg(), (char *)o + c->cfg_off);
    return o;
}

int nc_cli_default_threads(void)
{
    int n = nc_cpu_count();
    return n < 1024 ? n : 1024;
}

/* ---- help ---------------------------------------------------------------- */

/* text from column col on, wrapped at HELP_WIDTH with continuation lines
 * indented to HELP_COL; a '\n' in text breaks the line there. */
static void put_wrapped(FILE *f, const char *text, int col)
{
    const char *p = text;
    while (*p) {
        size_t w = strcspn(p, " \n");
        if (col > HELP_COL && col + 1 + (int)w > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (col > HELP_COL) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, p);
        col += (int)w;
        p += w;
        if (*p == '\n') {
            fprintf(f, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        }
        while (*p == ' ' || *p == '\n')
            p++;
    }
    fputc('\n', f);
}

/* One option line: "  LEFT" padded to HELP_COL, then the text (on a line of
 * its own when LEFT does not leave room). */
static void help_line(FILE *f, const char *left, const char *text)
{
    int col = fprintf(f, "  %s", left);
    if (col > HELP_COL - 1) {
        fprintf(f, "\n%*s", HELP_COL, "");
    } else {
        fprintf(f, "%*s", HELP_COL - col, "");
    }
    put_wrapped(f, text, HELP_COL);
}

/* The help of row i: its text and default. The default is left out for an
 * option without a value, an empty one, and a text that speaks of it. */
static void row_help(FILE *f, const nc_cli_cmd *c, const optset *s, int i,
                     const void *defaults)
{
    const nc_cfg_field *r = s->row[i];
    char left[64], text[512], v[128] = "";
    snprintf(left, sizeof left, "%s%s%s", r->opt, r->metavar ? " " : "",
             r->metavar ? r->metavar : "");
    const char *h = r->help ? r->help : "";
    if (c->threads_opt && strcmp(r->opt, c->threads_opt) == 0) {
        snprintf(text, sizeof text, "%s (default: the cores available to "
                 "nasc, %d here)", h, nc_cli_default_threads());
        help_line(f, left, text);
        return;
    }
    if (!r->opt_value && !strstr(h, "default") && defaults)
        nc_cfgtab_value_str(r, (const char *)defaults + s->base[i] + s->off[i],
                            v, sizeof v);
    if (v[0])
        snprintf(text, sizeof text, "%s (default %s)", h, v);
    else
        snprintf(text, sizeof text, "%s", h);
    help_line(f, left, text);
}

void nc_cli_help(FILE *f, const nc_cli_cmd *c)
{
    optset s;
    optset_make(c, &s);
    void *defaults = opts_new(c);
    fprintf(f, "Usage: nasc %s %s\n", c->name, c->usage);
    if (c->about)
        fprintf(f, "\n%s", c->about);
    if (c->about_fn) {
        fputc('\n', f);
        c->about_fn(f);
    }
    fprintf(f, "\nOptions:\n");
    if (c->common & NC_CLI_RUN)
        help_line(f, "RUN", "the run id (see 'nasc runs')");
    if (c->common & NC_CLI_RUN_NEWEST)
        help_line(f, "RUN", "the run id (see 'nasc runs'); default: the "
                  "newest run that is not a campaign's trial");
    if (c->common & NC_CLI_FILE)
        help_line(f, "FILE", "the model file (.nasc; 'nasc export' writes "
                  "one)");
    for (int i = 0; i < s.n; i++)
        row_help(f, c, &s, i, defaults);
    if (c->common & NC_CLI_DB)
        help_line(f, "--db FILE", c->common & NC_CLI_DB_CREATE
                  ? "run log, created if missing (default runs.db)"
                  : "run log (default runs.db)");
    if (c->common & NC_CLI_JSON)
        help_line(f, "--json", c->json ? c->json : "one JSON line on stdout");
    if (c->common & NC_CLI_QUIET)
        help_line(f, "--quiet", "no progress display");
    help_line(f, "-h, --help", "show this help");
    fprintf(f, "\nExit status:\n%s", nc_cli_exit_codes_help);
    free(defaults);
}

/* ---- parsing --------------------------------------------------------------- */

/* GNU getopt takes any unambiguous prefix of a long option; for one that
 * matches several, listing them beats "unknown". */
static int ambiguous(const char *cmd, const char *arg,
                     const struct option *longopts)
{
    const char *name = arg + 2;
    size_t n = strcspn(name, "=");
    char list[256] = "";
    int hits = 0;
    for (const struct option *o = longopts; o && o->name; o++) {
        if (strncmp(o->name, name, n) != 0)
            continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s--%s",
                 hits ? ", " : "", o->name);
        hits++;
    }
    if (hits < 2)
        return 0;
    return nc_cli_usage(cmd, "ambiguous option '%.*s' (could be %s)",
                        (int)(n + 2), arg, list);
}

/* For getopt_long's '?' and ':' results: the message for the bad option
 * argv[optind - 1] (or optopt). */
static int bad_option(const char *cmd, int c, int argc, char **argv,
                      const struct option *longopts)
{
    /* getopt has already moved past the culprit; for a short option the
     * character is in optopt, for a long one only argv holds it. */
    const char *arg = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "";
    int is_long = arg[0] == '-' && arg[1] == '-';
    if (c == ':') {
        if (!is_long && optopt > 0 && optopt < 128)
            return nc_cli_usage(cmd, "option '-%c' needs a value", optopt);
        return nc_cli_usage(cmd, "option '%s' needs a value", arg);
    }
    if (!is_long && optopt > 0 && optopt < 128)
        return nc_cli_usage(cmd, "unknown option '-%c'", optopt);
    if (is_long) {
        int r = ambiguous(cmd, arg, longopts);
        if (r)
            return r;
        /* An option that takes no value, given one ("--json=1"). */
        size_t n = strcspn(arg + 2, "=");
        for (const struct option *o = longopts; o && o->name; o++)
            if (arg[2 + n] == '=' && o->has_arg == no_argument &&
                strncmp(o->name, arg + 2, n) == 0)
                return nc_cli_usage(cmd, "option '--%s' takes no value",
                                    o->name);
    }
    return nc_cli_usage(cmd, "unknown option '%s'", arg);
}

/* The RUN operand: a positive integer, alone. */
static int run_operand(const char *cmd, int argc, char **argv, int64_t *run)
{
    if (optind >= argc)
        return nc_cli_usage(cmd, "missing RUN (the run id, see 'nasc runs')");
    if (optind + 1 < argc)
        return nc_cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    const char *s = argv[optind];
    char *end;
    errno = 0;
    /* strtoll skips leading blanks and accepts an empty string. */
    long long v = s[0] && !isspace((unsigned char)s[0]) ? strtoll(s, &end, 10)
                                                        : 0;
    if (v < 1 || *end != '\0' || errno == ERANGE) {
        fprintf(stderr, "nasc %s: RUN: expected a run id (a positive "
                "integer), got '%s'\n", cmd, s);
        fprintf(stderr, "Try 'nasc %s --help'.\n", cmd);
        return NC_EXIT_USAGE;
    }
    *run = (int64_t)v;
    return 0;
}

static void mark_given(nc_cli_args *a, const char *opt)
{
    if (nc_cli_given(a, opt))
        return;
    if (a->n_given < (int)(sizeof a->given / sizeof a->given[0]))
        a->given[a->n_given++] = opt;
}

int nc_cli_given(const nc_cli_args *a, const char *opt)
{
    for (int i = 0; i < a->n_given; i++)
        if (strcmp(a->given[i], opt) == 0)
            return 1;
    return 0;
}

/* Sets row i from the text value (NULL for an option without one). */
static int set_row(const nc_cli_cmd *c, const optset *s, int i, void *o,
                   const char *value)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    if (nc_cfgtab_set_opt(&ctx, s->table[i], (char *)o + s->base[i],
                          s->row[i]->opt, value))
        return nc_cli_usage(c->name, "%s", ctx.msg);
    return 0;
}

/* Fills *a and the options struct o from argv; *help for -h/--help. Returns
 * 0 or the exit code of a bad command line (printed). */
static int parse(const nc_cli_cmd *c, const optset *s, int argc, char **argv,
                 nc_cli_args *a, void *o, int *help)
{
    int ch, r = 0;
    optind = 0;   /* GNU: a full reset, whatever parsed argv before */
    opterr = 0;   /* our own messages name the command */
    while ((ch = getopt_long(argc, argv, ":h", s->longopts, NULL)) != -1) {
        if (ch == 'h') {
            *help = 1;
            return 0;
        } else if (ch == OPT_DB) {
            if (!optarg[0])
                return nc_cli_usage(c->name, "--db: expected a file name, "
                                    "got ''");
            a->db = optarg;
        } else if (ch == OPT_JSON) {
            a->json = 1;
        } else if (ch == OPT_QUIET) {
            a->quiet = 1;
        } else if (ch >= OPT_ROW && ch < OPT_ROW + s->n) {
            if ((r = set_row(c, s, ch - OPT_ROW, o, optarg)))
                return r;
            mark_given(a, s->row[ch - OPT_ROW]->opt);
        } else {
            return bad_option(c->name, ch, argc, argv, s->longopts);
        }
    }
    if ((c->common & NC_CLI_RUN) ||
        ((c->common & NC_CLI_RUN_NEWEST) && optind < argc))
        r = run_operand(c->name, argc, argv, &a->run);
    else if ((c->common & NC_CLI_FILE) && optind >= argc)
        r = nc_cli_usage(c->name, "missing FILE (a model file)");
    else if ((c->common & NC_CLI_FILE) && optind + 1 < argc)
        r = nc_cli_usage(c->name, "unexpected argument '%s'",
                         argv[optind + 1]);
    else if (c->common & NC_CLI_FILE)
        a->file = argv[optind];
    else if (optind < argc)
        r = nc_cli_usage(c->name, "unexpected argument '%s'", argv[optind]);
    if (r || !c->threads_opt || nc_cli_given(a, c->threads_opt))
        return r;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->row[i]->opt, c->threads_opt) == 0) {
            char v[16];
            snprintf(v, sizeof v, "%d", nc_cli_default_threads());
            return set_row(c, s, i, o, v);
        }
    return 0;
}

int nc_cli_dispatch(const nc_cli_cmd *c, int argc, char **argv)
{
    optset s;
    optset_make(c, &s);
    void *o = opts_new(c);
    if (!o) {
        fprintf(stderr, "nasc %s: out of memory\n", c->name);
        return NC_EXIT_FAILURE;
    }
    nc_cli_args a = { .cmd = c, .name = c->name, .db = "runs.db" };
    int help = 0;
    int r = parse(c, &s, argc, argv, &a, o, &help);
    if (r == 0 && help) {
        nc_cli_help(stdout, c);
    } else if (r == 0 && c->on_run) {
        nc_cli_run run;
        if ((r = nc_cli_run_open(&a, &run)) == 0) {
            r = c->on_run(&a, o, &run);
            nc_cli_run_close(&run);
        }
    } else if (r == 0 && c->starter) {
        r = nc_cli_start(&a, c->starter, (char *)o + c->cfg_off);
    } else if (r == 0) {
        r = c->run(&a, o);
    }
    free(o);
    return r;
}

/* ---- configurations set by options --------------------------------------- */

/* The option of the row named by path (a field path, "train.lr"), or NULL;
 * rows sharing an option (--augment) all name it. */
static const char *opt_of(const nc_cfg_table *t, const char *prefix,
                          const char *path, size_t len)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        char p[160];
        snprintf(p, sizeof p, "%s%s%s", prefix, prefix[0] ? "." : "", f->key);
        if (f->type == NC_CFG_OBJECT) {
            const char *o = opt_of(f->sub, p, path, len);
            if (o)
                return o;
        } else if (f->opt && strlen(p) == len && strncmp(p, path, len) == 0) {
            return f->opt;
        }
    }
    return NULL;
}

void nc_cli_name_option(nc_ctx *ctx, const nc_cfg_table *t)
{
    size_t len = strcspn(ctx->msg, ": ");
    if (ctx->msg[len] != ':')
        return;
    const char *opt = opt_of(t, "", ctx->msg, len);
    if (!opt)
        return;
    /* Room for the longer name; an overlong message loses its tail, not
     * its start. */
    char rest[NC_MSG_MAX - 16];
    size_t m = strnlen(ctx->msg + len + 1, sizeof rest - 1);
    memcpy(rest, ctx->msg + len + 1, m);
    rest[m] = '\0';
    snprintf(ctx->msg, sizeof ctx->msg, "%.14s:%s", opt, rest);
}

int nc_cli_absolute_path(const char *cmd, const char *opt, char *dir,
                         size_t n)
{
    if (dir[0] == '/' || dir[0] == '\0')
        return 0;
    char cwd[NC_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "nasc %s: %s: cannot find the current directory: "
                "%s\n", cmd, opt, strerror(errno));
        return NC_EXIT_DATA;
    }
    char full[2 * NC_PATH_MAX + 2];
    int len = snprintf(full, sizeof full, "%s/%s", cwd, dir);
    if (len < 0 || (size_t)len >= n)
        return nc_cli_usage(cmd, "%s: too long (%d characters, at most %zu)",
                            opt, len, n - 1);
    memcpy(dir, full, (size_t)len + 1);
    return 0;
}
