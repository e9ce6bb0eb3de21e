/*
 * zc_csv.c — the benchmarks' reader of `nasc proxies --all` CSVs (zc_csv.h).
 */
#include "bench/util/zc_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supernet/space.h"

enum { MAX_FIELDS = 64, LINE_BYTES = 8192 };

/* Splits line (modified in place) at commas into at most max fields. */
static int split_csv(char *line, char **fld, int max)
{
    int n = 0;
    char *q = line;
    while (n < max) {
        fld[n++] = q;
        char *c = strchr(q, ',');
        if (!c)
            break;
        *c = 0;
        q = c + 1;
    }
    char *nl = strpbrk(fld[n - 1], "\r\n");
    if (nl)
        *nl = 0;
    return n;
}

int nc_bench_zc_columns(const char *path, int n_cols, const char *const *cols,
                        double *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    static char line[LINE_BYTES];
    char *fld[MAX_FIELDS], buf[NC_ARCH_STR_MAX];
    int ci = -1, ca = -1, *cx = malloc(sizeof *cx * (size_t)(n_cols > 0 ? n_cols : 1));
    unsigned char *seen = calloc(NC_BENCH_NB201_CELLS, 1);
    int bad = !cx || !seen || !fgets(line, sizeof line, f), rows = 0, need = 0;
    if (bad)
        fprintf(stderr, "%s: empty or out of memory\n", path);
    int nf = bad ? 0 : split_csv(line, fld, MAX_FIELDS);
    for (int j = 0; !bad && j < n_cols; j++)
        cx[j] = -1;
    for (int i = 0; !bad && i < nf; i++) {
        if (!strcmp(fld[i], "index"))
            ci = i;
        if (!strcmp(fld[i], "arch"))
            ca = i;
        for (int j = 0; j < n_cols; j++)
            if (!strcmp(fld[i], cols[j]))
                cx[j] = i;
    }
    if (!bad && (ci < 0 || ca < 0)) {
        fprintf(stderr, "%s: no index or arch column\n", path);
        bad = 1;
    }
    for (int j = 0; !bad && j < n_cols; j++) {
        if (cx[j] < 0) {
            fprintf(stderr, "%s: no column %s\n", path, cols[j]);
            bad = 1;
        }
        need = cx[j] > need ? cx[j] : need;
    }
    need = ci > need ? ci : need;
    need = ca > need ? ca : need;
    const nc_space *sp = nc_space_nb201();
    while (!bad && fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || line[0] == '\r')
            continue;
        nf = split_csv(line, fld, MAX_FIELDS);
        long k = nf > need ? strtol(fld[ci], NULL, 10) : -1;
        if (k < 0 || k >= NC_BENCH_NB201_CELLS || seen[k]) {
            fprintf(stderr, "%s: row %d: short, or index missing, out of range "
                    "or repeated\n", path, rows + 2);
            bad = 1;
            break;
        }
        nc_arch a;
        sp->nth(sp, k, &a);
        sp->format(sp, &a, buf, sizeof buf);
        if (strcmp(buf, fld[ca])) {
            fprintf(stderr, "%s: index %ld is %s in the space, %s in the file\n",
                    path, k, buf, fld[ca]);
            bad = 1;
            break;
        }
        for (int j = 0; j < n_cols; j++)
            out[k * n_cols + j] = strtod(fld[cx[j]], NULL);
        seen[k] = 1;
        rows++;
    }
    fclose(f);
    if (!bad && rows != NC_BENCH_NB201_CELLS) {
        fprintf(stderr, "%s: %d of %d cells\n", path, rows, NC_BENCH_NB201_CELLS);
        bad = 1;
    }
    free(cx);
    free(seen);
    return bad;
}
