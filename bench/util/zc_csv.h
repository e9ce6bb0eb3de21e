/*
 * zc_csv.h — what the NB201 benchmarks share to read a `nasc proxies --all`
 * CSV: named score columns of every cell, placed by the official index and
 * checked against the arch column, so a shuffled or truncated file is
 * refused rather than silently misaligned.
 *
 *     static const char *const cols[] = { "synflow", "naswot" };
 *     double *v = malloc(sizeof *v * NC_BENCH_NB201_CELLS * 2);
 *     if (nc_bench_zc_columns(path, 2, cols, v))
 *         return 1;        // the reason is on stderr
 *     // v[k * 2 + j]: column cols[j] of the cell with index k
 */
#ifndef NC_BENCH_ZC_CSV_H
#define NC_BENCH_ZC_CSV_H

enum { NC_BENCH_NB201_CELLS = 15625 };

/* out[k * n_cols + j] = the value (strtod: "-inf" is -INFINITY) of column
 * cols[j] in the row of the cell with official index k, for every k; each
 * index must appear once, with its arch string. The caller owns out (at
 * least 15625 * n_cols doubles). Returns 0, or 1 after printing the reason
 * (file, row, column) to stderr. A benchmark helper: it prints, the
 * library does not. */
int nc_bench_zc_columns(const char *path, int n_cols, const char *const *cols,
                        double *out);

#endif
