/*
 * space_mbv.c — the mbv space (see spaces.h for genes, string and net).
 *
 * Every gene is always active (each stage has at least one block), so any
 * in-range genes are canonical and the space is a plain mixed-radix product.
 */
#include <stdio.h>
#include <string.h>

#include "supernet/spaces.h"

enum { F_DEPTH, F_WIDTH, F_KERNEL, F_EXPAND, N_FIELDS };
enum { S = NC_MBV_STAGES, N_GENES = N_FIELDS * S, MAX_CHOICES = 3, STEM = 16 };

static const int DEPTHS[MAX_CHOICES] = { 1, 2, 3 };
static const int KERNELS[MAX_CHOICES] = { 3, 5, 7 };
static const int EXPANDS[MAX_CHOICES] = { 3, 4, 6 };
/* Widths grow by stage as in MobileNetV2; 0 ends a shorter list. */
static const int WIDTHS[S][MAX_CHOICES] = {
    { 16, 24, 0 }, { 24, 32, 40 }, { 40, 48, 64 }, { 64, 80, 96 }
};
static const int STRIDES[S] = { 1, 2, 2, 2 };
static const char FIELD_NAMES[N_FIELDS] = { 'd', 'w', 'k', 'e' };

static int gene(int field, int stage)
{
    return field * S + stage;
}

static int n_choices(int field, int stage)
{
    if (field != F_WIDTH)
        return MAX_CHOICES;
    int n = 0;
    while (n < MAX_CHOICES && WIDTHS[stage][n])
        n++;
    return n;
}

/* The value (depth, channels, kernel or ratio) that choice c stands for. */
static int value(int field, int stage, int c)
{
    switch (field) {
    case F_DEPTH: return DEPTHS[c];
    case F_WIDTH: return WIDTHS[stage][c];
    case F_KERNEL: return KERNELS[c];
    default: return EXPANDS[c];
    }
}

static int mbv_choices(const nc_space *sp, int i)
{
    return i >= 0 && i < N_GENES ? n_choices(i / S, i % S) : 0;
}

static int valid(const nc_arch *a)
{
    for (int i = 0; i < N_GENES; i++)
        if (a->g[i] >= n_choices(i / S, i % S))
            return 0;
    return 1;
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
                     const char *field,
                     const char *what, int stage)
{
    char where[32] = "";
    if (stage >= 0)
        snprintf(where, sizeof where, "stage %d: ", stage + 1);
    return nc_fail(ctx, NC_ERR_INVAL, "mbv architecture '%s': field %s at "
                   "offset %d ('%.12s'): %s%s", s, field, (int)(p - s), p,
                   where, what);
}

static nc_status mbv_parse(const nc_space *sp, nc_ctx *ctx, const char *s,
                           nc_arch *out)
{
    if (!s)
        return nc_fail(ctx, NC_ERR_INVAL, "mbv architecture: none given");
    nc_arch a;
    memset(&a, 0, sizeof a);
    const char *p = s;
    if (strncmp(p, "mbv", 3) != 0)
        return bad(ctx, s, p, "space", "expected 'mbv'", -1);
    p += 3;
    for (int f = 0; f < N_FIELDS; f++) {
        char head[4] = { ':', FIELD_NAMES[f], '=', 0 };
        const char name[2] = { FIELD_NAMES[f], 0 };
        if (strncmp(p, head, 3) != 0) {
            char what[32];
            snprintf(what, sizeof what, "expected '%s'", head);
            return bad(ctx, s, p, name, what, -1);
        }
        p += 3;
        for (int st = 0; st < S; st++) {
            if (st > 0) {
                if (*p != ',')
                    return bad(ctx, s, p, name, "expected 4 values "
                               "(one per stage), found fewer", -1);
                p++;
            }
            const char *q = p;
            long v = read_uint(&p);
            int c = 0, nc = n_choices(f, st);
            while (c < nc && value(f, st, c) != v)
                c++;
            if (c == nc) {
                char what[64];
                int n = snprintf(what, sizeof what, "value must be one of ");
                for (int k = 0; k < nc; k++)
                    n += snprintf(what + n, sizeof what - (size_t)n, "%s%d",
                                  k ? "," : "", value(f, st, k));
                return bad(ctx, s, q, name, what, st);
            }
            a.g[gene(f, st)] = (uint8_t)c;
        }
        if (*p == ',')
            return bad(ctx, s, p, name, "more than 4 values", -1);
    }
    if (*p)
        return bad(ctx, s, p, "end", "unexpected text after the last field",
                   -1);
    *out = a;
    return NC_OK;
}

static int mbv_format(const nc_space *sp, const nc_arch *a, char *buf, size_t n)
{
    if (!valid(a)) {
        if (n)
            buf[0] = 0;
        return -1;
    }
    char tmp[NC_ARCH_STR_MAX];
    int len = snprintf(tmp, sizeof tmp, "mbv");
    for (int f = 0; f < N_FIELDS; f++)
        for (int st = 0; st < S; st++)
            len += snprintf(tmp + len, sizeof tmp - (size_t)len, "%s%d",
                            st ? "," : (char[]){ ':', FIELD_NAMES[f], '=', 0 },
                            value(f, st, a->g[gene(f, st)]));
    return snprintf(buf, n, "%s", tmp);
}

static void mbv_sample(const nc_space *sp, nc_rng *r, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < N_GENES; i++)
        a->g[i] = (uint8_t)nc_rng_below(r, (uint32_t)n_choices(i / S, i % S));
}

/* One gene uniformly (each has 2 or 3 choices), moved to another value
 * uniformly: the child is always at Hamming distance exactly 1. */
static void mbv_mutate(const nc_space *sp, nc_rng *r, const nc_arch *in,
                       nc_arch *out)
{
    nc_arch c = *in;
    int g = (int)nc_rng_below(r, N_GENES);
    uint32_t k = nc_rng_below(r, (uint32_t)n_choices(g / S, g % S) - 1);
    c.g[g] = (uint8_t)(k >= in->g[g] ? k + 1 : k);
    *out = c;
}

static void mbv_crossover(const nc_space *sp, nc_rng *r, const nc_arch *a,
                          const nc_arch *b, nc_arch *out)
{
    nc_arch c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < N_GENES; i++)
        c.g[i] = (nc_rng_below(r, 2) ? b : a)->g[i];
    *out = c;
}

static int64_t mbv_size(const nc_space *sp)
{
    int64_t n = 1;
    for (int i = 0; i < N_GENES; i++)
        n *= n_choices(i / S, i % S);
    return n;
}

/* Mixed radix, gene 0 most significant; an out-of-range k gives
 * architecture 0 (the contract has no status). */
static void mbv_nth(const nc_space *sp, int64_t k, nc_arch *a)
{
    memset(a, 0, sizeof *a);
    if (k < 0 || k >= mbv_size(sp))
        k = 0;
    for (int i = N_GENES - 1; i >= 0; i--) {
        int nc = n_choices(i / S, i % S);
        a->g[i] = (uint8_t)(k % nc);
        k /= nc;
    }
}

/* Per gene, the chosen value scaled to [0,1] over its stage's range (depth,
 * width, kernel and ratio are all ordinal, so an ordinal code keeps their
 * order; scaling per stage keeps every feature on the same footing). */
static void mbv_encode(const nc_space *sp, const nc_arch *a, float *f)
{
    for (int i = 0; i < N_GENES; i++) {
        int fl = i / S, st = i % S, nc = n_choices(fl, st);
        int c = a->g[i] < nc ? a->g[i] : 0;
        int lo = value(fl, st, 0), hi = value(fl, st, nc - 1);
        f[i] = (float)(value(fl, st, c) - lo) / (float)(hi - lo);
    }
}

static int conv_bn(nc_ctx *ctx, nc_net *net, int h, int cout, int k,
                   int stride, int groups, int relu)
{
    h = nc_net_bn(ctx, net, nc_net_conv(ctx, net, h, cout, k, stride, k / 2,
                                        groups, 0), 1);
    return relu ? nc_net_relu(ctx, net, h) : h;
}

static int mbv_build(const nc_space *sp, nc_ctx *ctx, nc_net *net, int x,
                     const nc_arch *a, int n_classes)
{
    if (x < 0)
        return -1;
    if (!valid(a)) {
        nc_fail(ctx, NC_ERR_INVAL, "mbv: invalid architecture genes");
        return -1;
    }
    int h = conv_bn(ctx, net, x, STEM, 3, 1, 1, 1);
    int cin = STEM;
    for (int st = 0; st < S; st++) {
        int depth = value(F_DEPTH, st, a->g[gene(F_DEPTH, st)]);
        int cout = value(F_WIDTH, st, a->g[gene(F_WIDTH, st)]);
        int k = value(F_KERNEL, st, a->g[gene(F_KERNEL, st)]);
        int e = value(F_EXPAND, st, a->g[gene(F_EXPAND, st)]);
        for (int b = 0; b < depth; b++) {
            int stride = b == 0 ? STRIDES[st] : 1, mid = cin * e;
            int y = conv_bn(ctx, net, h, mid, 1, 1, 1, 1);
            y = conv_bn(ctx, net, y, mid, k, stride, mid, 1);
            /* No ReLU after the projection: MobileNetV2's linear
             * bottleneck, which keeps the narrow features from losing
             * information to the non-linearity. */
            y = conv_bn(ctx, net, y, cout, 1, 1, 1, 0);
            if (stride == 1 && cin == cout && y >= 0) {
                int in[2] = { h, y };
                y = nc_net_sum(ctx, net, 2, in);
            }
            h = y;
            cin = cout;
        }
    }
    h = conv_bn(ctx, net, h, NC_MBV_HEAD, 1, 1, 1, 1);
    return nc_net_linear(ctx, net, nc_net_gap(ctx, net, h), n_classes, 1);
}

static const nc_space MBV = {
    .name = "mbv",
    .n_genes = N_GENES,
    .choices = mbv_choices,
    .parse = mbv_parse,
    .format = mbv_format,
    .sample = mbv_sample,
    .mutate = mbv_mutate,
    .crossover = mbv_crossover,
    .size = mbv_size,
    .nth = mbv_nth,
    .n_features = N_GENES,
    .encode = mbv_encode,
    .build = mbv_build,
};

const nc_space *nc_space_mbv(void)
{
    return &MBV;
}

nc_status nc_space_cost(const nc_space *sp, nc_ctx *ctx, const nc_arch *a,
                        nc_shape in, int n_classes, size_t *n_params,
                        double *macs)
{
    if (!sp || !sp->build)
        return nc_fail(ctx, NC_ERR_INVAL, "space %s has no net builder",
                       sp ? sp->name : "(none)");
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    int y = sp->build(sp, ctx, net, nc_net_input(ctx, net, in), a, n_classes);
    nc_status st = y < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                         : nc_net_finalize(ctx, net, y, 1);
    if (st) {
        nc_ctx_prefix(ctx, "space %s", sp->name);
    } else {
        if (n_params)
            *n_params = nc_net_n_params(net);
        if (macs)
            *macs = nc_net_macs(net);
    }
    nc_net_free(net);
    return st;
}
