/*
 * proxy_batch.h — a batch of architectures scored by zero-cost proxies in
 * one call: the loop behind `nasc proxies` and the campaign's zero-cost
 * scorer (campaign/zc.h), and the data batch the data-dependent proxies
 * share. (A batch here is many architectures; the samples one net reads
 * are proxy.h's nc_proxy_batch.)
 *
 * For each architecture the call builds its stand-alone net (the space's
 * build, or the caller's), finalizes it, scores it with every listed proxy
 * (nc_proxy_score) and, if asked, with synflow split by node tag
 * (nc_proxy_synflow_tags), then frees it. The architectures are spread over
 * the threads of a caller's pool: each thread takes the next unscored index
 * from a shared counter (nets of very different cost balance out), with its
 * own nc_ctx and a single-threaded net, and every result is stored at its
 * architecture's index. A score is a pure function of (architecture, build,
 * data, seed), so every output is the same for any number of threads.
 *
 *     const char *proxies[] = { "synflow", "snip" };
 *     const nc_proxy_batch *data[] = { NULL, &samples };   // snip reads data
 *     nc_proxy_job job = { .sp = sp, .archs = a, .n = n,
 *                          .in = (nc_shape){3, 32, 32}, .n_classes = 10,
 *                          .proxies = proxies, .n_proxies = 2,
 *                          .data = data, .seed = 1 };
 *     nc_proxy_job_out out = { .score = score };            // 2 * n doubles
 *     nc_pool *pool = nc_pool_new(4);
 *     if (nc_proxy_score_archs(ctx, &job, pool, &out)) ...ctx->msg...
 *     // score[p * n + i]: proxy p of architecture i
 *     nc_pool_free(pool);
 */
#ifndef NC_PROXY_BATCH_H
#define NC_PROXY_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"
#include "core/pool.h"
#include "predictors/proxy.h"
#include "supernet/space.h"

/* Appends a's stand-alone net on input_node and returns its logits node
 * (n_classes, 1, 1), or -1 with the reason in ctx; the contract of
 * nc_space's build, for callers that build differently (NB201 at another
 * width). Called from several threads at once: it must only read user. */
typedef int (*nc_proxy_build_fn)(void *user, nc_ctx *ctx, nc_net *net,
                                 int input_node, const nc_arch *a,
                                 int n_classes);

/* What to score. Everything it points to is read-only during the call and
 * stays the caller's. */
typedef struct nc_proxy_job {
    const nc_space *sp;           /* the space (format for messages; build) */
    const nc_arch *archs;         /* the n architectures */
    size_t n;
    nc_shape in;                  /* the nets' input */
    int n_classes;                /* their logits */
    nc_proxy_build_fn build;      /* NULL: sp->build */
    void *build_user;
    const char *const *proxies;   /* n_proxies names of proxy.h */
    int n_proxies;
    /* Per proxy, the samples it reads (NULL for a data-free one); the whole
     * array may be NULL when every proxy is data-free. Every net is
     * finalized for the largest of these batches. */
    const nc_proxy_batch *const *data;
    uint64_t seed;                /* every net's initialization */
    /* > 0: also synflow split into n_tags node tags (proxy.h). A "synflow"
     * proxy then takes its score from the same pass, bit for bit equal. */
    int n_tags;
    /* 0: after a failure, no architecture is started any more; 1: every
     * architecture is tried whatever fails. */
    int keep_going;
    /* Called, if set, on the calling thread only, after each architecture
     * that thread finishes, with the number finished by all threads. */
    void (*progress)(void *user, size_t done, size_t n);
    void *progress_user;
} nc_proxy_job;

/* Where the results go: caller-owned arrays, written at the architecture's
 * index only. */
typedef struct nc_proxy_job_out {
    double *score;        /* n_proxies * n: score[p * n + i] (required if
                             n_proxies > 0); NaN where not scored */
    unsigned *flags;      /* same layout, nc_proxy_result.flags; or NULL */
    double *tags;         /* n * n_tags: tags[i * n_tags + t] (required if
                             n_tags > 0); NaN where not scored */
    unsigned *tag_flags;  /* n: the tag pass's flags; or NULL */
    /* n: NC_OK for a scored architecture, its failure's status for one
     * that failed, NC_ERR_STATE for one not started because an earlier one
     * failed (keep_going 0); or NULL. */
    nc_status *status;
} nc_proxy_job_out;

/* Scores job's architectures over the threads of pool (NULL: one, the
 * calling thread; the pool must not be running anything else) into *out,
 * as the header describes. Returns NC_OK when every architecture was
 * scored. Otherwise returns the status of the failed architecture with the
 * lowest index, with its message, prefixed by its string form, in ctx;
 * which one that is does not depend on the threads (all indices below a
 * failed one are always tried), though with keep_going 0 which later ones
 * were scored does. Errors before any work: NC_ERR_INVAL for a missing
 * space, architectures, output array or input shape, classes < 1, an
 * unknown proxy (the known ones listed) or one that reads data given
 * none. Per architecture: those of its build, nc_net_finalize,
 * nc_proxy_score and nc_proxy_synflow_tags, NC_ERR_NOMEM. */
nc_status nc_proxy_score_archs(nc_ctx *ctx, const nc_proxy_job *job,
                               nc_pool *pool, const nc_proxy_job_out *out);

/* ---- the shared data batch ---- */

/* Samples drawn once and read by every net: x holds n samples of `shape`
 * one after the other (sample-major), labels their classes. */
typedef struct nc_proxy_data {
    float *x;
    int32_t *labels;
    int n;
    nc_shape shape;
    int n_classes;        /* the data set's classes: the nets' logits */
} nc_proxy_data;

/* n samples of shape in into *out: the first n of one permutation (drawn
 * from seed) of data set `dataset`'s training split (read from dir, NULL
 * for its usual place), zero-padded (black) and centred to in's height and
 * width, a grey channel repeated to in's channels, then normalized per
 * channel with the mean and standard deviation of the padded training
 * set. Batches of different sizes from one seed are nested. The data set
 * "noise" draws N(0,1) pixels and labels uniform in 0..9 (10 classes)
 * instead. Errors: NC_ERR_INVAL (unknown data set, listing the known ones;
 * images that do not fit in; fewer than n images; n < 1), those of
 * nc_dataset_load, NC_ERR_NOMEM. The caller owns out's arrays
 * (nc_proxy_data_free); on error there are none. */
nc_status nc_proxy_data_load(nc_ctx *ctx, const char *dataset, const char *dir,
                             nc_shape in, int n, uint64_t seed,
                             nc_proxy_data *out);

/* Frees d's arrays (not d) and zeroes it; NULL is allowed. */
void nc_proxy_data_free(nc_proxy_data *d);

/* The first b samples of d as a batch for nc_proxy_score, which reads
 * channel-major (CNHW) samples: *x gets a new array the caller frees, which
 * out->x points to; out->labels points into d, so d must outlive out.
 * Errors: NC_ERR_INVAL for b outside 1..d->n, NC_ERR_NOMEM. */
nc_status nc_proxy_data_batch(nc_ctx *ctx, const nc_proxy_data *d, int b,
                              float **x, nc_proxy_batch *out);

#endif
