#include "tests/util/testutil.h"
#include "data/dataset.h"
#include "store/trials.h"
#include "supernet/space.h"
#include "campaign/campaign.h"

#include <check.h>
#include <sqlite3.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char *nc_test_tmpdir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/nasc-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

char *nc_test_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", nc_test_tmpdir(), name);
    return buf;
}

#ifndef NC_TEST_ROOT
#error "NC_TEST_ROOT (the repository root) comes from the Makefile"
#endif

/* Why path, which exists, is not a regular file with at least one byte
 * that can be read; NULL if it is one. */
static const char *shared_unreadable(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return strerror(errno);
    if (!S_ISREG(sb.st_mode))
        return "not a regular file";
    FILE *f = fopen(path, "rb");
    if (!f)
        return strerror(errno);
    int c = fgetc(f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (c == EOF)
        return err ? strerror(err) : "empty";
    return NULL;
}

nc_test_data nc_test_shared_find(const char *env_dir, const char *require,
                                 const char *root, const char *rel,
                                 char *path, size_t n, char *why, size_t wn)
{
    path[0] = why[0] = '\0';
    int req = 0;
    if (require && require[0]) {
        if (strcmp(require, "0") != 0 && strcmp(require, "1") != 0) {
            snprintf(why, wn, "NC_REQUIRE_DATA is '%s'; it must be 0 or 1",
                     require);
            return NC_TEST_DATA_FAIL;
        }
        req = require[0] == '1';
    }
    if (env_dir) {
        if (!env_dir[0]) {
            snprintf(why, wn, "NC_SHARED_DATA is set but empty");
            return NC_TEST_DATA_FAIL;
        }
        snprintf(path, n, "%s/%s", env_dir, rel);
    } else {
        snprintf(path, n, "%s/../shared/data/%s", root, rel);
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        /* A path someone chose that leads nowhere is a mistake to report,
         * and so is missing data where it is required; only the default
         * place may simply be empty (a clone without ../shared). */
        if (env_dir) {
            snprintf(why, wn, "NC_SHARED_DATA=%s: no %s (%s)", env_dir, path,
                     strerror(e));
            return NC_TEST_DATA_FAIL;
        }
        if (req) {
            snprintf(why, wn, "no %s (%s), and NC_REQUIRE_DATA=1 requires "
                     "the reference data", path, strerror(e));
            return NC_TEST_DATA_FAIL;
        }
        snprintf(why, wn, "skipped: no %s (set NC_REQUIRE_DATA=1 to make "
                 "this a failure, NC_SHARED_DATA to look elsewhere)", path);
        return NC_TEST_DATA_SKIP;
    }
    const char *bad = shared_unreadable(path);
    if (bad) {
        snprintf(why, wn, "%s cannot be read: %s", path, bad);
        return NC_TEST_DATA_FAIL;
    }
    return NC_TEST_DATA_FOUND;
}

const char *nc_test_shared_file_in(const char *root, char *buf, size_t n,
                                   const char *rel, const char *who)
{
    char why[2048];
    nc_test_data d = nc_test_shared_find(getenv("NC_SHARED_DATA"),
                                         getenv("NC_REQUIRE_DATA"), root, rel,
                                         buf, n, why, sizeof why);
    if (d == NC_TEST_DATA_FAIL)
        ck_abort_msg("%s: %s", who, why);
    if (d == NC_TEST_DATA_SKIP) {
        printf("%s: %s\n", who, why);
        fflush(stdout);
        return NULL;
    }
    return buf;
}

const char *nc_test_shared_file(char *buf, size_t n, const char *rel,
                                const char *who)
{
    return nc_test_shared_file_in(NC_TEST_ROOT, buf, n, rel, who);
}

int nc_test_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) != 0 || w != n) ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void nc_test_remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void nc_test_expect_msg(const nc_ctx *ctx, const char *needle)
{
    ck_assert_msg(strstr(ctx->msg, needle) != NULL,
                  "message \"%s\" lacks \"%s\"", ctx->msg, needle);
}

char *nc_test_tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    return nc_test_path(b, sizeof buf[0], name);
}

void nc_test_write_bytes(const char *path, const void *b, size_t n, int gz)
{
    if (!gz) {
        ck_assert_int_eq(nc_test_write_file(path, b, n), 0);
        return;
    }
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    if (n)
        ck_assert_int_eq(gzwrite(g, b, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

unsigned char *nc_test_read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* ---- ops: a tiny harness for one op call (test_ops_norm/pool/misc.c) ---- */

#include "core/gradcheck.h"
#include "core/ops/par.h"
#include "core/pool.h"

#include <check.h>

static float *nc_trun_zalloc(size_t n)
{
    float *p = calloc(n + 1, sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

void nc_trun_init(nc_trun *r, nc_op_kind k, const nc_attr *a, int n_in,
                  const nc_shape *in, int n, int train)
{
    memset(r, 0, sizeof *r);
    r->d = nc_op_get(k);
    ck_assert_ptr_nonnull(r->d);
    r->a = a ? *a : (nc_attr){ 0 };
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_shape out;
    ck_assert_msg(r->d->shape(&ctx, &r->a, n_in, in, &out) == NC_OK, "%s", ctx.msg);
    r->ny = (size_t)n * nc_shape_size(out);
    r->nw = r->d->n_params ? r->d->n_params(&r->a, in) : 0;
    r->ns = r->d->n_state ? r->d->n_state(&r->a, in) : 0;
    size_t nsave = r->d->n_save ? r->d->n_save(&r->a, in, out, n) : 0;
    size_t nwork = r->d->n_work ? r->d->n_work(&r->a, in, out, n) : 0;
    r->nsave = nsave;
    r->nwork = nwork;
    for (int i = 0; i < n_in; i++) {
        r->nx[i] = (size_t)n * nc_shape_size(in[i]);
        r->x[i] = nc_trun_zalloc(r->nx[i]);
        r->dx[i] = nc_trun_zalloc(r->nx[i]);
        r->e.in[i] = in[i];
        r->e.x[i] = r->x[i];
        r->e.dx[i] = r->dx[i];
    }
    r->y = nc_trun_zalloc(r->ny);
    r->dy = nc_trun_zalloc(r->ny);
    r->w = nc_trun_zalloc(r->nw);
    r->dw = nc_trun_zalloc(r->nw);
    r->state = nc_trun_zalloc(r->ns);
    r->save = nc_trun_zalloc(nsave);
    r->work = nc_trun_zalloc(nwork);
    r->labels = calloc((size_t)n, sizeof(int32_t));
    ck_assert_ptr_nonnull(r->labels);
    if (r->d->init) {
        nc_rng rng = nc_rng_make(1, NC_STREAM(NC_PURPOSE_TEST, 99));
        r->d->init(&r->a, in, r->w, r->state, &rng);
    }
    r->e.attr = &r->a;
    r->e.n = n;
    r->e.train = train;
    r->e.threads = 1;
    r->e.n_in = n_in;
    r->e.out = out;
    r->e.y = r->y;
    r->e.dy = r->dy;
    r->e.w = r->w;
    r->e.dw = r->dw;
    r->e.state = r->state;
    r->e.save = r->save;
    r->e.work = r->work;
    r->e.n_work = nwork;
    r->e.labels = r->labels;
}

/* Hands the op a pool (NULL: one thread) with one scratch area per thread. */
void nc_trun_pool(nc_trun *r, nc_pool *pool)
{
    int t = nc_pool_threads(pool);
    free(r->work);
    r->work = nc_trun_zalloc((size_t)t * r->nwork);
    r->e.work = r->work;
    r->e.pool = pool;
    r->e.threads = t;
}

void nc_trun_free(nc_trun *r)
{
    for (int i = 0; i < NC_MAX_IN; i++) {
        free(r->x[i]);
        free(r->dx[i]);
    }
    free(r->y); free(r->dy); free(r->w); free(r->dw); free(r->state);
    free(r->save); free(r->work); free(r->labels);
}

void nc_test_fill_normal(float *v, size_t n, uint64_t seed)
{
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 7));
    for (size_t i = 0; i < n; i++)
        v[i] = nc_rng_normal(&r);
}

void nc_test_gradcheck(nc_op_kind k, const nc_attr *a, int n_in,
                       const nc_shape *in, int n, int train,
                       const float *const *xs, double tol)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    double err = -1;
    nc_status st = nc_gradcheck_op(&ctx, k, a, n_in, in, n, train, xs, 42,
                                   tol, &err);
    ck_assert_msg(st == NC_OK, "%s (kind %d)", ctx.msg, (int)k);
    ck_assert(err >= 0 && err <= tol);
}

/* Uniform values in [-2, 2) from a 64-bit LCG: the thread tests fill
 * large tensors, where Box-Muller normals took most of the suite's time. */
static void nc_test_fill_fast(float *v, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(s >> 40) * (4.0f / 16777216.0f) - 2.0f;
    }
}

/* Everything one forward + backward of op k leaves behind (y, save, state,
 * every dx, dw), on inputs drawn from `seed`, run on `threads` threads. */
static float *nc_test_run_all(nc_op_kind k, const nc_attr *a, int n_in, const nc_shape *in,
                              int n, int train, int threads, uint64_t seed, size_t *len)
{
    nc_pool *pool = nc_pool_new(threads);
    ck_assert_int_eq(nc_pool_threads(pool), threads);
    nc_trun r;
    nc_trun_init(&r, k, a, n_in, in, n, train);
    nc_trun_pool(&r, pool);
    for (int i = 0; i < n_in; i++) {
        nc_test_fill_fast(r.x[i], r.nx[i], seed + (uint64_t)i);
        nc_test_fill_fast(r.dx[i], r.nx[i], seed + 10 + (uint64_t)i);
        if (k == NC_OP_MAXPOOL || k == NC_OP_AVGPOOL)
            for (size_t j = 0; j < r.nx[i]; j += 5)
                r.x[i][j] = 0.5f;   /* ties */
    }
    nc_test_fill_fast(r.dy, r.ny, seed + 20);
    nc_test_fill_fast(r.dw, r.nw, seed + 21);
    for (size_t i = 0; i < r.nw; i++)
        r.w[i] += 0.25f * r.dw[i];
    if (k == NC_OP_BATCHNORM) {
        int c = in[0].c;
        for (int i = 0; i < c; i++) {
            r.state[i] = 0.1f * (float)i - 0.3f;
            r.state[c + i] = 0.5f + 0.25f * (float)i;
        }
    }
    for (int i = 0; i < n; i++)
        r.labels[i] = i % in[0].c;
    r.d->forward(&r.e);
    if (r.d->backward)
        r.d->backward(&r.e);
    *len = r.ny + r.nsave + r.ns + r.nw;
    for (int i = 0; i < n_in; i++)
        *len += r.nx[i];
    float *out = malloc(*len * sizeof(float)), *o = out;
    ck_assert_ptr_nonnull(out);
    memcpy(o, r.y, r.ny * sizeof(float)), o += r.ny;
    memcpy(o, r.save, r.nsave * sizeof(float)), o += r.nsave;
    memcpy(o, r.state, r.ns * sizeof(float)), o += r.ns;
    memcpy(o, r.dw, r.nw * sizeof(float)), o += r.nw;
    for (int i = 0; i < n_in; i++)
        memcpy(o, r.dx[i], r.nx[i] * sizeof(float)), o += r.nx[i];
    nc_trun_free(&r);
    nc_pool_free(pool);
    return out;
}

/* The batch is chosen so that even the cheapest loop of op k is large
 * enough to be split over the pool. */
void nc_test_check_threads(nc_op_kind k, const nc_attr *a, int n_in,
                           const nc_shape *in, int train, const char *what)
{
    nc_shape out;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    ck_assert(nc_op_get(k)->shape(&ctx, a, n_in, in, &out) == NC_OK);
    size_t big = nc_shape_size(in[0]) > nc_shape_size(out) ? nc_shape_size(in[0])
                                                           : nc_shape_size(out);
    int n = (int)(NC_PAR_MIN_FLOATS / big) + 1;
    size_t len1, len;
    float *ref = nc_test_run_all(k, a, n_in, in, n, train, 1, 500, &len1);
    for (int t = 2; t <= 3; t++) {
        float *got = nc_test_run_all(k, a, n_in, in, n, train, t, 500, &len);
        ck_assert(len == len1);
        /* One assertion per tensor: Check logs every ck_assert it passes. */
        size_t i = 0;
        while (i < len && memcmp(&got[i], &ref[i], sizeof(float)) == 0)
            i++;
        ck_assert_msg(i == len, "%s, %d threads: float %zu of %zu is %.9g, 1 thread %.9g",
                      what, t, i, len, (double)got[i < len ? i : 0],
                      (double)ref[i < len ? i : 0]);
        free(got);
    }
    free(ref);
}

static void put_be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void write_band_split(const char *dir, const char *pre, int n,
                             unsigned salt)
{
    enum { SIDE = 28 };
    size_t isz = 16 + (size_t)n * SIDE * SIDE, lsz = 8 + (size_t)n;
    unsigned char *img = calloc(isz, 1), *lab = calloc(lsz, 1);
    ck_assert(img && lab);
    put_be32(img, 0x803);
    put_be32(img + 4, (unsigned)n);
    put_be32(img + 8, SIDE);
    put_be32(img + 12, SIDE);
    put_be32(lab, 0x801);
    put_be32(lab + 4, (unsigned)n);
    for (int i = 0; i < n; i++) {
        int k = (int)(((unsigned)i * 7u + salt) % 10u);
        lab[8 + i] = (unsigned char)k;
        unsigned char *p = img + 16 + (size_t)i * SIDE * SIDE;
        for (int j = 0; j < SIDE * SIDE; j++) {
            unsigned h = ((unsigned)(i * 977 + j) * 2654435761u + salt) >> 24;
            p[j] = (unsigned char)((j / SIDE / 2 == k + 2 ? 200 : 0) + h % 50);
        }
    }
    char p[1200];
    snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte", dir, pre);
    ck_assert_int_eq(nc_test_write_file(p, img, isz), 0);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte", dir, pre);
    ck_assert_int_eq(nc_test_write_file(p, lab, lsz), 0);
    free(img);
    free(lab);
}

void nc_test_write_band_idx(const char *dir, int n_train, int n_test)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    write_band_split(dir, "train", n_train, 3);
    write_band_split(dir, "t10k", n_test, 5);
}

nc_dataset *nc_test_toy_dataset(int n, uint64_t seed)
{
    nc_dataset *ds = nc_dataset_new(n, 1, 8, 8, 3);
    ck_assert_ptr_nonnull(ds);
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (int i = 0; i < n; i++) {
        int y = (int)nc_rng_below(&r, 3);
        ds->y[i] = y;
        for (int p = 0; p < 64; p++)
            ds->x[(size_t)i * 64 + p] = nc_rng_normal(&r) * 0.3f +
                                        (p / 8 >= y * 3 && p / 8 < y * 3 + 2
                                         ? 1.5f : 0.0f);
    }
    return ds;
}

char *nc_test_nb201_table(char *buf, size_t n, const char *name,
                          double (*valid_of)(int index, const nc_arch *a))
{
    nc_test_path(buf, n, name);
    FILE *f = fopen(buf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "index,arch,valid,test\n");
    const nc_space *sp = nc_space_nb201();
    for (int i = 0; i < 15625; i++) {
        nc_arch a;
        sp->nth(sp, i, &a);
        char s[NC_ARCH_STR_MAX];
        ck_assert_int_ge(sp->format(sp, &a, s, sizeof s), 0);
        double v = valid_of(i, &a);
        fprintf(f, "%d,%s,%.6f,%.6f\n", i, s, v, v - 1.5);
    }
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

double nc_test_nb201_objective(const nc_arch *a)
{
    double v = 0;
    for (int i = 0; i < 6; i++) {
        int g = a->g[i];
        v += g == 3 ? 10 : g == 2 ? 6 : g == 1 ? 3 : (double)(i % 2);
    }
    return v + (a->g[0] == a->g[5] ? 5 : 0);
}

double nc_test_nb201_learnable(int index, const nc_arch *a)
{
    unsigned h = (unsigned)index * 2654435761u;
    return nc_test_nb201_objective(a) / 2 + (double)(h % 1000u) / 1000.0;
}

void nc_test_expect_same_predictive(const nc_campaign_predictive *a,
                                    const nc_campaign_predictive *b)
{
    ck_assert_int_eq(a->predictor, b->predictor);
    ck_assert_int_eq(a->init, b->init);
    ck_assert_int_eq(a->candidates, b->candidates);
    ck_assert_int_eq(a->parents, b->parents);
    ck_assert_int_eq(a->mutations, b->mutations);
    ck_assert(a->random_frac == b->random_frac);
    ck_assert_int_eq(a->zc_pool, b->zc_pool);
    ck_assert_int_eq(a->zc_feature, b->zc_feature);
    ck_assert_str_eq(a->zc_proxy, b->zc_proxy);
    ck_assert(a->ucb_beta == b->ucb_beta);
}

void nc_test_exec_sql(const char *path, const char *sql)
{
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "%s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(h);
}

void nc_test_expect_same_trials(nc_ctx *ctx, nc_store *da, int64_t a,
                                nc_store *dbb, int64_t b, int n_expect)
{
    nc_trial_rec *ra, *rb;
    int na, nb;
    ck_assert_int_eq(nc_store_trials(ctx, da, a, &ra, &na), NC_OK);
    ck_assert_int_eq(nc_store_trials(ctx, dbb, b, &rb, &nb), NC_OK);
    /* Repeats answered from the cache are trials beyond the budget. */
    ck_assert_int_ge(na, n_expect);
    ck_assert_int_eq(nb, na);
    for (int i = 0; i < na; i++) {
        ck_assert_str_eq(ra[i].arch, rb[i].arch);
        ck_assert_str_eq(ra[i].status, rb[i].status);
        ck_assert_int_eq(ra[i].n_obj, rb[i].n_obj);
        for (int k = 0; k < ra[i].n_obj; k++)
            ck_assert(ra[i].obj[k] == rb[i].obj[k]);
        ck_assert_str_eq(ra[i].metrics_json, rb[i].metrics_json);
    }
    nc_trial_recs_free(ra, na);
    nc_trial_recs_free(rb, nb);
}
