/*
 * arch_list.c — lists of architectures (supernet/arch_list.h): from a file,
 * a whole enumerable space, or a seeded sample.
 */
#include "supernet/arch_list.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* s without leading and trailing blanks (in place). */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* The space's size if it can be listed whole, else 0. */
static int64_t listable_size(const nc_space *sp)
{
    int64_t size = sp->size ? sp->size(sp) : 0;
    return size > 0 && size <= NC_ARCH_LIST_MAX ? size : 0;
}

/* One line of a list file (trimmed, not blank, not a comment) into *a. */
static nc_status parse_line(nc_ctx *ctx, const nc_space *sp, const char *path,
                            int line, const char *s, int64_t size, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    char *end;
    long long k = strtoll(s, &end, 10);
    if (isdigit((unsigned char)*s) && *end == 0) {
        if (size <= 0)
            return nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: space %s has no index; "
                           "give the architecture's string", path, line,
                           sp->name);
        if (k < 0 || k >= size)
            return nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: index %s is not in "
                           "0..%lld", path, line, s, (long long)size - 1);
        sp->nth(sp, k, a);
        return NC_OK;
    }
    if (sp->parse(sp, ctx, s, a)) {
        /* The space names what is wrong; the list names where. */
        nc_ctx_prefix(ctx, "%s:%d", path, line);
        ctx->status = NC_ERR_FORMAT;
        return NC_ERR_FORMAT;
    }
    return NC_OK;
}

nc_status nc_arch_list_read(nc_ctx *ctx, const nc_space *sp, const char *path,
                            nc_arch **out, int *n_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "cannot open %s", path);
    int n = 0, cap = 0, line = 0;
    nc_arch *a = NULL;
    char buf[2 * NC_ARCH_STR_MAX];
    nc_status st = NC_OK;
    int64_t size = sp->size ? sp->size(sp) : 0;
    while (!st && fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: line too long", path, line);
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            nc_arch *b = cap <= NC_ARCH_LIST_MAX
                             ? realloc(a, (size_t)cap * sizeof *a) : NULL;
            if (!b) {
                st = nc_fail(ctx, NC_ERR_NOMEM, "%s: too many architectures",
                             path);
                break;
            }
            a = b;
        }
        st = parse_line(ctx, sp, path, line, s, size, &a[n++]);
    }
    if (!st && ferror(f))
        st = nc_fail(ctx, NC_ERR_IO, "cannot read %s", path);
    if (!st && n == 0)
        st = nc_fail(ctx, NC_ERR_FORMAT, "%s: no architectures", path);
    fclose(f);
    if (st) {
        free(a);
        return st;
    }
    *out = a;
    *n_out = n;
    return NC_OK;
}

nc_status nc_arch_list_all(nc_ctx *ctx, const nc_space *sp, nc_arch **out,
                           int *n_out)
{
    int64_t size = listable_size(sp);
    if (size == 0)
        return nc_fail(ctx, NC_ERR_INVAL, "space %s cannot be enumerated",
                       sp->name);
    nc_arch *a = calloc((size_t)size, sizeof *a);
    if (!a)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    for (int64_t k = 0; k < size; k++)
        sp->nth(sp, k, &a[k]);
    *out = a;
    *n_out = (int)size;
    return NC_OK;
}

nc_status nc_arch_list_sample(nc_ctx *ctx, const nc_space *sp, int n,
                              uint64_t seed, nc_arch **out)
{
    int64_t size = sp->size ? sp->size(sp) : 0;
    if (n < 1 || n > NC_ARCH_LIST_MAX)
        return nc_fail(ctx, NC_ERR_RANGE, "%d architectures asked, not in "
                       "1..%d", n, (int)NC_ARCH_LIST_MAX);
    if (size > 0 && n > size)
        return nc_fail(ctx, NC_ERR_RANGE, "%d architectures asked, but space "
                       "%s has only %lld", n, sp->name, (long long)size);
    size = listable_size(sp);
    nc_arch *a = calloc((size_t)n, sizeof *a);
    uint32_t *perm = size ? malloc((size_t)size * sizeof *perm) : NULL;
    if (!a || (size && !perm)) {
        free(a);
        free(perm);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    if (perm) {
        /* One permutation of the whole space: its prefixes are the samples
         * of every smaller n, without replacement. */
        for (int64_t k = 0; k < size; k++)
            perm[k] = (uint32_t)k;
        nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
        nc_rng_shuffle_u32(&r, perm, (uint32_t)size);
        for (int i = 0; i < n; i++)
            sp->nth(sp, perm[i], &a[i]);
    } else {
        for (int i = 0; i < n; i++) {
            nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, i));
            sp->sample(sp, &r, &a[i]);
        }
    }
    free(perm);
    *out = a;
    return NC_OK;
}
