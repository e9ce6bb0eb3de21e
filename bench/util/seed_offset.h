/*
 * seed_offset.h — the one seed option every benchmark takes. `--seed-offset
 * K` adds K to every seed a bench draws from: a bench that runs seeds 1..n
 * runs K+1..K+n, one that takes a single seed S uses S+K. Settings chosen by
 * looking at one run's figures can then be reported on seeds the choice
 * never saw (e.g. chosen on 1..100, reported with K = 1000 on 1001..1100).
 * K = 0, the default, leaves each bench's own seeds, so the tables made
 * before the option existed reproduce bit for bit.
 *
 *     uint64_t off;
 *     if (nc_bench_seed_offset("my_bench", &argc, argv, &off))
 *         return 2;        // the reason is on stderr
 *
 * Header only (static inline) so that every bench gets it without a link
 * step of its own.
 */
#ifndef NC_BENCH_SEED_OFFSET_H
#define NC_BENCH_SEED_OFFSET_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NC_BENCH_SEED_OFFSET_MAX = 1000000000 };

/* Finds "--seed-offset K" anywhere in argv[1..*argc), removes the pair from
 * argv (shifting the rest down, *argc reduced by 2) and sets *off = K; *off
 * = 0 when the option is absent. K must be a decimal integer in
 * 0..NC_BENCH_SEED_OFFSET_MAX; a missing, malformed or out-of-range value,
 * or the option given twice, prints "PROG: --seed-offset ...: why" to
 * stderr and returns 1 (argv is then left as it was). Returns 0 otherwise.
 * A benchmark helper: it prints, the library does not. */
static inline int nc_bench_seed_offset(const char *prog, int *argc, char **argv,
                                       uint64_t *off)
{
    int at = -1;
    *off = 0;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--seed-offset"))
            continue;
        if (at >= 0) {
            fprintf(stderr, "%s: --seed-offset given twice\n", prog);
            return 1;
        }
        at = i;
    }
    if (at < 0)
        return 0;
    if (at + 1 >= *argc) {
        fprintf(stderr, "%s: --seed-offset needs a value (0..%d)\n", prog,
                NC_BENCH_SEED_OFFSET_MAX);
        return 1;
    }
    const char *v = argv[at + 1];
    char *end;
    errno = 0;
    unsigned long long k = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || k > NC_BENCH_SEED_OFFSET_MAX) {
        fprintf(stderr, "%s: --seed-offset %s: need an integer 0..%d\n", prog, v,
                NC_BENCH_SEED_OFFSET_MAX);
        return 1;
    }
    for (int i = at; i + 2 < *argc; i++)
        argv[i] = argv[i + 2];
    *argc -= 2;
    argv[*argc] = NULL;
    *off = (uint64_t)k;
    return 0;
}

#endif
