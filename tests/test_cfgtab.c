/*
 * test_cfgtab.c — configurations from field tables (core/cfgtab.h): on a
 * toy table with every field type, defaults, validation (field named, nested
 * path, open ranges, conditional rows), JSON both ways, every reading error
 * (duplicate key with line and column, unknown, missing, mistyped), option
 * values and help lines; then the three real tables (training, DARTS,
 * campaign): duplicate keys refused, old logs still read, defaults agreeing
 * with the library's other sources of them.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"
#include "core/cfgtab.h"
#include "search/strategy.h"
#include "supernet/darts.h"
#include "tests/util/testutil.h"
#include "train/train.h"

typedef struct inner {
    int epochs;
    double lr;
} inner;

typedef struct toy {
    int n;
    int64_t big;
    double rate;
    char name[8];
    char opt[16];
    int flag;
    int color;
    uint64_t seed;
    int list[3];
    int n_list;
    int mode;            /* 1: train is checked */
    inner train;
    int pad, flip;
} toy;

static const char *const COLORS[] = { "red", "green", "blue", NULL };
static const char *const OPTS[] = { "sgd", "adam", NULL };

static int mode_on(const void *r) { return ((const toy *)r)->mode == 1; }

#define IN(m) (offsetof(toy, train) + offsetof(inner, m))
static const nc_cfg_field INNER_FIELDS[] = {
    { .key = "epochs", .type = NC_CFG_INT, .off = offsetof(inner, epochs),
      .lo = 1, .hi = 100, .def = 5, .opt = "--epochs", .metavar = "E",
      .help = "epochs" },
    { .key = "lr", .type = NC_CFG_DOUBLE, .flags = NC_CFG_OPTIONAL | NC_CFG_LO_OPEN,
      .off = offsetof(inner, lr), .lo = 0, .hi = 1, .def = 0.1 },
};
static const nc_cfg_table INNER = NC_CFG_TABLE(NULL, 0, INNER_FIELDS);

static const nc_cfg_field TOY_FIELDS[] = {
    { .key = "n", .type = NC_CFG_INT, .off = offsetof(toy, n), .lo = 1,
      .hi = 1000, .def = 10, .opt = "--n", .metavar = "N", .help = "count" },
    { .key = "big", .type = NC_CFG_INT64, .off = offsetof(toy, big), .lo = 1,
      .hi = 1e12, .def = 100, .opt = "--big", .metavar = "B" },
    { .key = "rate", .type = NC_CFG_DOUBLE, .off = offsetof(toy, rate),
      .flags = NC_CFG_LO_OPEN, .lo = 0, .hi = 100, .def = 0.5,
      .opt = "--rate", .metavar = "X", .help = "rate, > 0" },
    { .key = "name", .type = NC_CFG_STR, .off = offsetof(toy, name),
      .flags = NC_CFG_OPTIONAL, .size = 8, .def_str = "abc",
      .opt = "--a-very-long-option", .metavar = "NAME", .help = "a name" },
    { .key = "opt", .type = NC_CFG_STR, .off = offsetof(toy, opt), .size = 16,
      .names = OPTS, .noun = "optimizer", .def_str = "sgd", .opt = "--opt",
      .metavar = "O" },
    { .key = "flag", .type = NC_CFG_FLAG, .off = offsetof(toy, flag), .def = 1,
      .opt = "--no-flag", .opt_value = "0", .help = "turn it off" },
    { .key = "color", .type = NC_CFG_ENUM, .off = offsetof(toy, color),
      .names = COLORS, .noun = "color", .def = 2, .opt = "--color",
      .metavar = "C" },
    { .key = "seed", .type = NC_CFG_SEED, .off = offsetof(toy, seed), .def = 7,
      .opt = "--seed", .metavar = "S" },
    { .key = "list", .type = NC_CFG_ENUM_LIST, .flags = NC_CFG_UNIQUE,
      .off = offsetof(toy, list), .off_n = offsetof(toy, n_list), .size = 3,
      .lo = 1, .hi = 3, .names = COLORS, .noun = "color", .def_str = "red,blue",
      .opt = "--list", .metavar = "L" },
    { .key = "mode", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL,
      .off = offsetof(toy, mode), .lo = 0, .hi = 1, .def = 1 },
    { .key = "train", .type = NC_CFG_OBJECT, .off = offsetof(toy, train),
      .sub = &INNER, .when = mode_on },
    { .key = "pad", .type = NC_CFG_INT, .flags = NC_CFG_OPTIONAL,
      .off = offsetof(toy, pad), .lo = 0, .hi = 64, .opt = "--augment",
      .opt_value = "4", .help = "pad 4 and flip" },
    { .key = "flip", .type = NC_CFG_FLAG, .flags = NC_CFG_OPTIONAL,
      .off = offsetof(toy, flip), .opt = "--augment", .opt_value = "1" },
};
static const nc_cfg_table TOY = NC_CFG_TABLE("toy", 0, TOY_FIELDS);
static const nc_cfg_table TOYQ = NC_CFG_TABLE("toy", 1, TOY_FIELDS);

static toy toy_defaults(void)
{
    toy t;
    memset(&t, 0, sizeof t);
    nc_cfgtab_defaults(&TOY, &t);
    return t;
}

/* A valid document; tests splice one change into it. */
static const char *const DOC =
    "{\"n\":3,\"big\":123456789012,\"rate\":2,\"opt\":\"adam\",\"flag\":false,"
    "\"color\":\"red\",\"seed\":\"18446744073709551615\",\"list\":[\"green\"],"
    "\"train\":{\"epochs\":9}}";

static nc_status toy_read(nc_ctx *ctx, const char *json, toy *t)
{
    *t = toy_defaults();
    nc_status st = nc_cfgtab_from_json(ctx, &TOY, json, NULL, t);
    return st ? st : nc_cfgtab_validate(ctx, &TOY, t);
}

static void expect_toy(const char *json, nc_status want, const char *needle)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    toy t;
    nc_status st = toy_read(&ctx, json, &t);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", json,
                  nc_status_name(st), ctx.msg, nc_status_name(want));
    ck_assert_msg(strstr(ctx.msg, needle), "message '%s' lacks '%s'", ctx.msg,
                  needle);
}

START_TEST(defaults_and_round_trip)
{
    toy t = toy_defaults();
    ck_assert_int_eq(t.n, 10);
    ck_assert(t.big == 100 && t.rate == 0.5 && t.flag == 1 && t.color == 2);
    ck_assert_str_eq(t.name, "abc");
    ck_assert(t.seed == 7);
    ck_assert_int_eq(t.n_list, 2);
    ck_assert(t.list[0] == 0 && t.list[1] == 2);
    ck_assert(t.train.epochs == 5 && t.train.lr == 0.1);
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_OK);

    ck_assert_msg(toy_read(&ctx, DOC, &t) == NC_OK, "%s", ctx.msg);
    ck_assert(t.n == 3 && t.big == 123456789012LL && t.rate == 2 && !t.flag);
    ck_assert_str_eq(t.opt, "adam");
    ck_assert(t.seed == 18446744073709551615ULL && t.color == 0);
    ck_assert(t.n_list == 1 && t.list[0] == 1);
    ck_assert_int_eq(t.train.epochs, 9);
    ck_assert(t.train.lr == 0.1);            /* optional: kept its default */
    ck_assert_str_eq(t.name, "abc");

    char *j1 = nc_cfgtab_to_json(&TOY, &t, 0);
    ck_assert_ptr_nonnull(j1);
    ck_assert_str_eq(j1, "{\"n\":3,\"big\":123456789012,\"rate\":2,\"name\":\"abc\","
                     "\"opt\":\"adam\",\"flag\":false,\"color\":\"red\","
                     "\"seed\":\"18446744073709551615\",\"list\":[\"green\"],"
                     "\"mode\":1,\"train\":{\"epochs\":9,\"lr\":0.1},\"pad\":0,"
                     "\"flip\":false}");
    toy u;
    ck_assert_msg(toy_read(&ctx, j1, &u) == NC_OK, "%s", ctx.msg);
    char *j2 = nc_cfgtab_to_json(&TOY, &u, 1);
    char *j3 = nc_cfgtab_to_json(&TOY, &u, 0);
    ck_assert_str_eq(j1, j3);
    ck_assert_ptr_nonnull(strchr(j2, '\n'));
    free(j1);
    free(j2);
    free(j3);
}
END_TEST

START_TEST(validation_names_the_field)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    toy t = toy_defaults();
    t.n = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "n: 0 is outside 1..1000");
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOYQ, &t), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "toy: field 'n': 0 is outside 1..1000");
    t = toy_defaults();
    t.rate = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "rate: 0 is outside (0..100");
    t.rate = 0.0 / 0.0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    t = toy_defaults();
    t.train.epochs = 101;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "train.epochs: 101 is outside 1..100");
    t.mode = 0;                            /* train is not checked then */
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_OK);
    t = toy_defaults();
    strcpy(t.opt, "lbfgs");
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_INVAL);
    ck_assert_str_eq(ctx.msg, "opt: unknown optimizer 'lbfgs' (known: sgd, adam)");
    t = toy_defaults();
    t.flag = 2;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    t = toy_defaults();
    t.color = 3;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "color: unknown color 3");
    t = toy_defaults();
    t.list[1] = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOYQ, &t), NC_ERR_INVAL);
    ck_assert_str_eq(ctx.msg, "toy: field 'list[1]': 'red' is listed twice");
    t.n_list = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    t = toy_defaults();
    t.big = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "big: 0 is outside 1..1000000000000");
}
END_TEST

START_TEST(reading_errors)
{
    expect_toy("{\"n\":3,\"n\":4,\"big\":1,\"rate\":2,\"opt\":\"sgd\",\"flag\":true,"
               "\"color\":\"red\",\"seed\":\"1\",\"list\":[\"red\"],"
               "\"train\":{\"epochs\":1}}", NC_ERR_FORMAT,
               "toy: duplicate key 'n' at line 1, column 8");
    /* Nested, on a later line; the key is named by its path. */
    expect_toy("{\"n\":3,\"big\":1,\"rate\":2,\"opt\":\"sgd\",\"flag\":true,\n"
               "\"color\":\"red\",\"seed\":\"1\",\"list\":[\"red\"],\n"
               "\"train\":{\"epochs\":1,\n  \"lr\":0.5, \"lr\":0.25}}",
               NC_ERR_FORMAT, "toy: duplicate key 'train.lr' at line 4, column 13");
    /* A key spelt with an escape is still the same key: refused, though
     * its place in the text is not found. */
    expect_toy("{\"n\":3,\"\\u006e\":4}", NC_ERR_FORMAT, "duplicate key 'n'");
    expect_toy("{\"n\":3,\"bogus\":1}", NC_ERR_FORMAT,
               "toy: unknown field 'bogus' (known here: n, big, rate");
    expect_toy("{\"n\":3}", NC_ERR_FORMAT, "toy: missing field 'big'");
    expect_toy("{\"n\":3,\"big\":1,\"rate\":2,\"opt\":\"sgd\",\"flag\":true,"
               "\"color\":\"red\",\"seed\":\"1\",\"list\":[\"red\"],"
               "\"train\":{}}", NC_ERR_FORMAT, "missing field 'train.epochs'");
    expect_toy("{\"n\":1.5}", NC_ERR_FORMAT, "toy: field 'n' must be an integer");
    expect_toy("{\"n\":true}", NC_ERR_FORMAT, "'n' must be an integer");
    expect_toy("{\"n\":3000000000}", NC_ERR_FORMAT, "'n' must be an integer");
    expect_toy("{\"n\":1,\"big\":1e16}", NC_ERR_FORMAT, "'big' must be an integer");
    expect_toy("{\"n\":1,\"big\":1,\"rate\":\"2\"}", NC_ERR_FORMAT,
               "'rate' must be a number");
    expect_toy("{\"n\":1,\"big\":1,\"rate\":2,\"name\":\"12345678\"}",
               NC_ERR_FORMAT, "'name' is longer than 7 characters");
    expect_toy("{\"n\":1,\"big\":1,\"rate\":2,\"opt\":1}", NC_ERR_FORMAT,
               "'opt' must be a string");
    expect_toy("{\"n\":1,\"big\":1,\"rate\":2,\"opt\":\"x\",\"flag\":2}",
               NC_ERR_FORMAT, "'flag' must be true or false");
    expect_toy("{\"n\":1,\"big\":1,\"rate\":2,\"opt\":\"x\",\"flag\":1,"
               "\"color\":\"pink\"}", NC_ERR_INVAL,
               "toy: field 'color': unknown color 'pink' (known: red, green, blue)");
    const char *seeds[] = { "7", "\"-1\"", "\" 7\"", "\"\"",
                            "\"18446744073709551616\"", "\"123456789012345678901\"" };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "{\"n\":1,\"big\":1,\"rate\":2,\"opt\":\"x\","
                 "\"flag\":1,\"color\":\"red\",\"seed\":%s}", seeds[i]);
        expect_toy(doc, NC_ERR_FORMAT, "'seed' must be a string of decimal digits");
    }
    const char *pre = "{\"n\":1,\"big\":1,\"rate\":2,\"opt\":\"x\",\"flag\":1,"
                      "\"color\":\"red\",\"seed\":\"1\",";
    char doc[512];
    snprintf(doc, sizeof doc, "%s\"list\":\"red\"}", pre);
    expect_toy(doc, NC_ERR_FORMAT, "'list' must be an array of names");
    snprintf(doc, sizeof doc, "%s\"list\":[]}", pre);
    expect_toy(doc, NC_ERR_FORMAT, "'list' must list 1..3 names, not 0");
    snprintf(doc, sizeof doc, "%s\"list\":[\"red\",\"red\",\"red\",\"red\"]}", pre);
    expect_toy(doc, NC_ERR_FORMAT, "not 4");
    snprintf(doc, sizeof doc, "%s\"list\":[\"red\",3]}", pre);
    expect_toy(doc, NC_ERR_FORMAT, "field 'list[1]' must be a string");
    snprintf(doc, sizeof doc, "%s\"list\":[\"red\",\"pink\"]}", pre);
    expect_toy(doc, NC_ERR_INVAL, "field 'list[1]': unknown color 'pink'");
    snprintf(doc, sizeof doc, "%s\"list\":[\"red\"],\"train\":{\"epoch\":1}}", pre);
    expect_toy(doc, NC_ERR_FORMAT,
               "unknown field 'train.epoch' (known here: epochs, lr)");
    snprintf(doc, sizeof doc, "%s\"list\":[\"red\"],\"train\":[1]}", pre);
    expect_toy(doc, NC_ERR_FORMAT, "'train' must be an object");
    expect_toy("{\n  \"n\": }", NC_ERR_FORMAT, "toy: invalid JSON at line 2, column 8");
    expect_toy("{\"n\":1} x", NC_ERR_FORMAT, "invalid JSON at line 1, column 9");
    expect_toy("[1]", NC_ERR_FORMAT, "toy: the document must be a JSON object");

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    toy t = toy_defaults();
    ck_assert_int_eq(nc_cfgtab_from_json(&ctx, &TOY, NULL, NULL, &t), NC_ERR_INVAL);
    /* The cJSON-level reader: the same checks, no position. */
    cJSON *o = cJSON_Parse("{\"n\":1,\"n\":2}");
    ck_assert_int_eq(nc_cfgtab_read(&ctx, &TOY, o, &t), NC_ERR_FORMAT);
    ck_assert_str_eq(ctx.msg, "toy: duplicate key 'n'");
    cJSON_Delete(o);
}
END_TEST

START_TEST(many_keys_stay_cheap)
{
    /* A wrong key is found among the first few, whatever follows. */
    size_t n = 200000;
    char *doc = malloc(n * 8 + 16);
    ck_assert_ptr_nonnull(doc);
    size_t l = (size_t)sprintf(doc, "{");
    for (size_t i = 0; i < n; i++)
        l += (size_t)sprintf(doc + l, "%s\"n\":1", i ? "," : "");
    strcpy(doc + l, "}");
    expect_toy(doc, NC_ERR_FORMAT, "duplicate key 'n' at line 1, column 8");
    free(doc);
}
END_TEST

START_TEST(options)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    toy t = toy_defaults();
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--n", "42"), NC_OK);
    ck_assert_int_eq(t.n, 42);
    const char *bad_n[] = { "abc", "", " 3", "12x", "1.5", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++) {
        ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--n", bad_n[i]),
                         NC_ERR_INVAL);
        ck_assert_int_eq(t.n, 42);
    }
    ck_assert_str_eq(ctx.msg, "--n: expected an integer in [1, 1000], got "
                     "'99999999999999999999'");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--n", "0"), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "--n: expected an integer in [1, 1000], got '0'");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--big", "123456789012"),
                     NC_OK);
    ck_assert(t.big == 123456789012LL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--rate", "0"),
                     NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "--rate: expected a number in (0, 100], got '0'");
    const char *bad_rate[] = { "nan", "inf", "1e-400", "0x", "" };
    for (size_t i = 0; i < sizeof bad_rate / sizeof bad_rate[0]; i++)
        ck_assert_int_ne(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--rate", bad_rate[i]),
                         NC_OK);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--rate", "2.5"), NC_OK);
    ck_assert(t.rate == 2.5);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--a-very-long-option",
                                       "12345678"), NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "too long (8 characters, at most 7)");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--a-very-long-option",
                                       ""), NC_ERR_INVAL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--opt", "lbfgs"),
                     NC_ERR_INVAL);
    ck_assert_str_eq(ctx.msg, "--opt: unknown optimizer 'lbfgs' (known: sgd, adam)");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--opt", "adam"), NC_OK);
    ck_assert_str_eq(t.opt, "adam");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--color", "green"), NC_OK);
    ck_assert_int_eq(t.color, 1);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--seed", "-1"),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--seed",
                                       "18446744073709551615"), NC_OK);
    ck_assert(t.seed == 18446744073709551615ULL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--list", "blue,red"), NC_OK);
    ck_assert(t.n_list == 2 && t.list[0] == 2 && t.list[1] == 0);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--list", "red,red"),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--list", "red,pink"),
                     NC_ERR_INVAL);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--list", ""), NC_ERR_RANGE);
    ck_assert(t.n_list == 2);
    /* Options without a value, one of them setting two fields. */
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--no-flag", NULL), NC_OK);
    ck_assert_int_eq(t.flag, 0);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--augment", NULL), NC_OK);
    ck_assert(t.pad == 4 && t.flip == 1);
    /* Nested fields are options too. */
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--epochs", "7"), NC_OK);
    ck_assert_int_eq(t.train.epochs, 7);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, &TOY, &t, "--nope", "1"),
                     NC_ERR_NOTFOUND);
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, &TOY, &t), NC_OK);

    const nc_cfg_field *rows[32];
    size_t offs[32];
    int n = nc_cfgtab_opts(&TOY, rows, offs, 32);
    ck_assert_int_eq(n, 11);                      /* --augment once */
    ck_assert_str_eq(rows[0]->opt, "--n");
    ck_assert_str_eq(rows[9]->opt, "--epochs");
    ck_assert_uint_eq(offs[9], offsetof(toy, train));
    ck_assert_str_eq(rows[10]->opt, "--augment");
    ck_assert_int_eq(nc_cfgtab_opts(&TOY, rows, NULL, 2), 11);

    char v[64];
    toy d = toy_defaults();
    nc_cfgtab_value_str(&TOY_FIELDS[8], &d, v, sizeof v);
    ck_assert_str_eq(v, "red,blue");
    nc_cfgtab_value_str(&TOY_FIELDS[6], &d, v, sizeof v);
    ck_assert_str_eq(v, "blue");
    size_t need = nc_cfgtab_help(&TOY, &d, NULL, 0);
    char *h = malloc(need + 1);
    ck_assert_uint_eq(nc_cfgtab_help(&TOY, &d, h, need + 1), need);
    ck_assert_uint_eq(strlen(h), need);
    ck_assert_ptr_nonnull(strstr(h, "  --n N              count (default 10)\n"));
    ck_assert_ptr_nonnull(strstr(h, "  --rate X           rate, > 0 (default 0.5)\n"));
    ck_assert_ptr_nonnull(strstr(h, "  --a-very-long-option NAME\n"
                                    "                     a name (default abc)\n"));
    ck_assert_ptr_nonnull(strstr(h, "  --no-flag          turn it off\n"));
    ck_assert_ptr_nonnull(strstr(h, "  --epochs E         epochs (default 5)\n"));
    char small[16];
    ck_assert_uint_eq(nc_cfgtab_help(&TOY, &d, small, sizeof small), need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    free(h);
}
END_TEST

/* ---- the real tables ------------------------------------------------------ */

START_TEST(train_table)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_train_cfg c = nc_train_cfg_defaults(), d;
    char *js = nc_train_cfg_to_json(&c);
    /* A log written before train_samples existed still reads. */
    char *p = strstr(js, "\"train_samples\":0,");
    ck_assert_ptr_nonnull(p);
    memmove(p, p + strlen("\"train_samples\":0,"),
            strlen(p + strlen("\"train_samples\":0,")) + 1);
    ck_assert_msg(nc_train_cfg_from_json(&ctx, js, &d) == NC_OK, "%s", ctx.msg);
    ck_assert_int_eq(d.train_samples, 0);
    /* A repeated key is refused, named. */
    char dup[2048];
    snprintf(dup, sizeof dup, "{\"lr\":0.1,%s", js + 1);
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, dup, &d), NC_ERR_FORMAT);
    ck_assert_str_eq(ctx.msg, "configuration: duplicate key 'lr' at line 1, "
                     "column 137");
    snprintf(dup, sizeof dup, "{\"bogus\":1,%s", js + 1);
    ck_assert_int_eq(nc_train_cfg_from_json(&ctx, dup, &d), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "unknown field 'bogus'");
    free(js);
    c.epochs = 0;
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "epochs: 0 is outside 1..100000");
    c = nc_train_cfg_defaults();
    strcpy(c.optimizer, "lbfgs");
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_INVAL);
    ck_assert_str_eq(ctx.msg, "optimizer: unknown optimizer 'lbfgs' (known: sgd, adam)");
    c = nc_train_cfg_defaults();
    c.momentum = 0;
    ck_assert_int_eq(nc_train_cfg_validate(&ctx, &c), NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "nesterov:");
    /* The options of nasc train. */
    c = nc_train_cfg_defaults();
    const nc_cfg_table *t = nc_train_cfg_table();
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, t, &c, "--lr", "0.2"), NC_OK);
    ck_assert(c.lr == 0.2);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, t, &c, "--epochs", "1000000"),
                     NC_ERR_RANGE);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, t, &c, "--augment", NULL), NC_OK);
    ck_assert(c.augment_pad == 4 && c.augment_flip == 1);
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, t, &c, "--no-nesterov", NULL), NC_OK);
    ck_assert_int_eq(c.nesterov, 0);
    nc_train_cfg def = nc_train_cfg_defaults();
    char help[4096];
    ck_assert_uint_lt(nc_cfgtab_help(t, &def, help, sizeof help), sizeof help);
    ck_assert_ptr_nonnull(strstr(help, "  --lr X             learning rate, > 0 "
                                       "(default 0.05)\n"));
    ck_assert_ptr_nonnull(strstr(help, "--seed S"));
}
END_TEST

START_TEST(darts_table)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* The table's defaults are the search's own. */
    nc_darts_job j = nc_darts_job_defaults();
    nc_darts_cfg a = nc_darts_defaults(), *b = &j.darts;
    ck_assert(a.epochs == b->epochs && a.batch == b->batch &&
              a.w_lr == b->w_lr && a.w_lr_min == b->w_lr_min &&
              a.w_momentum == b->w_momentum && a.w_wd == b->w_wd &&
              a.w_clip == b->w_clip && a.a_lr == b->a_lr && a.a_wd == b->a_wd &&
              a.order == b->order && a.pt_epochs == b->pt_epochs &&
              a.eval_samples == b->eval_samples && a.nb201_c == b->nb201_c &&
              a.nb201_n == b->nb201_n && a.seed == b->seed);
    ck_assert_str_eq(j.dataset, "fashion-mnist");
    ck_assert(j.valid == 10000 && j.train_samples == 0 && j.threads == 1);
    ck_assert_int_eq(nc_darts_job_validate(&ctx, &j), NC_OK);
    char *js = nc_darts_job_to_json(&j);
    char dup[2048];
    snprintf(dup, sizeof dup, "%.*s,\"order\":2}", (int)strlen(js) - 1, js);
    ck_assert_int_eq(nc_darts_job_from_json(&ctx, dup, &j), NC_ERR_FORMAT);
    nc_test_expect_msg(&ctx, "configuration: duplicate key 'order' at line 1");
    free(js);
    j = nc_darts_job_defaults();
    j.darts.w_lr = 0;
    ck_assert_int_eq(nc_darts_job_validate(&ctx, &j), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "w_lr: 0 is outside (0..100");
    j = nc_darts_job_defaults();
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, nc_darts_job_table(), &j, "--order",
                                       "3"), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "--order: expected an integer in [1, 2], got '3'");
    ck_assert_int_eq(nc_cfgtab_set_opt(&ctx, nc_darts_job_table(), &j,
                                       "--pt-epochs", "-1"), NC_OK);
    ck_assert_int_eq(j.darts.pt_epochs, -1);
}
END_TEST

START_TEST(campaign_table)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    /* The predictive settings default as the strategy does. */
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    nc_strategy_cfg s = nc_strategy_defaults(NC_STRATEGY_PREDICTIVE);
    ck_assert(c.pred.predictor == (int)s.predictor && c.pred.init == s.init &&
              c.pred.candidates == s.candidates && c.pred.parents == s.parents &&
              c.pred.mutations == s.mutations &&
              c.pred.random_frac == s.random_frac && c.pred.zc_pool == s.zc_pool &&
              c.pred.zc_feature == s.zc_feature && c.pred.ucb_beta == s.ucb_beta);
    ck_assert(c.population == nc_strategy_defaults(NC_STRATEGY_EVOLUTION).population &&
              c.sample == nc_strategy_defaults(NC_STRATEGY_EVOLUTION).sample);
    /* Every key of the file is in the table, nested by path. */
    const nc_cfg_table *t = nc_campaign_cfg_table();
    ck_assert_str_eq(t->what, "campaign");
    strcpy(c.table_file, "t.csv");
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, t, &c), NC_OK);
    c.supernet = NC_SUPERNET_SPOS;
    c.supernet_train.epochs = 0;
    ck_assert_int_eq(nc_cfgtab_validate(&ctx, t, &c), NC_ERR_RANGE);
    ck_assert_str_eq(ctx.msg, "campaign: field 'supernet.epochs': 0 is outside "
                     "1..100000");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cfgtab");
    TCase *tc = tcase_create("cfgtab");
    tcase_add_test(tc, defaults_and_round_trip);
    tcase_add_test(tc, validation_names_the_field);
    tcase_add_test(tc, reading_errors);
    tcase_add_test(tc, many_keys_stay_cheap);
    tcase_add_test(tc, options);
    tcase_add_test(tc, train_table);
    tcase_add_test(tc, darts_table);
    tcase_add_test(tc, campaign_table);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
