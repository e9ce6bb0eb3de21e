/*
 * test_mfile.c — the .nasc model file (export/mfile.h): every built-in
 * model (mlp, cnn, nb201 with layer tags, mbv with depthwise convs) round
 * trips to the same function, weights, statistics and bytes; the file is
 * written whole or not at all; and a damaged file is refused cleanly: every
 * truncation, every flipped byte (with the checksum left stale and with it
 * recomputed, so the checks behind it are reached), a newer version, an
 * unknown section, lying counts and shapes. Run under SAN=1 these also
 * prove the reader stays inside its buffer.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rng.h"
#include "core/sha256.h"
#include "export/mfile.h"
#include "models/models.h"
#include "tests/util/testutil.h"

static const char NB201_ARCH[] =
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|"
    "nor_conv_3x3~2|";
static const char MBV_ARCH[] =
    "mbv:d=1,2,1,1:w=16,24,40,80:k=3,5,3,7:e=3,4,3,6";

/* Model `name` with initialized parameters and BN statistics moved away
 * from their initial values by two training-mode forwards. */
static nc_net *trained(const char *name, const char *arch, int n_max)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_model_opts o = nc_model_defaults();
    o.in = (nc_shape){ 1, 28, 28 };
    o.n_classes = 10;
    o.nb201_c = 4;
    o.nb201_n = 1;
    nc_net *net = NULL;
    ck_assert_msg(nc_model_build(&ctx, name, arch, &o, n_max, &net) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(nc_net_init_params(net, 7), NC_OK);
    size_t n = (size_t)n_max * 28 * 28;
    float *x = malloc(n * sizeof *x);
    nc_rng r = nc_rng_make(3, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (size_t i = 0; i < n; i++)
        x[i] = nc_rng_uniform(&r);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(nc_net_forward(&ctx, net, x, NULL, n_max, 1, NULL),
                         NC_OK);
    free(x);
    return net;
}

/* The logits of net on a fixed batch of n samples (malloc'd). */
static float *logits(nc_net *net, int n)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_shape s = nc_net_input_shape(net);
    size_t m = (size_t)n * nc_shape_size(s);
    float *x = malloc(m * sizeof *x);
    nc_rng r = nc_rng_make(11, NC_STREAM(NC_PURPOSE_TEST, 0));
    for (size_t i = 0; i < m; i++)
        x[i] = nc_rng_uniform(&r) - 0.5f;
    ck_assert_int_eq(nc_net_forward(&ctx, net, x, NULL, n, 0, NULL), NC_OK);
    size_t k = (size_t)nc_net_n_classes(net) * n;
    float *y = malloc(k * sizeof *y);
    memcpy(y, nc_net_logits(net), k * sizeof *y);
    free(x);
    return y;
}

static void roundtrip(const char *name, const char *arch)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *a = trained(name, arch, 8);
    unsigned char *buf;
    size_t len;
    const char *lin0 = "{\"run\": 3, \"pass\": \"test\"}";
    ck_assert_msg(nc_mfile_encode(&ctx, a, NULL, lin0, &buf, &len) == NC_OK,
                  "%s", ctx.msg);
    nc_net *b;
    char *lin;
    ck_assert_msg(nc_mfile_decode(&ctx, buf, len, 5, 2, &b, NULL, &lin) ==
                  NC_OK, "%s: %s", name, ctx.msg);
    ck_assert_str_eq(lin, "{\"run\": 3, \"pass\": \"test\"}");
    ck_assert_int_eq(nc_net_n_nodes(b), nc_net_n_nodes(a));
    ck_assert_uint_eq(nc_net_n_params(b), nc_net_n_params(a));
    ck_assert_uint_eq(nc_net_n_state(b), nc_net_n_state(a));
    ck_assert(!memcmp(nc_net_params(b), nc_net_params(a),
                      nc_net_n_params(a) * sizeof(float)));
    ck_assert(!memcmp(nc_net_state(b), nc_net_state(a),
                      nc_net_n_state(a) * sizeof(float)));
    ck_assert_int_eq(nc_net_n_max(b), 5);
    ck_assert_int_eq(nc_net_threads(b), 2);
    for (int i = 0; i < nc_net_n_nodes(a); i++) {
        nc_net_node_info x, y;
        nc_net_node(a, i, &x);
        nc_net_node(b, i, &y);
        ck_assert_int_eq(x.kind, y.kind);
        ck_assert_int_eq(x.tag, y.tag);
        ck_assert_uint_eq(x.w_off, y.w_off);
        ck_assert(!memcmp(&x.attr, &y.attr, sizeof x.attr));
    }
    /* The same function: logits bit for bit (same thread count as the
     * original's, 1, for the comparison). */
    nc_net *c;
    ck_assert_int_eq(nc_mfile_decode(&ctx, buf, len, 5, 1, &c, NULL, NULL),
                     NC_OK);
    float *ya = logits(a, 5), *yc = logits(c, 5);
    ck_assert(!memcmp(ya, yc, (size_t)nc_net_n_classes(a) * 5 * sizeof *ya));
    ck_assert_double_eq(nc_net_macs(c), nc_net_macs(a));
    /* Written again, the decoded net gives the same bytes. */
    unsigned char *buf2;
    size_t len2;
    ck_assert_int_eq(nc_mfile_encode(&ctx, b, NULL, lin, &buf2, &len2), NC_OK);
    ck_assert_uint_eq(len2, len);
    ck_assert(!memcmp(buf, buf2, len));
    free(ya);
    free(yc);
    free(buf);
    free(buf2);
    free(lin);
    nc_net_free(a);
    nc_net_free(b);
    nc_net_free(c);
}

START_TEST(test_roundtrip_models)
{
    roundtrip("mlp", NULL);
    roundtrip("cnn", NULL);
    roundtrip("nb201", NB201_ARCH);
    roundtrip("mbv", MBV_ARCH);
}
END_TEST

/* A small net (conv, BN, ReLU, pools, sum, linear) whose file is small
 * enough to damage at every byte. */
static nc_net *tiny(void)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = nc_net_new();
    int x = nc_net_input(&ctx, net, (nc_shape){ 1, 6, 6 });
    int c = nc_net_relu(&ctx, net, nc_net_bn(&ctx, net,
                        nc_net_conv(&ctx, net, x, 2, 3, 1, 1, 1, 0), 1));
    int p = nc_net_maxpool(&ctx, net, c, 2, 2, 0);
    int q = nc_net_avgpool(&ctx, net, c, 2, 2, 0, 1);
    int in[2] = { p, q };
    int s = nc_net_sum(&ctx, net, 2, in);
    int y = nc_net_linear(&ctx, net, nc_net_flatten(&ctx, net, s), 3, 1);
    nc_net_set_tag(net, c, 5);
    ck_assert_msg(nc_net_finalize(&ctx, net, y, 4) == NC_OK, "%s", ctx.msg);
    nc_net_init_params(net, 1);
    return net;
}

static void reseal(unsigned char *b, size_t len)
{
    nc_sha256 h;
    nc_sha256_init(&h);
    nc_sha256_update(&h, b + NC_MFILE_HEADER, len - NC_MFILE_HEADER);
    nc_sha256_final(&h, b + 24);
}

/* Decoding must end in NC_OK or one of the file errors, leaving nothing. */
static nc_status try_decode(const unsigned char *b, size_t len)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = (nc_net *)1;
    char *lin = (char *)1;
    nc_status st = nc_mfile_decode(&ctx, b, len, 4, 1, &net, NULL, &lin);
    if (st) {
        ck_assert_msg(st == NC_ERR_FORMAT || st == NC_ERR_CHECKSUM ||
                      st == NC_ERR_VERSION, "status %d: %s", st, ctx.msg);
        ck_assert_ptr_null(net);
        ck_assert_ptr_null(lin);
        ck_assert(ctx.msg[0]);
    }
    nc_net_free(st ? NULL : net);
    if (!st)
        free(lin);
    return st;
}

START_TEST(test_damage_everywhere)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = tiny();
    unsigned char *b;
    size_t len;
    ck_assert_int_eq(nc_mfile_encode(&ctx, net, NULL, "{\"k\": [1, 2]}", &b,
                                     &len), NC_OK);
    ck_assert_int_eq(try_decode(b, len), NC_OK);
    unsigned char *c = malloc(len);
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(c, b, cut);
        ck_assert_int_ne(try_decode(c, cut), NC_OK);
    }
    int ok_after_reseal = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(c, b, len);
        c[i] ^= 0x5A;
        if (i < 24 || i >= NC_MFILE_HEADER)
            ck_assert_int_ne(try_decode(c, len), NC_OK);
        if (i >= NC_MFILE_HEADER) {
            /* With the hash made right, the structure checks are what
             * stand; a flip inside a float is a valid model. */
            reseal(c, len);
            ok_after_reseal += try_decode(c, len) == NC_OK;
        }
    }
    size_t floats = 4 * (nc_net_n_params(net) + nc_net_n_state(net));
    ck_assert_int_ge(ok_after_reseal, (int)floats);
    free(c);
    free(b);
    nc_net_free(net);
}
END_TEST

START_TEST(test_version_and_sections)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = tiny();
    unsigned char *b;
    size_t len;
    ck_assert_int_eq(nc_mfile_encode(&ctx, net, NULL, NULL, &b, &len), NC_OK);
    nc_net *out;
    /* A newer version: NC_ERR_VERSION, named. */
    b[8] = NC_MFILE_VERSION + 1;
    ck_assert_int_eq(nc_mfile_decode(&ctx, b, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_VERSION);
    nc_test_expect_msg(&ctx, "version 2");
    b[8] = NC_MFILE_VERSION;
    ck_assert_int_eq(nc_mfile_decode(&ctx, b, len, 4, 1, &out, NULL, NULL),
                     NC_OK);
    nc_net_free(out);
    /* An extra section after the four: skipped when optional, refused as
     * a newer writer's when required. */
    size_t l2 = len + 16 + 3;
    unsigned char *c = calloc(l2, 1);
    memcpy(c, b, len);
    memcpy(c + len, "XTRA", 4);
    c[len + 8] = 3;
    c[12] = 6;
    c[16] = (unsigned char)(l2 & 0xff);
    c[17] = (unsigned char)(l2 >> 8);
    c[len + 4] = 1;
    reseal(c, l2);
    ck_assert_msg(nc_mfile_decode(&ctx, c, l2, 4, 1, &out, NULL, NULL) == NC_OK,
                  "%s", ctx.msg);
    nc_net_free(out);
    c[len + 4] = 0;
    reseal(c, l2);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, l2, 4, 1, &out, NULL, NULL),
                     NC_ERR_VERSION);
    nc_test_expect_msg(&ctx, "unknown required");
    /* The same section twice. */
    memcpy(c + len, "LINE", 4);
    c[len + 4] = 0;
    reseal(c, l2);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, l2, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "twice");
    free(c);
    /* A parameter count that lies (node 1, the conv: n_w at byte 96 of
     * its record), and a stored shape the inputs do not give. */
    size_t node1 = NC_MFILE_HEADER + 16 + 8 + 112;
    c = malloc(len);
    memcpy(c, b, len);
    c[node1 + 96] += 1;
    reseal(c, len);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    memcpy(c, b, len);
    c[node1 + 80] = 3;
    reseal(c, len);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "node 1");
    /* A kernel the builder refuses: the status in ctx is a format error
     * too, not the builder's invalid argument. */
    memcpy(c, b, len);
    c[node1 + 44] = 9;
    reseal(c, len);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    ck_assert_int_eq(ctx.status, NC_ERR_FORMAT);
    /* An input that is not an earlier node. */
    memcpy(c, b, len);
    c[node1 + 8] = 1;
    reseal(c, len);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "earlier node");
    /* A huge channel count with sizes that agree nowhere: refused before
     * any allocation of its size. */
    memcpy(c, b, len);
    c[node1 + 43] = 0x7f;
    reseal(c, len);
    ck_assert_int_eq(nc_mfile_decode(&ctx, c, len, 4, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "out of range");
    free(c);
    /* Not a model file at all; a bad batch size. */
    ck_assert_int_eq(nc_mfile_decode(&ctx, (const unsigned char *)"hello", 5,
                                     4, 1, &out, NULL, NULL), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "not a nasc model file");
    ck_assert_int_eq(nc_mfile_decode(&ctx, b, len, 0, 1, &out, NULL, NULL),
                     NC_ERR_INVAL);
    /* A batch size at which the net would need more than the reader's
     * memory bound: refused before finalize allocates. */
    nc_net *big = nc_net_new();
    int x = nc_net_input(&ctx, big, (nc_shape){ 1, 64, 64 });
    int y = nc_net_linear(&ctx, big, nc_net_flatten(&ctx, big,
                          nc_net_conv(&ctx, big, x, 8, 3, 1, 1, 1, 0)), 2, 1);
    ck_assert_int_eq(nc_net_finalize(&ctx, big, y, 1), NC_OK);
    unsigned char *bb;
    size_t bl;
    ck_assert_int_eq(nc_mfile_encode(&ctx, big, NULL, NULL, &bb, &bl), NC_OK);
    ck_assert_int_eq(nc_mfile_decode(&ctx, bb, bl, 64, 1, &out, NULL, NULL),
                     NC_OK);
    nc_net_free(out);
    ck_assert_int_eq(nc_mfile_decode(&ctx, bb, bl, 65536, 1, &out, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "floats of activations");
    free(bb);
    nc_net_free(big);
    /* Lineage that is not a JSON object is refused when writing. */
    unsigned char *d;
    size_t dl;
    ck_assert_int_eq(nc_mfile_encode(&ctx, net, NULL, "[1]", &d, &dl),
                     NC_ERR_INVAL);
    ck_assert_ptr_null(d);
    free(b);
    nc_net_free(net);
}
END_TEST

START_TEST(test_files)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net = tiny();
    char path[512], sha[65], sha2[65];
    nc_test_path(path, sizeof path, "m.nasc");
    unlink(path);
    nc_mfile_norm norm = { .c = 1, .mean = { 0.25f }, .std = { 0.5f } };
    ck_assert_msg(nc_mfile_save(&ctx, path, net, &norm, "{\"trial\": 4}",
                                sha) == NC_OK, "%s", ctx.msg);
    unsigned char *b;
    size_t len;
    ck_assert_int_eq(nc_mfile_encode(&ctx, net, &norm, "{\"trial\": 4}", &b,
                                     &len), NC_OK);
    nc_sha256_hex(b, len, sha2);
    ck_assert_str_eq(sha, sha2);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((size_t)st.st_size, len);
    nc_net *out;
    char *lin;
    nc_mfile_norm back;
    ck_assert_int_eq(nc_mfile_load(&ctx, path, 4, 1, &out, &back, &lin, sha2),
                     NC_OK);
    ck_assert_int_eq(back.c, 1);
    ck_assert(back.mean[0] == 0.25f && back.std[0] == 0.5f);
    /* A normalization that does not fit the net is refused. */
    nc_mfile_norm bad = norm;
    bad.std[0] = 0;
    ck_assert_int_eq(nc_mfile_save(&ctx, path, net, &bad, NULL, NULL),
                     NC_ERR_INVAL);
    bad = norm;
    bad.c = 3;
    ck_assert_int_eq(nc_mfile_save(&ctx, path, net, &bad, NULL, NULL),
                     NC_ERR_INVAL);
    ck_assert_str_eq(sha2, sha);
    ck_assert_str_eq(lin, "{\"trial\": 4}");
    free(lin);
    nc_net_free(out);
    /* A file cut short: the path and the fault in the message. */
    ck_assert_int_eq(truncate(path, (off_t)len - 7), 0);
    ck_assert_int_eq(nc_mfile_load(&ctx, path, 4, 1, &out, NULL, NULL, NULL),
                     NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, path);
    nc_test_expect_msg(&ctx, "cut short");
    /* No such file; an unwritable place leaves no file and no temporary. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s.d/none/m.nasc", path);
    ck_assert_int_eq(nc_mfile_load(&ctx, missing, 4, 1, &out, NULL, NULL, NULL),
                     NC_ERR_IO);
    ck_assert_int_eq(nc_mfile_save(&ctx, missing, net, NULL, NULL, NULL),
                     NC_ERR_IO);
    nc_test_expect_msg(&ctx, "cannot write");
    /* Saving over an existing file replaces it whole. */
    ck_assert_int_eq(nc_mfile_save(&ctx, path, net, NULL, NULL, sha), NC_OK);
    ck_assert_int_eq(nc_mfile_load(&ctx, path, 4, 1, &out, NULL, NULL, NULL),
                     NC_OK);
    nc_net_free(out);
    /* Not finalized: nothing to write. */
    nc_net *raw = nc_net_new();
    ck_assert_int_eq(nc_mfile_save(&ctx, path, raw, NULL, NULL, NULL),
                     NC_ERR_STATE);
    nc_net_free(raw);
    free(b);
    nc_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mfile");
    TCase *tc = tcase_create("mfile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_models);
    tcase_add_test(tc, test_damage_everywhere);
    tcase_add_test(tc, test_version_and_sections);
    tcase_add_test(tc, test_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
