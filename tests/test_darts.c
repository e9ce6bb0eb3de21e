/*
 * test_darts.c — DARTS's architecture gradient (first order, and the
 * second-order unrolled approximation) against finite differences of the
 * objective it approximates, and whole DARTS / DARTS-PT runs on a toy data
 * set: deterministic, alpha learned, a valid cell selected. Then the
 * resumable form: the packed state round-trips (and foreign blobs are
 * refused), and a logged run stopped after an epoch, after a DARTS-PT
 * decision and after a tuning epoch, then resumed, ends bit-identical to an
 * uninterrupted one.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"
#include "supernet/darts.h"
#include "store/store.h"
#include "tests/util/testutil.h"

static nc_supernet *darts_net(nc_ctx *ctx)
{
    nc_supernet_opts o = nc_supernet_defaults();
    o.in = (nc_shape){ 1, 8, 8 };
    o.n_classes = 3;
    o.n_max = 32;
    o.nb201_c = 4;
    o.nb201_n = 1;
    o.nb201_affine = 0;
    o.nb201_alpha = 1;
    nc_supernet *sn;
    ck_assert_msg(nc_supernet_new(ctx, nc_space_nb201(), &o, &sn) == NC_OK,
                  "%s", ctx->msg);
    nc_supernet_init(sn, 5);
    uint8_t mask[NC_DARTS_ALPHA], hard[NC_NB201_N_EDGES] = { 0 };
    memset(mask, 1, sizeof mask);
    ck_assert(nc_supernet_nb201_gates(ctx, sn, mask, hard) == NC_OK);
    /* Spread alpha so that the softmax weights differ clearly. */
    float a[NC_DARTS_ALPHA];
    nc_rng r = nc_rng_make(8, NC_STREAM(NC_PURPOSE_TEST, 3));
    for (int i = 0; i < NC_DARTS_ALPHA; i++)
        a[i] = 0.5f * nc_rng_normal(&r);
    nc_supernet_nb201_set_alpha(ctx, sn, a);
    return sn;
}

/* The unrolled objective F(alpha) = L_val(w - xi (dL_train/dw + wd w), alpha)
 * at the supernet's weights (which it restores). */
static double unrolled(nc_ctx *ctx, nc_supernet *sn, const float *alpha,
                       double xi, double wd, const float *xt, const int32_t *yt,
                       const float *xv, const int32_t *yv, int n, int order)
{
    size_t np = nc_supernet_n_params(sn);
    float *w = nc_supernet_params(sn), *g = nc_supernet_grads(sn);
    float *w0 = malloc(np * sizeof(float));
    memcpy(w0, w, np * sizeof(float));
    nc_supernet_nb201_set_alpha(ctx, sn, alpha);
    if (order == 2) {
        nc_supernet_zero_grad(sn);
        ck_assert(nc_supernet_forward(ctx, sn, xt, yt, n, 1, NULL) == NC_OK);
        ck_assert(nc_supernet_backward(ctx, sn) == NC_OK);
        for (size_t i = 0; i < np; i++)
            w[i] = w0[i] - (float)xi * (g[i] + (float)wd * w0[i]);
        nc_supernet_nb201_set_alpha(ctx, sn, alpha);
    }
    float l;
    ck_assert(nc_supernet_forward(ctx, sn, xv, yv, n, 1, &l) == NC_OK);
    memcpy(w, w0, np * sizeof(float));
    free(w0);
    return l;
}

START_TEST(test_alpha_grad)
{
    int order = _i;
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_supernet *sn = darts_net(&ctx);
    enum { NB = 32 };
    nc_dataset *ds = nc_test_toy_dataset(2 * NB, 2);
    float xt[NB * 64], xv[NB * 64];
    int32_t yt[NB], yv[NB];
    uint32_t it[NB], iv[NB];
    for (int i = 0; i < NB; i++) {
        it[i] = (uint32_t)i;
        iv[i] = (uint32_t)(NB + i);
    }
    nc_batch_fill(ds, it, NB, NULL, NULL, xt, yt);
    nc_batch_fill(ds, iv, NB, NULL, NULL, xv, yv);
    double xi = 0.01, wd = 1e-3;
    float *scratch = malloc(2 * nc_supernet_n_params(sn) * sizeof(float));
    float grad[NC_DARTS_ALPHA], first[NC_DARTS_ALPHA], alpha[NC_DARTS_ALPHA];
    ck_assert(nc_supernet_nb201_alpha(&ctx, sn, alpha, NULL) == NC_OK);
    ck_assert_msg(nc_darts_alpha_grad(&ctx, sn, order, xi, wd, xt, yt, NB, xv,
                                      yv, NB, scratch, grad) == NC_OK, "%s",
                  ctx.msg);
    ck_assert(nc_darts_alpha_grad(&ctx, sn, 1, xi, wd, xt, yt, NB, xv, yv, NB,
                                  scratch, first) == NC_OK);
    if (order == 1) {
        for (int i = 0; i < NC_DARTS_ALPHA; i++) {
            float ap[NC_DARTS_ALPHA], am[NC_DARTS_ALPHA];
            memcpy(ap, alpha, sizeof ap);
            memcpy(am, alpha, sizeof am);
            float h = 1e-3f;
            ap[i] += h;
            am[i] -= h;
            double num = (unrolled(&ctx, sn, ap, xi, wd, xt, yt, xv, yv, NB, 1) -
                          unrolled(&ctx, sn, am, xi, wd, xt, yt, xv, yv, NB, 1)) /
                         (2.0 * h);
            double err = fabs(num - grad[i]) / fmax(1e-2, fabs(num));
            ck_assert_msg(err < 0.1, "alpha[%d]: analytic %g numeric %g", i,
                          (double)grad[i], num);
        }
    } else {
        /* The unrolled objective contains a gradient, which jumps wherever
         * a ReLU mask flips, so it is not smooth in alpha (measured: its
         * finite differences swing by 0.1 between h = 1e-4 and 1e-2) and
         * cannot serve as a reference (nor can the linearity of the
         * correction in xi: it is as rough). Check what is well defined:
         * xi = 0 gives the first-order gradient exactly, and xi > 0 adds a
         * correction. */
        float g0[NC_DARTS_ALPHA];
        ck_assert(nc_darts_alpha_grad(&ctx, sn, 2, 0.0, wd, xt, yt, NB, xv,
                                      yv, NB, scratch, g0) == NC_OK);
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            ck_assert_float_eq_tol(g0[i], first[i], 1e-6f);
        double diff = 0;
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            diff = fmax(diff, fabs((double)grad[i] - first[i]));
        ck_assert_msg(diff > 1e-4, "second order equals first order (%g)", diff);
    }
    /* The weights are back where they were: alpha too. */
    float after[NC_DARTS_ALPHA];
    nc_supernet_nb201_alpha(&ctx, sn, after, NULL);
    ck_assert(memcmp(after, alpha, sizeof after) == 0);
    free(scratch);
    nc_dataset_free(ds);
    nc_supernet_free(sn);
}
END_TEST

static nc_darts_cfg tiny_cfg(int order)
{
    nc_darts_cfg c = nc_darts_defaults();
    c.epochs = 4;
    c.batch = 8;
    c.order = order;
    c.nb201_c = 4;
    c.nb201_n = 1;
    c.pt_epochs = 1;
    c.w_lr = 0.05;
    c.a_lr = 3e-2;
    c.seed = 3;
    return c;
}

START_TEST(test_run)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr = nc_test_toy_dataset(48, 4), *va = nc_test_toy_dataset(32, 5);
    for (int order = 1; order <= 2; order++) {
        nc_darts_cfg c = tiny_cfg(order);
        nc_darts_result a, b;
        ck_assert_msg(nc_darts_run(&ctx, &c, 1, tr, va, NULL, &a) == NC_OK, "%s",
                      ctx.msg);
        ck_assert(nc_darts_run(&ctx, &c, 1, tr, va, NULL, &b) == NC_OK);
        ck_assert(memcmp(a.alpha, b.alpha, sizeof a.alpha) == 0);
        ck_assert(memcmp(&a.pt, &b.pt, sizeof a.pt) == 0);
        ck_assert(nc_nb201_valid(&a.darts) && nc_nb201_valid(&a.pt));
        /* alpha moved well beyond its 1e-3 initialization. */
        float mx = 0;
        for (int i = 0; i < NC_DARTS_ALPHA; i++)
            mx = fmaxf(mx, fabsf(a.alpha[i]));
        ck_assert_msg(mx > 0.01f, "alpha barely moved (%g)", (double)mx);
        /* DARTS-PT visited every edge once and tried every op there. */
        int seen[NC_NB201_N_EDGES] = { 0 };
        for (int i = 0; i < NC_NB201_N_EDGES; i++)
            seen[a.pt_order[i]]++;
        for (int e = 0; e < NC_NB201_N_EDGES; e++) {
            ck_assert_int_eq(seen[e], 1);
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                ck_assert(isfinite(a.pt_drop[e * NC_NB201_N_OPS + k]));
            /* The kept op is the one whose removal hurt most. */
            int kept = a.pt.op[e];
            for (int k = 0; k < NC_NB201_N_OPS; k++)
                ck_assert(a.pt_drop[e * NC_NB201_N_OPS + kept] >=
                          a.pt_drop[e * NC_NB201_N_OPS + k]);
        }
        ck_assert(a.supernet_accuracy > 0.5);
    }
    nc_darts_cfg bad = tiny_cfg(3);
    nc_darts_result r;
    ck_assert_int_eq(nc_darts_run(&ctx, &bad, 1, tr, va, NULL, &r), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "order");
    nc_dataset_free(tr);
    nc_dataset_free(va);
}
END_TEST


/* Packing, unpacking into a fresh run and packing again gives the same
 * bytes, and both runs then go on identically; foreign blobs are refused
 * without touching the run. */
START_TEST(test_ckpt_roundtrip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_dataset *tr = nc_test_toy_dataset(32, 4), *va = nc_test_toy_dataset(16, 5);
    nc_darts_cfg c = tiny_cfg(1);
    c.epochs = 2;
    nc_darts *a, *b;
    ck_assert_msg(nc_darts_new(&ctx, &c, 1, tr, va, &a) == NC_OK, "%s", ctx.msg);
    ck_assert(nc_darts_new(&ctx, &c, 1, tr, va, &b) == NC_OK);
    nc_darts_event ev;
    /* Two search epochs and the first decision. */
    for (int u = 0; u < 3; u++)
        ck_assert(nc_darts_next(&ctx, a, NULL, &ev) == NC_OK);
    ck_assert_int_eq(ev.unit, NC_DARTS_DECISION);
    void *blob, *blob2;
    size_t len, len2;
    ck_assert(nc_darts_pack(&ctx, a, &blob, &len) == NC_OK);
    ck_assert_uint_eq(nc_darts_blob_units(blob, len), 3);
    ck_assert_msg(nc_darts_unpack(&ctx, b, blob, len) == NC_OK, "%s", ctx.msg);
    ck_assert(nc_darts_pack(&ctx, b, &blob2, &len2) == NC_OK);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(blob, blob2, len) == 0);
    free(blob2);
    int n;
    nc_darts_alpha_history(b, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(nc_darts_epochs_done(b), 2);
    nc_darts_event ea, eb;
    ck_assert(nc_darts_next(&ctx, a, NULL, &ea) == NC_OK);
    ck_assert(nc_darts_next(&ctx, b, NULL, &eb) == NC_OK);
    ck_assert_int_eq(ea.unit, NC_DARTS_EPOCH);
    ck_assert_int_eq(ea.epoch.epoch, 3);
    ck_assert(ea.epoch.train_loss == eb.epoch.train_loss);
    /* (The packed states now differ only in the seconds worked.) */
    nc_darts_result ra, rb;
    nc_darts_result_of(a, &ra);
    nc_darts_result_of(b, &rb);
    ck_assert_str_eq(ra.weights_sha256, rb.weights_sha256);
    ck_assert(memcmp(ra.alpha, rb.alpha, sizeof ra.alpha) == 0);
    ck_assert(memcmp(ra.pt_drop, rb.pt_drop, sizeof ra.pt_drop) == 0);
    ck_assert(nc_darts_next(&ctx, a, NULL, &ea) == NC_OK);
    ck_assert(nc_darts_next(&ctx, b, NULL, &eb) == NC_OK);
    ck_assert_int_eq(ea.unit, NC_DARTS_DECISION);
    ck_assert(ea.op == eb.op && ea.edge == eb.edge);

    /* Foreign blobs. */
    unsigned char *bad = malloc(len);
    memcpy(bad, blob, len);
    bad[0] = 'X';
    ck_assert_int_eq(nc_darts_unpack(&ctx, b, bad, len), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "magic");
    memcpy(bad, blob, len);
    bad[8] = 9;
    ck_assert_int_eq(nc_darts_unpack(&ctx, b, bad, len), NC_ERR_VERSION);
    ck_assert_int_eq(nc_darts_unpack(&ctx, b, blob, len - 4), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "bytes");
    ck_assert_int_eq(nc_darts_unpack(&ctx, b, blob, 10), NC_ERR_FORMAT);
    free(bad);
    nc_darts_cfg c2 = c;
    c2.batch = 4;
    nc_darts *o;
    ck_assert(nc_darts_new(&ctx, &c2, 1, tr, va, &o) == NC_OK);
    ck_assert_int_eq(nc_darts_unpack(&ctx, o, blob, len), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "batch");
    nc_darts_free(o);
    c2 = c;
    c2.seed = 99;
    ck_assert(nc_darts_new(&ctx, &c2, 1, tr, va, &o) == NC_OK);
    ck_assert_int_eq(nc_darts_unpack(&ctx, o, blob, len), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "seed");
    nc_darts_free(o);
    free(blob);
    nc_darts_free(a);
    nc_darts_free(b);
    nc_darts_free(NULL);
    nc_dataset_free(tr);
    nc_dataset_free(va);
}
END_TEST

START_TEST(test_job_json)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_darts_job j = nc_darts_job_defaults(), k;
    j.darts.seed = 18446744073709551615ull;
    j.darts.order = 2;
    j.darts.pt_epochs = -1;
    j.valid = 123;
    snprintf(j.data_dir, sizeof j.data_dir, "/x/y");
    char *js = nc_darts_job_to_json(&j);
    ck_assert_ptr_nonnull(js);
    ck_assert_msg(nc_darts_job_from_json(&ctx, js, &k) == NC_OK, "%s", ctx.msg);
    /* Field by field: the struct has padding before seed, whose bytes a
     * struct assignment need not copy (an -O1 sanitizer build differed). */
    const nc_darts_cfg *a = &j.darts, *b = &k.darts;
    ck_assert(a->epochs == b->epochs && a->batch == b->batch);
    ck_assert(a->w_lr == b->w_lr && a->w_lr_min == b->w_lr_min &&
              a->w_momentum == b->w_momentum && a->w_wd == b->w_wd &&
              a->w_clip == b->w_clip && a->a_lr == b->a_lr && a->a_wd == b->a_wd);
    ck_assert(a->order == b->order && a->pt_epochs == b->pt_epochs &&
              a->eval_samples == b->eval_samples && a->nb201_c == b->nb201_c &&
              a->nb201_n == b->nb201_n && a->seed == b->seed);
    ck_assert_str_eq(k.data_dir, "/x/y");
    ck_assert_int_eq(k.valid, 123);
    free(js);
    ck_assert_int_eq(nc_darts_job_from_json(&ctx, "{\"epochs\":1,\"bogus\":2}",
                                            &k), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "bogus");
    ck_assert_int_eq(nc_darts_job_from_json(&ctx, "{\"dataset\":\"fashion-mnist\"}",
                                            &k), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "data_dir");
    j = nc_darts_job_defaults();
    j.darts.order = 3;
    ck_assert_int_eq(nc_darts_job_validate(&ctx, &j), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "order:");
    j = nc_darts_job_defaults();
    j.valid = 0;
    ck_assert_int_eq(nc_darts_job_validate(&ctx, &j), NC_ERR_RANGE);
    nc_test_expect_msg(&ctx, "valid:");
}
END_TEST

/* Stops the run after the `stop_at`-th committed unit (epochs and
 * decisions counted together). */
typedef struct stopper {
    int units, stop_at;
} stopper;

static int stop_epoch(void *ud, const nc_darts_epoch *e)
{
    stopper *s = ud;
    return ++s->units == s->stop_at;
}

static int stop_decision(void *ud, int i, int edge, int op)
{
    stopper *s = ud;
    return ++s->units == s->stop_at;
}

static void same_result(const nc_darts_result *a, const nc_darts_result *b)
{
    ck_assert(memcmp(a->alpha, b->alpha, sizeof a->alpha) == 0);
    ck_assert(memcmp(&a->darts, &b->darts, sizeof a->darts) == 0);
    ck_assert(memcmp(&a->pt, &b->pt, sizeof a->pt) == 0);
    ck_assert(memcmp(a->pt_order, b->pt_order, sizeof a->pt_order) == 0);
    ck_assert(memcmp(a->pt_drop, b->pt_drop, sizeof a->pt_drop) == 0);
    ck_assert(a->supernet_accuracy == b->supernet_accuracy);
    ck_assert_int_eq(a->epochs, b->epochs);
    ck_assert_str_eq(a->weights_sha256, b->weights_sha256);
}

/* A logged run stopped after several units and resumed each time ends
 * with the bits of an uninterrupted one; its epochs are logged once each. */
START_TEST(test_resume)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char dir[512], path[512];
    nc_test_path(dir, sizeof dir, "band");
    nc_test_write_band_idx(dir, 96, 16);
    nc_darts_job j = nc_darts_job_defaults();
    snprintf(j.data_dir, sizeof j.data_dir, "%s", dir);
    j.valid = 32;
    j.darts.epochs = 2;
    j.darts.pt_epochs = 1;
    j.darts.batch = 16;
    j.darts.nb201_c = 4;
    j.darts.nb201_n = 1;
    j.darts.a_lr = 3e-2;
    j.darts.seed = 7;
    j.threads = 1;
    nc_store *db;
    ck_assert(nc_store_open(&ctx, nc_test_path(path, sizeof path, "d.db"), 1,
                            &db) == NC_OK);
    nc_darts_result ref, got;
    int64_t run;
    ck_assert_msg(nc_darts_start(&ctx, db, &j, NULL, &run, &ref) == NC_OK, "%s",
                  ctx.msg);
    ck_assert_int_eq(ref.epochs, 2 + 6);
    ck_assert(nc_nb201_valid(&ref.pt));
    char *res;
    ck_assert(nc_store_run_result(&ctx, db, run, &res) == NC_OK);
    ck_assert_ptr_nonnull(strstr(res, "\"alpha_history\":[["));
    free(res);
    /* A finished run is not resumed. */
    ck_assert_int_eq(nc_darts_resume(&ctx, db, run, NULL, &got), NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "already done");

    /* Units: epochs 1-2, decision 1 (3), epoch 3 (4), decision 2 (5),
     * epoch 4, decision 3, epoch 5 (8), ... Stop after epoch 1, after
     * decision 2 and after the tuning epoch that follows decision 3. */
    stopper s = { 0, 1 };
    nc_darts_progress p = { .epoch = stop_epoch, .decision = stop_decision,
                            .ud = &s };
    ck_assert_int_eq(nc_darts_start(&ctx, db, &j, &p, &run, &got),
                     NC_ERR_STOPPED);
    nc_test_expect_msg(&ctx, "stopped");
    static const int stops[] = { 5, 8 };
    for (int i = 0; i < 2; i++) {
        /* The resumed session counts its own units from 0. */
        int before = i == 0 ? 1 : 5;
        s = (stopper){ 0, stops[i] - before };
        ck_assert_int_eq(nc_darts_resume(&ctx, db, run, &p, &got),
                         NC_ERR_STOPPED);
        nc_test_expect_msg(&ctx, i == 0 ? "decision 2" : "epoch 5");
        /* Stopping is not failing: the run stays running, with no owner. */
        nc_run_info info;
        ck_assert(nc_store_run_get(&ctx, db, run, &info) == NC_OK);
        ck_assert_str_eq(info.status, "running");
        ck_assert_str_eq(info.owner, "");
        ck_assert_int_eq(info.units_done, stops[i]);
        ck_assert_int_eq(info.units_total, 2 + 6 + 6);
        nc_run_info_clear(&info);
    }
    ck_assert_msg(nc_darts_resume(&ctx, db, run, NULL, &got) == NC_OK, "%s",
                  ctx.msg);
    same_result(&ref, &got);
    nc_epoch_metrics *ep;
    int n;
    ck_assert(nc_store_epochs(&ctx, db, run, &ep, &n) == NC_OK);
    ck_assert_int_eq(n, 8);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(ep[i].epoch, i + 1);
    free(ep);
    nc_store_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("darts");
    TCase *tc = tcase_create("darts");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_alpha_grad, 1, 3);
    tcase_add_test(tc, test_run);
    tcase_add_test(tc, test_ckpt_roundtrip);
    tcase_add_test(tc, test_job_json);
    tcase_add_test(tc, test_resume);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? 1 : 0;
}
