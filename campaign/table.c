/*
 * table.c — CSV tabular benchmark: rows in one array, an open-addressing
 * hash over the architecture genes for lookup. Generic over the space (any
 * space with a parser works), at the cost of a hash instead of the direct
 * index NB201 would allow; a lookup is still far below a microsecond.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/table.h"

typedef struct row {
    nc_arch arch;
    double sel, rep;
} row;

struct nc_table {
    const nc_space *sp;
    row *rows;
    size_t n, cap;
    uint32_t *slot;       /* row index + 1; 0 = empty */
    size_t n_slot;        /* power of two, >= 2n */
};

static uint64_t hash_arch(const nc_space *sp, const nc_arch *a)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (int i = 0; i < sp->n_genes; i++) {
        h ^= a->g[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Index of the row holding *a, or -1. */
static long find(const nc_table *t, const nc_arch *a)
{
    size_t m = t->n_slot - 1;
    for (size_t i = (size_t)hash_arch(t->sp, a) & m;; i = (i + 1) & m) {
        uint32_t s = t->slot[i];
        if (!s)
            return -1;
        if (nc_arch_equal(t->sp, &t->rows[s - 1].arch, a))
            return (long)(s - 1);
    }
}

/* Splits line in place into fields, unquoting them; returns the count or -1
 * on more than max_f fields or a malformed quote (a quote closed and followed by other text, or never
 * closed). Quoted fields may not span lines: one row per line keeps line
 * numbers in messages exact. */
static int split(char *line, char **f, int max_f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max_f)
            return -1;
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            *w = 0;
            if (*p && *p != ',')
                return -1;
        } else {
            f[n++] = p;
            while (*p && *p != ',')
                p++;
        }
        if (!*p)
            return n;
        *p++ = 0;
    }
}

enum { LINE_END = 1, LINE_CUT = 2, LINE_EOF = 0, LINE_LONG = -1,
       LINE_ERR = -2 };

/* Reads one line into buf (size NC_TABLE_LINE_MAX + 2) without its CR/LF:
 * LINE_END a line ended by a newline, LINE_CUT the last line of a file
 * that does not end with one, LINE_EOF end of file, LINE_LONG a line too
 * long, LINE_ERR a read error. */
static int read_line(FILE *fp, char *buf)
{
    if (!fgets(buf, NC_TABLE_LINE_MAX + 2, fp))
        return ferror(fp) ? LINE_ERR : LINE_EOF;
    size_t len = strlen(buf);
    int rc = LINE_END;
    if (len && buf[len - 1] == '\n')
        buf[--len] = 0;
    else if (feof(fp))
        rc = LINE_CUT;
    else
        return ferror(fp) ? LINE_ERR : LINE_LONG;
    if (len > NC_TABLE_LINE_MAX)
        return LINE_LONG;
    if (len && buf[len - 1] == '\r')
        buf[--len] = 0;
    return rc;
}

static int col_of(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return i;
    return -1;
}

/* "a, b, c" of the header into msg (truncated to fit). */
static void list_header(char **f, int n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%s", i ? ", " : "", f[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

static nc_status parse_num(nc_ctx *ctx, const char *s, const char *col,
                           long line, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(d))
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "line %ld, column %s: '%.40s' is not a finite number",
                       line, col, s);
    *v = d;
    return NC_OK;
}

static nc_status add_row(nc_ctx *ctx, nc_table *t, const row *r)
{
    if (t->n == t->cap) {
        size_t c = t->cap ? 2 * t->cap : 1024;
        if (c > NC_TABLE_ROWS_MAX)
            c = NC_TABLE_ROWS_MAX;
        row *p = realloc(t->rows, c * sizeof *p);
        if (!p)
            return nc_fail(ctx, NC_ERR_NOMEM, "out of memory for %zu rows", c);
        t->rows = p;
        t->cap = c;
    }
    t->rows[t->n++] = *r;
    return NC_OK;
}

/* Builds the hash; NC_ERR_FORMAT on a duplicate (line of the second copy,
 * given that row i sits on line lines[i]). */
static nc_status build_hash(nc_ctx *ctx, nc_table *t, const char *path,
                            const long *lines)
{
    size_t ns = 16;
    while (ns < 2 * t->n)
        ns *= 2;
    t->slot = calloc(ns, sizeof *t->slot);
    if (!t->slot)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory for the table index");
    t->n_slot = ns;
    for (size_t r = 0; r < t->n; r++) {
        size_t m = ns - 1, i = (size_t)hash_arch(t->sp, &t->rows[r].arch) & m;
        for (; t->slot[i]; i = (i + 1) & m)
            if (nc_arch_equal(t->sp, &t->rows[t->slot[i] - 1].arch,
                              &t->rows[r].arch)) {
                char s[NC_ARCH_STR_MAX];
                t->sp->format(t->sp, &t->rows[r].arch, s, sizeof s);
                return nc_fail(ctx, NC_ERR_FORMAT,
                               "%s: line %ld: architecture %s is listed twice "
                               "(first on line %ld)", path,
                               lines[r], s, lines[t->slot[i] - 1]);
            }
        t->slot[i] = (uint32_t)(r + 1);
    }
    return NC_OK;
}

static nc_status load(nc_ctx *ctx, FILE *fp, const char *path,
                      const char *sel, const char *rep, nc_table *t,
                      char *buf, char **f, long **lines_out)
{
    enum { MAX_F = NC_TABLE_LINE_MAX + 1 };   /* a line of commas */
    long line = 0, blank = 0, *lines = NULL;
    size_t lines_cap = 0;
    int rc, nh = 0, c_arch = -1, c_sel = -1, c_rep = -1;

    /* Header: the first non-empty line. */
    while ((rc = read_line(fp, buf)) > 0) {
        line++;
        if (buf[0])
            break;
    }
    if (rc == LINE_EOF || (rc == LINE_CUT && !buf[0]))
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: empty file, no header", path);
    if (rc == LINE_ERR)
        return nc_fail(ctx, NC_ERR_IO, "%s: read error", path);
    if (rc == LINE_LONG)
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: line %ld longer than %d bytes",
                       path, line + 1, NC_TABLE_LINE_MAX);
    nh = split(buf, f, MAX_F);
    if (nh < 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: line %ld: malformed quotes",
                       path, line);
    c_arch = col_of(f, nh, "arch");
    c_sel = col_of(f, nh, sel);
    c_rep = col_of(f, nh, rep);
    const char *missing = c_arch < 0 ? "arch" : c_sel < 0 ? sel
                        : c_rep < 0 ? rep : NULL;
    if (missing) {
        /* Without `arch` the file is not a table at all (a data error); a
         * missing metric is the caller's choice of column (an argument). */
        char h[256];
        list_header(f, nh, h, sizeof h);
        return nc_fail(ctx, c_arch < 0 ? NC_ERR_FORMAT : NC_ERR_INVAL,
                       "%s: line %ld: no column '%s' (header: %s)", path, line,
                       missing, h);
    }
    /* Column names live in buf, which rows overwrite: copy what messages use. */
    char sel_name[64], rep_name[64];
    snprintf(sel_name, sizeof sel_name, "%s", sel);
    snprintf(rep_name, sizeof rep_name, "%s", rep);

    for (;;) {
        rc = read_line(fp, buf);
        if (rc == LINE_EOF)
            break;
        line++;
        if (rc == LINE_ERR)
            return nc_fail(ctx, NC_ERR_IO, "%s: read error", path);
        if (rc == LINE_LONG)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: line %ld longer than %d bytes", path, line,
                           NC_TABLE_LINE_MAX);
        /* Every row ends with a newline: without one, the last row may
         * have lost the end of its last field ("91.53" cut to "91.5") and
         * still parse. */
        if (rc == LINE_CUT)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: line %ld has no line end: the file looks cut "
                           "mid-row", path, line);
        /* Empty lines may only end the file: in the middle they are a
         * sign of two files spliced or a row lost. */
        if (!buf[0]) {
            if (!blank)
                blank = line;
            continue;
        }
        if (blank)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: line %ld is empty, but rows follow it (line "
                           "%ld)", path, blank, line);
        if (t->n >= NC_TABLE_ROWS_MAX)
            return nc_fail(ctx, NC_ERR_FORMAT, "%s: more than %d rows",
                           path, NC_TABLE_ROWS_MAX);
        int n = split(buf, f, MAX_F);
        if (n < 0)
            return nc_fail(ctx, NC_ERR_FORMAT, "%s: line %ld: malformed quotes",
                           path, line);
        /* Unused columns count too: a short row is a cut or shifted row
         * even when the columns read happen to be present. */
        if (n != nh)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: line %ld has %d fields, the header %d",
                           path, line, n, nh);
        row r;
        nc_status st = t->sp->parse(t->sp, ctx, f[c_arch], &r.arch);
        if (st) {
            /* A bad string in a file is a format error of the file. */
            nc_ctx_prefix(ctx, "%s: line %ld, column arch", path, line);
            if (ctx)
                ctx->status = NC_ERR_FORMAT;
            return NC_ERR_FORMAT;
        }
        if ((st = parse_num(ctx, f[c_sel], sel_name, line, &r.sel)) ||
            (st = parse_num(ctx, f[c_rep], rep_name, line, &r.rep))) {
            nc_ctx_prefix(ctx, "%s", path);
            return st;
        }
        if ((st = add_row(ctx, t, &r)))
            return st;
        if (t->n > lines_cap) {
            size_t c = t->cap;
            long *p = realloc(lines, c * sizeof *p);
            if (!p)
                return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
            lines = p;
            lines_cap = c;
            *lines_out = lines;
        }
        lines[t->n - 1] = line;
    }
    if (t->n == 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: no data rows", path);
    return NC_OK;
}

nc_status nc_table_load(nc_ctx *ctx, const char *path, const char *select_metric,
                        const char *report_metric, const nc_space *sp,
                        nc_table **out)
{
    *out = NULL;
    if (!path || !select_metric || !sp)
        return nc_fail(ctx, NC_ERR_INVAL, "table: path, metric and space needed");
    if (!report_metric)
        report_metric = select_metric;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    nc_table *t = calloc(1, sizeof *t);
    char *buf = malloc(NC_TABLE_LINE_MAX + 2);
    char **f = malloc((NC_TABLE_LINE_MAX + 1) * sizeof *f);
    long *lines = NULL;
    nc_status st;
    if (!t || !buf || !f) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    } else {
        t->sp = sp;
        st = load(ctx, fp, path, select_metric, report_metric, t, buf, f,
                  &lines);
        if (!st)
            st = build_hash(ctx, t, path, lines);
    }
    fclose(fp);
    free(buf);
    free(f);
    free(lines);
    if (st) {
        nc_table_free(t);
        return st;
    }
    *out = t;
    return NC_OK;
}

void nc_table_free(nc_table *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t->slot);
    free(t);
}

size_t nc_table_rows(const nc_table *t)
{
    return t->n;
}

nc_status nc_table_lookup(nc_ctx *ctx, const nc_table *t, const nc_arch *a,
                          double *select, double *report)
{
    long i = find(t, a);
    if (i < 0) {
        char s[NC_ARCH_STR_MAX];
        t->sp->format(t->sp, a, s, sizeof s);
        return nc_fail(ctx, NC_ERR_NOTFOUND,
                       "architecture %s is not in the table", s);
    }
    if (select)
        *select = t->rows[i].sel;
    if (report)
        *report = t->rows[i].rep;
    return NC_OK;
}

void nc_table_best(const nc_table *t, nc_arch *a, double *select,
                   double *report)
{
    size_t b = 0;
    for (size_t i = 1; i < t->n; i++)
        if (t->rows[i].sel > t->rows[b].sel)
            b = i;
    if (a)
        *a = t->rows[b].arch;
    if (select)
        *select = t->rows[b].sel;
    if (report)
        *report = t->rows[b].rep;
}
