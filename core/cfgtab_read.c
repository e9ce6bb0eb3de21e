/*
 * cfgtab_read.c — reading a configuration from JSON by its field table
 * (core/cfgtab.h): keys checked (unknown, duplicate) before values, every
 * message naming the field's path, and a duplicate key located in the text.
 */
#include "core/cfgtab.h"
#include "core/cfgtab_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The reader's state: the message prefix and, when the failure is a
 * duplicate key, the keys that lead to it (for its line and column). */
typedef struct rd {
    nc_ctx *ctx;
    const char *what;
    const char *chain[NC_CFGTAB_CHAIN_MAX];
    int depth;
    const char *dup[NC_CFGTAB_CHAIN_MAX + 1];
    int n_dup;
} rd;

static nc_status bad_type(rd *r, const char *path, const char *want)
{
    return nc_fail(r->ctx, NC_ERR_FORMAT, "%s: field '%s' must be %s", r->what,
                   path, want);
}

/* Every member of o is a row of t, and none comes twice. A wrong key is
 * found among the first t->n + 1 members, so this stays cheap whatever
 * the file holds. */
static nc_status check_keys(rd *r, const nc_cfg_table *t, const cJSON *o,
                            const char *prefix)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        const char *k = it->string ? it->string : "";
        char path[NC_CFGTAB_PATH_MAX];
        nc_cfgtab_path_join(path, sizeof path, prefix, k);
        size_t i = 0;
        while (i < t->n && strcmp(t->fields[i].key, k) != 0)
            i++;
        if (i == t->n) {
            char known[400] = "";
            for (size_t j = 0; j < t->n; j++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof known - l, "%s%s", j ? ", " : "",
                         t->fields[j].key);
            }
            return nc_fail(r->ctx, NC_ERR_FORMAT, "%s: unknown field '%s' "
                           "(known here: %s)", r->what, path, known);
        }
        for (const cJSON *e = o->child; e != it; e = e->next)
            if (e->string && strcmp(e->string, k) == 0) {
                if (r->depth < NC_CFGTAB_CHAIN_MAX) {
                    for (int d = 0; d < r->depth; d++)
                        r->dup[d] = r->chain[d];
                    r->dup[r->depth] = t->fields[i].key;
                    r->n_dup = r->depth + 1;
                }
                return nc_fail(r->ctx, NC_ERR_FORMAT, "%s: duplicate key '%s'",
                               r->what, path);
            }
    }
    return NC_OK;
}

static nc_status read_obj(rd *r, const nc_cfg_table *t, const cJSON *o,
                          void *base, const char *prefix);

static nc_status read_field(rd *r, const nc_cfg_field *f, const cJSON *v,
                            void *base, const char *path)
{
    void *p = nc_cfgtab_at(base, f->off);
    char known[400];
    double d = v->valuedouble;
    switch (f->type) {
    case NC_CFG_INT:
        if (!cJSON_IsNumber(v) || d != floor(d) || d < INT_MIN || d > INT_MAX)
            return bad_type(r, path, "an integer");
        *(int *)p = (int)d;
        return NC_OK;
    case NC_CFG_INT64:
        if (!cJSON_IsNumber(v) || d != floor(d) || fabs(d) > 9007199254740991.0)
            return bad_type(r, path, "an integer");
        *(int64_t *)p = (int64_t)d;
        return NC_OK;
    case NC_CFG_DOUBLE:
        if (!cJSON_IsNumber(v) || !isfinite(d))
            return bad_type(r, path, "a number");
        *(double *)p = d;
        return NC_OK;
    case NC_CFG_STR:
        if (!cJSON_IsString(v))
            return bad_type(r, path, "a string");
        if (strlen(v->valuestring) >= f->size)
            return nc_fail(r->ctx, NC_ERR_FORMAT, "%s: field '%s' is longer "
                           "than %zu characters", r->what, path, f->size - 1);
        strcpy((char *)p, v->valuestring);
        return NC_OK;
    case NC_CFG_FLAG:
        if (cJSON_IsBool(v))
            *(int *)p = cJSON_IsTrue(v) ? 1 : 0;
        else if (cJSON_IsNumber(v) && (d == 0 || d == 1))
            *(int *)p = (int)d;
        else
            return bad_type(r, path, "true or false");
        return NC_OK;
    case NC_CFG_ENUM: {
        if (!cJSON_IsString(v))
            return bad_type(r, path, "a string");
        int k = nc_cfgtab_name_find(f, v->valuestring);
        if (k < 0)
            return nc_fail(r->ctx, NC_ERR_INVAL, "%s: field '%s': unknown %s "
                           "'%.64s' (known: %s)", r->what, path,
                           nc_cfgtab_noun(f), v->valuestring,
                           nc_cfgtab_names_list(f, known, sizeof known));
        *(int *)p = k;
        return NC_OK;
    }
    case NC_CFG_SEED:
        if (!cJSON_IsString(v) ||
            nc_cfgtab_seed_parse(v->valuestring, (uint64_t *)p))
            return bad_type(r, path, "a string of decimal digits (a 64-bit "
                            "unsigned integer)");
        return NC_OK;
    case NC_CFG_ENUM_LIST: {
        if (!cJSON_IsArray(v))
            return bad_type(r, path, "an array of names");
        int n = cJSON_GetArraySize(v);
        if (n > (int)f->size || n > NC_CFGTAB_LIST_MAX ||
            !nc_cfgtab_in_range(f, n))
            return nc_fail(r->ctx, NC_ERR_FORMAT, "%s: field '%s' must list "
                           "%lld..%lld names, not %d", r->what, path,
                           (long long)f->lo, (long long)f->hi, n);
        int idx[NC_CFGTAB_LIST_MAX];
        for (int i = 0; i < n; i++) {
            const cJSON *it = cJSON_GetArrayItem(v, i);
            char ip[NC_CFGTAB_PATH_MAX + 16];
            snprintf(ip, sizeof ip, "%s[%d]", path, i);
            if (!cJSON_IsString(it))
                return bad_type(r, ip, "a string");
            if ((idx[i] = nc_cfgtab_name_find(f, it->valuestring)) < 0)
                return nc_fail(r->ctx, NC_ERR_INVAL, "%s: field '%s': unknown "
                               "%s '%.64s' (known: %s)", r->what, ip,
                               nc_cfgtab_noun(f), it->valuestring,
                               nc_cfgtab_names_list(f, known, sizeof known));
        }
        memcpy(p, idx, (size_t)n * sizeof *idx);
        *(int *)nc_cfgtab_at(base, f->off_n) = n;
        return NC_OK;
    }
    case NC_CFG_OBJECT: {
        if (!cJSON_IsObject(v))
            return bad_type(r, path, "an object");
        if (r->depth < NC_CFGTAB_CHAIN_MAX)
            r->chain[r->depth] = f->key;
        r->depth++;
        nc_status st = read_obj(r, f->sub, v, p, path);
        r->depth--;
        return st;
    }
    }
    return NC_OK;
}

static nc_status read_obj(rd *r, const nc_cfg_table *t, const cJSON *o,
                          void *base, const char *prefix)
{
    nc_status st = check_keys(r, t, o, prefix);
    for (size_t i = 0; !st && i < t->n; i++) {
        const nc_cfg_field *f = &t->fields[i];
        char path[NC_CFGTAB_PATH_MAX];
        nc_cfgtab_path_join(path, sizeof path, prefix, f->key);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->key);
        if (!v)
            st = (f->flags & NC_CFG_OPTIONAL) ? NC_OK
                 : nc_fail(r->ctx, NC_ERR_FORMAT, "%s: missing field '%s'",
                           r->what, path);
        else
            st = read_field(r, f, v, base, path);
    }
    return st;
}

nc_status nc_cfgtab_read(nc_ctx *ctx, const nc_cfg_table *t, const cJSON *obj,
                         void *base)
{
    rd r = { .ctx = ctx, .what = t->what };
    if (!cJSON_IsObject(obj))
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: the document must be a JSON "
                       "object", t->what);
    return read_obj(&r, t, obj, base, "");
}

/* line:column (1-based, in bytes) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Skipping over text cJSON has accepted, so no bounds checks beyond the
 * NUL: whitespace, a string (s[i] == '"'), any value. */
static size_t skip_ws(const char *s, size_t i)
{
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    return i;
}

static size_t skip_string(const char *s, size_t i)
{
    for (i++; s[i] && s[i] != '"'; i++)
        if (s[i] == '\\' && s[i + 1])
            i++;
    return s[i] ? i + 1 : i;
}

static size_t skip_value(const char *s, size_t i)
{
    if (s[i] == '"')
        return skip_string(s, i);
    if (s[i] != '{' && s[i] != '[') {
        while (s[i] && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i;
    }
    int depth = 0;
    do {
        if (s[i] == '"') {
            i = skip_string(s, i);
            continue;
        }
        if (s[i] == '{' || s[i] == '[')
            depth++;
        else if (s[i] == '}' || s[i] == ']')
            depth--;
        i++;
    } while (depth > 0 && s[i]);
    return i;
}

/* The offset of the nth (1-based) member named k of the object at s[i]
 * (its key's opening quote), or (size_t)-1. Keys written with escapes are
 * not matched: the duplicate is still refused, without a position. */
static size_t find_member(const char *s, size_t i, const char *k, int nth,
                          size_t *value)
{
    size_t kl = strlen(k);
    if (s[i] != '{')
        return (size_t)-1;
    i = skip_ws(s, i + 1);
    while (s[i] == '"') {
        size_t key = i, end = skip_string(s, i);
        int same = end - key - 2 == kl && memcmp(s + key + 1, k, kl) == 0;
        i = skip_ws(s, end);
        if (s[i] != ':')
            return (size_t)-1;
        i = skip_ws(s, i + 1);
        if (same && --nth == 0) {
            *value = i;
            return key;
        }
        i = skip_ws(s, skip_value(s, i));
        if (s[i] == ',')
            i = skip_ws(s, i + 1);
    }
    return (size_t)-1;
}

static size_t locate_dup(const char *json, const rd *r)
{
    size_t i = 0, v = 0, key = (size_t)-1;
    if ((unsigned char)json[0] == 0xEF && (unsigned char)json[1] == 0xBB &&
        (unsigned char)json[2] == 0xBF)
        i = 3;                    /* cJSON skips a UTF-8 byte order mark */
    i = skip_ws(json, i);
    for (int d = 0; d < r->n_dup; d++) {
        key = find_member(json, i, r->dup[d], d + 1 == r->n_dup ? 2 : 1, &v);
        if (key == (size_t)-1)
            return key;
        i = v;
    }
    return key;
}

nc_status nc_cfgtab_from_json(nc_ctx *ctx, const nc_cfg_table *t,
                              const char *json, nc_cfgtab_post_fn post,
                              void *base)
{
    if (!json)
        return nc_fail(ctx, NC_ERR_INVAL, "%s: no JSON text", t->what);
    /* ParseWithOpts reports where parsing stopped without the process-wide
     * state cJSON_GetErrorPtr reads, so concurrent loads cannot mix up. */
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(json, &end, 1);
    int line, col;
    if (!o) {
        size_t off = end && end >= json ? (size_t)(end - json) : 0;
        line_col(json, off, &line, &col);
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: invalid JSON at line %d, "
                       "column %d (byte %zu)", t->what, line, col, off);
    }
    rd r = { .ctx = ctx, .what = t->what };
    nc_status st;
    if (!cJSON_IsObject(o)) {
        st = nc_fail(ctx, NC_ERR_FORMAT, "%s: the document must be a JSON "
                     "object", t->what);
    } else {
        st = read_obj(&r, t, o, base, "");
        if (st && r.n_dup) {
            size_t off = locate_dup(json, &r);
            if (off != (size_t)-1) {
                line_col(json, off, &line, &col);
                char m[NC_MSG_MAX];
                snprintf(m, sizeof m, "%s", ctx ? ctx->msg : "");
                nc_fail(ctx, st, "%s at line %d, column %d", m, line, col);
            }
        } else if (!st && post) {
            st = post(ctx, o, base);
        }
    }
    cJSON_Delete(o);
    return st;
}
