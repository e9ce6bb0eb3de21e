/*
 * darts_pack.c — a DARTS run's whole state as one versioned blob
 * (nc_darts_pack, nc_darts_unpack, nc_darts_blob_units), checkpointed
 * between units so a resumed run is bit-identical to an uninterrupted one.
 */
#include "supernet/darts_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- Checkpoint blob ------------------------------------------------------
 * "NCDARTS1", u32 version, then the position, the configuration it belongs
 * to (refused if another), the DARTS-PT record and the sizes of the float
 * arrays that follow: parameters, BN state, weight optimizer, alpha
 * optimizer, alpha history. Integers and doubles little-endian. */
#define BLOB_MAGIC "NCDARTS1"
enum {
    BLOB_VERSION = 1,
    /* magic, version, 12 u32, 10 u64, 2 + E + A doubles, 2 * E u32 */
    BLOB_HEADER = 8 + 4 + 12 * 4 + 10 * 8 + (2 + E + A) * 8 + 2 * E * 4
};

typedef struct wbuf {
    uint8_t *p;
} wbuf;

static void w_u32(wbuf *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *w->p++ = (uint8_t)(v >> (8 * i));
}

static void w_u64(wbuf *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *w->p++ = (uint8_t)(v >> (8 * i));
}

static void w_f64(wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    w_u64(w, v);
}

static void w_floats(wbuf *w, const float *f, size_t n)
{
    memcpy(w->p, f, n * sizeof(float));
    w->p += n * sizeof(float);
}

static uint32_t r_u32(const uint8_t **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(*p)[i] << (8 * i);
    *p += 4;
    return v;
}

static uint64_t r_u64(const uint8_t **p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += 8;
    return v;
}

static double r_f64(const uint8_t **p)
{
    uint64_t v = r_u64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* The configuration's fingerprint in the blob: the fields that shape the
 * state or the schedule. */
static void cfg_words(const nc_darts *d, uint32_t w[8])
{
    w[0] = (uint32_t)d->c.epochs;
    w[1] = (uint32_t)d->c.pt_epochs;
    w[2] = (uint32_t)d->c.batch;
    w[3] = (uint32_t)d->c.order;
    w[4] = (uint32_t)d->c.nb201_c;
    w[5] = (uint32_t)d->c.nb201_n;
    w[6] = (uint32_t)d->train->n;
    w[7] = (uint32_t)d->valid->n;
}

nc_status nc_darts_pack(nc_ctx *ctx, nc_darts *d, void **blob, size_t *len)
{
    size_t np = nc_supernet_n_params(d->sn), ns = nc_supernet_n_state(d->sn);
    size_t nw = nc_optim_state_len(d->wopt), na = nc_optim_state_len(d->aopt);
    size_t nh = (size_t)d->epoch * A;
    size_t n = BLOB_HEADER + (np + ns + nw + na + nh) * sizeof(float);
    uint8_t *b = malloc(n);
    if (!b)
        return nc_fail(ctx, NC_ERR_NOMEM, "darts: out of memory packing the "
                       "state (%zu bytes)", n);
    wbuf w = { b };
    memcpy(w.p, BLOB_MAGIC, 8);
    w.p += 8;
    w_u32(&w, BLOB_VERSION);
    uint32_t cw[8];
    cfg_words(d, cw);
    for (int i = 0; i < 8; i++)
        w_u32(&w, cw[i]);
    w_u32(&w, (uint32_t)d->epoch);
    w_u32(&w, (uint32_t)d->n_decided);
    w_u32(&w, (uint32_t)d->have_sacc);
    w_u32(&w, 0);
    w_u64(&w, d->c.seed);
    w_u64(&w, d->units);
    w_u64(&w, (uint64_t)d->step);
    w_u64(&w, (uint64_t)nc_optim_steps(d->wopt));
    w_u64(&w, (uint64_t)nc_optim_steps(d->aopt));
    w_u64(&w, np);
    w_u64(&w, ns);
    w_u64(&w, nw);
    w_u64(&w, na);
    w_u64(&w, nh);
    w_f64(&w, d->supernet_accuracy);
    w_f64(&w, d->seconds);
    for (int i = 0; i < E; i++)
        w_f64(&w, d->pt_base[i]);
    for (int i = 0; i < A; i++)
        w_f64(&w, d->pt_drop[i]);
    for (int i = 0; i < E; i++)
        w_u32(&w, (uint32_t)d->order[i]);
    for (int i = 0; i < E; i++)
        w_u32(&w, (uint32_t)d->decided[i]);
    w_floats(&w, nc_supernet_params(d->sn), np);
    w_floats(&w, nc_supernet_state(d->sn), ns);
    w_floats(&w, nc_optim_state(d->wopt), nw);
    w_floats(&w, nc_optim_state(d->aopt), na);
    w_floats(&w, d->hist, nh);
    *blob = b;
    *len = n;
    return NC_OK;
}

uint64_t nc_darts_blob_units(const void *blob, size_t len)
{
    const uint8_t *p = blob;
    if (len < BLOB_HEADER || memcmp(p, BLOB_MAGIC, 8) != 0)
        return 0;
    p += 8 + 4 + 12 * 4 + 8;    /* to `units` */
    return r_u64(&p);
}

nc_status nc_darts_unpack(nc_ctx *ctx, nc_darts *d, const void *blob,
                          size_t len)
{
    const uint8_t *p = blob, *b = blob;
    if (len < BLOB_HEADER || memcmp(p, BLOB_MAGIC, 8) != 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: not a DARTS "
                       "checkpoint (%zu bytes, bad magic)", len);
    p += 8;
    uint32_t ver = r_u32(&p);
    if (ver != BLOB_VERSION)
        return nc_fail(ctx, NC_ERR_VERSION, "darts checkpoint: version %u; "
                       "this nasc reads version %d", ver, BLOB_VERSION);
    static const char *const names[8] = { "epochs", "pt_epochs", "batch",
        "order", "nb201_c", "nb201_n", "training samples", "held-out samples" };
    uint32_t cw[8];
    cfg_words(d, cw);
    for (int i = 0; i < 8; i++) {
        uint32_t v = r_u32(&p);
        if (v != cw[i])
            return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: made with "
                           "%s %d, the run has %d", names[i], (int)v, (int)cw[i]);
    }
    int epoch = (int)r_u32(&p), n_dec = (int)r_u32(&p), sacc = (int)r_u32(&p);
    r_u32(&p);
    uint64_t seed = r_u64(&p), units = r_u64(&p), step = r_u64(&p);
    uint64_t wsteps = r_u64(&p), asteps = r_u64(&p);
    uint64_t np = r_u64(&p), ns = r_u64(&p), nw = r_u64(&p), na = r_u64(&p),
             nh = r_u64(&p);
    if (seed != d->c.seed)
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: made with seed "
                       "%llu, the run has %llu", (unsigned long long)seed,
                       (unsigned long long)d->c.seed);
    if (epoch < 0 || epoch > nc_darts_epochs_total(&d->c) || n_dec < 0 ||
        n_dec > E || nh != (uint64_t)epoch * A)
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: position "
                       "(epoch %d, %d decisions) outside the run", epoch, n_dec);
    if (np != nc_supernet_n_params(d->sn) || ns != nc_supernet_n_state(d->sn) ||
        nw != nc_optim_state_len(d->wopt) || na != nc_optim_state_len(d->aopt))
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: holds %llu "
                       "parameters, %llu state and %llu + %llu optimizer "
                       "values; the supernet needs %zu, %zu and %zu + %zu",
                       (unsigned long long)np, (unsigned long long)ns,
                       (unsigned long long)nw, (unsigned long long)na,
                       nc_supernet_n_params(d->sn), nc_supernet_n_state(d->sn),
                       nc_optim_state_len(d->wopt), nc_optim_state_len(d->aopt));
    size_t want = BLOB_HEADER + (np + ns + nw + na + nh) * sizeof(float);
    if (len != want)
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: %zu bytes; "
                       "expected %zu", len, want);
    double sa = r_f64(&p), secs = r_f64(&p), base[E], drop[A];
    for (int i = 0; i < E; i++)
        base[i] = r_f64(&p);
    for (int i = 0; i < A; i++)
        drop[i] = r_f64(&p);
    int order[E], decided[E];
    for (int i = 0; i < E; i++)
        order[i] = (int)r_u32(&p);
    for (int i = 0; i < E; i++)
        decided[i] = (int)r_u32(&p);
    int nd = 0;
    for (int i = 0; i < E; i++) {
        if (order[i] < 0 || order[i] >= E || decided[i] < -1 || decided[i] >= K)
            return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: corrupt "
                           "DARTS-PT record");
        nd += decided[i] >= 0;
    }
    if (nd != n_dec || memcmp(order, d->order, sizeof order) != 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "darts checkpoint: DARTS-PT record "
                       "does not match the run's seed");
    /* The gates follow the decisions; set them before anything is copied so
     * that a failure leaves the run as it was. */
    nc_status st = nc_darts_set_gates(ctx, d->sn, decided, -1);
    if (st)
        return st;
    p = b + BLOB_HEADER;
    memcpy(nc_supernet_params(d->sn), p, np * sizeof(float));
    p += np * sizeof(float);
    memcpy(nc_supernet_state(d->sn), p, ns * sizeof(float));
    p += ns * sizeof(float);
    memcpy(nc_optim_state(d->wopt), p, nw * sizeof(float));
    p += nw * sizeof(float);
    memcpy(nc_optim_state(d->aopt), p, na * sizeof(float));
    p += na * sizeof(float);
    memcpy(d->hist, p, nh * sizeof(float));
    nc_optim_set_steps(d->wopt, (int64_t)wsteps);
    nc_optim_set_steps(d->aopt, (int64_t)asteps);
    d->epoch = epoch;
    d->n_decided = n_dec;
    d->have_sacc = sacc != 0;
    d->units = units;
    d->step = (int64_t)step;
    d->seconds = secs;
    d->supernet_accuracy = sa;
    memcpy(d->pt_base, base, sizeof base);
    memcpy(d->pt_drop, drop, sizeof drop);
    memcpy(d->decided, decided, sizeof decided);
    return NC_OK;
}
