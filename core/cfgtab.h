/*
 * cfgtab.h — configurations described once: a table of fields per
 * configuration kind gives each field's JSON key, type, place in the struct,
 * default, range and, where the command line sets it, its option and help
 * line. From that one table come the defaults, the validation (messages
 * name the field), JSON both ways (cJSON; duplicate, unknown, missing and
 * mistyped keys refused by name) and setting a field from an option value.
 * Checks that involve several fields (a model and its architecture, a
 * strategy's sample against its population) stay small hand-written
 * functions that run after the table's pass.
 *
 *     typedef struct job { int epochs; double lr; char name[32]; } job;
 *     static const nc_cfg_field JOB_FIELDS[] = {
 *         { .key = "epochs", .type = NC_CFG_INT, .off = offsetof(job, epochs),
 *           .lo = 1, .hi = 1000, .def = 10,
 *           .opt = "--epochs", .metavar = "E", .help = "training epochs" },
 *         { .key = "lr", .type = NC_CFG_DOUBLE, .off = offsetof(job, lr),
 *           .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 100, .def = 0.05 },
 *         { .key = "name", .type = NC_CFG_STR, .off = offsetof(job, name),
 *           .size = 32, .flags = NC_CFG_OPTIONAL, .def_str = "x" },
 *     };
 *     static const nc_cfg_table JOB = NC_CFG_TABLE("configuration", 0,
 *                                                  JOB_FIELDS);
 *     job j;
 *     nc_cfgtab_defaults(&JOB, &j);
 *     if (nc_cfgtab_from_json(ctx, &JOB, "{\"epochs\":0,\"lr\":1}", NULL, &j) ||
 *         nc_cfgtab_validate(ctx, &JOB, &j))
 *         ...ctx->msg: "epochs: 0 is outside 1..1000"...
 *
 * Tables are static const data; nothing here keeps state between calls.
 */
#ifndef NC_CFGTAB_H
#define NC_CFGTAB_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "core/ctx.h"

typedef enum nc_cfg_type {
    NC_CFG_INT,        /* int; a JSON number with an integer value */
    NC_CFG_INT64,      /* int64_t; a JSON integer up to 2^53 */
    NC_CFG_DOUBLE,     /* double; a finite JSON number */
    NC_CFG_STR,        /* char[size]; a JSON string (names: allowed values,
                          checked by validate) */
    NC_CFG_FLAG,       /* int 0/1; JSON true/false (0 and 1 read too) */
    NC_CFG_ENUM,       /* int-sized enum; a JSON string, one of names (or
                          of name_of(0), name_of(1), ... up to NULL) */
    NC_CFG_SEED,       /* uint64_t; a JSON string of decimal digits, since a
                          JSON number cannot carry every 64-bit value */
    NC_CFG_ENUM_LIST,  /* int-sized enums at off, their count (int) at
                          off_n, at most size; a JSON array of names */
    NC_CFG_OBJECT      /* a nested JSON object holding the fields of sub,
                          whose offsets count from off */
} nc_cfg_type;

/* Field flags. */
enum {
    NC_CFG_OPTIONAL = 1u << 0,  /* may be absent from JSON (keeps its value);
                                   fields added after runs were logged must
                                   be optional so old logs still load */
    NC_CFG_LO_OPEN = 1u << 1,   /* lo itself is outside the range */
    NC_CFG_HI_OPEN = 1u << 2,   /* hi itself is outside the range */
    NC_CFG_ANY = 1u << 3,       /* no range check (a hand-written check
                                   covers the field) */
    NC_CFG_UNIQUE = 1u << 4     /* ENUM_LIST: no name twice */
};

struct nc_cfg_table;

typedef struct nc_cfg_field {
    const char *key;               /* JSON key; the field's name in messages */
    nc_cfg_type type;
    unsigned flags;                /* NC_CFG_* above */
    size_t off;                    /* offsetof(struct, member) */
    size_t size;                   /* STR: bytes of the array; ENUM_LIST:
                                      capacity */
    size_t off_n;                  /* ENUM_LIST: offset of the count */
    double lo, hi;                 /* range (numbers; ENUM_LIST: count) */
    double def;                    /* default: number, flag, enum index, seed */
    const char *def_str;           /* default: STR; ENUM_LIST as "a,b" */
    const char *const *names;      /* ENUM, ENUM_LIST, STR: NULL-terminated */
    const char *(*name_of)(int k); /* ENUM: names by function (NULL past the
                                      last), when names is NULL */
    const char *noun;              /* "optimizer": "unknown optimizer 'x'"
                                      (NULL: "name") */
    const struct nc_cfg_table *sub; /* OBJECT */
    int (*when)(const void *root); /* validate only when this is true of the
                                      whole configuration (NULL: always);
                                      on an OBJECT row, for all its fields */
    /* Command line (NULL opt: not an option). An option with opt_value
     * takes no argument and sets the field to opt_value; several rows may
     * share such an option (--augment: pad 4 and flips on). */
    const char *opt;               /* "--lr" */
    const char *metavar;           /* "X" in "--lr X" */
    const char *opt_value;
    const char *help;              /* one line, without the default */
} nc_cfg_field;

typedef struct nc_cfg_table {
    const char *what;      /* message prefix: "configuration", "campaign" */
    int quote;             /* validation messages as "what: field 'k': ..."
                              (1) or "k: ..." (0) */
    const nc_cfg_field *fields;
    size_t n;
} nc_cfg_table;

/* A table over a static array of rows. */
#define NC_CFG_TABLE(what, quote, rows) \
    { (what), (quote), (rows), sizeof(rows) / sizeof((rows)[0]) }

/* Sets every field of base (the struct t describes) to its default. */
void nc_cfgtab_defaults(const nc_cfg_table *t, void *base);

/* Checks every field's range (numbers), name (ENUM, ENUM_LIST, STR with
 * names) and 0/1 (FLAG), in table order, skipping rows whose `when` is
 * false. The first failure: NC_ERR_RANGE "epochs: 0 is outside 1..100000"
 * (or, with t->quote, "campaign: field 'budget': 0 is outside ..."; nested
 * fields are named by path, "strategy.population"), NC_ERR_INVAL for an
 * unknown name. */
nc_status nc_cfgtab_validate(nc_ctx *ctx, const nc_cfg_table *t,
                             const void *base);

/* Every field as a JSON object in table order (NULL if out of memory;
 * the caller deletes it), or printed (pretty: cJSON_Print, else unformatted;
 * malloc'ed, the caller frees; NULL if out of memory). */
cJSON *nc_cfgtab_to_cjson(const nc_cfg_table *t, const void *base);
char *nc_cfgtab_to_json(const nc_cfg_table *t, const void *base, int pretty);

/* Reads the members of obj into base over its current values (absent
 * optional fields keep theirs). NC_ERR_FORMAT "<what>: duplicate key
 * 'train.lr'", "<what>: unknown field 'k' (known here: ...)", "<what>:
 * missing field 'k'", "<what>: field 'k' must be an integer" (a number, a
 * string, true or false, an object, an array of names); NC_ERR_INVAL for a
 * name not in the field's list. Each object's keys (duplicates, unknown)
 * are checked before its values, which are read in table order (a nested
 * object when its row comes). Does not validate ranges. On failure base
 * may be partly written. */
nc_status nc_cfgtab_read(nc_ctx *ctx, const nc_cfg_table *t, const cJSON *obj,
                         void *base);

/* Called by nc_cfgtab_from_json after a successful read, with the parsed
 * document, for what depends on several fields or on a key's absence. */
typedef nc_status (*nc_cfgtab_post_fn)(nc_ctx *ctx, const cJSON *doc,
                                       void *base);

/* Parses json (the whole text must be one JSON object) and reads it as
 * nc_cfgtab_read, then calls post (may be NULL). NC_ERR_FORMAT "<what>:
 * invalid JSON at line L, column C (byte B)", "<what>: the document must be
 * a JSON object"; a duplicate key's message ends with its line and column.
 * Start from nc_cfgtab_defaults for "absent means default". */
nc_status nc_cfgtab_from_json(nc_ctx *ctx, const nc_cfg_table *t,
                              const char *json, nc_cfgtab_post_fn post,
                              void *base);

/* ---- the command line ----------------------------------------------------
 * A command's options are the rows with opt; cli/ builds its getopt table
 * from nc_cfgtab_opts, hands each value to nc_cfgtab_set_opt, prints
 * nc_cfgtab_help, and calls the kind's validate before any work. */

/* The rows that are options, in table order, one per option (the first row
 * of a shared one), into rows[0..max) with the offset of each row's struct
 * inside base into offs (may be NULL). Returns how many there are (which
 * may exceed max). */
int nc_cfgtab_opts(const nc_cfg_table *t, const nc_cfg_field **rows,
                   size_t *offs, int max);

/* Sets the field(s) of option opt ("--lr") from the text value (NULL for
 * an option with opt_value). Numbers must be written whole (no blanks, no
 * tail) and lie in the field's range; names must be in the field's list
 * (ENUM_LIST: comma-separated). NC_ERR_NOTFOUND if no row has opt;
 * NC_ERR_INVAL/NC_ERR_RANGE "--lr: expected a number in (0, 100], got
 * 'abc'", "--optimizer: unknown optimizer 'x' (known: sgd, adam)". The
 * field is unchanged on failure. */
nc_status nc_cfgtab_set_opt(nc_ctx *ctx, const nc_cfg_table *t, void *base,
                            const char *opt, const char *value);

/* The value of row f in sbase (the struct f's table describes) as text:
 * "0.05", "sgd", "true", "accuracy,params"; snprintf's return. */
int nc_cfgtab_value_str(const nc_cfg_field *f, const void *sbase, char *buf,
                        size_t n);

/* One help line per option, in table order:
 *     "  --lr X             learning rate, > 0 (default 0.05)\n"
 * (the default from defaults, the struct t describes; none for options
 * without an argument). Writes at most n bytes with a NUL (n may be 0);
 * returns the length the whole text needs, as snprintf. */
size_t nc_cfgtab_help(const nc_cfg_table *t, const void *defaults, char *buf,
                      size_t n);

#endif
