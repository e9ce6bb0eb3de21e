#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* strto* skip leading blanks and accept an empty tail; an option value with
 * either is a typo, not a number. */
static int starts_like_number(const char *s)
{
    return s[0] != '\0' && !isspace((unsigned char)s[0]);
}

static int bad_value(const char *cmd, const char *opt, const char *expect,
                     const char *s)
{
    fprintf(stderr, "nasc %s: %s: expected %s, got '%s'\n", cmd, opt, expect,
            s);
    fprintf(stderr, "Try 'nasc %s --help'.\n", cmd);
    return NC_EXIT_USAGE;
}

int nc_cli_parse_int(const char *cmd, const char *opt, const char *s,
                     int min, int max, int *out)
{
    char expect[96];
    if (max == INT_MAX)
        snprintf(expect, sizeof expect, "an integer >= %d", min);
    else
        snprintf(expect, sizeof expect, "an integer in [%d, %d]", min, max);
    if (!starts_like_number(s))
        return bad_value(cmd, opt, expect, s);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < min || v > max)
        return bad_value(cmd, opt, expect, s);
    *out = (int)v;
    return 0;
}

int nc_cli_parse_u64(const char *cmd, const char *opt, const char *s,
                     uint64_t *out)
{
    const char *expect = "an integer in [0, 18446744073709551615]";
    /* strtoull would quietly wrap "-1" to the maximum. */
    if (!starts_like_number(s) || s[0] == '-')
        return bad_value(cmd, opt, expect, s);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > UINT64_MAX)
        return bad_value(cmd, opt, expect, s);
    *out = (uint64_t)v;
    return 0;
}

int nc_cli_parse_double(const char *cmd, const char *opt, const char *s,
                        double min, int min_open, double max, int max_open,
                        double *out)
{
    char expect[96];
    if (isinf(max))
        snprintf(expect, sizeof expect, "a number %s %g", min_open ? ">" : ">=",
                 min);
    else
        snprintf(expect, sizeof expect, "a number in %c%g, %g%c",
                 min_open ? '(' : '[', min, max, max_open ? ')' : ']');
    if (!starts_like_number(s))
        return bad_value(cmd, opt, expect, s);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE also flags underflow: "1e-400" would silently become 0. */
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return bad_value(cmd, opt, expect, s);
    if (v < min || (min_open && v == min) || v > max || (max_open && v == max))
        return bad_value(cmd, opt, expect, s);
    *out = v;
    return 0;
}

int nc_cli_parse_str(const char *cmd, const char *opt, const char *s,
                     char *buf, size_t n)
{
    size_t len = strlen(s);
    if (len == 0) {
        fprintf(stderr, "nasc %s: %s: expected a value, got ''\n", cmd, opt);
        fprintf(stderr, "Try 'nasc %s --help'.\n", cmd);
        return NC_EXIT_USAGE;
    }
    if (len >= n) {
        fprintf(stderr, "nasc %s: %s: too long (%zu characters, at most %zu)\n",
                cmd, opt, len, n - 1);
        return NC_EXIT_USAGE;
    }
    memcpy(buf, s, len + 1);
    return 0;
}

int nc_cli_parse_run(const char *cmd, const char *s, int64_t *out)
{
    const char *expect = "a run id (a positive integer)";
    if (!starts_like_number(s))
        return bad_value(cmd, "RUN", expect, s);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 1)
        return bad_value(cmd, "RUN", expect, s);
    *out = (int64_t)v;
    return 0;
}

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

int nc_cli_bad_option(const char *cmd, int c, int argc, char **argv,
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


int nc_cli_run_operand(const char *cmd, int argc, char **argv, int optind_,
                       int64_t *run)
{
    if (optind_ >= argc)
        return nc_cli_usage(cmd, "missing RUN (the run id, see 'nasc runs')");
    if (optind_ + 1 < argc)
        return nc_cli_usage(cmd, "unexpected argument '%s'", argv[optind_ + 1]);
    return nc_cli_parse_run(cmd, argv[optind_], run);
}

void nc_cli_name_option(nc_ctx *ctx, const nc_cli_field_opt *map, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(map[i].field);
        if (strncmp(ctx->msg, map[i].field, len) == 0 && ctx->msg[len] == ':') {
            /* Room for the longer name; an overlong message loses its
             * tail, not its start. */
            char rest[NC_MSG_MAX - 16];
            size_t m = strnlen(ctx->msg + len + 1, sizeof rest - 1);
            memcpy(rest, ctx->msg + len + 1, m);
            rest[m] = '\0';
            snprintf(ctx->msg, sizeof ctx->msg, "%.14s:%s", map[i].opt, rest);
            return;
        }
    }
}

void nc_cli_remove_fresh_db(const char *path)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    char buf[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
        if (snprintf(buf, sizeof buf, "%s%s", path, sfx[i]) < (int)sizeof buf)
            unlink(buf);
}
