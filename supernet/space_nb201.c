/*
 * space_nb201.c — NAS-Bench-201 as an nc_space: gene e is the op on edge e
 * (nb201.h's edge and op order), so the arch type of nb201.h maps gene for
 * gene and its parser, formatter and official index are reused as they are.
 */
#include <string.h>

#include "supernet/nb201.h"
#include "supernet/space.h"

static void to_nb(const nc_arch *a, nc_nb201_arch *b)
{
    memcpy(b->op, a->g, NC_NB201_N_EDGES);
}

static void from_nb(const nc_nb201_arch *b, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    memcpy(a->g, b->op, NC_NB201_N_EDGES);
}

static int nb_choices(const nc_space *sp, int i)
{
    return i >= 0 && i < NC_NB201_N_EDGES ? NC_NB201_N_OPS : 0;
}

static nc_status nb_parse(const nc_space *sp, nc_ctx *ctx, const char *s,
                          nc_arch *a)
{
    nc_nb201_arch b;
    nc_status st = nc_nb201_parse(ctx, s, &b);
    if (st == NC_OK)
        from_nb(&b, a);
    return st;
}

static int nb_format(const nc_space *sp, const nc_arch *a, char *buf, size_t n)
{
    nc_nb201_arch b;
    to_nb(a, &b);
    return nc_nb201_format(&b, buf, n);
}

static void nb_sample(const nc_space *sp, nc_rng *r, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        a->g[e] = (uint8_t)nc_rng_below(r, NC_NB201_N_OPS);
}

/* The NB201 convention (as in the benchmark's reference REA): one edge
 * uniformly, then a different op uniformly among the other 4, so the child
 * is always at Hamming distance exactly 1. */
static void nb_mutate(const nc_space *sp, nc_rng *r, const nc_arch *in,
                      nc_arch *out)
{
    nc_arch c = *in;
    uint32_t e = nc_rng_below(r, NC_NB201_N_EDGES);
    uint32_t k = nc_rng_below(r, NC_NB201_N_OPS - 1);
    c.g[e] = (uint8_t)(k >= in->g[e] ? k + 1 : k);
    *out = c;
}

static void nb_crossover(const nc_space *sp, nc_rng *r, const nc_arch *a,
                         const nc_arch *b, nc_arch *out)
{
    nc_arch c;
    memset(&c, 0, sizeof c);
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        c.g[e] = (nc_rng_below(r, 2) ? b : a)->g[e];
    *out = c;
}

static int64_t nb_size(const nc_space *sp)
{
    return NC_NB201_N_ARCHS;
}

/* Official-index order, so nth(k) is benchmark index k; an out-of-range k
 * gives architecture 0 rather than garbage (the contract has no status). */
static void nb_nth(const nc_space *sp, int64_t k, nc_arch *a)
{
    nc_nb201_arch b;
    if (k < 0 || k >= NC_NB201_N_ARCHS ||
        nc_nb201_from_index((int)k, &b) != NC_OK)
        nc_nb201_from_index(0, &b);
    from_nb(&b, a);
}

/* One-hot per edge: ops are categorical, an ordinal code would invent an
 * order (none < skip < conv1x1 ...) that predictors would then exploit. */
static void nb_encode(const nc_space *sp, const nc_arch *a, float *f)
{
    memset(f, 0, sizeof(float) * NC_NB201_N_EDGES * NC_NB201_N_OPS);
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        if (a->g[e] < NC_NB201_N_OPS)
            f[e * NC_NB201_N_OPS + a->g[e]] = 1.0f;
}

/* The benchmark's own skeleton (C=16, N=5), so built nets match its table. */
static int nb_build(const nc_space *sp, nc_ctx *ctx, nc_net *net, int x,
                    const nc_arch *a, int n_classes)
{
    nc_nb201_arch b;
    to_nb(a, &b);
    return nc_nb201_build(ctx, net, x, &b, 16, 5, n_classes);
}

static const nc_space NB201 = {
    .name = "nb201",
    .n_genes = NC_NB201_N_EDGES,
    .choices = nb_choices,
    .parse = nb_parse,
    .format = nb_format,
    .sample = nb_sample,
    .mutate = nb_mutate,
    .crossover = nb_crossover,
    .size = nb_size,
    .nth = nb_nth,
    .n_features = NC_NB201_N_EDGES * NC_NB201_N_OPS,
    .encode = nb_encode,
    .build = nb_build,
};

const nc_space *nc_space_nb201(void)
{
    return &NB201;
}
