/*
 * mfile.c — writing and reading .nasc model files (export/mfile.h; the
 * layout is docs/MODEL_FORMAT.md).
 *
 * Every number is little-endian whatever the host, so a file moves between
 * machines; floats travel as their IEEE-754 bits. The reader decodes into
 * plain structs first and checks them whole (counts against the bytes that
 * hold them, node inputs against earlier nodes, attributes against small
 * bounds, parameter and activation totals against the file and against
 * NC_MFILE_MAX_ACT) before it builds a net; the builder then checks shapes
 * as it does for any net, and each node's stored shape and sizes must be
 * the ones the builder derives.
 */
#include "export/mfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sha256.h"

static const unsigned char MAGIC[8] = { 'N', 'A', 'S', 'C',
                                        'M', 'O', 'D', 'L' };

/* Section tags, and the flag that lets an older reader skip a section. */
#define TAG_GRAPH "GRPH"
#define TAG_PARAMS "PARM"
#define TAG_STATE "STAT"
#define TAG_LINEAGE "LINE"
#define TAG_NORM "NORM"
enum { SECTION_HEADER = 16, SECTION_OPTIONAL = 1, NODE_BYTES = 112,
       MAX_LINEAGE = 1 << 20 };

/* ---- little-endian bytes ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(p, u);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- one node of the graph section, decoded ---- */

typedef struct node_rec {
    uint32_t kind, n_in;
    int32_t in[NC_MAX_IN];
    nc_attr a;
    nc_shape out;
    int32_t tag;
    uint64_t n_w, n_s;
} node_rec;

static void node_put(unsigned char *p, const nc_net_node_info *nd)
{
    put_u32(p, (uint32_t)nd->kind);
    put_u32(p + 4, (uint32_t)nd->n_in);
    for (int j = 0; j < NC_MAX_IN; j++)
        put_u32(p + 8 + 4 * j, (uint32_t)(j < nd->n_in ? nd->in[j] : -1));
    const int ints[8] = { nd->attr.cout, nd->attr.k, nd->attr.stride,
                          nd->attr.pad, nd->attr.groups, nd->attr.bias,
                          nd->attr.affine, nd->attr.count_pad };
    for (int j = 0; j < 8; j++)
        put_u32(p + 40 + 4 * j, (uint32_t)ints[j]);
    put_f32(p + 72, nd->attr.momentum);
    put_f32(p + 76, nd->attr.eps);
    put_u32(p + 80, (uint32_t)nd->out.c);
    put_u32(p + 84, (uint32_t)nd->out.h);
    put_u32(p + 88, (uint32_t)nd->out.w);
    put_u32(p + 92, (uint32_t)nd->tag);
    put_u64(p + 96, nd->n_w);
    put_u64(p + 104, nd->n_s);
}

static void node_get(const unsigned char *p, node_rec *r)
{
    r->kind = get_u32(p);
    r->n_in = get_u32(p + 4);
    for (int j = 0; j < NC_MAX_IN; j++)
        r->in[j] = (int32_t)get_u32(p + 8 + 4 * j);
    int32_t v[8];
    for (int j = 0; j < 8; j++)
        v[j] = (int32_t)get_u32(p + 40 + 4 * j);
    r->a = (nc_attr){ .cout = v[0], .k = v[1], .stride = v[2], .pad = v[3],
                      .groups = v[4], .bias = v[5], .affine = v[6],
                      .count_pad = v[7], .momentum = get_f32(p + 72),
                      .eps = get_f32(p + 76) };
    r->out = (nc_shape){ (int32_t)get_u32(p + 80), (int32_t)get_u32(p + 84),
                         (int32_t)get_u32(p + 88) };
    r->tag = (int32_t)get_u32(p + 92);
    r->n_w = get_u64(p + 96);
    r->n_s = get_u64(p + 104);
}

/* ---- writing ---- */

/* The graph's nodes: every node but the loss node finalize appended. */
static int graph_nodes(nc_net *net)
{
    int n = nc_net_n_nodes(net);
    nc_net_node_info last;
    if (n > 0 && !nc_net_node(net, n - 1, &last) &&
        last.kind == NC_OP_SOFTMAX_XENT)
        n--;
    return n;
}

static unsigned char *section(unsigned char *p, const char *tag, uint64_t len)
{
    memcpy(p, tag, 4);
    put_u32(p + 4, 0);
    put_u64(p + 8, len);
    return p + SECTION_HEADER;
}

/* The identity normalization of an input of c channels. */
static nc_mfile_norm norm_identity(int c)
{
    nc_mfile_norm n = { .c = c };
    for (int i = 0; i < NC_MFILE_MAX_CHANNELS; i++)
        n.std[i] = 1.0f;
    return n;
}

static int norm_ok(const nc_mfile_norm *n, int c)
{
    if (n->c != c || c < 1 || c > NC_MFILE_MAX_CHANNELS)
        return 0;
    for (int i = 0; i < c; i++)
        if (!isfinite(n->mean[i]) || !isfinite(n->std[i]) || !(n->std[i] > 0))
            return 0;
    return 1;
}

nc_status nc_mfile_encode(nc_ctx *ctx, nc_net *net, const nc_mfile_norm *norm,
                          const char *lineage, unsigned char **buf,
                          size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (nc_net_output_node(net) < 0)
        return nc_fail(ctx, NC_ERR_STATE, "model file: the net is not "
                       "finalized");
    int ic = nc_net_input_shape(net).c;
    nc_mfile_norm id = norm_identity(ic);
    if (!norm)
        norm = &id;
    if (!norm_ok(norm, ic))
        return nc_fail(ctx, NC_ERR_INVAL, "model file: the input "
                       "normalization must give a finite mean and a std > 0 "
                       "for each of the net's %d input channels (at most %d)",
                       ic, NC_MFILE_MAX_CHANNELS);
    const char *lin = lineage && lineage[0] ? lineage : "{}";
    cJSON *j = cJSON_Parse(lin);
    int ok = cJSON_IsObject(j);
    cJSON_Delete(j);
    if (!ok)
        return nc_fail(ctx, NC_ERR_INVAL, "model file: the lineage is not a "
                       "JSON object");
    size_t lin_len = strlen(lin);
    if (lin_len > MAX_LINEAGE)
        return nc_fail(ctx, NC_ERR_INVAL, "model file: the lineage has %zu "
                       "bytes, more than %d", lin_len, MAX_LINEAGE);
    int nodes = graph_nodes(net);
    size_t np = nc_net_n_params(net), ns = nc_net_n_state(net);
    size_t graph = 8 + (size_t)nodes * NODE_BYTES;
    size_t normb = 4 + 8 * (size_t)ic;
    size_t total = NC_MFILE_HEADER + 5 * SECTION_HEADER + graph + 4 * np +
                   4 * ns + normb + lin_len;
    unsigned char *b = calloc(total, 1);
    if (!b)
        return nc_fail(ctx, NC_ERR_NOMEM, "model file: out of memory for "
                       "%zu bytes", total);
    memcpy(b, MAGIC, 8);
    put_u32(b + 8, NC_MFILE_VERSION);
    put_u32(b + 12, 5);
    put_u64(b + 16, total);
    unsigned char *p = section(b + NC_MFILE_HEADER, TAG_GRAPH, graph);
    put_u32(p, (uint32_t)nodes);
    put_u32(p + 4, (uint32_t)nc_net_output_node(net));
    p += 8;
    for (int i = 0; i < nodes; i++, p += NODE_BYTES) {
        nc_net_node_info nd;
        nc_net_node(net, i, &nd);
        node_put(p, &nd);
    }
    const float *w = nc_net_params(net), *s = nc_net_state(net);
    p = section(p, TAG_PARAMS, 4 * (uint64_t)np);
    for (size_t i = 0; i < np; i++, p += 4)
        put_f32(p, w[i]);
    p = section(p, TAG_STATE, 4 * (uint64_t)ns);
    for (size_t i = 0; i < ns; i++, p += 4)
        put_f32(p, s[i]);
    p = section(p, TAG_NORM, normb);
    put_u32(p, (uint32_t)ic);
    for (int i = 0; i < ic; i++) {
        put_f32(p + 4 + 4 * i, norm->mean[i]);
        put_f32(p + 4 + 4 * (ic + i), norm->std[i]);
    }
    p += normb;
    p = section(p, TAG_LINEAGE, lin_len);
    memcpy(p, lin, lin_len);
    nc_sha256 h;
    nc_sha256_init(&h);
    nc_sha256_update(&h, b + NC_MFILE_HEADER, total - NC_MFILE_HEADER);
    nc_sha256_final(&h, b + 24);
    *buf = b;
    *len = total;
    return NC_OK;
}

/* ---- reading ---- */

typedef struct sections {
    const unsigned char *graph, *params, *state, *lineage, *norm;
    uint64_t graph_len, params_len, state_len, lineage_len, norm_len;
    size_t graph_off;           /* the graph section's byte in the file */
} sections;

static nc_status read_header(nc_ctx *ctx, const unsigned char *b, size_t len,
                             uint32_t *n_sections)
{
    if (len < NC_MFILE_HEADER || memcmp(b, MAGIC, 8) != 0)
        return nc_fail(ctx, NC_ERR_FORMAT, len < 8 || memcmp(b, MAGIC, 8)
                       ? "not a nasc model file (no NASCMODL magic)"
                       : "model file cut short: %zu bytes, the header "
                         "alone has %d", len, NC_MFILE_HEADER);
    uint32_t v = get_u32(b + 8);
    if (v > NC_MFILE_VERSION)
        return nc_fail(ctx, NC_ERR_VERSION, "model file version %u: this "
                       "nasc reads up to version %d", v, NC_MFILE_VERSION);
    if (v == 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file version 0 does not "
                       "exist");
    uint64_t total = get_u64(b + 16);
    if (total != len)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file has %zu bytes, its "
                       "header says %llu (cut short or extended)", len,
                       (unsigned long long)total);
    uint8_t d[32];
    nc_sha256 h;
    nc_sha256_init(&h);
    nc_sha256_update(&h, b + NC_MFILE_HEADER, len - NC_MFILE_HEADER);
    nc_sha256_final(&h, d);
    if (memcmp(d, b + 24, 32) != 0)
        return nc_fail(ctx, NC_ERR_CHECKSUM, "model file is damaged: the "
                       "SHA-256 of its contents does not match its header");
    *n_sections = get_u32(b + 12);
    return NC_OK;
}

static nc_status read_sections(nc_ctx *ctx, const unsigned char *b,
                               size_t len, uint32_t n, sections *s)
{
    memset(s, 0, sizeof *s);
    size_t off = NC_MFILE_HEADER;
    for (uint32_t i = 0; i < n; i++) {
        if (len - off < SECTION_HEADER)
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: section %u of "
                           "%u starts at byte %zu, past the end", i + 1, n,
                           off);
        const unsigned char *h = b + off;
        uint32_t flags = get_u32(h + 4);
        uint64_t sl = get_u64(h + 8);
        off += SECTION_HEADER;
        if (sl > len - off)
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: section %u "
                           "('%.4s' at byte %zu) claims %llu bytes, %zu "
                           "are left", i + 1, (const char *)h,
                           off - SECTION_HEADER, (unsigned long long)sl,
                           len - off);
        const unsigned char **slot = NULL;
        uint64_t *slot_len = NULL;
        if (!memcmp(h, TAG_GRAPH, 4))
            slot = &s->graph, slot_len = &s->graph_len;
        else if (!memcmp(h, TAG_PARAMS, 4))
            slot = &s->params, slot_len = &s->params_len;
        else if (!memcmp(h, TAG_STATE, 4))
            slot = &s->state, slot_len = &s->state_len;
        else if (!memcmp(h, TAG_LINEAGE, 4))
            slot = &s->lineage, slot_len = &s->lineage_len;
        else if (!memcmp(h, TAG_NORM, 4))
            slot = &s->norm, slot_len = &s->norm_len;
        else if (!(flags & SECTION_OPTIONAL))
            return nc_fail(ctx, NC_ERR_VERSION, "model file: section %u has "
                           "an unknown required tag (byte %zu); a newer "
                           "nasc wrote it", i + 1, off - SECTION_HEADER);
        if (slot && *slot)
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: section '%.4s' "
                           "appears twice (byte %zu)", (const char *)h,
                           off - SECTION_HEADER);
        if (slot) {
            *slot = b + off;
            *slot_len = sl;
        }
        if (slot == &s->graph)
            s->graph_off = off;
        off += (size_t)sl;
    }
    if (off != len)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: %zu bytes after the "
                       "last section", len - off);
    const char *missing = !s->graph ? TAG_GRAPH : !s->params ? TAG_PARAMS
                          : !s->state ? TAG_STATE : !s->norm ? TAG_NORM
                          : !s->lineage ? TAG_LINEAGE : NULL;
    if (missing)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: no '%s' section",
                       missing);
    return NC_OK;
}

/* Attributes outside these bounds are refused before any size is computed,
 * so that no product of them overflows. */
static int attr_sane(const nc_attr *a)
{
    return a->cout >= 0 && a->cout <= (1 << 20) && a->k >= 0 && a->k <= 255 &&
           a->stride >= 0 && a->stride <= 255 && a->pad >= 0 && a->pad <= 255 &&
           a->groups >= 0 && a->groups <= (1 << 20) && (a->bias & ~1) == 0 &&
           (a->affine & ~1) == 0 && (a->count_pad & ~1) == 0 &&
           a->momentum >= 0 && a->momentum <= 1 && a->eps >= 0 && a->eps < 1;
}

/* The graph section decoded and checked as data: n nodes into *out
 * (malloc'd), before any net exists. */
static nc_status read_graph(nc_ctx *ctx, const sections *s, node_rec **out,
                            int *n, int *output)
{
    *out = NULL;
    if (s->graph_len < 8)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the graph section "
                       "has %llu bytes, fewer than 8",
                       (unsigned long long)s->graph_len);
    uint32_t nodes = get_u32(s->graph), o = get_u32(s->graph + 4);
    if (nodes < 2 || nodes > NC_MFILE_MAX_NODES)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: %u nodes, need "
                       "2..%d", nodes, NC_MFILE_MAX_NODES);
    if (s->graph_len != 8 + (uint64_t)nodes * NODE_BYTES)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the graph section "
                       "has %llu bytes, %u nodes need %llu",
                       (unsigned long long)s->graph_len, nodes,
                       (unsigned long long)(8 + (uint64_t)nodes * NODE_BYTES));
    if (o < 1 || o >= nodes)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: output node %u is "
                       "not one of nodes 1..%u", o, nodes - 1);
    node_rec *r = calloc(nodes, sizeof *r);
    if (!r)
        return nc_fail(ctx, NC_ERR_NOMEM, "model file: out of memory");
    uint64_t act = 0, nw = 0, ns = 0;
    for (uint32_t i = 0; i < nodes; i++) {
        node_rec *x = &r[i];
        node_get(s->graph + 8 + (size_t)i * NODE_BYTES, x);
        const char *bad = NULL;
        if (x->kind >= NC_OP_COUNT || x->kind == NC_OP_SOFTMAX_XENT)
            bad = "an unknown op kind";
        else if ((x->kind == NC_OP_INPUT) != (i == 0))
            bad = i ? "a second input" : "no input node first";
        else if (x->n_in > NC_MAX_IN || (i == 0) != (x->n_in == 0))
            bad = "a wrong number of inputs";
        else if (!attr_sane(&x->a))
            bad = "attributes out of range";
        else if (x->out.c < 1 || x->out.h < 1 || x->out.w < 1 ||
                 x->out.c > NC_MFILE_MAX_ACT || x->out.h > NC_MFILE_MAX_ACT ||
                 x->out.w > NC_MFILE_MAX_ACT)
            bad = "an empty or oversized shape";
        for (uint32_t j = 0; !bad && j < x->n_in; j++)
            if (x->in[j] < 0 || (uint32_t)x->in[j] >= i)
                bad = "an input that is not an earlier node";
        if (!bad) {
            act += (uint64_t)x->out.c * (uint64_t)x->out.h * (uint64_t)x->out.w;
            nw += x->n_w;
            ns += x->n_s;
            if (act > NC_MFILE_MAX_ACT)
                bad = "activations past the reader's bound";
            else if (x->n_w > s->params_len / 4 || nw > s->params_len / 4 ||
                     x->n_s > s->state_len / 4 || ns > s->state_len / 4)
                bad = "more parameters or state than the file holds";
        }
        if (bad) {
            free(r);
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: node %u (byte "
                           "%zu) has %s", i,
                           s->graph_off + 8 + (size_t)i * NODE_BYTES, bad);
        }
    }
    if (nw * 4 != s->params_len || ns * 4 != s->state_len) {
        free(r);
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the nodes hold %llu "
                       "parameters and %llu state values, the sections %llu "
                       "and %llu", (unsigned long long)nw,
                       (unsigned long long)ns,
                       (unsigned long long)(s->params_len / 4),
                       (unsigned long long)(s->state_len / 4));
    }
    *out = r;
    *n = (int)nodes;
    *output = (int)o;
    return NC_OK;
}

/* Builds the net node by node; each node's shape and sizes as the builder
 * derives them must be the file's, and what finalize will allocate for
 * batches of n_max on `threads` threads (activations with their gradients,
 * saved values, scratch) must stay within NC_MFILE_MAX_FLOATS. */
static nc_status build(nc_ctx *ctx, const node_rec *r, int n, int n_max,
                       int threads, nc_net *net)
{
    uint64_t mem = 0, work = 0;
    for (int i = 0; i < n; i++) {
        const node_rec *x = &r[i];
        int in[NC_MAX_IN];
        for (uint32_t j = 0; j < x->n_in; j++)
            in[j] = x->in[j];
        int id = i == 0 ? nc_net_input(ctx, net, x->out)
                        : nc_net_add(ctx, net, (nc_op_kind)x->kind, &x->a,
                                     (int)x->n_in, in);
        if (id < 0) {
            /* The builder's message names the node already. */
            nc_ctx_prefix(ctx, "model file");
            return NC_ERR_INVAL;
        }
        nc_net_node_info nd;
        nc_net_node(net, id, &nd);
        const nc_op_def *d = nc_op_get(nd.kind);
        uint64_t w = d->n_params ? d->n_params(&nd.attr, nd.in_shape) : 0;
        uint64_t st = d->n_state ? d->n_state(&nd.attr, nd.in_shape) : 0;
        if (nd.out.c != x->out.c || nd.out.h != x->out.h ||
            nd.out.w != x->out.w || w != x->n_w || st != x->n_s)
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: node %d (%s) "
                           "stores shape %dx%dx%d with %llu parameters and "
                           "%llu state values; its inputs give %dx%dx%d, "
                           "%llu and %llu", i, d->name, x->out.c, x->out.h,
                           x->out.w, (unsigned long long)x->n_w,
                           (unsigned long long)x->n_s, nd.out.c, nd.out.h,
                           nd.out.w, (unsigned long long)w,
                           (unsigned long long)st);
        uint64_t sv = d->n_save ? d->n_save(&nd.attr, nd.in_shape, nd.out,
                                            n_max) : 0;
        uint64_t wk = d->n_work ? d->n_work(&nd.attr, nd.in_shape, nd.out,
                                            n_max) : 0;
        mem += 2 * nc_shape_size(nd.out) * (uint64_t)n_max + sv;
        work = wk > work ? wk : work;
        if (mem + work * (uint64_t)threads > NC_MFILE_MAX_FLOATS)
            return nc_fail(ctx, NC_ERR_FORMAT, "model file: at node %d (%s) "
                           "the net would need more than %d floats of "
                           "activations and scratch for batches of %d",
                           i, d->name, NC_MFILE_MAX_FLOATS, n_max);
        if (x->tag != -1)
            nc_net_set_tag(net, id, x->tag);
    }
    return NC_OK;
}

static nc_status read_lineage(nc_ctx *ctx, const sections *s, char **out)
{
    if (s->lineage_len > MAX_LINEAGE)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the lineage has %llu "
                       "bytes, more than %d",
                       (unsigned long long)s->lineage_len, MAX_LINEAGE);
    char *t = malloc((size_t)s->lineage_len + 1);
    if (!t)
        return nc_fail(ctx, NC_ERR_NOMEM, "model file: out of memory");
    memcpy(t, s->lineage, (size_t)s->lineage_len);
    t[s->lineage_len] = 0;
    cJSON *j = memchr(t, 0, (size_t)s->lineage_len) ? NULL : cJSON_Parse(t);
    int ok = cJSON_IsObject(j);
    cJSON_Delete(j);
    if (!ok) {
        free(t);
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the lineage is not a "
                       "JSON object");
    }
    *out = t;
    return NC_OK;
}

/* The normalization section, for an input of c channels. */
static nc_status read_norm(nc_ctx *ctx, const sections *s, int c,
                           nc_mfile_norm *out)
{
    uint32_t k = s->norm_len >= 4 ? get_u32(s->norm) : 0;
    nc_mfile_norm n = norm_identity(c);
    if (s->norm_len < 4 || k != (uint32_t)c ||
        s->norm_len != 4 + 8 * (uint64_t)k)
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the normalization "
                       "section (%llu bytes) is not one mean and one std "
                       "for each of the %d input channels",
                       (unsigned long long)s->norm_len, c);
    for (int i = 0; i < c; i++) {
        n.mean[i] = get_f32(s->norm + 4 + 4 * i);
        n.std[i] = get_f32(s->norm + 4 + 4 * (c + i));
    }
    if (!norm_ok(&n, c))
        return nc_fail(ctx, NC_ERR_FORMAT, "model file: the normalization "
                       "has a mean that is not finite or a std that is not "
                       "> 0");
    *out = n;
    return NC_OK;
}

nc_status nc_mfile_decode(nc_ctx *ctx, const unsigned char *buf, size_t len,
                          int n_max, int threads, nc_net **net,
                          nc_mfile_norm *norm, char **lineage)
{
    *net = NULL;
    if (lineage)
        *lineage = NULL;
    if (n_max < 1 || n_max > (1 << 16) || threads > 1024)
        return nc_fail(ctx, NC_ERR_INVAL, "model file: batch size %d or "
                       "thread count %d outside 1..65536 and 1..1024",
                       n_max, threads);
    uint32_t n_sections = 0;
    sections s;
    nc_status st = read_header(ctx, buf, len, &n_sections);
    if (!st)
        st = read_sections(ctx, buf, len, n_sections, &s);
    char *lin = NULL;
    if (!st)
        st = read_lineage(ctx, &s, &lin);
    node_rec *r = NULL;
    int n = 0, output = 0;
    if (!st)
        st = read_graph(ctx, &s, &r, &n, &output);
    nc_mfile_norm nm;
    if (!st && r[0].out.c > NC_MFILE_MAX_CHANNELS)
        st = nc_fail(ctx, NC_ERR_FORMAT, "model file: %d input channels, at "
                     "most %d", r[0].out.c, NC_MFILE_MAX_CHANNELS);
    if (!st)
        st = read_norm(ctx, &s, r[0].out.c, &nm);
    nc_net *nt = NULL;
    if (!st && !(nt = nc_net_new()))
        st = nc_fail(ctx, NC_ERR_NOMEM, "model file: out of memory");
    if (!st) {
        nc_net_set_threads(nt, threads);
        st = build(ctx, r, n, n_max, threads < 1 ? 1 : threads, nt);
    }
    if (!st && (st = nc_net_finalize(ctx, nt, output, n_max)))
        nc_ctx_prefix(ctx, "model file");
    if (!st) {
        float *w = nc_net_params(nt), *sv = nc_net_state(nt);
        for (size_t i = 0; i < s.params_len / 4; i++)
            w[i] = get_f32(s.params + 4 * i);
        for (size_t i = 0; i < s.state_len / 4; i++)
            sv[i] = get_f32(s.state + 4 * i);
    }
    free(r);
    if (st) {
        nc_net_free(nt);
        free(lin);
        /* A graph the builder refuses is a damaged file, not a bad
         * argument: the status the caller reads from ctx says so too. */
        if (st == NC_ERR_INVAL)
            ctx->status = st = NC_ERR_FORMAT;
        return st;
    }
    *net = nt;
    if (norm)
        *norm = nm;
    if (lineage)
        *lineage = lin;
    else
        free(lin);
    return NC_OK;
}

/* ---- files ---- */

nc_status nc_mfile_save(nc_ctx *ctx, const char *path, nc_net *net,
                        const nc_mfile_norm *norm, const char *lineage,
                        char sha256[65])
{
    unsigned char *b;
    size_t len;
    nc_status st = nc_mfile_encode(ctx, net, norm, lineage, &b, &len);
    if (st)
        return st;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp) {
        free(b);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = fd < 0 ? errno : 0;
    for (size_t off = 0; !err && off < len;) {
        ssize_t k = write(fd, b + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            err = k < 0 ? errno : EIO;
        else
            off += (size_t)k;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (fd >= 0 && close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        st = nc_fail(ctx, NC_ERR_IO, "%s: cannot write the model file: %s",
                     path, strerror(err));
    } else if (sha256) {
        nc_sha256_hex(b, len, sha256);
    }
    free(tmp);
    free(b);
    return st;
}

nc_status nc_mfile_load(nc_ctx *ctx, const char *path, int n_max, int threads,
                        nc_net **net, nc_mfile_norm *norm, char **lineage,
                        char sha256[65])
{
    *net = NULL;
    if (lineage)
        *lineage = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    unsigned char *b = NULL;
    size_t len = 0;
    nc_status st = NC_OK;
    long end = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        st = nc_fail(ctx, NC_ERR_IO, "%s: cannot read: %s", path,
                     strerror(errno));
    else if (!(b = malloc(end ? (size_t)end : 1)))
        st = nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory for %ld bytes",
                     path, end);
    else if ((len = fread(b, 1, (size_t)end, f)) != (size_t)end)
        st = nc_fail(ctx, NC_ERR_IO, "%s: read %zu of %ld bytes", path, len,
                     end);
    fclose(f);
    if (!st) {
        st = nc_mfile_decode(ctx, b, len, n_max, threads, net, norm,
                             lineage);
        if (st)
            nc_ctx_prefix(ctx, "%s", path);
        else if (sha256)
            nc_sha256_hex(b, len, sha256);
    }
    free(b);
    return st;
}
