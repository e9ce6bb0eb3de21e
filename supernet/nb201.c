#include "supernet/nb201.h"

#include <limits.h>
#include <string.h>

static const char *const op_names[NC_NB201_N_OPS] = {
    "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3",
};
#define OP_LIST "none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3"

static const int edge_from[NC_NB201_N_EDGES] = { 0, 0, 1, 0, 1, 2 };
static const int edge_to[NC_NB201_N_EDGES] = { 1, 2, 2, 3, 3, 3 };

/* Longest accepted input, so a huge buffer is never scanned to its end. */
enum { STR_LIMIT = NC_NB201_STR_MAX - 1, TOKEN_SHOW = 24 };

const char *nc_nb201_op_name(int op)
{
    return op >= 0 && op < NC_NB201_N_OPS ? op_names[op] : NULL;
}

void nc_nb201_edge_nodes(int e, int *from, int *to)
{
    int ok = e >= 0 && e < NC_NB201_N_EDGES;
    *from = ok ? edge_from[e] : -1;
    *to = ok ? edge_to[e] : -1;
}

int nc_nb201_valid(const nc_nb201_arch *a)
{
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        if (a->op[e] >= NC_NB201_N_OPS)
            return 0;
    return 1;
}

int nc_nb201_count_op(const nc_nb201_arch *a, int op)
{
    int n = 0;
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        n += a->op[e] == op;
    return n;
}

/* ---- parsing and formatting ---------------------------------------------- */

/* Length of the run of s that is not one of the separators "|+~". */
static size_t token_len(const char *s)
{
    return strcspn(s, "|+~");
}

/* The first n characters of s (at most TOKEN_SHOW, then "..."), for quoting
 * in a message; bytes that are not printable ASCII become '?', so a message
 * never carries a newline or a control sequence to the terminal. */
static const char *show(char out[TOKEN_SHOW + 4], const char *s, size_t n)
{
    size_t k = n < TOKEN_SHOW ? n : TOKEN_SHOW;
    for (size_t i = 0; i < k; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    strcpy(out + k, n > k ? "..." : "");
    return out;
}

static nc_status bad(nc_ctx *ctx, size_t off, const char *what, const char *s)
{
    char t[TOKEN_SHOW + 4];
    if (!*s)
        return nc_fail(ctx, NC_ERR_INVAL, "arch string: %s at offset %zu, "
                       "found the end of the string", what, off);
    return nc_fail(ctx, NC_ERR_INVAL, "arch string: %s at offset %zu, found "
                   "'%s'", what, off, show(t, s, strnlen(s, TOKEN_SHOW + 1)));
}

nc_status nc_nb201_parse(nc_ctx *ctx, const char *s, nc_nb201_arch *out)
{
    if (!s)
        return nc_fail(ctx, NC_ERR_INVAL, "arch string is NULL");
    size_t len = strnlen(s, STR_LIMIT + 1);
    if (len == 0)
        return nc_fail(ctx, NC_ERR_INVAL, "arch string is empty (expected the "
                       "form |op~0|+|op~0|op~1|+|op~0|op~1|op~2|)");
    char t[TOKEN_SHOW + 4];
    if (len > STR_LIMIT)
        return nc_fail(ctx, NC_ERR_INVAL, "arch string is too long (more than "
                       "%d characters; the longest valid one has %d): '%s'",
                       STR_LIMIT, STR_LIMIT, show(t, s, len));
    nc_nb201_arch a;
    size_t p = 0;
    int e = 0;
    for (int to = 1; to <= 3; to++) {
        if (to > 1) {
            if (s[p] != '+')
                return bad(ctx, p, "missing '+' between nodes", s + p);
            p++;
        }
        if (s[p] != '|')
            return bad(ctx, p, "missing '|' before an edge", s + p);
        p++;
        for (int from = 0; from < to; from++, e++) {
            /* s[p-1] is the '|' that opened this edge. */
            size_t n = token_len(s + p);
            if (n == 0 && (s[p] == '+' || s[p] == '\0'))
                return nc_fail(ctx, NC_ERR_INVAL, "arch string: node %d has %d "
                               "incoming edge%s at offset %zu; it needs %d "
                               "(one from each earlier node)",
                               to, from, from == 1 ? "" : "s", p, to);
            if (n == 0)
                return bad(ctx, p, "missing op name", s + p);
            int op = -1;
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                if (strlen(op_names[k]) == n && !strncmp(s + p, op_names[k], n))
                    op = k;
            if (op < 0)
                return nc_fail(ctx, NC_ERR_INVAL, "arch string: unknown op "
                               "'%s' at offset %zu (expected " OP_LIST ")",
                               show(t, s + p, n), p);
            p += n;
            if (s[p] != '~')
                return bad(ctx, p, "missing '~' after the op", s + p);
            p++;
            size_t d = strspn(s + p, "0123456789");
            if (d == 0)
                return bad(ctx, p, "missing input node index after '~'", s + p);
            if (d > 1)
                return nc_fail(ctx, NC_ERR_INVAL, "arch string: edge into node "
                               "%d: input index '%s' at offset %zu is not one "
                               "digit", to, show(t, s + p, d), p);
            int in = s[p] - '0';
            if (in >= to)
                return nc_fail(ctx, NC_ERR_INVAL, "arch string: edge into node "
                               "%d from node %d at offset %zu: input index must "
                               "be < %d", to, in, p, to);
            if (in != from)
                return nc_fail(ctx, NC_ERR_INVAL, "arch string: edge into node "
                               "%d from node %d at offset %zu: expected the edge "
                               "from node %d here (edges are listed by input "
                               "node, ~0 first)", to, in, p, from);
            p++;
            if (s[p] != '|')
                return bad(ctx, p, "missing '|' after an edge", s + p);
            p++;
            a.op[e] = (uint8_t)op;
        }
        /* All `to` edges read: a further op name means one edge too many. */
        size_t n = token_len(s + p);
        if (n > 0 && s[p + n] == '~')
            return nc_fail(ctx, NC_ERR_INVAL, "arch string: node %d has more "
                           "than %d incoming edge%s: extra edge '%s' at offset "
                           "%zu", to, to, to == 1 ? "" : "s", show(t, s + p, n), p);
    }
    if (s[p] != '\0')
        return bad(ctx, p, "trailing characters after the last node", s + p);
    *out = a;
    return NC_OK;
}

int nc_nb201_format(const nc_nb201_arch *a, char *buf, size_t n)
{
    if (n > 0)
        buf[0] = '\0';
    if (!nc_nb201_valid(a))
        return -1;
    char tmp[NC_NB201_STR_MAX];
    size_t p = 0;
    for (int e = 0; e < NC_NB201_N_EDGES; e++) {
        if (e > 0 && edge_from[e] == 0)
            tmp[p++] = '+';
        if (edge_from[e] == 0)
            tmp[p++] = '|';
        size_t k = strlen(op_names[a->op[e]]);
        memcpy(tmp + p, op_names[a->op[e]], k);
        p += k;
        tmp[p++] = '~';
        tmp[p++] = (char)('0' + edge_from[e]);
        tmp[p++] = '|';
    }
    tmp[p] = '\0';
    if (n > 0) {
        size_t c = p < n - 1 ? p : n - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return (int)p;
}

/* ---- the official index ---------------------------------------------------
 *
 * NAS-Bench-201 numbers its architectures by enumerating them (edge 0 most
 * significant, ops in the order of op_names: our dense code) and then calling
 * Python's random.seed(88); random.shuffle(archs). The index is the position
 * after the shuffle. No closed form exists, so we replay the shuffle: CPython's
 * MT19937 seeded by init_by_array({88}), shuffle as Fisher-Yates from the
 * top, j = _randbelow(i + 1), which draws getrandbits(bit_length(i + 1)) =
 * the top bits of one 32-bit output and rejects values > i. Replaying it is
 * 15,624 steps (0.05-0.1 ms) and keeps 15,625 opaque numbers out of the
 * source; tests/test_nb201.c checks it against the benchmark's CSV.
 */

enum { MT_N = 624, MT_M = 397 };

typedef struct mt19937 {
    uint32_t s[MT_N];
    int i;
} mt19937;

static void mt_seed_88(mt19937 *m)
{
    uint32_t *s = m->s;
    s[0] = 19650218u;
    for (int i = 1; i < MT_N; i++)
        s[i] = 1812433253u * (s[i - 1] ^ (s[i - 1] >> 30)) + (uint32_t)i;
    /* init_by_array with the one-word key {88}. */
    const uint32_t key = 88;
    int i = 1;
    for (int k = MT_N; k; k--) {
        s[i] = (s[i] ^ ((s[i - 1] ^ (s[i - 1] >> 30)) * 1664525u)) + key;
        if (++i >= MT_N) {
            s[0] = s[MT_N - 1];
            i = 1;
        }
    }
    for (int k = MT_N - 1; k; k--) {
        s[i] = (s[i] ^ ((s[i - 1] ^ (s[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        if (++i >= MT_N) {
            s[0] = s[MT_N - 1];
            i = 1;
        }
    }
    s[0] = 0x80000000u;
    m->i = MT_N;
}

static uint32_t mt_next(mt19937 *m)
{
    uint32_t *s = m->s;
    if (m->i >= MT_N) {
        /* The regeneration, split so no index needs a modulo. */
        int k = 0;
        uint32_t y;
#define MT_STEP(next, far)                                                  \
        y = (s[k] & 0x80000000u) | (s[next] & 0x7fffffffu);                 \
        s[k] = s[far] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu)
        for (; k < MT_N - MT_M; k++) {
            MT_STEP(k + 1, k + MT_M);
        }
        for (; k < MT_N - 1; k++) {
            MT_STEP(k + 1, k + MT_M - MT_N);
        }
        MT_STEP(0, MT_M - 1);
#undef MT_STEP
        m->i = 0;
    }
    uint32_t y = s[m->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* CPython's Random._randbelow(n) for 2 <= n < 2^32. */
static uint32_t mt_below(mt19937 *m, uint32_t n)
{
    int k = 32 - __builtin_clz(n);
    uint32_t r;
    do
        r = mt_next(m) >> (32 - k);
    while (r >= n);
    return r;
}

int nc_nb201_code(const nc_nb201_arch *a)
{
    if (!nc_nb201_valid(a))
        return -1;
    int c = 0;
    for (int e = 0; e < NC_NB201_N_EDGES; e++)
        c = c * NC_NB201_N_OPS + a->op[e];
    return c;
}

nc_status nc_nb201_from_code(int code, nc_nb201_arch *out)
{
    if (code < 0 || code >= NC_NB201_N_ARCHS)
        return NC_ERR_RANGE;
    for (int e = NC_NB201_N_EDGES - 1; e >= 0; e--) {
        out->op[e] = (uint8_t)(code % NC_NB201_N_OPS);
        code /= NC_NB201_N_OPS;
    }
    return NC_OK;
}

/* Runs the shuffle down to step `last` (>= 1); positions >= last are final
 * then, since step i only touches positions <= i. */
static void shuffle(uint16_t order[NC_NB201_N_ARCHS], uint32_t last)
{
    for (int i = 0; i < NC_NB201_N_ARCHS; i++)
        order[i] = (uint16_t)i;
    mt19937 m;
    mt_seed_88(&m);
    for (uint32_t i = NC_NB201_N_ARCHS - 1; i >= last; i--) {
        uint32_t j = mt_below(&m, i + 1);
        uint16_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

void nc_nb201_index_order(uint16_t order[NC_NB201_N_ARCHS])
{
    shuffle(order, 1);
}

int nc_nb201_index(const nc_nb201_arch *a)
{
    int code = nc_nb201_code(a);
    if (code < 0)
        return -1;
    /* Follow one element through the swaps; no array needed. Step i only
     * touches positions <= i, so once the element sits above i it stays. */
    uint32_t pos = (uint32_t)code;
    mt19937 m;
    mt_seed_88(&m);
    for (uint32_t i = NC_NB201_N_ARCHS - 1; i >= 1 && pos <= i; i--) {
        uint32_t j = mt_below(&m, i + 1);
        if (pos == i)
            pos = j;
        else if (pos == j)
            pos = i;
    }
    return (int)pos;
}

nc_status nc_nb201_from_index(int index, nc_nb201_arch *out)
{
    if (index < 0 || index >= NC_NB201_N_ARCHS)
        return NC_ERR_RANGE;
    uint16_t order[NC_NB201_N_ARCHS];
    shuffle(order, index > 1 ? (uint32_t)index : 1);
    return nc_nb201_from_code(order[index], out);
}

/* ---- the network ----------------------------------------------------------
 *
 * Follows NB201's TinyNetwork (xautodl/models/cell_infers/tiny_network.py)
 * with InferCell cells and ResNetBasicblock reductions.
 *
 * Nodes get slot tags (nc_net_set_tag), so that per-layer measurements
 * mean the same thing across architectures: 0 the stem (conv, BN); 1 + 6s
 * + e the nodes of edge e (nb201.h order) in the cells of stage s (0..2),
 * summed over the stage's N cells; 19 and 20 the two reduction blocks; 21
 * the head (BN, ReLU, pool, classifier). Nodes that belong to a cell node
 * rather than an edge (sums, zeros) keep -1, as do the nodes of cells made
 * by another cell builder (the supernet's). The numbers are nb201.h's
 * NC_NB201_SLOT_*; tests/test_parzc.c checks what carries which.
 */

/* Tags the nodes from `first` to the last one added (what a builder call
 * just made). */
static void tag_range(nc_net *net, int first, int tag)
{
    for (int i = first; i < nc_net_n_nodes(net); i++)
        nc_net_set_tag(net, i, tag);
}

/* conv kxk (no bias, "same" padding) -> BN(affine), on an input that has
 * already been through ReLU. */
static int conv_bn(nc_ctx *ctx, nc_net *net, int r, int cout, int k, int stride)
{
    int h = nc_net_conv(ctx, net, r, cout, k, stride, k / 2, 1, 0);
    return nc_net_bn(ctx, net, h, 1);
}

/* ReLU -> conv kxk (no bias, "same" padding) -> BN(affine). */
static int relu_conv_bn(nc_ctx *ctx, nc_net *net, int x, int cout, int k,
                        int stride)
{
    return conv_bn(ctx, net, nc_net_relu(ctx, net, x), cout, k, stride);
}

/* slot0: the tag of edge 0 of this cell's stage (edge e gets slot0 + e). */
static int cell(nc_ctx *ctx, nc_net *net, int x, const nc_nb201_arch *a, int C,
                int slot0)
{
    int node[4] = { x, -1, -1, -1 };
    /* Every conv edge leaving a node starts with ReLU of that node: compute
     * it once per node and share it (same values, one buffer instead of up
     * to three, and fewer passes over memory). */
    int relu[4] = { -1, -1, -1, -1 };
    for (int e = 0, to = 1; to <= 3; to++) {
        int terms[3], nt = 0;
        for (int from = 0; from < to; from++, e++) {
            int in = node[from];
            /* A ReLU shared by several edges is tagged with the first; it
             * has no weights, so no per-slot sum sees the difference. */
            int first = nc_net_n_nodes(net);
            int conv = a->op[e] == NC_NB201_CONV1X1 || a->op[e] == NC_NB201_CONV3X3;
            if (conv && relu[from] < 0)
                relu[from] = nc_net_relu(ctx, net, in);
            switch (a->op[e]) {
            case NC_NB201_NONE:
                /* Adding zeros changes nothing; leave the term out. */
                break;
            case NC_NB201_SKIP:
                terms[nt++] = in;
                break;
            case NC_NB201_CONV1X1:
                terms[nt++] = conv_bn(ctx, net, relu[from], C, 1, 1);
                break;
            case NC_NB201_CONV3X3:
                terms[nt++] = conv_bn(ctx, net, relu[from], C, 3, 1);
                break;
            case NC_NB201_AVGPOOL:
                terms[nt++] = nc_net_avgpool(ctx, net, in, 3, 1, 1, 0);
                break;
            }
            tag_range(net, first, slot0 + e);
        }
        if (nt == 0)
            /* Every input is `none`: the node is zeros, shaped like the cell
             * input (cells keep the shape). */
            node[to] = nc_net_zero(ctx, net, x, 1);
        else if (nt == 1)
            node[to] = terms[0];
        else
            node[to] = nc_net_sum(ctx, net, nt, terms);
    }
    return node[3];
}

/* ResNetBasicblock(C, 2C, stride 2): two ReLU-conv-BN plus an avg-pool + 1x1
 * conv shortcut, summed, with no ReLU after the sum. */
static int reduction(nc_ctx *ctx, nc_net *net, int x, int cout)
{
    int b = relu_conv_bn(ctx, net, x, cout, 3, 2);
    b = relu_conv_bn(ctx, net, b, cout, 3, 1);
    int s = nc_net_avgpool(ctx, net, x, 2, 2, 0, 1);
    s = nc_net_conv(ctx, net, s, cout, 1, 1, 0, 1, 0);
    int t[2] = { s, b };
    return nc_net_sum(ctx, net, 2, t);
}

/* What nc_nb201_build hands its cell builder: the architecture, and the
 * first stage's width, from which a cell's width tells its stage. */
typedef struct plain_ud {
    const nc_nb201_arch *a;
    int C;
} plain_ud;

static int plain_cell(nc_ctx *ctx, nc_net *net, int x, int C, void *ud)
{
    const plain_ud *u = ud;
    int stage = C == u->C ? 0 : C == 2 * u->C ? 1 : 2;
    return cell(ctx, net, x, u->a, C, NC_NB201_SLOT_EDGE0 + NC_NB201_N_EDGES * stage);
}

int nc_nb201_build(nc_ctx *ctx, nc_net *net, int input_node,
                   const nc_nb201_arch *a, int C, int N, int n_classes)
{
    if (input_node < 0)
        return -1;
    if (!net || !a) {
        nc_fail(ctx, NC_ERR_INVAL, "nb201: no net or no architecture given");
        return -1;
    }
    if (!nc_nb201_valid(a)) {
        nc_fail(ctx, NC_ERR_INVAL, "nb201: architecture has an op code out of "
                "range (0..%d)", NC_NB201_N_OPS - 1);
        return -1;
    }
    plain_ud u = { a, C };
    return nc_nb201_build_skeleton(ctx, net, input_node, C, N, n_classes,
                                   plain_cell, &u);
}

int nc_nb201_build_skeleton(nc_ctx *ctx, nc_net *net, int input_node, int C,
                            int N, int n_classes, nc_nb201_cell_fn cell_fn,
                            void *ud)
{
    if (input_node < 0)
        return -1;
    if (!net || !cell_fn) {
        nc_fail(ctx, NC_ERR_INVAL, "nb201: no net or no cell builder given");
        return -1;
    }
    if (C < 1 || C > INT_MAX / 4 || N < 0 || n_classes < 1) {
        nc_fail(ctx, NC_ERR_INVAL, "nb201: C=%d, N=%d, %d classes; need C >= 1, "
                "N >= 0 and at least 1 class", C, N, n_classes);
        return -1;
    }
    if (input_node == 0) {
        /* On the net's input the shape is known: say plainly what would
         * otherwise surface as a shape clash deep inside a reduction block
         * (its stride-2 conv rounds up, its pooled shortcut down). */
        nc_shape in = nc_net_input_shape(net);
        if (in.h % 4 || in.w % 4) {
            nc_fail(ctx, NC_ERR_INVAL, "nb201: input %dx%d: height and width "
                    "must be multiples of 4 (two reduction blocks halve them)",
                    in.h, in.w);
            return -1;
        }
    }
    int first = nc_net_n_nodes(net);
    int h = nc_net_conv(ctx, net, input_node, C, 3, 1, 1, 1, 0);
    h = nc_net_bn(ctx, net, h, 1);
    tag_range(net, first, NC_NB201_SLOT_STEM);
    for (int stage = 0, c = C; stage < 3; stage++, c *= 2) {
        if (stage > 0) {
            first = nc_net_n_nodes(net);
            h = reduction(ctx, net, h, c);
            tag_range(net, first, stage == 1 ? NC_NB201_SLOT_RED1 : NC_NB201_SLOT_RED2);
        }
        for (int i = 0; i < N && h >= 0; i++)
            h = cell_fn(ctx, net, h, c, ud);
    }
    first = nc_net_n_nodes(net);
    h = nc_net_relu(ctx, net, nc_net_bn(ctx, net, h, 1));
    h = nc_net_gap(ctx, net, h);
    h = nc_net_linear(ctx, net, h, n_classes, 1);
    tag_range(net, first, NC_NB201_SLOT_HEAD);
    if (h < 0)
        nc_ctx_prefix(ctx, "nb201");
    return h;
}

size_t nc_nb201_param_count(const nc_nb201_arch *a, int C, int N, int in_c,
                            int n_classes)
{
    if (!a || !nc_nb201_valid(a) || C < 1 || C > INT_MAX / 4 || N < 0 ||
        in_c < 1 || n_classes < 1)
        return 0;
    size_t c = (size_t)C, n = (size_t)N, k = (size_t)n_classes;
    size_t n3 = (size_t)nc_nb201_count_op(a, NC_NB201_CONV3X3);
    size_t n1 = (size_t)nc_nb201_count_op(a, NC_NB201_CONV1X1);
    size_t stem = (size_t)in_c * 9 * c + 2 * c;
    /* Reduction w -> 2w: conv 3x3 (18w^2) + BN (4w) + conv 3x3 (36w^2) + BN
     * (4w) + shortcut conv 1x1 (2w^2). */
    size_t red = 56 * c * c + 8 * c + 56 * (2 * c) * (2 * c) + 8 * (2 * c);
    size_t head = 2 * (4 * c) + 4 * c * k + k;
    /* An edge at width w: conv k*k*w^2 + BN 2w; widths C, 2C, 4C, N cells
     * each, so sum w^2 = 21 C^2 and sum w = 7 C. */
    size_t edge3 = n * (9 * 21 * c * c + 2 * 7 * c);
    size_t edge1 = n * (21 * c * c + 2 * 7 * c);
    return stem + red + head + n3 * edge3 + n1 * edge1;
}
