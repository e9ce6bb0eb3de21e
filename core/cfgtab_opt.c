/*
 * cfgtab_opt.c — the command line's side of a field table (core/cfgtab.h):
 * the option rows, setting a field from an option value, and help lines.
 */
#include "core/cfgtab.h"
#include "core/cfgtab_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "an integer >= 1", "a number in (0, 100]": what an option value must be,
 * in the words of cli/'s own option parsing. */
static const char *expect_str(const nc_cfg_field *f, char *buf, size_t n)
{
    int any = (f->flags & NC_CFG_ANY) != 0;
    char lo = (f->flags & NC_CFG_LO_OPEN) ? '(' : '[';
    char hi = (f->flags & NC_CFG_HI_OPEN) ? ')' : ']';
    switch (f->type) {
    case NC_CFG_INT:
    case NC_CFG_INT64:
        if (any)
            snprintf(buf, n, "an integer");
        else if (f->hi >= (f->type == NC_CFG_INT ? (double)INT_MAX : 9e15))
            snprintf(buf, n, "an integer >= %lld", (long long)f->lo);
        else
            snprintf(buf, n, "an integer in [%lld, %lld]", (long long)f->lo,
                     (long long)f->hi);
        break;
    case NC_CFG_DOUBLE:
        if (any)
            snprintf(buf, n, "a number");
        else if (isinf(f->hi))
            snprintf(buf, n, "a number %s %g",
                     (f->flags & NC_CFG_LO_OPEN) ? ">" : ">=", f->lo);
        else
            snprintf(buf, n, "a number in %c%g, %g%c", lo, f->lo, f->hi, hi);
        break;
    case NC_CFG_SEED:
        snprintf(buf, n, "an integer in [0, 18446744073709551615]");
        break;
    case NC_CFG_FLAG:
        snprintf(buf, n, "true or false");
        break;
    default:
        snprintf(buf, n, "a value");
        break;
    }
    return buf;
}

/* The first row of t (depth first) with option opt, its struct's offset in
 * *off. */
static const nc_cfg_field *first_opt(const nc_cfg_table *t, const char *opt,
                                     size_t base, size_t *off)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        if (f->type == NC_CFG_OBJECT) {
            const nc_cfg_field *g = first_opt(f->sub, opt, base + f->off, off);
            if (g)
                return g;
        } else if (f->opt && strcmp(f->opt, opt) == 0) {
            *off = base;
            return f;
        }
    }
    return NULL;
}

static void collect_opts(const nc_cfg_table *root, const nc_cfg_table *t,
                         size_t base, const nc_cfg_field **rows, size_t *offs,
                         int max, int *n)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        size_t o;
        if (f->type == NC_CFG_OBJECT) {
            collect_opts(root, f->sub, base + f->off, rows, offs, max, n);
        } else if (f->opt && first_opt(root, f->opt, 0, &o) == f) {
            if (*n < max) {
                rows[*n] = f;
                if (offs)
                    offs[*n] = base;
            }
            (*n)++;
        }
    }
}

int nc_cfgtab_opts(const nc_cfg_table *t, const nc_cfg_field **rows,
                   size_t *offs, int max)
{
    int n = 0;
    collect_opts(t, t, 0, rows, offs, max, &n);
    return n;
}

/* A parsed option value, written to the field only once every row sharing
 * the option has parsed. */
typedef struct optval {
    const nc_cfg_field *f;
    void *dst;
    void *cnt;                 /* ENUM_LIST: the count */
    union { int i; int64_t l; double d; uint64_t u; } v;
    const char *s;             /* STR */
    int list[NC_CFGTAB_LIST_MAX];
    int n;
} optval;

static nc_status bad_value(nc_ctx *ctx, nc_status st, const nc_cfg_field *f,
                           const char *s)
{
    char e[96];
    return nc_fail(ctx, st, "%s: expected %s, got '%.64s'", f->opt,
                   expect_str(f, e, sizeof e), s);
}

static nc_status parse_opt(nc_ctx *ctx, const nc_cfg_field *f, const char *s,
                           optval *o)
{
    char known[400], bad[128];
    char *end = NULL;
    /* strto* skip leading blanks and accept an empty tail; an option value
     * with either is a typo, not a number. */
    int numeric = s[0] != '\0' && !strchr(" \t\n\r\f\v", s[0]);
    errno = 0;
    switch (f->type) {
    case NC_CFG_INT:
    case NC_CFG_INT64: {
        long long v = numeric ? strtoll(s, &end, 10) : 0;
        if (!numeric || *end || errno == ERANGE ||
            (f->type == NC_CFG_INT && (v < INT_MIN || v > INT_MAX)))
            return bad_value(ctx, NC_ERR_INVAL, f, s);
        if (!nc_cfgtab_in_range(f, (double)v))
            return bad_value(ctx, NC_ERR_RANGE, f, s);
        if (f->type == NC_CFG_INT)
            o->v.i = (int)v;
        else
            o->v.l = v;
        return NC_OK;
    }
    case NC_CFG_DOUBLE: {
        double v = numeric ? strtod(s, &end) : 0;
        /* ERANGE also flags underflow: "1e-400" would silently become 0. */
        if (!numeric || *end || errno == ERANGE || !isfinite(v))
            return bad_value(ctx, NC_ERR_INVAL, f, s);
        if (!nc_cfgtab_in_range(f, v))
            return bad_value(ctx, NC_ERR_RANGE, f, s);
        o->v.d = v;
        return NC_OK;
    }
    case NC_CFG_FLAG:
        if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
            o->v.i = 1;
        else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
            o->v.i = 0;
        else
            return bad_value(ctx, NC_ERR_INVAL, f, s);
        return NC_OK;
    case NC_CFG_SEED:
        if (nc_cfgtab_seed_parse(s, &o->v.u))
            return bad_value(ctx, NC_ERR_INVAL, f, s);
        return NC_OK;
    case NC_CFG_STR: {
        size_t l = strlen(s);
        if (l == 0)
            return nc_fail(ctx, NC_ERR_INVAL, "%s: expected a value, got ''",
                           f->opt);
        if (l >= f->size)
            return nc_fail(ctx, NC_ERR_INVAL, "%s: too long (%zu characters, "
                           "at most %zu)", f->opt, l, f->size - 1);
        if ((f->names || f->name_of) && nc_cfgtab_name_find(f, s) < 0)
            return nc_fail(ctx, NC_ERR_INVAL, "%s: unknown %s '%.64s' (known: "
                           "%s)", f->opt, nc_cfgtab_noun(f), s,
                           nc_cfgtab_names_list(f, known, sizeof known));
        o->s = s;
        return NC_OK;
    }
    case NC_CFG_ENUM:
        if ((o->v.i = nc_cfgtab_name_find(f, s)) < 0)
            return nc_fail(ctx, NC_ERR_INVAL, "%s: unknown %s '%.64s' (known: "
                           "%s)", f->opt, nc_cfgtab_noun(f), s,
                           nc_cfgtab_names_list(f, known, sizeof known));
        return NC_OK;
    case NC_CFG_ENUM_LIST: {
        int n = nc_cfgtab_list_parse(f, s, o->list, NC_CFGTAB_LIST_MAX, bad,
                                     sizeof bad);
        if (n < 0)
            return nc_fail(ctx, NC_ERR_INVAL, "%s: unknown %s '%.64s' (known: "
                           "%s)", f->opt, nc_cfgtab_noun(f), bad,
                           nc_cfgtab_names_list(f, known, sizeof known));
        if (n > (int)f->size || n > NC_CFGTAB_LIST_MAX ||
            !nc_cfgtab_in_range(f, n))
            return nc_fail(ctx, NC_ERR_RANGE, "%s: expected %lld..%lld names "
                           "separated by commas, got '%.64s'", f->opt,
                           (long long)f->lo, (long long)f->hi, s);
        for (int i = 0; (f->flags & NC_CFG_UNIQUE) && i < n; i++)
            for (int j = 0; j < i; j++)
                if (o->list[j] == o->list[i])
                    return nc_fail(ctx, NC_ERR_INVAL, "%s: '%s' is listed "
                                   "twice", f->opt,
                                   nc_cfgtab_name_at(f, o->list[i]));
        o->n = n;
        return NC_OK;
    }
    case NC_CFG_OBJECT:
        break;
    }
    return nc_fail(ctx, NC_ERR_INVAL, "%s: not a value option", f->opt);
}

static nc_status gather(nc_ctx *ctx, const nc_cfg_table *t, void *base,
                        const char *opt, const char *value, optval *vals,
                        int *n)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        nc_status st = NC_OK;
        if (f->type == NC_CFG_OBJECT) {
            st = gather(ctx, f->sub, nc_cfgtab_at(base, f->off), opt, value,
                        vals, n);
        } else if (f->opt && strcmp(f->opt, opt) == 0) {
            if (*n == NC_CFGTAB_SHARED_MAX)
                return nc_fail(ctx, NC_ERR_INVAL, "%s: too many fields", opt);
            const char *s = f->opt_value ? f->opt_value : value;
            if (!s)
                return nc_fail(ctx, NC_ERR_INVAL, "%s: needs a value", opt);
            optval *o = &vals[(*n)++];
            memset(o, 0, sizeof *o);
            o->f = f;
            o->dst = nc_cfgtab_at(base, f->off);
            o->cnt = nc_cfgtab_at(base, f->off_n);
            st = parse_opt(ctx, f, s, o);
        }
        if (st)
            return st;
    }
    return NC_OK;
}

nc_status nc_cfgtab_set_opt(nc_ctx *ctx, const nc_cfg_table *t, void *base,
                            const char *opt, const char *value)
{
    optval vals[NC_CFGTAB_SHARED_MAX];
    int n = 0;
    nc_status st = gather(ctx, t, base, opt, value, vals, &n);
    if (st)
        return st;
    if (n == 0)
        return nc_fail(ctx, NC_ERR_NOTFOUND, "%s: no such option", opt);
    for (int i = 0; i < n; i++) {
        const optval *o = &vals[i];
        switch (o->f->type) {
        case NC_CFG_INT:
        case NC_CFG_FLAG:
        case NC_CFG_ENUM:
            *(int *)o->dst = o->v.i;
            break;
        case NC_CFG_INT64:
            *(int64_t *)o->dst = o->v.l;
            break;
        case NC_CFG_DOUBLE:
            *(double *)o->dst = o->v.d;
            break;
        case NC_CFG_SEED:
            *(uint64_t *)o->dst = o->v.u;
            break;
        case NC_CFG_STR:
            snprintf((char *)o->dst, o->f->size, "%s", o->s);
            break;
        case NC_CFG_ENUM_LIST:
            memcpy(o->dst, o->list, (size_t)o->n * sizeof o->list[0]);
            *(int *)o->cnt = o->n;
            break;
        case NC_CFG_OBJECT:
            break;
        }
    }
    return NC_OK;
}

int nc_cfgtab_value_str(const nc_cfg_field *f, const void *sbase, char *buf,
                        size_t n)
{
    const void *p = nc_cfgtab_cat(sbase, f->off);
    const char *s;
    switch (f->type) {
    case NC_CFG_INT:
        return snprintf(buf, n, "%d", *(const int *)p);
    case NC_CFG_INT64:
        return snprintf(buf, n, "%lld", (long long)*(const int64_t *)p);
    case NC_CFG_DOUBLE:
        return snprintf(buf, n, "%g", *(const double *)p);
    case NC_CFG_STR:
        return snprintf(buf, n, "%s", (const char *)p);
    case NC_CFG_FLAG:
        return snprintf(buf, n, "%s", *(const int *)p ? "true" : "false");
    case NC_CFG_ENUM:
        s = nc_cfgtab_name_at(f, *(const int *)p);
        return snprintf(buf, n, "%s", s ? s : "?");
    case NC_CFG_SEED:
        return snprintf(buf, n, "%llu",
                        (unsigned long long)*(const uint64_t *)p);
    case NC_CFG_ENUM_LIST: {
        int k = *(const int *)nc_cfgtab_cat(sbase, f->off_n), len = 0;
        if (n)
            buf[0] = '\0';
        for (int i = 0; i < k && i < (int)f->size; i++) {
            s = nc_cfgtab_name_at(f, ((const int *)p)[i]);
            size_t used = (size_t)len < n ? (size_t)len : n;
            len += snprintf(buf + used, n - used, "%s%s", i ? "," : "",
                            s ? s : "?");
        }
        return len;
    }
    case NC_CFG_OBJECT:
        break;
    }
    if (n)
        buf[0] = '\0';
    return 0;
}

size_t nc_cfgtab_help(const nc_cfg_table *t, const void *defaults, char *buf,
                      size_t n)
{
    enum { MAXOPT = 128 };
    const nc_cfg_field *rows[MAXOPT];
    size_t offs[MAXOPT], len = 0;
    int k = nc_cfgtab_opts(t, rows, offs, MAXOPT);
    if (n)
        buf[0] = '\0';
    for (int i = 0; i < k && i < MAXOPT; i++) {
        const nc_cfg_field *f = rows[i];
        char left[64], def[128] = "", line[512];
        snprintf(left, sizeof left, "%s%s%s", f->opt, f->metavar ? " " : "",
                 f->metavar ? f->metavar : "");
        if (!f->opt_value && defaults) {
            char v[96];
            nc_cfgtab_value_str(f, nc_cfgtab_cat(defaults, offs[i]), v,
                                sizeof v);
            if (v[0])
                snprintf(def, sizeof def, " (default %s)", v);
        }
        /* Options longer than the column get their text on a line of its
         * own, as in the hand-written help texts. */
        const char *h = f->help ? f->help : "";
        int w = strlen(left) > 18
            ? snprintf(line, sizeof line, "  %s\n%21s%s%s\n", left, "", h, def)
            : snprintf(line, sizeof line, "  %-18s %s%s\n", left, h, def);
        size_t used = len < n ? len : n;
        if (n > used)
            snprintf(buf + used, n - used, "%s", line);
        len += w > 0 ? (size_t)w : 0;
    }
    return len;
}
