/*
 * latency.c — measured latency and the mbv layer-wise latency table (see
 * latency.h for the measuring method).
 *
 * The mbv block structure is rebuilt here from the architecture's canonical
 * string (so the choice tables of space_mbv.c are not duplicated); only the
 * stem width and stage strides, fixed by spaces.h, are repeated below and
 * must follow that file.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/net.h"
#include "campaign/latency.h"
#include "supernet/spaces.h"

enum { STEM_C = 16, WARMUP = 3, TAIL_CLASSES = 10, MAX_CFG = 16 };
static const int STRIDES[NC_MBV_STAGES] = { 1, 2, 2, 2 };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Finalizes net (output node y) to run on `threads` threads, then times
 * `repeats` eval forward passes of `batch` samples; frees the net. */
static nc_status time_net(nc_ctx *ctx, nc_net *net, int y, int batch,
                          int threads, int repeats, double *median_ms)
{
    nc_status st = NC_OK;
    float *x = NULL;
    double *t = NULL;
    if (y < 0) {
        st = ctx->status ? ctx->status : NC_ERR_INVAL;
        goto out;
    }
    nc_net_set_threads(net, threads);
    st = nc_net_finalize(ctx, net, y, batch);
    if (st || (st = nc_net_init_params(net, 1)))
        goto out;
    size_t n = nc_shape_size(nc_net_input_shape(net)) * (size_t)batch;
    x = malloc(n * sizeof *x);
    t = malloc((size_t)repeats * sizeof *t);
    if (!x || !t) {
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Varied, well-scaled input: zeros could hit fast paths a real image
     * does not, and tiny values could go denormal. */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    for (int i = 0; i < WARMUP + repeats; i++) {
        double t0 = now_ms();
        if ((st = nc_net_forward(ctx, net, x, NULL, batch, 0, NULL)))
            goto out;
        if (i >= WARMUP)
            t[i - WARMUP] = now_ms() - t0;
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    *median_ms = repeats % 2 ? t[repeats / 2]
                             : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
out:
    free(x);
    free(t);
    nc_net_free(net);
    return st;
}

static nc_status check_run_args(nc_ctx *ctx, int batch, int threads,
                                int repeats)
{
    if (batch < 1 || threads < 1 || repeats < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "latency: batch (%d), threads (%d) "
                       "and repeats (%d) must be >= 1", batch, threads,
                       repeats);
    return NC_OK;
}

nc_status nc_latency_measure(nc_ctx *ctx, const nc_space *sp,
                             const nc_arch *a, nc_shape in, int n_classes,
                             int batch, int threads, int repeats,
                             double *median_ms)
{
    if (!sp || !sp->build)
        return nc_fail(ctx, NC_ERR_INVAL, "latency: space %s has no net "
                       "builder", sp ? sp->name : "(none)");
    nc_status st = check_run_args(ctx, batch, threads, repeats);
    if (st)
        return st;
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    int y = sp->build(sp, ctx, net, nc_net_input(ctx, net, in), a, n_classes);
    st = time_net(ctx, net, y, batch, threads, repeats, median_ms);
    if (st)
        nc_ctx_prefix(ctx, "latency of %s net", sp->name);
    return st;
}

/* ---- configurations ---- */

static int out_size(int h, int k, int s)
{
    return (h + 2 * (k / 2) - k) / s + 1;
}

static int is_mbv(const nc_space *sp)
{
    return sp && sp->name && strcmp(sp->name, "mbv") == 0;
}

nc_status nc_latency_decompose(nc_ctx *ctx, const nc_space *sp,
                               const nc_arch *a, nc_shape in, int n_classes,
                               nc_latency_cfg *cfg, int max, int *n)
{
    if (!is_mbv(sp))
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: space %s is not "
                       "supported (only mbv)", sp ? sp->name : "(none)");
    char s[NC_ARCH_STR_MAX];
    int v[4][NC_MBV_STAGES];
    if (sp->format(sp, a, s, sizeof s) < 0 ||
        sscanf(s, "mbv:d=%d,%d,%d,%d:w=%d,%d,%d,%d:k=%d,%d,%d,%d:e=%d,%d,%d,%d",
               &v[0][0], &v[0][1], &v[0][2], &v[0][3], &v[1][0], &v[1][1],
               &v[1][2], &v[1][3], &v[2][0], &v[2][1], &v[2][2], &v[2][3],
               &v[3][0], &v[3][1], &v[3][2], &v[3][3]) != 16)
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: invalid mbv "
                       "architecture");
    int k = 0;
    nc_latency_cfg c;
#define PUSH()                                                          \
    do {                                                                \
        if (k == max)                                                   \
            return nc_fail(ctx, NC_ERR_RANGE, "latency table: more "    \
                           "than %d layer configurations", max);        \
        cfg[k++] = c;                                                   \
    } while (0)
    memset(&c, 0, sizeof c);
    strcpy(c.kind, "stem");
    c.cin = in.c, c.cout = STEM_C, c.kernel = 3, c.stride = 1;
    c.h = in.h, c.w = in.w;
    PUSH();
    int cin = STEM_C, h = in.h, w = in.w;
    for (int st = 0; st < NC_MBV_STAGES; st++)
        for (int b = 0; b < v[0][st]; b++) {
            memset(&c, 0, sizeof c);
            strcpy(c.kind, "ir");
            c.cin = cin, c.cout = v[1][st], c.expand = v[3][st];
            c.kernel = v[2][st], c.stride = b == 0 ? STRIDES[st] : 1;
            c.h = h, c.w = w;
            c.residual = c.stride == 1 && c.cin == c.cout;
            PUSH();
            h = out_size(h, c.kernel, c.stride);
            w = out_size(w, c.kernel, c.stride);
            cin = c.cout;
        }
    memset(&c, 0, sizeof c);
    strcpy(c.kind, "head");
    c.cin = cin, c.cout = n_classes, c.kernel = 1, c.stride = 1;
    c.h = h, c.w = w;
    PUSH();
#undef PUSH
    *n = k;
    return NC_OK;
}

void nc_latency_cfg_key(const nc_latency_cfg *c, char *buf, size_t n)
{
    snprintf(buf, n, "%.7s:cin=%d:cout=%d:e=%d:k=%d:s=%d:h=%d:w=%d:res=%d",
             c->kind, c->cin, c->cout, c->expand, c->kernel, c->stride, c->h,
             c->w, c->residual);
}

static int cfg_equal(const nc_latency_cfg *a, const nc_latency_cfg *b)
{
    return strcmp(a->kind, b->kind) == 0 && a->cin == b->cin &&
           a->cout == b->cout && a->expand == b->expand &&
           a->kernel == b->kernel && a->stride == b->stride && a->h == b->h &&
           a->w == b->w && a->residual == b->residual;
}

const nc_latency_entry *nc_latency_table_find(const nc_latency_table *t,
                                              const nc_latency_cfg *c)
{
    for (int i = 0; t && i < t->n; i++)
        if (cfg_equal(&t->e[i].cfg, c))
            return &t->e[i];
    return NULL;
}

static int conv_bn(nc_ctx *ctx, nc_net *net, int h, int cout, int k,
                   int stride, int groups, int relu)
{
    h = nc_net_bn(ctx, net, nc_net_conv(ctx, net, h, cout, k, stride, k / 2,
                                        groups, 0), 1);
    return relu ? nc_net_relu(ctx, net, h) : h;
}

/* Appends the layer of c on x, as space_mbv.c builds it. */
static int add_layer(nc_ctx *ctx, nc_net *net, int x, const nc_latency_cfg *c)
{
    if (strcmp(c->kind, "stem") == 0)
        return conv_bn(ctx, net, x, c->cout, c->kernel, 1, 1, 1);
    if (strcmp(c->kind, "head") == 0)
        return conv_bn(ctx, net, x, NC_MBV_HEAD, 1, 1, 1, 1);
    int mid = c->cin * c->expand;
    int y = conv_bn(ctx, net, x, mid, 1, 1, 1, 1);
    y = conv_bn(ctx, net, y, mid, c->kernel, c->stride, mid, 1);
    y = conv_bn(ctx, net, y, c->cout, 1, 1, 1, 0);
    if (c->residual && y >= 0) {
        int in[2] = { x, y };
        y = nc_net_sum(ctx, net, 2, in);
    }
    return y;
}

/* Times "input(shape) [-> layer c] -> GAP -> linear(classes)". */
static nc_status time_piece(nc_ctx *ctx, nc_shape s, const nc_latency_cfg *c,
                            int classes, int batch, int threads, int repeats,
                            double *ms)
{
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    int x = nc_net_input(ctx, net, s);
    if (c)
        x = add_layer(ctx, net, x, c);
    int y = nc_net_linear(ctx, net, nc_net_gap(ctx, net, x), classes, 1);
    return time_net(ctx, net, y, batch, threads, repeats, ms);
}

static nc_status measure_cfg(nc_ctx *ctx, const nc_latency_cfg *c, int batch,
                             int threads, int repeats, double *ms)
{
    nc_shape s = { c->cin, c->h, c->w };
    if (strcmp(c->kind, "head") == 0)
        return time_piece(ctx, s, c, c->cout, batch, threads, repeats, ms);
    double whole, tail;
    nc_status st = time_piece(ctx, s, c, TAIL_CLASSES, batch, threads,
                              repeats, &whole);
    if (st)
        return st;
    nc_shape o = { c->cout, out_size(c->h, c->kernel, c->stride),
                   out_size(c->w, c->kernel, c->stride) };
    if ((st = time_piece(ctx, o, NULL, TAIL_CLASSES, batch, threads, repeats,
                         &tail)))
        return st;
    *ms = whole > tail ? whole - tail : 0.0;
    return NC_OK;
}

/* ---- table ---- */

static nc_latency_table *table_new(const char *space, int batch, int threads)
{
    nc_latency_table *t = calloc(1, sizeof *t);
    if (t) {
        snprintf(t->space, sizeof t->space, "%s", space);
        t->batch = batch;
        t->threads = threads;
        t->scale = 1.0;
    }
    return t;
}

static nc_status table_add(nc_ctx *ctx, nc_latency_table *t,
                           const nc_latency_cfg *c, double ms)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        nc_latency_entry *e = realloc(t->e, (size_t)cap * sizeof *e);
        if (!e)
            return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
        t->e = e;
        t->cap = cap;
    }
    t->e[t->n].cfg = *c;
    t->e[t->n].ms = ms;
    t->n++;
    return NC_OK;
}

void nc_latency_table_free(nc_latency_table *t)
{
    if (t) {
        free(t->e);
        free(t);
    }
}

/* Measures and adds the configurations of *a that t lacks. */
static nc_status add_arch(nc_ctx *ctx, nc_latency_table *t,
                          const nc_space *sp, const nc_arch *a, nc_shape in,
                          int n_classes, int repeats)
{
    nc_latency_cfg cfg[MAX_CFG];
    int n;
    nc_status st = nc_latency_decompose(ctx, sp, a, in, n_classes, cfg,
                                        MAX_CFG, &n);
    for (int i = 0; !st && i < n; i++) {
        if (nc_latency_table_find(t, &cfg[i]))
            continue;
        double ms;
        st = measure_cfg(ctx, &cfg[i], t->batch, t->threads, repeats, &ms);
        if (st) {
            char key[NC_LATENCY_KEY_MAX];
            nc_latency_cfg_key(&cfg[i], key, sizeof key);
            nc_ctx_prefix(ctx, "latency table: %s", key);
        } else {
            st = table_add(ctx, t, &cfg[i], ms);
        }
    }
    return st;
}

nc_status nc_latency_table_build(nc_ctx *ctx, const nc_space *sp, nc_shape in,
                                 int n_classes, int batch, int threads,
                                 int repeats, int n_sample_archs,
                                 uint64_t seed, nc_latency_table **out)
{
    *out = NULL;
    if (!is_mbv(sp))
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: space %s is not "
                       "supported (only mbv)", sp ? sp->name : "(none)");
    nc_status st = check_run_args(ctx, batch, threads, repeats);
    if (st)
        return st;
    if (n_sample_archs < 0)
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: n_sample_archs "
                       "(%d) must be >= 0", n_sample_archs);
    nc_latency_table *t = table_new(sp->name, batch, threads);
    if (!t)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    if (n_sample_archs > 0) {
        nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
        for (int i = 0; !st && i < n_sample_archs; i++) {
            nc_arch a;
            sp->sample(sp, &r, &a);
            st = add_arch(ctx, t, sp, &a, in, n_classes, repeats);
        }
    } else {
        /* Covering set, using the gene layout of spaces.h: a first block
         * depends on its stage's choices and the previous stage's width,
         * later blocks on the stage's choices only, so per stage every
         * (previous width, width, kernel, expand) at depth 2 covers all. */
        enum { S = NC_MBV_STAGES };
        for (int s = 0; !st && s < S; s++) {
            int npw = s ? sp->choices(sp, S + s - 1) : 1;
            for (int pw = 0; pw < npw; pw++)
                for (int wc = 0; wc < sp->choices(sp, S + s); wc++)
                    for (int kc = 0; kc < sp->choices(sp, 2 * S + s); kc++)
                        for (int ec = 0; ec < sp->choices(sp, 3 * S + s);
                             ec++) {
                            nc_arch a;
                            memset(&a, 0, sizeof a);
                            a.g[s] = 1;
                            if (s)
                                a.g[S + s - 1] = (uint8_t)pw;
                            a.g[S + s] = (uint8_t)wc;
                            a.g[2 * S + s] = (uint8_t)kc;
                            a.g[3 * S + s] = (uint8_t)ec;
                            if (!st)
                                st = add_arch(ctx, t, sp, &a, in, n_classes,
                                              repeats);
                        }
        }
    }
    if (st) {
        nc_latency_table_free(t);
        return st;
    }
    *out = t;
    return NC_OK;
}

nc_status nc_latency_table_predict(nc_ctx *ctx, const nc_latency_table *t,
                                   const nc_space *sp, const nc_arch *a,
                                   nc_shape in, int n_classes, double *ms)
{
    if (!t || !sp || strcmp(t->space, sp->name) != 0)
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: table is for space "
                       "%s, not %s", t ? t->space : "(none)",
                       sp ? sp->name : "(none)");
    nc_latency_cfg cfg[MAX_CFG];
    int n;
    nc_status st = nc_latency_decompose(ctx, sp, a, in, n_classes, cfg,
                                        MAX_CFG, &n);
    if (st)
        return st;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        const nc_latency_entry *e = nc_latency_table_find(t, &cfg[i]);
        if (!e) {
            char key[NC_LATENCY_KEY_MAX];
            nc_latency_cfg_key(&cfg[i], key, sizeof key);
            return nc_fail(ctx, NC_ERR_NOTFOUND, "latency table: no entry "
                           "for layer configuration %s", key);
        }
        sum += e->ms;
    }
    *ms = t->scale * sum;
    return NC_OK;
}

nc_status nc_latency_table_calibrate(nc_ctx *ctx, nc_latency_table *t,
                                     const nc_space *sp, nc_shape in,
                                     int n_classes, int repeats, int n_archs,
                                     uint64_t seed)
{
    if (n_archs < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "latency table: calibration needs "
                       "n_archs >= 1 (got %d)", n_archs);
    double *ratio = malloc((size_t)n_archs * sizeof *ratio);
    if (!ratio)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    double saved = t->scale;
    t->scale = 1.0;
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, 0));
    nc_status st = NC_OK;
    for (int i = 0; !st && i < n_archs; i++) {
        nc_arch a;
        double sum = 0, meas = 0;
        sp->sample(sp, &r, &a);
        st = nc_latency_table_predict(ctx, t, sp, &a, in, n_classes, &sum);
        if (!st)
            st = nc_latency_measure(ctx, sp, &a, in, n_classes, t->batch,
                                    t->threads, repeats, &meas);
        if (!st && sum <= 0)
            st = nc_fail(ctx, NC_ERR_NUMERIC, "latency table: calibration "
                         "architecture %d sums to %g ms", i, sum);
        if (!st)
            ratio[i] = meas / sum;
    }
    if (!st) {
        qsort(ratio, (size_t)n_archs, sizeof *ratio, cmp_double);
        t->scale = n_archs % 2 ? ratio[n_archs / 2]
                               : 0.5 * (ratio[n_archs / 2 - 1] +
                                        ratio[n_archs / 2]);
    } else {
        t->scale = saved;
    }
    free(ratio);
    return st;
}

/* ---- CSV ---- */

static const char HEADER[] = "kind,cin,cout,expand,kernel,stride,h,w,"
                             "residual,ms";

nc_status nc_latency_table_save(nc_ctx *ctx, const nc_latency_table *t,
                                const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "# nasc latency table v1 space=%s batch=%d threads=%d "
            "scale=%.6f\n%s\n", t->space, t->batch, t->threads, t->scale,
            HEADER);
    for (int i = 0; i < t->n; i++) {
        const nc_latency_cfg *c = &t->e[i].cfg;
        fprintf(f, "%s,%d,%d,%d,%d,%d,%d,%d,%d,%.6f\n", c->kind, c->cin,
                c->cout, c->expand, c->kernel, c->stride, c->h, c->w,
                c->residual, t->e[i].ms);
    }
    int bad = ferror(f);
    if (fclose(f) || bad)
        return nc_fail(ctx, NC_ERR_IO, "%s: write failed", path);
    return NC_OK;
}

/* Parses a non-negative decimal int field ending at ',' or end; advances
 * *p past the comma. -1 if not one. */
static long field_int(const char **p)
{
    const char *s = *p;
    long v = 0;
    int n = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 9)
        v = v * 10 + (s[n++] - '0');
    if (n == 0 || (s[n] != ',' && s[n] != 0))
        return -1;
    *p = s + n + (s[n] == ',');
    return v;
}

static nc_status parse_row(const char *line, nc_latency_entry *e,
                           const char **why)
{
    memset(e, 0, sizeof *e);
    const char *comma = strchr(line, ',');
    size_t kl = comma ? (size_t)(comma - line) : 0;
    if (!comma || kl >= sizeof e->cfg.kind) {
        *why = "expected 10 comma-separated fields";
        return NC_ERR_FORMAT;
    }
    memcpy(e->cfg.kind, line, kl);
    if (strcmp(e->cfg.kind, "stem") && strcmp(e->cfg.kind, "ir") &&
        strcmp(e->cfg.kind, "head")) {
        *why = "unknown kind (expected stem, ir or head)";
        return NC_ERR_FORMAT;
    }
    const char *p = comma + 1;
    int *f[8] = { &e->cfg.cin, &e->cfg.cout, &e->cfg.expand, &e->cfg.kernel,
                  &e->cfg.stride, &e->cfg.h, &e->cfg.w, &e->cfg.residual };
    for (int i = 0; i < 8; i++) {
        long v = field_int(&p);
        if (v < 0 || p[-1] != ',') {
            *why = "expected 10 comma-separated fields, integers 2 to 9";
            return NC_ERR_FORMAT;
        }
        *f[i] = (int)v;
    }
    char *end;
    errno = 0;
    double ms = strtod(p, &end);
    if (end == p || *end || errno || !isfinite(ms) || ms < 0) {
        *why = "ms (field 10) must be a finite number >= 0";
        return NC_ERR_FORMAT;
    }
    e->ms = ms;
    return NC_OK;
}

nc_status nc_latency_table_load(nc_ctx *ctx, const char *path,
                                nc_latency_table **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: %s", path, strerror(errno));
    nc_latency_table *t = NULL;
    nc_status st = NC_OK;
    char line[256];
    int ln = 0;
    while (!st && fgets(line, sizeof line, f)) {
        ln++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        else if (!feof(f)) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: line too long", path,
                         ln);
            break;
        }
        if (len && line[len - 1] == '\r')
            line[--len] = 0;
        if (ln == 1) {
            char space[16];
            int b, th, used = 0;
            double sc;
            if (sscanf(line, "# nasc latency table v1 space=%15[a-z0-9] "
                       "batch=%d threads=%d scale=%lf%n", space, &b, &th, &sc,
                       &used) != 4 || line[used] || b < 1 || th < 1 ||
                !isfinite(sc) || sc <= 0) {
                st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: expected '# nasc "
                             "latency table v1 space=S batch=B threads=T "
                             "scale=X'", path, ln);
            } else if (!(t = table_new(space, b, th))) {
                st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
            } else {
                t->scale = sc;
            }
            continue;
        }
        if (ln == 2) {
            if (strcmp(line, HEADER) != 0)
                st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: expected header "
                             "'%s'", path, ln, HEADER);
            continue;
        }
        nc_latency_entry e;
        const char *why = NULL;
        if (parse_row(line, &e, &why)) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: %s", path, ln, why);
        } else if (nc_latency_table_find(t, &e.cfg)) {
            st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: duplicate "
                         "configuration", path, ln);
        } else {
            st = table_add(ctx, t, &e.cfg, e.ms);
        }
    }
    if (!st && ferror(f))
        st = nc_fail(ctx, NC_ERR_IO, "%s: read failed", path);
    if (!st && ln < 2)
        st = nc_fail(ctx, NC_ERR_FORMAT, "%s:%d: missing %s", path, ln + 1,
                     ln == 0 ? "first line" : "header");
    fclose(f);
    if (st) {
        nc_latency_table_free(t);
        return st;
    }
    *out = t;
    return NC_OK;
}
