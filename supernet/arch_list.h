/*
 * arch_list.h — lists of architectures of a search space: read from a text
 * file, every architecture of an enumerable space, or a seeded sample. What
 * `nasc proxies` scores and what a benchmark walks through.
 *
 *     const nc_space *sp = nc_space_nb201();
 *     nc_arch *a;
 *     int n;
 *     if (nc_arch_list_read(ctx, sp, "archs.txt", &a, &n)) ...ctx->msg...
 *     ...a[0..n)...
 *     free(a);
 *     if (nc_arch_list_sample(ctx, sp, 100, 1, &a)) ...  // 100 distinct
 *
 * Every list is malloc'ed and the caller's to free; on failure nothing is
 * allocated and *out is left alone.
 */
#ifndef NC_ARCH_LIST_H
#define NC_ARCH_LIST_H

#include <stdint.h>

#include "core/ctx.h"
#include "supernet/space.h"

/* The longest list any of these makes, and the largest space that
 * nc_arch_list_all enumerates or nc_arch_list_sample permutes: ten million
 * architectures, 640 MB of genes. */
enum { NC_ARCH_LIST_MAX = 10000000 };

/* The architectures of the text file at path, in file order: one per line,
 * its string form (sp->parse) or, for a space with an index (sp->size >
 * 0; every built-in space has one), its index (sp->nth; for NB201 the
 * official index). Blank lines and lines starting with '#' are skipped;
 * blanks around a line are ignored. *out gets the list, *n its length
 * (>= 1).
 * Errors: NC_ERR_IO "cannot open PATH" / "cannot read PATH"; NC_ERR_FORMAT
 * "PATH:LINE: ..." for a line that is too long, an index out of range or
 * given for a space without one, or a string the space does not parse, and
 * "PATH: no architectures" for a file without any; NC_ERR_NOMEM. */
nc_status nc_arch_list_read(nc_ctx *ctx, const nc_space *sp, const char *path,
                            nc_arch **out, int *n);

/* Every architecture of an enumerable space in index order (*n = its
 * size). NC_ERR_INVAL "space NAME cannot be enumerated" when sp has no
 * index or more than NC_ARCH_LIST_MAX architectures; NC_ERR_NOMEM. */
nc_status nc_arch_list_all(nc_ctx *ctx, const nc_space *sp, nc_arch **out,
                           int *n);

/* n architectures (1 <= n <= NC_ARCH_LIST_MAX) drawn from seed, on the
 * stream (seed, NC_PURPOSE_SAMPLE). An enumerable space gives the first n
 * of one seeded permutation of its indices: distinct, and a larger n
 * extends a smaller one. A space without an index (or larger than
 * NC_ARCH_LIST_MAX) gives n independent draws, which may repeat; draw i
 * alone decides architecture i, so a prefix property holds there too.
 * NC_ERR_RANGE when n is out of range or exceeds an enumerable space's
 * size ("N architectures asked, but space NAME has only S"); NC_ERR_NOMEM. */
nc_status nc_arch_list_sample(nc_ctx *ctx, const nc_space *sp, int n,
                              uint64_t seed, nc_arch **out);

#endif
