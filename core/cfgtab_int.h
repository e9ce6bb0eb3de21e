/*
 * cfgtab_int.h — what core/cfgtab.c, cfgtab_read.c and cfgtab_opt.c share:
 * the walk over a row's names, ranges, seeds and paths. Private to core/.
 *
 *     char known[400];
 *     if (nc_cfgtab_name_find(f, "adam") < 0)
 *         ...nc_cfgtab_names_list(f, known, sizeof known): "sgd, adam"...
 */
#ifndef NC_CFGTAB_INT_H
#define NC_CFGTAB_INT_H

#include "core/cfgtab.h"

/* Limits of the walk: nested OBJECT rows whose duplicate keys can be
 * located in the text (deeper ones are still refused, without a position),
 * a field path's length, an option's list of names, rows sharing one
 * option. */
enum { NC_CFGTAB_CHAIN_MAX = 8, NC_CFGTAB_PATH_MAX = 160,
       NC_CFGTAB_LIST_MAX = 64, NC_CFGTAB_SHARED_MAX = 8 };

static inline void *nc_cfgtab_at(void *base, size_t off)
{
    return (char *)base + off;
}

static inline const void *nc_cfgtab_cat(const void *base, size_t off)
{
    return (const char *)base + off;
}

/* "p.k", or "k" when p is "" or NULL. */
void nc_cfgtab_path_join(char *buf, size_t n, const char *p, const char *k);

/* Name k of an ENUM/ENUM_LIST/STR row (from names or name_of); NULL when k
 * is out of range. */
const char *nc_cfgtab_name_at(const nc_cfg_field *f, int k);
/* The index of name s, or -1. */
int nc_cfgtab_name_find(const nc_cfg_field *f, const char *s);
/* "a, b, c" into buf (n bytes); returns buf. */
const char *nc_cfgtab_names_list(const nc_cfg_field *f, char *buf, size_t n);
/* The row's word for its names ("optimizer"), or "name". */
const char *nc_cfgtab_noun(const nc_cfg_field *f);

/* 1 if v lies in the row's range (always, with NC_CFG_ANY). */
int nc_cfgtab_in_range(const nc_cfg_field *f, double v);

/* A seed written as 1 to 20 decimal digits within 64 bits into *out;
 * -1 (and *out unchanged) otherwise. */
int nc_cfgtab_seed_parse(const char *s, uint64_t *out);

/* Comma-separated names into idx[0..cap): their count (which may exceed
 * cap), or -1 with the first unknown name copied to bad (nbad bytes). */
int nc_cfgtab_list_parse(const nc_cfg_field *f, const char *s, int *idx,
                         int cap, char *bad, size_t nbad);

#endif
