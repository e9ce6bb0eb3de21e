/*
 * space_mlp.c — the mlp space (see spaces.h for genes, string and net).
 *
 * Canonical form: width genes of layers beyond the depth are 0. Every
 * operation here writes canonical genes, so nc_arch_equal (a plain gene
 * compare) says whether two nets are the same.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "supernet/spaces.h"

enum { G_DEPTH = 0, G_WIDTH = 1, G_ACT = 1 + NC_MLP_MAX_DEPTH, N_GENES };

static const int WIDTHS[NC_MLP_N_WIDTHS] = { 32, 64, 128, 256, 512 };
/* Only ReLU: the op table has no other activation (core/op.h). */
static const char *const ACTS[] = { "relu" };
enum { N_ACTS = sizeof ACTS / sizeof ACTS[0] };

static int depth_of(const nc_arch *a)
{
    return a->g[G_DEPTH] + 1;
}

/* Zeros everything that is not an active gene of the space. */
static void make_canonical(nc_arch *a)
{
    for (int l = depth_of(a); l < NC_MLP_MAX_DEPTH; l++)
        a->g[G_WIDTH + l] = 0;
    memset(a->g + N_GENES, 0, NC_ARCH_GENES - N_GENES);
}

static int valid(const nc_arch *a)
{
    if (a->g[G_DEPTH] >= NC_MLP_MAX_DEPTH || a->g[G_ACT] >= N_ACTS)
        return 0;
    for (int l = 0; l < NC_MLP_MAX_DEPTH; l++)
        if (a->g[G_WIDTH + l] >= (l < depth_of(a) ? NC_MLP_N_WIDTHS : 1))
            return 0;
    return 1;
}

static int mlp_choices(const nc_space *sp, int i)
{
    if (i == G_DEPTH)
        return NC_MLP_MAX_DEPTH;
    if (i >= G_WIDTH && i < G_WIDTH + NC_MLP_MAX_DEPTH)
        return NC_MLP_N_WIDTHS;
    return i == G_ACT ? N_ACTS : 0;
}

/* Reads a canonical decimal (no sign, no leading zero, at most 6 digits) at
 * *p; -1 if there is none there. */
static long read_uint(const char **p)
{
    const char *s = *p;
    long v = 0;
    int n = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 7)
        v = v * 10 + (s[n++] - '0');
    if (n == 0 || n > 6 || (n > 1 && s[0] == '0'))
        return -1;
    *p = s + n;
    return v;
}

static nc_status bad(nc_ctx *ctx, const char *s, const char *p,
                     const char *field, const char *what)
{
    return nc_fail(ctx, NC_ERR_INVAL, "mlp architecture '%s': field %s at "
                   "offset %d ('%.12s'): %s", s, field, (int)(p - s), p, what);
}

static nc_status mlp_parse(const nc_space *sp, nc_ctx *ctx, const char *s,
                           nc_arch *out)
{
    if (!s)
        return nc_fail(ctx, NC_ERR_INVAL, "mlp architecture: none given");
    nc_arch a;
    memset(&a, 0, sizeof a);
    const char *p = s;
    if (strncmp(p, "mlp:", 4) != 0)
        return bad(ctx, s, p, "space", "expected 'mlp:'");
    p += 4;
    if (strncmp(p, "d=", 2) != 0)
        return bad(ctx, s, p, "d", "expected 'd='");
    p += 2;
    const char *q = p;
    long d = read_uint(&p);
    if (d < 1 || d > NC_MLP_MAX_DEPTH)
        return bad(ctx, s, q, "d", "depth must be 1, 2, 3 or 4");
    a.g[G_DEPTH] = (uint8_t)(d - 1);
    if (strncmp(p, ":w=", 3) != 0)
        return bad(ctx, s, p, "w", "expected ':w=' after the depth");
    p += 3;
    for (int l = 0; l < d; l++) {
        if (l > 0) {
            if (*p != ',')
                return bad(ctx, s, p, "w", "fewer widths than the depth");
            p++;
        }
        q = p;
        long w = read_uint(&p);
        int k = 0;
        while (k < NC_MLP_N_WIDTHS && WIDTHS[k] != w)
            k++;
        if (k == NC_MLP_N_WIDTHS)
            return bad(ctx, s, q, "w", "width must be 32, 64, 128, 256 or 512");
        a.g[G_WIDTH + l] = (uint8_t)k;
    }
    if (*p == ',')
        return bad(ctx, s, p, "w", "more widths than the depth");
    if (strncmp(p, ":act=", 5) != 0)
        return bad(ctx, s, p, "act", "expected ':act=' after the widths");
    p += 5;
    int k = 0;
    size_t len = 0;
    for (; k < N_ACTS; k++) {
        len = strlen(ACTS[k]);
        if (strncmp(p, ACTS[k], len) == 0)
            break;
    }
    if (k == N_ACTS)
        return bad(ctx, s, p, "act", "activation must be relu");
    a.g[G_ACT] = (uint8_t)k;
    p += len;
    if (*p)
        return bad(ctx, s, p, "end", "unexpected text after the activation");
    *out = a;
    return NC_OK;
}

static int mlp_format(const nc_space *sp, const nc_arch *a, char *buf, size_t n)
{
    if (!valid(a)) {
        if (n)
            buf[0] = 0;
        return -1;
    }
    char tmp[NC_ARCH_STR_MAX];
    int len = snprintf(tmp, sizeof tmp, "mlp:d=%d:w=", depth_of(a));
    for (int l = 0; l < depth_of(a); l++)
        len += snprintf(tmp + len, sizeof tmp - (size_t)len, "%s%d",
                        l ? "," : "", WIDTHS[a->g[G_WIDTH + l]]);
    len += snprintf(tmp + len, sizeof tmp - (size_t)len, ":act=%s",
                    ACTS[a->g[G_ACT]]);
    return snprintf(buf, n, "%s", tmp);
}

static void mlp_sample(const nc_space *sp, nc_rng *r, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    a->g[G_DEPTH] = (uint8_t)nc_rng_below(r, NC_MLP_MAX_DEPTH);
    for (int l = 0; l < depth_of(a); l++)
        a->g[G_WIDTH + l] = (uint8_t)nc_rng_below(r, NC_MLP_N_WIDTHS);
    a->g[G_ACT] = (uint8_t)nc_rng_below(r, N_ACTS);
}

/* One active gene with more than one choice, uniformly, moved to another
 * value uniformly. A deeper net's new layers start at gene 0 (32 wide) and a
 * shallower one's dropped layers are zeroed, as canonical form requires, so
 * the child differs from the parent in exactly one active gene. */
static void mlp_mutate(const nc_space *sp, nc_rng *r, const nc_arch *in,
                       nc_arch *out)
{
    nc_arch c = *in;
    int cand[N_GENES], n = 0;
    for (int i = 0; i < N_GENES; i++) {
        int active = i < G_WIDTH || i >= G_WIDTH + NC_MLP_MAX_DEPTH ||
                     i - G_WIDTH < depth_of(in);
        if (active && mlp_choices(sp, i) > 1)
            cand[n++] = i;
    }
    int g = cand[nc_rng_below(r, (uint32_t)n)];
    uint32_t k = nc_rng_below(r, (uint32_t)mlp_choices(sp, g) - 1);
    c.g[g] = (uint8_t)(k >= in->g[g] ? k + 1 : k);
    make_canonical(&c);
    *out = c;
}

/* Depth from one parent; each kept layer's width from a parent that has that
 * layer (uniformly if both do), so the child never invents a width. */
static void mlp_crossover(const nc_space *sp, nc_rng *r, const nc_arch *a,
                          const nc_arch *b, nc_arch *out)
{
    nc_arch c;
    memset(&c, 0, sizeof c);
    c.g[G_DEPTH] = (nc_rng_below(r, 2) ? b : a)->g[G_DEPTH];
    c.g[G_ACT] = (nc_rng_below(r, 2) ? b : a)->g[G_ACT];
    for (int l = 0; l < depth_of(&c); l++) {
        int in_a = l < depth_of(a), in_b = l < depth_of(b);
        const nc_arch *src = in_a && in_b ? (nc_rng_below(r, 2) ? b : a)
                                          : (in_a ? a : b);
        c.g[G_WIDTH + l] = src->g[G_WIDTH + l];
    }
    *out = c;
}

static int64_t ipow(int64_t b, int e)
{
    int64_t v = 1;
    while (e-- > 0)
        v *= b;
    return v;
}

static int64_t mlp_size(const nc_space *sp)
{
    int64_t n = 0;
    for (int d = 1; d <= NC_MLP_MAX_DEPTH; d++)
        n += ipow(NC_MLP_N_WIDTHS, d) * N_ACTS;
    return n;
}

/* Depth-major, then activation, then widths with layer 1 most significant;
 * an out-of-range k gives architecture 0 (the contract has no status). */
static void mlp_nth(const nc_space *sp, int64_t k, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    if (k < 0 || k >= mlp_size(sp))
        k = 0;
    int d = 1;
    while (k >= ipow(NC_MLP_N_WIDTHS, d) * N_ACTS) {
        k -= ipow(NC_MLP_N_WIDTHS, d) * N_ACTS;
        d++;
    }
    a->g[G_DEPTH] = (uint8_t)(d - 1);
    int64_t per_act = ipow(NC_MLP_N_WIDTHS, d);
    a->g[G_ACT] = (uint8_t)(k / per_act);
    k %= per_act;
    for (int l = d - 1; l >= 0; l--) {
        a->g[G_WIDTH + l] = (uint8_t)(k % NC_MLP_N_WIDTHS);
        k /= NC_MLP_N_WIDTHS;
    }
}

/* (depth-1)/3, then log2(width)/9 per layer (32 -> 0.56, 512 -> 1) and 0 for
 * an absent layer: log scale because widths double, and absent must not look
 * like the narrowest width. The activation adds no feature while it has one
 * choice. */
static void mlp_encode(const nc_space *sp, const nc_arch *a, float *f)
{
    f[0] = (float)a->g[G_DEPTH] / (NC_MLP_MAX_DEPTH - 1);
    for (int l = 0; l < NC_MLP_MAX_DEPTH; l++)
        f[1 + l] = l < depth_of(a) && a->g[G_WIDTH + l] < NC_MLP_N_WIDTHS
                       ? log2f((float)WIDTHS[a->g[G_WIDTH + l]]) / 9.0f
                       : 0.0f;
}

static int mlp_build(const nc_space *sp, nc_ctx *ctx, nc_net *net, int x,
                     const nc_arch *a, int n_classes)
{
    if (x < 0)
        return -1;
    if (!valid(a)) {
        nc_fail(ctx, NC_ERR_INVAL, "mlp: invalid architecture genes");
        return -1;
    }
    int h = nc_net_flatten(ctx, net, x);
    for (int l = 0; l < depth_of(a); l++)
        h = nc_net_relu(ctx, net, nc_net_linear(ctx, net, h,
                                                WIDTHS[a->g[G_WIDTH + l]], 1));
    return nc_net_linear(ctx, net, h, n_classes, 1);
}

static const nc_space MLP = {
    .name = "mlp",
    .n_genes = N_GENES,
    .choices = mlp_choices,
    .parse = mlp_parse,
    .format = mlp_format,
    .sample = mlp_sample,
    .mutate = mlp_mutate,
    .crossover = mlp_crossover,
    .size = mlp_size,
    .nth = mlp_nth,
    .n_features = 1 + NC_MLP_MAX_DEPTH,
    .encode = mlp_encode,
    .build = mlp_build,
};

const nc_space *nc_space_mlp(void)
{
    return &MLP;
}
