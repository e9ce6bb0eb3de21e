/*
 * predictive.c — predictor-guided search in the style of BANANAS (White et
 * al. 2021) and its local-search reading (LINAS): a learned predictor, not
 * a tournament, decides which mutant of the best architectures is worth a
 * real evaluation.
 *
 * The first cfg.init told trials come from uniform draws (architectures
 * already told are redrawn). After that, an ask
 *   1. fits the predictor (predictors/predictor.h, kind cfg.predictor with
 *      its defaults, which fit the normal scores of the fitnesses' ranks)
 *      on the space's encoding of every told architecture and its fitness
 *      (a failed trial, told as -inf, counts as the worst finite fitness);
 *   2. makes cfg.candidates candidates: each is, with probability
 *      cfg.random_frac, a uniform draw, otherwise 1..cfg.mutations
 *      mutations of one of the cfg.parents fittest told architectures
 *      (round robin, so each parent gets its share);
 *   3. drops candidates already told or repeated, predicts the rest and
 *      proposes the one predicted best (ties: the first made); with
 *      cfg.ucb_beta > 0 "best" is the largest mean + beta * spread, an
 *      upper confidence bound that favours candidates the model is unsure
 *      about.
 * By default the acquisition is the mean alone, pure exploitation; the
 * random candidates and the multi-mutation mutants are what keeps the
 * search from settling on one neighbourhood. UCB needs a spread (GP
 * posterior deviation, or the spread of an ensemble's members).
 *
 * Zero-cost help (cfg.zc_pool, cfg.zc_feature; scores from the attached
 * nc_zc_fn). Warm-up, as Abdelfattah et al. (ICLR 2021) do for their
 * searches: instead of `init` uniform draws, score a pool of distinct
 * uniform draws with the proxy and start from its `init` best, trial t
 * getting the t-th best; the pool is drawn from its own stream, so it is
 * the same for every trial and every restart. As a feature the score
 * lets the predictor learn how far to trust the proxy; it is transformed
 * by sign(s) log(1 + |s|) because raw synflow spans dozens of orders of
 * magnitude.
 *
 * Purity: the fit, the candidates and their ranking are a function of the
 * told history alone (the candidates draw from the generator of trial
 * n_told, which is the trial a serial campaign asks next), so replaying the
 * history gives the same proposals. A worker asking ahead (trial t while
 * earlier trials are still untold) takes the (k+1)-th ranked candidate, k
 * being the number of untold trials before t, so concurrent asks do not all
 * propose the same architecture. The fit and the ranking are memoized in
 * s->cache for the history length they were made from; the predictor is
 * refitted only when a new result has been told. The warm-up list is made
 * once per strategy object and kept in the cache too; like the ranking it
 * is recomputed, identically, after a restart.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predictors/predictor.h"
#include "search/strategy_int.h"

/* The ranking made from the first n_told told trials, and the warm-up. */
typedef struct pcache {
    int64_t n_told;         /* history length it was made from; -1: none */
    int fitted;             /* 0: too few usable results, propose randomly */
    nc_arch *cand;          /* candidates, best predicted first */
    int64_t *parent;        /* parent trial of each, -1 for a uniform draw */
    size_t n_cand;
    int warm_made;          /* warm[] is made (zc_pool > 0) */
    nc_arch *warm;          /* the warm-up trials' architectures, in order */
    size_t n_warm;
} pcache;

static void ranking_clear(pcache *c)
{
    free(c->cand);
    free(c->parent);
    c->cand = NULL;
    c->parent = NULL;
    c->n_cand = 0;
    c->fitted = 0;
    c->n_told = -1;
}

void nc_predictive_cache_free(void *cache)
{
    pcache *c = cache;
    if (!c)
        return;
    ranking_clear(c);
    free(c->warm);
    free(c);
}

nc_status nc_predictive_check(nc_ctx *ctx, const nc_strategy_cfg *cfg)
{
    if (!nc_predictor_name((nc_predictor_kind)cfg->predictor))
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: unknown predictor kind %d",
                       cfg->predictor);
    if (cfg->init < 2 || cfg->init > 100000)
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: init %d out of range "
                       "2..100000", cfg->init);
    if (cfg->candidates < 1 || cfg->candidates > 100000)
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: candidates %d out of "
                       "range 1..100000", cfg->candidates);
    if (cfg->parents < 1 || cfg->parents > 10000)
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: parents %d out of range "
                       "1..10000", cfg->parents);
    if (cfg->mutations < 1 || cfg->mutations > 64)
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: mutations %d out of "
                       "range 1..64", cfg->mutations);
    if (!(cfg->random_frac >= 0.0 && cfg->random_frac <= 1.0))
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: random_frac %g out of "
                       "range [0, 1]", cfg->random_frac);
    if (cfg->zc_pool != 0 && (cfg->zc_pool < cfg->init || cfg->zc_pool > 1000000))
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: zc_pool %d out of range "
                       "(0 for no warm-up, else init = %d..1000000)",
                       cfg->zc_pool, cfg->init);
    if (cfg->zc_feature != 0 && cfg->zc_feature != 1)
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: zc_feature %d must be "
                       "0 or 1", cfg->zc_feature);
    if (!(cfg->ucb_beta >= 0.0 && cfg->ucb_beta <= 100.0))
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: ucb_beta %g out of range "
                       "[0, 100]", cfg->ucb_beta);
    if (cfg->ucb_beta > 0 &&
        !nc_predictor_has_spread((nc_predictor_kind)cfg->predictor))
        return nc_fail(ctx, NC_ERR_INVAL, "predictive: ucb_beta %g needs a "
                       "predictor with a spread (gp, ensemble), not %s",
                       cfg->ucb_beta,
                       nc_predictor_name((nc_predictor_kind)cfg->predictor));
    return NC_OK;
}

/* ---- a set of architectures (open addressing over an index array) ------- */

typedef struct aset {
    const nc_space *sp;
    const nc_arch *arch;    /* the members live in the caller's array */
    int64_t *slot;          /* index into arch, or -1 */
    size_t mask;
} aset;

static uint64_t arch_hash(const nc_space *sp, const nc_arch *a)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < sp->n_genes; i++)
        h = (h ^ a->g[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* arch is not const only because the members are written after this call
 * (GCC warns about a const pointer to memory not written yet). */
static int aset_init(aset *m, const nc_space *sp, nc_arch *arch, size_t n_max)
{
    size_t cap = 16;
    while (cap < 2 * n_max + 2)
        cap *= 2;
    m->sp = sp;
    m->arch = arch;
    m->mask = cap - 1;
    m->slot = malloc(cap * sizeof *m->slot);
    if (!m->slot)
        return -1;
    for (size_t i = 0; i < cap; i++)
        m->slot[i] = -1;
    return 0;
}

/* Adds member i unless an equal one is in; returns 1 if added. */
static int aset_add(aset *m, int64_t i)
{
    const nc_arch *a = &m->arch[i];
    for (size_t h = arch_hash(m->sp, a) & m->mask;; h = (h + 1) & m->mask) {
        if (m->slot[h] < 0) {
            m->slot[h] = i;
            return 1;
        }
        if (nc_arch_equal(m->sp, &m->arch[m->slot[h]], a))
            return 0;
    }
}

static int aset_has(const aset *m, const nc_arch *a)
{
    for (size_t h = arch_hash(m->sp, a) & m->mask;; h = (h + 1) & m->mask) {
        if (m->slot[h] < 0)
            return 0;
        if (nc_arch_equal(m->sp, &m->arch[m->slot[h]], a))
            return 1;
    }
}

/* ---- ranking ------------------------------------------------------------ */

typedef struct scored {
    double v;
    int64_t i;
} scored;

/* Larger v first; ties by smaller i (earlier told / made first). */
static int by_value_desc(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Scratch of one ranking, freed together. */
typedef struct work {
    nc_arch *told_arch;     /* n copies, for the told set */
    scored *by_fit;         /* told, fittest first */
    int64_t *par;           /* told indices of the distinct parents */
    double *X, *y;          /* training set */
    float *f;               /* one encoding */
    nc_arch *cand;
    int64_t *cpar;
    double *Xc, *yc;
    scored *by_pred;
    double *zc;             /* zero-cost scores (zc_feature) */
    double *sd;             /* predictive spreads (ucb_beta > 0) */
    aset told, seen;
    nc_predictor *pred;
} work;

static void work_free(work *w)
{
    free(w->told_arch);
    free(w->by_fit);
    free(w->par);
    free(w->X);
    free(w->y);
    free(w->f);
    free(w->cand);
    free(w->cpar);
    free(w->Xc);
    free(w->yc);
    free(w->by_pred);
    free(w->zc);
    free(w->sd);
    free(w->told.slot);
    free(w->seen.slot);
    nc_predictor_free(w->pred);
}

/* Zero-cost scores of a[0..n) from the attached scorer, checked against its
 * contract. */
static nc_status zc_scores(nc_ctx *ctx, const nc_strategy *s, const nc_arch *a,
                           size_t n, double *out)
{
    if (!s->zc)
        return nc_fail(ctx, NC_ERR_STATE, "predictive search: zc_pool or "
                       "zc_feature is set but no zero-cost scorer is attached "
                       "(nc_strategy_set_zc)");
    if (n == 0)
        return NC_OK;
    nc_status st = s->zc(s->zc_user, ctx, a, n, out);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        if (isnan(out[i]) || out[i] == INFINITY) {
            char buf[NC_ARCH_STR_MAX];
            s->sp->format(s->sp, &a[i], buf, sizeof buf);
            return nc_fail(ctx, NC_ERR_NUMERIC, "predictive search: zero-cost "
                           "score of %s is %g (a scorer gives finite values "
                           "or -inf)", buf, out[i]);
        }
    return NC_OK;
}

static double zc_squash(double v)
{
    return v >= 0 ? log1p(v) : -log1p(-v);
}

/* Writes the feature column col (stride d) of n rows from zero-cost scores
 * v, -inf at *floor; *floor is set from these rows if it is NaN (the
 * training set), else used as given (the candidates). */
static void zc_column(const double *v, size_t n, double *X, int d, int col,
                      double *floor)
{
    if (isnan(*floor)) {
        double lo = INFINITY;
        for (size_t i = 0; i < n; i++)
            if (isfinite(v[i]) && zc_squash(v[i]) < lo)
                lo = zc_squash(v[i]);
        *floor = isfinite(lo) ? lo - 1.0 : 0.0;
    }
    for (size_t i = 0; i < n; i++)
        X[i * (size_t)d + (size_t)col] = isfinite(v[i]) ? zc_squash(v[i]) : *floor;
}

static void encode_row(const nc_space *sp, const nc_arch *a, float *f,
                       double *row)
{
    sp->encode(sp, a, f);
    for (int j = 0; j < sp->n_features; j++)
        row[j] = f[j];
}

/* Fits the predictor on the history, makes and ranks the candidates into a
 * fresh cache c (c->fitted 0 when there are too few usable results or the
 * model's arithmetic failed, in which case the ask proposes randomly). */
static nc_status rank_candidates(nc_ctx *ctx, const nc_strategy *s, pcache *c)
{
    const nc_space *sp = s->sp;
    const nc_strategy_cfg *cfg = &s->cfg;
    int64_t n = s->n_told;
    int d0 = sp->n_features, d = d0 + (cfg->zc_feature ? 1 : 0);
    size_t m = (size_t)cfg->candidates;
    size_t nz = (size_t)n > m ? (size_t)n : m;
    double zfloor = NAN;
    work w;
    memset(&w, 0, sizeof w);
    c->n_told = n;
    w.told_arch = malloc((size_t)n * sizeof *w.told_arch);
    w.by_fit = malloc((size_t)n * sizeof *w.by_fit);
    w.par = malloc((size_t)n * sizeof *w.par);
    w.X = malloc((size_t)n * (size_t)d * sizeof *w.X);
    w.y = malloc((size_t)n * sizeof *w.y);
    w.f = malloc((size_t)d * sizeof *w.f);
    w.cand = malloc(m * sizeof *w.cand);
    w.cpar = malloc(m * sizeof *w.cpar);
    w.Xc = malloc(m * (size_t)d * sizeof *w.Xc);
    w.yc = malloc(m * sizeof *w.yc);
    w.by_pred = malloc(m * sizeof *w.by_pred);
    w.zc = cfg->zc_feature ? malloc(nz * sizeof *w.zc) : NULL;
    w.sd = cfg->ucb_beta > 0 ? malloc(m * sizeof *w.sd) : NULL;
    if ((cfg->zc_feature && !w.zc) || (cfg->ucb_beta > 0 && !w.sd) ||
        !w.told_arch || !w.by_fit || !w.par || !w.X || !w.y || !w.f ||
        !w.cand || !w.cpar || !w.Xc || !w.yc || !w.by_pred ||
        aset_init(&w.told, sp, w.told_arch, (size_t)n) ||
        aset_init(&w.seen, sp, w.cand, m)) {
        work_free(&w);
        return nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory");
    }

    /* The training set; failed trials (-inf) become the worst finite. */
    double worst = INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(s->told[i].fitness) && s->told[i].fitness < worst)
            worst = s->told[i].fitness;
    for (int64_t i = 0; i < n; i++) {
        w.told_arch[i] = s->told[i].arch;
        aset_add(&w.told, i);
        double v = s->told[i].fitness;
        w.y[i] = isfinite(v) ? v : worst;
        w.by_fit[i] = (scored){ w.y[i], i };
        encode_row(sp, &s->told[i].arch, w.f, w.X + (size_t)i * (size_t)d);
    }
    if (cfg->zc_feature) {
        nc_status zs = zc_scores(ctx, s, w.told_arch, (size_t)n, w.zc);
        if (zs) {
            work_free(&w);
            return zs;
        }
        zc_column(w.zc, (size_t)n, w.X, d, d0, &zfloor);
    }
    nc_predictor_opts o = nc_predictor_defaults((nc_predictor_kind)cfg->predictor);
    o.seed = cfg->seed;
    nc_status st = nc_predictor_new(ctx, (nc_predictor_kind)cfg->predictor, &o,
                                    &w.pred);
    if (st) {
        work_free(&w);
        return st;
    }
    if (!isfinite(worst) || n < nc_predictor_min_points(w.pred)) {
        work_free(&w);
        return NC_OK;       /* nothing usable to fit: random proposals */
    }
    st = nc_predictor_fit(ctx, w.pred, w.X, (size_t)n, d, w.y);
    if (st == NC_ERR_NUMERIC) {
        work_free(&w);
        return NC_OK;       /* a degenerate history: random proposals */
    }
    if (st) {
        work_free(&w);
        return st;
    }

    /* The distinct fittest told architectures are the parents. */
    qsort(w.by_fit, (size_t)n, sizeof *w.by_fit, by_value_desc);
    aset pset;
    if (aset_init(&pset, sp, w.told_arch, (size_t)cfg->parents)) {
        work_free(&w);
        return nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory");
    }
    int n_par = 0;
    for (int64_t k = 0; k < n && n_par < cfg->parents; k++)
        if (aset_add(&pset, w.by_fit[k].i))
            w.par[n_par++] = w.by_fit[k].i;
    free(pset.slot);

    /* The candidates, from the generator of the next serial trial. */
    nc_rng r = nc_rng_make(cfg->seed, NC_STREAM(NC_PURPOSE_SAMPLE, n));
    size_t nc = 0;
    for (size_t k = 0; k < m; k++) {
        float coin = nc_rng_uniform(&r);
        nc_arch a;
        int64_t parent = -1;
        if (coin < cfg->random_frac) {
            sp->sample(sp, &r, &a);
        } else {
            int64_t pi = w.par[k % (size_t)n_par];
            int nm = 1 + (int)nc_rng_below(&r, (uint32_t)cfg->mutations);
            a = s->told[pi].arch;
            for (int j = 0; j < nm; j++) {
                nc_arch b;
                sp->mutate(sp, &r, &a, &b);
                a = b;
            }
            parent = s->told[pi].trial;
        }
        if (aset_has(&w.told, &a))
            continue;
        w.cand[nc] = a;
        if (!aset_add(&w.seen, (int64_t)nc))
            continue;
        w.cpar[nc] = parent;
        encode_row(sp, &a, w.f, w.Xc + nc * (size_t)d);
        nc++;
    }
    if (nc > 0 && cfg->zc_feature) {
        if ((st = zc_scores(ctx, s, w.cand, nc, w.zc))) {
            work_free(&w);
            return st;
        }
        zc_column(w.zc, nc, w.Xc, d, d0, &zfloor);
    }
    if (nc > 0) {
        if (cfg->ucb_beta > 0) {
            st = nc_predictor_predict_sd(ctx, w.pred, w.Xc, nc, d, w.yc, w.sd);
            for (size_t k = 0; !st && k < nc; k++)
                w.yc[k] += cfg->ucb_beta * w.sd[k];
        } else {
            st = nc_predictor_predict(ctx, w.pred, w.Xc, nc, d, w.yc);
        }
        if (st) {
            work_free(&w);
            return st;
        }
        for (size_t k = 0; k < nc; k++)
            w.by_pred[k] = (scored){ w.yc[k], (int64_t)k };
        qsort(w.by_pred, nc, sizeof *w.by_pred, by_value_desc);
    }
    c->cand = malloc((nc ? nc : 1) * sizeof *c->cand);
    c->parent = malloc((nc ? nc : 1) * sizeof *c->parent);
    if (!c->cand || !c->parent) {
        work_free(&w);
        return nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory");
    }
    for (size_t k = 0; k < nc; k++) {
        c->cand[k] = w.cand[w.by_pred[k].i];
        c->parent[k] = w.cpar[w.by_pred[k].i];
    }
    c->n_cand = nc;
    c->fitted = 1;
    work_free(&w);
    return NC_OK;
}

/* A uniform draw not told yet, if a few draws find one. */
static void random_untold(const nc_strategy *s, nc_rng *r, nc_proposal *out)
{
    for (int tries = 0; tries < 100; tries++) {
        s->sp->sample(s->sp, r, &out->arch);
        int told = 0;
        for (int64_t i = 0; i < s->n_told && !told; i++)
            told = nc_arch_equal(s->sp, &s->told[i].arch, &out->arch);
        if (!told)
            break;
    }
    out->origin = NC_ORIGIN_RANDOM;
}

/* The warm-up list: the cfg.init best-scored of up to cfg.zc_pool distinct
 * draws of the warm-up stream (a space smaller than the pool gives what 20
 * draws per slot find). */
static nc_status make_warm(nc_ctx *ctx, const nc_strategy *s, pcache *c)
{
    const nc_space *sp = s->sp;
    size_t pool = (size_t)s->cfg.zc_pool, n = 0;
    nc_arch *a = malloc(pool * sizeof *a);
    double *v = malloc(pool * sizeof *v);
    scored *o = malloc(pool * sizeof *o);
    aset seen = { 0 };
    if (!a || !v || !o || aset_init(&seen, sp, a, pool)) {
        free(a);
        free(v);
        free(o);
        return nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory "
                       "for a warm-up pool of %zu", pool);
    }
    nc_rng r = nc_rng_make(s->cfg.seed, NC_STREAM(NC_PURPOSE_WARMUP, 0));
    for (size_t t = 0; t < 20 * pool && n < pool; t++) {
        sp->sample(sp, &r, &a[n]);
        n += (size_t)aset_add(&seen, (int64_t)n);
    }
    free(seen.slot);
    nc_status st = zc_scores(ctx, s, a, n, v);
    if (!st) {
        for (size_t i = 0; i < n; i++)
            o[i] = (scored){ v[i], (int64_t)i };
        qsort(o, n, sizeof *o, by_value_desc);
        c->n_warm = n < (size_t)s->cfg.init ? n : (size_t)s->cfg.init;
        c->warm = malloc((c->n_warm ? c->n_warm : 1) * sizeof *c->warm);
        if (!c->warm)
            st = nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory");
        for (size_t k = 0; !st && k < c->n_warm; k++)
            c->warm[k] = a[o[k].i];
        c->warm_made = !st;
    }
    free(a);
    free(v);
    free(o);
    return st;
}

nc_status nc_predictive_ask(nc_ctx *ctx, nc_strategy *s, int64_t trial,
                            nc_rng *r, nc_proposal *out)
{
    memset(out, 0, sizeof *out);
    pcache *c = s->cache;
    if (!c) {
        s->cache = c = calloc(1, sizeof *c);
        if (!c)
            return nc_fail(ctx, NC_ERR_NOMEM, "predictive search: out of memory");
        c->n_told = -1;
    }
    if (s->cfg.zc_pool > 0 && trial < s->cfg.init) {
        nc_status st;
        if (!c->warm_made && (st = make_warm(ctx, s, c)))
            return st;
        if ((uint64_t)trial < c->n_warm) {
            out->arch = c->warm[trial];
            out->origin = NC_ORIGIN_WARMUP;
            return NC_OK;
        }
    }
    if (s->n_told < s->cfg.init) {
        random_untold(s, r, out);
        return NC_OK;
    }
    if (c->n_told != s->n_told) {
        ranking_clear(c);
        nc_status st = rank_candidates(ctx, s, c);
        if (st) {
            ranking_clear(c);
            return st;
        }
    }
    int64_t before = 0;
    for (int64_t i = 0; i < s->n_told; i++)
        before += s->told[i].trial < trial;
    int64_t skip = trial - before;      /* untold trials before this one */
    if (!c->fitted || skip < 0 || (uint64_t)skip >= c->n_cand) {
        random_untold(s, r, out);
        return NC_OK;
    }
    out->arch = c->cand[skip];
    out->origin = NC_ORIGIN_PREDICTED;
    if (c->parent[skip] >= 0) {
        out->n_parents = 1;
        out->parents[0] = c->parent[skip];
    }
    return NC_OK;
}
