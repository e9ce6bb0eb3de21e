/*
 * table.h — a tabular benchmark as an evaluator: every architecture of a
 * space looked up in a CSV of precomputed results (NAS-Bench-201 and kin),
 * so a search costs a hash lookup per query instead of a training run.
 *
 * The CSV needs a header row with an `arch` column (the space's string form)
 * and the metric columns asked for; other columns are not parsed. Every row
 * has as many fields as the header and ends with a line end, the last one
 * included; empty lines may precede the header and follow the last row,
 * nowhere else. Fields are separated by plain commas and may be wrapped in
 * double quotes ("" is a quote inside a quoted field); CRLF line ends are
 * accepted.
 *
 *     nc_table *t;
 *     if (nc_table_load(ctx, "nb201.csv", "cifar10_valid", "cifar10_test",
 *                       nc_space_find("nb201"), &t)) ...ctx->msg...
 *     double valid, test;
 *     if (nc_table_lookup(ctx, t, &arch, &valid, &test)) ...ctx->msg...
 *     nc_table_free(t);
 */
#ifndef NC_TABLE_H
#define NC_TABLE_H

#include <stddef.h>

#include "core/ctx.h"
#include "supernet/space.h"

enum {
    NC_TABLE_LINE_MAX = 8192,       /* longest accepted line, bytes */
    NC_TABLE_ROWS_MAX = 10000000    /* most data rows accepted */
};

typedef struct nc_table nc_table;

/* Reads the CSV at path and checks it whole, so that a table cut or
 * damaged mid-file is refused here and not by a lookup half-way through a
 * campaign. select_metric is the column searches optimize; report_metric
 * the one reported beside it (NULL: the same column). The table keeps sp,
 * which must outlive it. Every message names the file, and the line where
 * there is one. Errors: NC_ERR_IO if the file cannot be read;
 * NC_ERR_FORMAT for a header without an `arch` column (the message lists
 * the header), an over-long line, a row with more or fewer fields than the
 * header, an empty line with rows after it, a last row without a line end
 * (a file cut mid-row), an unparsable arch string, a non-numeric or
 * non-finite value (NaN and inf too) in the selected or reported column, a
 * duplicate architecture (both lines named), an empty file, no data rows or
 * more than NC_TABLE_ROWS_MAX rows; NC_ERR_INVAL if a metric column is
 * missing (named, with the header listed: the caller chose a column the
 * file lacks); NC_ERR_NOMEM. *out is NULL on failure. */
nc_status nc_table_load(nc_ctx *ctx, const char *path, const char *select_metric,
                        const char *report_metric, const nc_space *sp,
                        nc_table **out);

/* Frees t; NULL is allowed. */
void nc_table_free(nc_table *t);

/* Number of data rows (architectures) in t. */
size_t nc_table_rows(const nc_table *t);

/* The selected and reported metric of *a (either pointer may be NULL).
 * NC_ERR_NOTFOUND, naming the architecture string, if the table does not
 * list it. */
nc_status nc_table_lookup(nc_ctx *ctx, const nc_table *t, const nc_arch *a,
                          double *select, double *report);

/* The row with the best (largest) selected metric: its architecture and
 * metrics (pointers may be NULL). For "how far from the optimum" figures. */
void nc_table_best(const nc_table *t, nc_arch *a, double *select,
                   double *report);

#endif
