/*
 * proxy_batch.c — many architectures scored by proxies over a thread pool,
 * and the shared data batch (proxy_batch.h).
 */
#include "predictors/proxy_batch.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"

enum { NOISE_CLASSES = 10 };

/* One call's state shared by the pool's tasks. */
typedef struct run {
    const nc_proxy_job *job;
    const nc_proxy_job_out *out;
    const nc_proxy_info **info;   /* per proxy */
    int n_max;                    /* the nets' batch capacity */
    int need_igrad;
    atomic_size_t next, done;
    atomic_int stop;
    pthread_mutex_t mu;
    size_t err_at;                /* lowest failed index so far (n: none) */
    nc_ctx err;                   /* its context */
} run;

/* Builds architecture i's net and scores it into the outputs. */
static nc_status score_one(nc_ctx *ctx, const run *r, size_t i)
{
    const nc_proxy_job *j = r->job;
    const nc_proxy_job_out *o = r->out;
    const nc_arch *a = &j->archs[i];
    nc_net *net = nc_net_new();
    if (!net)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_status st = NC_OK;
    int x = nc_net_input(ctx, net, j->in);
    if (x >= 0 && r->need_igrad)
        st = nc_net_want_input_grad(ctx, net);
    if (!st) {
        int y = j->build ? j->build(j->build_user, ctx, net, x, a, j->n_classes)
                         : j->sp->build(j->sp, ctx, net, x, a, j->n_classes);
        st = y < 0 ? (ctx->status ? ctx->status : NC_ERR_INVAL)
                   : nc_net_finalize(ctx, net, y, r->n_max);
    }
    /* The split gives synflow's own result bit for bit (proxy.h), so a
     * synflow proxy reuses it instead of a second pass. */
    nc_proxy_result syn = { 0, 0, 0 };
    if (!st && j->n_tags > 0) {
        st = nc_proxy_synflow_tags(ctx, net, j->seed, j->n_tags,
                                   o->tags + i * (size_t)j->n_tags, &syn);
        if (!st && o->tag_flags)
            o->tag_flags[i] = syn.flags;
    }
    for (int p = 0; !st && p < j->n_proxies; p++) {
        nc_proxy_result res = syn;
        const nc_proxy_batch *data = j->data ? j->data[p] : NULL;
        if (j->n_tags <= 0 || strcmp(r->info[p]->name, "synflow"))
            st = nc_proxy_score(ctx, r->info[p]->name, net, data, j->seed,
                                &res);
        if (!st) {
            o->score[(size_t)p * j->n + i] = res.score;
            if (o->flags)
                o->flags[(size_t)p * j->n + i] = res.flags;
        }
    }
    nc_net_free(net);
    if (st) {
        char s[NC_ARCH_STR_MAX];
        j->sp->format(j->sp, a, s, sizeof s);
        nc_ctx_prefix(ctx, "%s", s);
    }
    return st;
}

/* One pool task: scores architectures taken from the shared counter until
 * none are left or (keep_going 0) one failed. An index taken is always
 * finished, so every index below a failed one has been tried when the pool
 * returns: the lowest failure, kept in r->err, does not depend on timing. */
static void worker(void *arg, int task, int thread)
{
    (void)thread;
    run *r = arg;
    const nc_proxy_job *j = r->job;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    size_t i;
    while (!atomic_load(&r->stop)
           && (i = atomic_fetch_add(&r->next, 1)) < j->n) {
        nc_ctx_clear(&ctx);
        nc_status st = score_one(&ctx, r, i);
        if (r->out->status)
            r->out->status[i] = st;
        if (st) {
            pthread_mutex_lock(&r->mu);
            if (i < r->err_at) {
                r->err_at = i;
                r->err = ctx;
            }
            pthread_mutex_unlock(&r->mu);
            if (!j->keep_going)
                atomic_store(&r->stop, 1);
        }
        size_t d = atomic_fetch_add(&r->done, 1) + 1;
        if (task == 0 && j->progress)
            j->progress(j->progress_user, d, j->n);
    }
}

/* The checks made before any work. */
static nc_status check_job(nc_ctx *ctx, const nc_proxy_job *j,
                           const nc_proxy_job_out *o,
                           const nc_proxy_info **info)
{
    if (!j || !o || !j->sp || (!j->build && !j->sp->build) || !j->archs)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: job, space, builder "
                       "and architectures needed");
    if (j->in.c < 1 || j->in.h < 1 || j->in.w < 1 || j->n_classes < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: input shape %dx%dx%d "
                       "or classes %d not positive", j->in.c, j->in.h, j->in.w,
                       j->n_classes);
    if (j->n_proxies < 0 || (j->n_proxies > 0 && (!j->proxies || !o->score)))
        return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: proxies or score "
                       "array missing");
    if (j->n_tags > 0 && !o->tags)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: tag array missing");
    for (int p = 0; p < j->n_proxies; p++) {
        info[p] = j->proxies[p] ? nc_proxy_find(j->proxies[p]) : NULL;
        if (!info[p])
            return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: unknown proxy "
                           "'%s' (known: %s)", j->proxies[p] ? j->proxies[p]
                           : "(null)", nc_proxy_names());
        if ((info[p]->needs_x || info[p]->needs_labels)
            && (!j->data || !j->data[p]))
            return nc_fail(ctx, NC_ERR_INVAL, "proxy scoring: proxy '%s' reads "
                           "a batch of data, but none is given", info[p]->name);
    }
    return NC_OK;
}

nc_status nc_proxy_score_archs(nc_ctx *ctx, const nc_proxy_job *job,
                               nc_pool *pool, const nc_proxy_job_out *out)
{
    const nc_proxy_info **info = NULL;
    if (job && job->n_proxies > 0
        && !(info = malloc((size_t)job->n_proxies * sizeof *info)))
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    nc_status st = check_job(ctx, job, out, info);
    if (st) {
        free(info);
        return st;
    }
    run r = { .job = job, .out = out, .info = info, .n_max = 1,
              .err_at = job->n };
    for (int p = 0; p < job->n_proxies; p++) {
        r.need_igrad |= info[p]->needs_input_grad;
        const nc_proxy_batch *d = job->data ? job->data[p] : NULL;
        if (d && d->n > r.n_max)
            r.n_max = d->n;
    }
    for (size_t i = 0; i < job->n; i++) {
        for (int p = 0; p < job->n_proxies; p++) {
            out->score[(size_t)p * job->n + i] = NAN;
            if (out->flags)
                out->flags[(size_t)p * job->n + i] = 0;
        }
        for (int t = 0; t < job->n_tags; t++)
            out->tags[i * (size_t)job->n_tags + t] = NAN;
        if (out->tag_flags)
            out->tag_flags[i] = 0;
        if (out->status)
            out->status[i] = NC_ERR_STATE;
    }
    atomic_init(&r.next, 0);
    atomic_init(&r.done, 0);
    atomic_init(&r.stop, 0);
    pthread_mutex_init(&r.mu, NULL);
    nc_ctx_init(&r.err);
    if (job->n > 0)
        nc_pool_run(pool, nc_pool_threads(pool), worker, &r);
    pthread_mutex_destroy(&r.mu);
    free(info);
    if (r.err_at < job->n) {
        st = r.err.status ? r.err.status : NC_ERR_INVAL;
        nc_fail(ctx, st, "%s", r.err.msg);
    }
    return st;
}

/* ---- the shared data batch ---- */

void nc_proxy_data_free(nc_proxy_data *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* Fills d (arrays allocated) from data set ds as nc_proxy_data_load says. */
static void fill_from(const nc_dataset *ds, uint64_t seed, uint32_t *perm,
                      nc_proxy_data *d)
{
    nc_shape in = d->shape;
    size_t per = (size_t)in.c * in.h * in.w;
    float mean[NC_DATASET_MAX_CHANNELS], sd[NC_DATASET_MAX_CHANNELS];
    /* Statistics of the padded training set, from those of the unpadded
     * one: the padding adds zeros. */
    nc_dataset_stats(ds, mean, sd);
    double frac = (double)ds->h * ds->w / ((double)in.h * in.w);
    for (int c = 0; c < ds->c; c++) {
        double m = mean[c] * frac;
        double ex2 = ((double)sd[c] * sd[c] + (double)mean[c] * mean[c]) * frac;
        double v = ex2 - m * m;
        mean[c] = (float)m;
        sd[c] = v > 0 ? (float)sqrt(v) : 1.0f;
    }
    for (int i = 0; i < ds->n; i++)
        perm[i] = (uint32_t)i;
    nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_DATA, 0));
    nc_rng_shuffle_u32(&r, perm, (uint32_t)ds->n);
    int top = (in.h - ds->h) / 2, left = (in.w - ds->w) / 2;
    for (int i = 0; i < d->n; i++) {
        const float *src = ds->x + (size_t)perm[i] * ds->c * ds->h * ds->w;
        float *dst = d->x + (size_t)i * per;
        for (int c = 0; c < in.c; c++) {
            int sc = ds->c == 1 ? 0 : c;
            const float *s = src + (size_t)sc * ds->h * ds->w;
            for (int yy = 0; yy < in.h; yy++)
                for (int xx = 0; xx < in.w; xx++) {
                    int u = yy - top, v = xx - left;
                    float p = u >= 0 && u < ds->h && v >= 0 && v < ds->w
                                  ? s[u * ds->w + v] : 0.0f;
                    dst[((size_t)c * in.h + yy) * in.w + xx] =
                        (p - mean[sc]) / sd[sc];
                }
        }
        d->labels[i] = ds->y[perm[i]];
    }
    d->n_classes = ds->n_classes;
}

nc_status nc_proxy_data_load(nc_ctx *ctx, const char *dataset, const char *dir,
                             nc_shape in, int n, uint64_t seed,
                             nc_proxy_data *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1 || in.c < 1 || in.h < 1 || in.w < 1)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy data: %d samples of %dx%dx%d "
                       "asked for", n, in.c, in.h, in.w);
    int noise = dataset && !strcmp(dataset, "noise");
    if (!noise && (!dataset || !nc_dataset_default_dir(dataset)))
        return nc_fail(ctx, NC_ERR_INVAL, "unknown data set '%s' (known: "
                       "fashion-mnist, mnist, cifar10, cifar100, noise)",
                       dataset ? dataset : "(null)");
    size_t per = (size_t)in.c * in.h * in.w;
    nc_proxy_data d = { .n = n, .shape = in, .n_classes = NOISE_CLASSES };
    d.x = malloc((size_t)n * per * sizeof *d.x);
    d.labels = malloc((size_t)n * sizeof *d.labels);
    if (!d.x || !d.labels) {
        nc_proxy_data_free(&d);
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    }
    if (noise) {
        nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_DATA, 0));
        for (size_t k = 0; k < (size_t)n * per; k++)
            d.x[k] = nc_rng_normal(&r);
        nc_rng rl = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_DATA, 1));
        for (int i = 0; i < n; i++)
            d.labels[i] = (int32_t)nc_rng_below(&rl, NOISE_CLASSES);
        *out = d;
        return NC_OK;
    }
    nc_dataset *ds = NULL;
    nc_status st = nc_dataset_load(ctx, dataset, dir, NC_SPLIT_TRAIN, &ds);
    if (!st && ((ds->c != in.c && ds->c != 1) || ds->h > in.h || ds->w > in.w))
        st = nc_fail(ctx, NC_ERR_INVAL, "%s has %dx%dx%d images, which do not "
                     "fit the nets' input %dx%dx%d (channels must match or be "
                     "1, images at most the input size)", dataset, ds->c,
                     ds->h, ds->w, in.c, in.h, in.w);
    else if (!st && ds->n < n)
        st = nc_fail(ctx, NC_ERR_INVAL, "%s has %d training images, fewer "
                     "than %d", dataset, ds->n, n);
    uint32_t *perm = st ? NULL : malloc((size_t)ds->n * sizeof *perm);
    if (!st && !perm)
        st = nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    if (!st)
        fill_from(ds, seed, perm, &d);
    free(perm);
    nc_dataset_free(ds);
    if (st) {
        nc_proxy_data_free(&d);
        return st;
    }
    *out = d;
    return NC_OK;
}

nc_status nc_proxy_data_batch(nc_ctx *ctx, const nc_proxy_data *d, int b,
                              float **x, nc_proxy_batch *out)
{
    *x = NULL;
    if (b < 1 || b > d->n)
        return nc_fail(ctx, NC_ERR_INVAL, "proxy data: batch of %d from %d "
                       "samples", b, d->n);
    nc_shape in = d->shape;
    size_t per = (size_t)in.c * in.h * in.w, hw = (size_t)in.h * in.w;
    float *bx = malloc((size_t)b * per * sizeof *bx);
    if (!bx)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < b; i++)
        for (int ch = 0; ch < in.c; ch++)
            memcpy(bx + ((size_t)ch * b + i) * hw, d->x + i * per + ch * hw,
                   hw * sizeof *bx);
    *x = bx;
    *out = (nc_proxy_batch){ bx, d->labels, b, in };
    return NC_OK;
}
