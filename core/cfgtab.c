/*
 * cfgtab.c — configurations from field tables (core/cfgtab.h): the helpers
 * the table functions share (names, ranges, seeds), defaults, validation and
 * writing JSON. Reading JSON is in cfgtab_read.c, options and help lines in
 * cfgtab_opt.c.
 */
#include "core/cfgtab.h"
#include "core/cfgtab_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nc_cfgtab_path_join(char *buf, size_t n, const char *p, const char *k)
{
    if (p && p[0])
        snprintf(buf, n, "%s.%s", p, k);
    else
        snprintf(buf, n, "%s", k);
}

/* ---- names ---------------------------------------------------------------- */

const char *nc_cfgtab_name_at(const nc_cfg_field *f, int k)
{
    if (k < 0)
        return NULL;
    if (f->names) {
        for (int i = 0; f->names[i]; i++)
            if (i == k)
                return f->names[i];
        return NULL;
    }
    return f->name_of ? f->name_of(k) : NULL;
}

int nc_cfgtab_name_find(const nc_cfg_field *f, const char *s)
{
    const char *n;
    for (int k = 0; (n = nc_cfgtab_name_at(f, k)); k++)
        if (strcmp(n, s) == 0)
            return k;
    return -1;
}

const char *nc_cfgtab_names_list(const nc_cfg_field *f, char *buf, size_t n)
{
    buf[0] = '\0';
    const char *s;
    for (int k = 0; (s = nc_cfgtab_name_at(f, k)); k++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", k ? ", " : "", s);
    }
    return buf;
}

const char *nc_cfgtab_noun(const nc_cfg_field *f)
{
    return f->noun ? f->noun : "name";
}

/* ---- ranges --------------------------------------------------------------- */

int nc_cfgtab_in_range(const nc_cfg_field *f, double v)
{
    if (f->flags & NC_CFG_ANY)
        return 1;
    if (!(v >= f->lo && v <= f->hi))
        return 0;
    return !((f->flags & NC_CFG_LO_OPEN) && v == f->lo) &&
           !((f->flags & NC_CFG_HI_OPEN) && v == f->hi);
}

/* "1..100000", "(0..100": the range as validation messages write it. */
static const char *range_str(const nc_cfg_field *f, int integer, char *buf,
                             size_t n)
{
    const char *lo = (f->flags & NC_CFG_LO_OPEN) ? "(" : "";
    const char *hi = (f->flags & NC_CFG_HI_OPEN) ? ")" : "";
    if (integer)
        snprintf(buf, n, "%s%lld..%lld%s", lo, (long long)f->lo,
                 (long long)f->hi, hi);
    else
        snprintf(buf, n, "%s%g..%g%s", lo, f->lo, f->hi, hi);
    return buf;
}

/* ---- defaults ------------------------------------------------------------- */

/* Only decimal digits, at most 20, within 64 bits: strtoull alone would
 * take "-1" (wrapped) or " 7". */
int nc_cfgtab_seed_parse(const char *s, uint64_t *out)
{
    size_t l = s ? strlen(s) : 0;
    if (l == 0 || l > 20 || strspn(s, "0123456789") != l)
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Names separated by commas into idx[0..cap); the count, or -1 with the
 * first unknown name copied to bad. */
int nc_cfgtab_list_parse(const nc_cfg_field *f, const char *s, int *idx,
                         int cap, char *bad, size_t nbad)
{
    int n = 0;
    while (*s) {
        size_t l = strcspn(s, ",");
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(l < 127 ? l : 127), s);
        int k = nc_cfgtab_name_find(f, name);
        if (k < 0 || l >= sizeof name) {
            snprintf(bad, nbad, "%s", name);
            return -1;
        }
        if (n < cap)
            idx[n] = k;
        n++;
        s += l;
        if (*s == ',')
            s++;
    }
    return n;
}

void nc_cfgtab_defaults(const nc_cfg_table *t, void *base)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        void *p = nc_cfgtab_at(base, f->off);
        switch (f->type) {
        case NC_CFG_INT:
        case NC_CFG_FLAG:
        case NC_CFG_ENUM:
            *(int *)p = (int)f->def;
            break;
        case NC_CFG_INT64:
            *(int64_t *)p = (int64_t)f->def;
            break;
        case NC_CFG_DOUBLE:
            *(double *)p = f->def;
            break;
        case NC_CFG_SEED:
            *(uint64_t *)p = (uint64_t)f->def;
            break;
        case NC_CFG_STR:
            snprintf((char *)p, f->size, "%s", f->def_str ? f->def_str : "");
            break;
        case NC_CFG_ENUM_LIST: {
            char bad[8];
            int *idx = (int *)p;
            memset(idx, 0, f->size * sizeof *idx);
            int n = nc_cfgtab_list_parse(f, f->def_str ? f->def_str : "", idx,
                               (int)f->size, bad, sizeof bad);
            *(int *)nc_cfgtab_at(base, f->off_n) = n < 0 ? 0 : n > (int)f->size
                                                     ? (int)f->size : n;
            break;
        }
        case NC_CFG_OBJECT:
            nc_cfgtab_defaults(f->sub, p);
            break;
        }
    }
}

/* ---- validation ----------------------------------------------------------- */

static nc_status vfail(nc_ctx *ctx, const nc_cfg_table *root, nc_status st,
                       const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static nc_status vfail(nc_ctx *ctx, const nc_cfg_table *root, nc_status st,
                       const char *path, const char *fmt, ...)
{
    char d[NC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    if (root->quote)
        return nc_fail(ctx, st, "%s: field '%s': %s", root->what, path, d);
    return nc_fail(ctx, st, "%s: %s", path, d);
}

static nc_status check_field(nc_ctx *ctx, const nc_cfg_table *root,
                             const nc_cfg_field *f, const void *base,
                             const char *path)
{
    const void *p = nc_cfgtab_cat(base, f->off);
    char r[96], known[400];
    switch (f->type) {
    case NC_CFG_INT:
    case NC_CFG_INT64: {
        long long v = f->type == NC_CFG_INT ? *(const int *)p
                                            : (long long)*(const int64_t *)p;
        if (!nc_cfgtab_in_range(f, (double)v))
            return vfail(ctx, root, NC_ERR_RANGE, path, "%lld is outside %s", v,
                         range_str(f, 1, r, sizeof r));
        return NC_OK;
    }
    case NC_CFG_DOUBLE: {
        double v = *(const double *)p;
        if (!nc_cfgtab_in_range(f, v))
            return vfail(ctx, root, NC_ERR_RANGE, path, "%g is outside %s", v,
                         range_str(f, 0, r, sizeof r));
        return NC_OK;
    }
    case NC_CFG_FLAG: {
        int v = *(const int *)p;
        if (v != 0 && v != 1)
            return vfail(ctx, root, NC_ERR_RANGE, path, "%d is outside 0..1",
                         v);
        return NC_OK;
    }
    case NC_CFG_STR: {
        const char *s = (const char *)p;
        if ((f->names || f->name_of) && nc_cfgtab_name_find(f, s) < 0)
            return vfail(ctx, root, NC_ERR_INVAL, path, "unknown %s '%.64s' "
                         "(known: %s)", nc_cfgtab_noun(f), s,
                         nc_cfgtab_names_list(f, known, sizeof known));
        return NC_OK;
    }
    case NC_CFG_ENUM: {
        int v = *(const int *)p;
        if (!nc_cfgtab_name_at(f, v))
            return vfail(ctx, root, NC_ERR_INVAL, path, "unknown %s %d (known: "
                         "%s)", nc_cfgtab_noun(f), v,
                         nc_cfgtab_names_list(f, known, sizeof known));
        return NC_OK;
    }
    case NC_CFG_ENUM_LIST: {
        int n = *(const int *)nc_cfgtab_cat(base, f->off_n);
        const int *idx = (const int *)p;
        if (n < 0 || n > (int)f->size || !nc_cfgtab_in_range(f, n))
            return vfail(ctx, root, NC_ERR_RANGE, path, "%d is outside %s", n,
                         range_str(f, 1, r, sizeof r));
        for (int i = 0; i < n; i++) {
            char ip[NC_CFGTAB_PATH_MAX + 16];
            snprintf(ip, sizeof ip, "%s[%d]", path, i);
            if (!nc_cfgtab_name_at(f, idx[i]))
                return vfail(ctx, root, NC_ERR_INVAL, ip, "unknown %s %d "
                             "(known: %s)", nc_cfgtab_noun(f), idx[i],
                             nc_cfgtab_names_list(f, known, sizeof known));
            for (int j = 0; (f->flags & NC_CFG_UNIQUE) && j < i; j++)
                if (idx[j] == idx[i])
                    return vfail(ctx, root, NC_ERR_INVAL, ip, "'%s' is listed "
                                 "twice", nc_cfgtab_name_at(f, idx[i]));
        }
        return NC_OK;
    }
    case NC_CFG_SEED:
    case NC_CFG_OBJECT:
        return NC_OK;
    }
    return NC_OK;
}

static nc_status validate_in(nc_ctx *ctx, const nc_cfg_table *root,
                             const void *rootbase, const nc_cfg_table *t,
                             const void *base, const char *prefix)
{
    for (size_t i = 0; i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        if (f->when && !f->when(rootbase))
            continue;
        char path[NC_CFGTAB_PATH_MAX];
        nc_cfgtab_path_join(path, sizeof path, prefix, f->key);
        nc_status st = f->type == NC_CFG_OBJECT
            ? validate_in(ctx, root, rootbase, f->sub,
                          nc_cfgtab_cat(base, f->off), path)
            : check_field(ctx, root, f, base, path);
        if (st)
            return st;
    }
    return NC_OK;
}

nc_status nc_cfgtab_validate(nc_ctx *ctx, const nc_cfg_table *t,
                             const void *base)
{
    return validate_in(ctx, t, base, t, base, "");
}

/* ---- to JSON -------------------------------------------------------------- */

cJSON *nc_cfgtab_to_cjson(const nc_cfg_table *t, const void *base)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        const void *p = nc_cfgtab_cat(base, f->off);
        cJSON *v = NULL;
        char buf[32];
        switch (f->type) {
        case NC_CFG_INT:
            v = cJSON_CreateNumber(*(const int *)p);
            break;
        case NC_CFG_INT64:
            v = cJSON_CreateNumber((double)*(const int64_t *)p);
            break;
        case NC_CFG_DOUBLE:
            v = cJSON_CreateNumber(*(const double *)p);
            break;
        case NC_CFG_STR:
            v = cJSON_CreateString((const char *)p);
            break;
        case NC_CFG_FLAG:
            v = cJSON_CreateBool(*(const int *)p);
            break;
        case NC_CFG_ENUM: {
            const char *s = nc_cfgtab_name_at(f, *(const int *)p);
            v = cJSON_CreateString(s ? s : "?");
            break;
        }
        case NC_CFG_SEED:
            snprintf(buf, sizeof buf, "%llu",
                     (unsigned long long)*(const uint64_t *)p);
            v = cJSON_CreateString(buf);
            break;
        case NC_CFG_ENUM_LIST: {
            int n = *(const int *)nc_cfgtab_cat(base, f->off_n);
            v = cJSON_CreateArray();
            for (int k = 0; v && k < n && k < (int)f->size; k++) {
                const char *s = nc_cfgtab_name_at(f, ((const int *)p)[k]);
                cJSON *it = cJSON_CreateString(s ? s : "?");
                if (!it || !cJSON_AddItemToArray(v, it)) {
                    cJSON_Delete(it);
                    cJSON_Delete(v);
                    v = NULL;
                }
            }
            break;
        }
        case NC_CFG_OBJECT:
            v = nc_cfgtab_to_cjson(f->sub, p);
            break;
        }
        if (!v || !cJSON_AddItemToObject(o, f->key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            o = NULL;
        }
    }
    return o;
}

char *nc_cfgtab_to_json(const nc_cfg_table *t, const void *base, int pretty)
{
    cJSON *o = nc_cfgtab_to_cjson(t, base);
    if (!o)
        return NULL;
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
