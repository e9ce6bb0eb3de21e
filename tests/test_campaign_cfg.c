/*
 * test_campaign_cfg.c — the campaign file (campaign/campaign.h): defaults are
 * valid, JSON round trips exactly, every error names its field or position,
 * and every file in examples/campaigns/ loads and validates (so the examples
 * cannot rot).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"
#include "supernet/space.h"
#include "tests/util/testutil.h"

/* A minimal valid document; tests splice one change into it. */
static const char *const MIN =
    "{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
    "\"evaluator\":{\"kind\":\"table\",\"file\":\"t.csv\"},"
    "\"objectives\":[\"accuracy\"],\"budget\":10}";

static void expect_err(const char *json, nc_status want, const char *needle)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c;
    nc_status st = nc_campaign_cfg_from_json(&ctx, json, &c);
    if (st == NC_OK)
        st = nc_campaign_cfg_validate(&ctx, &c);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", json,
                  nc_status_name(st), ctx.msg, nc_status_name(want));
    ck_assert_msg(strstr(ctx.msg, needle), "message '%s' lacks '%s'", ctx.msg,
                  needle);
}

START_TEST(defaults_validate)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    /* The table evaluator has no default file: that is the one gap. */
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(ctx.msg, "evaluator.file"));
    strcpy(c.table_file, "x.csv");
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_OK);
    c.evaluator = NC_EVAL_SCRATCH;
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_OK);

    nc_campaign_cfg m;
    ck_assert_int_eq(nc_campaign_cfg_from_json(&ctx, MIN, &m), NC_OK);
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &m), NC_OK);
    ck_assert_int_eq(m.population, 10);
    ck_assert_int_eq(m.sample, 3);
    ck_assert_int_eq(m.budget, 10);
}
END_TEST

static void assert_same(const nc_campaign_cfg *a, const nc_campaign_cfg *b)
{
    /* Field by field, since padding bytes need not match. */
    ck_assert_str_eq(a->space, b->space);
    ck_assert_str_eq(a->dataset, b->dataset);
    ck_assert_str_eq(a->data_dir, b->data_dir);
    ck_assert_int_eq(a->supernet, b->supernet);
    ck_assert(memcmp(&a->supernet_train, &b->supernet_train,
                     sizeof a->supernet_train) == 0);
    ck_assert_int_eq(a->strategy, b->strategy);
    ck_assert_int_eq(a->population, b->population);
    ck_assert_int_eq(a->sample, b->sample);
    ck_assert(a->crossover == b->crossover);
    ck_assert_int_eq(a->evaluator, b->evaluator);
    ck_assert_str_eq(a->table_file, b->table_file);
    ck_assert_str_eq(a->select_metric, b->select_metric);
    ck_assert_str_eq(a->report_metric, b->report_metric);
    ck_assert(memcmp(&a->scratch_train, &b->scratch_train,
                     sizeof a->scratch_train) == 0);
    ck_assert_int_eq(a->n_obj, b->n_obj);
    for (int i = 0; i < a->n_obj; i++)
        ck_assert_int_eq(a->obj[i], b->obj[i]);
    ck_assert(a->budget == b->budget);
    ck_assert(a->seed == b->seed);
    ck_assert_int_eq(a->threads, b->threads);
}

START_TEST(round_trip)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    strcpy(c.space, "mbv");
    strcpy(c.dataset, "fashion-mnist");
    strcpy(c.data_dir, "/data/fm \"quoted\" \\ dir");
    c.supernet = NC_SUPERNET_SANDWICH;
    c.supernet_train.lr = 0.1 / 3;             /* needs all 17 digits */
    c.supernet_train.weight_decay = 3e-5;
    c.strategy = NC_STRATEGY_NSGA2;
    c.population = 24;
    c.sample = 5;
    c.crossover = 0.7;
    c.evaluator = NC_EVAL_SCRATCH;
    c.scratch_train.epochs = 3;
    c.scratch_train.momentum = 0.0;
    c.n_obj = 4;
    c.obj[0] = NC_OBJ_LATENCY;
    c.obj[1] = NC_OBJ_ACCURACY;
    c.obj[2] = NC_OBJ_FLOPS;
    c.obj[3] = NC_OBJ_PARAMS;
    c.budget = 123456789012LL;
    c.seed = 18446744073709551615ULL;          /* beyond a double's 53 bits */
    c.threads = 16;
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_ERR_RANGE);  /* budget */
    c.budget = 999999999;
    ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_OK);

    char *j1 = nc_campaign_cfg_to_json(&c);
    ck_assert_ptr_nonnull(j1);
    nc_campaign_cfg d;
    ck_assert_msg(nc_campaign_cfg_from_json(&ctx, j1, &d) == NC_OK, "%s", ctx.msg);
    assert_same(&c, &d);
    char *j2 = nc_campaign_cfg_to_json(&d);
    ck_assert_str_eq(j1, j2);
    ck_assert_ptr_nonnull(strstr(j1, "\"18446744073709551615\""));
    free(j1);
    free(j2);
}
END_TEST

START_TEST(unknown_names)
{
    expect_err("{\"space\":\"nb301\",\"strategy\":{\"kind\":\"random\"},"
               "\"evaluator\":{\"kind\":\"table\",\"file\":\"t\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "nb201, mlp, mbv");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evo\"},"
               "\"evaluator\":{\"kind\":\"table\",\"file\":\"t\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "random, evolution, nsga2, local");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"local\"},"
               "\"evaluator\":{\"kind\":\"oracle\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "table, inherited, scratch");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"local\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\",\"energy\"],\"budget\":1}",
               NC_ERR_INVAL, "objectives[1]");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"local\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\",\"energy\"],\"budget\":1}",
               NC_ERR_INVAL, "accuracy, params, flops, latency");
    expect_err("{\"space\":\"nb201\",\"supernet\":{\"kind\":\"once\"},"
               "\"strategy\":{\"kind\":\"local\"},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "none, spos, sandwich");
    expect_err("{\"space\":\"nb201\",\"dataset\":\"imagenet\","
               "\"strategy\":{\"kind\":\"local\"},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "'dataset'");
}
END_TEST

START_TEST(format_errors)
{
    /* missing required fields */
    expect_err("{\"strategy\":{\"kind\":\"random\"},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "missing field 'space'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"population\":4},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "missing field 'strategy.kind'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"random\"},"
               "\"evaluator\":{\"kind\":\"table\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "missing field 'evaluator.file'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"random\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},\"objectives\":[\"accuracy\"]}",
               NC_ERR_FORMAT, "missing field 'budget'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"random\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},\"budget\":1}",
               NC_ERR_FORMAT, "missing field 'objectives'");
    /* ill-typed fields */
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"population\":\"ten\"},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "campaign: field 'strategy.population' must be an integer");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"population\":10.5},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "'strategy.population' must be an integer");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"crossover\":true},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "'strategy.crossover' must be a number");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\",\"lr\":\"0.1\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "'evaluator.lr' must be a number");
    expect_err("{\"space\":7,\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "'space' must be a string");
    expect_err("{\"space\":\"nb201\",\"strategy\":\"evolution\","
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "'strategy' must be an object");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":\"accuracy\",\"budget\":1}",
               NC_ERR_FORMAT, "'objectives' must be an array");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1,\"seed\":7}",
               NC_ERR_FORMAT, "'seed' must be a string");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1,\"seed\":\"-1\"}",
               NC_ERR_FORMAT, "'seed'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1,"
               "\"seed\":\"18446744073709551616\"}",
               NC_ERR_FORMAT, "'seed'");
    /* unknown fields (typos) */
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"populaton\":10},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "unknown field 'strategy.populaton'");
    expect_err("{\"space\":\"nb201\",\"budjet\":3,\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "unknown field 'budjet'");
    expect_err("[1,2]", NC_ERR_FORMAT, "must be a JSON object");
}
END_TEST

START_TEST(duplicate_keys)
{
    /* A repeated key would silently keep one of its values: refused, named
     * by its path, with where the second one is. */
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1,\"budget\":2}",
               NC_ERR_FORMAT, "campaign: duplicate key 'budget' at line 1, column 118");
    expect_err("{\"space\":\"nb201\",\n\"strategy\":{\"kind\":\"evolution\",\n"
               "  \"population\":4, \"population\":8},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT,
               "campaign: duplicate key 'strategy.population' at line 3, column 19");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},\"supernet\":{\"kind\":"
               "\"spos\",\"lr\":0.1,\"lr\":0.2},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "duplicate key 'supernet.lr'");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"strategy\":{\"kind\":\"random\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_FORMAT, "duplicate key 'strategy' at line 1, column 50");

    /* From a file: the path first. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c;
    char p[1024];
    nc_test_path(p, sizeof p, "dup_campaign.json");
    const char *dup = "{\n  \"space\": \"nb201\",\n  \"strategy\": {\"kind\": "
                      "\"random\"},\n  \"evaluator\": {\"kind\": \"scratch\"},\n"
                      "  \"objectives\": [\"accuracy\"],\n  \"budget\": 5,\n"
                      "  \"space\": \"mbv\"\n}\n";
    ck_assert_int_eq(nc_test_write_file(p, dup, strlen(dup)), 0);
    ck_assert_int_eq(nc_campaign_cfg_load(&ctx, p, &c), NC_ERR_FORMAT);
    char want[1200];
    snprintf(want, sizeof want, "%s: campaign: duplicate key 'space' at line 7, "
             "column 3", p);
    ck_assert_str_eq(ctx.msg, want);
}
END_TEST

START_TEST(range_errors)
{
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"population\":5,\"sample\":6},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_RANGE, "strategy.sample");
    /* Only evolution reads sample: a small NSGA-II population is fine. */
    {
        nc_ctx ctx;
        nc_ctx_init(&ctx);
        nc_campaign_cfg c;
        ck_assert_int_eq(nc_campaign_cfg_from_json(&ctx, "{\"space\":\"nb201\","
            "\"strategy\":{\"kind\":\"nsga2\",\"population\":2},"
            "\"evaluator\":{\"kind\":\"scratch\"},\"objectives\":[\"accuracy\","
            "\"params\"],\"budget\":4}", &c), NC_OK);
        ck_assert_int_eq(nc_campaign_cfg_validate(&ctx, &c), NC_OK);
        nc_strategy_cfg s = nc_campaign_strategy_cfg(&c);
        ck_assert_int_eq(s.sample, 2);
        ck_assert_int_eq(s.n_obj, 2);
        ck_assert_int_eq(s.minimize[0], 0);
        ck_assert_int_eq(s.minimize[1], 1);
    }
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\","
               "\"crossover\":1.5},\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_RANGE, "strategy.crossover");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\",\"epochs\":0},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_RANGE, "evaluator.epochs");
    expect_err("{\"space\":\"nb201\",\"supernet\":{\"kind\":\"spos\",\"batch\":0},"
               "\"strategy\":{\"kind\":\"evolution\"},\"evaluator\":{\"kind\":\"inherited\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_RANGE, "supernet.batch");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":0}",
               NC_ERR_RANGE, "budget");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1,\"threads\":0}",
               NC_ERR_RANGE, "threads");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},"
               "\"objectives\":[],\"budget\":1}",
               NC_ERR_FORMAT, "objectives");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},\"objectives\":[\"accuracy\","
               "\"params\",\"flops\",\"latency\",\"params\"],\"budget\":1}",
               NC_ERR_FORMAT, "objectives");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"scratch\"},\"objectives\":[\"params\","
               "\"params\"],\"budget\":1}",
               NC_ERR_INVAL, "listed twice");
    expect_err("{\"space\":\"nb201\",\"strategy\":{\"kind\":\"evolution\"},"
               "\"evaluator\":{\"kind\":\"inherited\"},"
               "\"objectives\":[\"accuracy\"],\"budget\":1}",
               NC_ERR_INVAL, "needs a supernet");
}
END_TEST

START_TEST(invalid_json_position)
{
    /* The stray '}' after "budget": is on line 3, column 13. */
    expect_err("{\n  \"space\": \"nb201\",\n  \"budget\": }\n", NC_ERR_FORMAT,
               "line 3, column 13");
    expect_err("", NC_ERR_FORMAT, "line 1, column 1");
    expect_err("{\"space\":\"nb201\"} trailing", NC_ERR_FORMAT, "line 1, column 19");
}
END_TEST

START_TEST(load_errors)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_campaign_cfg c;
    char p[1024];
    nc_test_path(p, sizeof p, "no_such_campaign.json");
    ck_assert_int_eq(nc_campaign_cfg_load(&ctx, p, &c), NC_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.msg, p));

    nc_test_path(p, sizeof p, "bad_campaign.json");
    const char *bad = "{\n\"space\": \"nb201\",\n\"budget\": 1,,\n}\n";
    ck_assert_int_eq(nc_test_write_file(p, bad, strlen(bad)), 0);
    ck_assert_int_eq(nc_campaign_cfg_load(&ctx, p, &c), NC_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.msg, p));
    /* cJSON may point one byte past the fault; the line is what matters. */
    ck_assert_msg(strstr(ctx.msg, "line 3, column 1"), "%s", ctx.msg);

    /* One byte over the cap: refused before reading. */
    nc_test_path(p, sizeof p, "huge_campaign.json");
    size_t n = (size_t)NC_CAMPAIGN_FILE_MAX + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, ' ', n);
    ck_assert_int_eq(nc_test_write_file(p, big, n), 0);
    free(big);
    ck_assert_int_eq(nc_campaign_cfg_load(&ctx, p, &c), NC_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(ctx.msg, p));

    nc_test_path(p, sizeof p, "good_campaign.json");
    ck_assert_int_eq(nc_test_write_file(p, MIN, strlen(MIN)), 0);
    ck_assert_int_eq(nc_campaign_cfg_load(&ctx, p, &c), NC_OK);
    ck_assert_int_eq(c.budget, 10);
}
END_TEST

START_TEST(examples_load)
{
    const char *dir = "examples/campaigns";
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (run from the repository root)", dir);
    int n = 0, seen_evo = 0, seen_nsga = 0, seen_mbv = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        nc_ctx ctx;
        nc_ctx_init(&ctx);
        nc_campaign_cfg c;
        ck_assert_msg(nc_campaign_cfg_load(&ctx, p, &c) == NC_OK, "%s", ctx.msg);
        ck_assert_msg(nc_campaign_cfg_validate(&ctx, &c) == NC_OK, "%s: %s", p,
                      ctx.msg);
        /* The settings are what a strategy accepts, not just in range. */
        nc_strategy_cfg scfg = nc_campaign_strategy_cfg(&c);
        nc_strategy *strat = NULL;
        ck_assert_msg(nc_strategy_new(&ctx, c.strategy, nc_space_find(c.space),
                                      &scfg, &strat) == NC_OK, "%s: %s", p, ctx.msg);
        nc_strategy_free(strat);
        n++;
        if (strcmp(e->d_name, "nb201_table_evolution.json") == 0) {
            seen_evo = 1;
            ck_assert_int_eq(c.strategy, NC_STRATEGY_EVOLUTION);
            ck_assert_int_eq(c.population, 10);
            ck_assert_int_eq(c.sample, 3);
            ck_assert_int_eq(c.budget, 150);
            ck_assert_str_eq(c.select_metric, "cifar10_valid");
            ck_assert_str_eq(c.report_metric, "cifar10_test");
        } else if (strcmp(e->d_name, "nb201_table_nsga2.json") == 0) {
            seen_nsga = 1;
            ck_assert_int_eq(c.strategy, NC_STRATEGY_NSGA2);
            ck_assert_int_eq(c.n_obj, 2);
            ck_assert_int_eq(c.obj[1], NC_OBJ_PARAMS);
        } else if (strcmp(e->d_name, "mbv_latency_nsga2.json") == 0) {
            seen_mbv = 1;
            ck_assert_str_eq(c.space, "mbv");
            ck_assert_int_eq(c.evaluator, NC_EVAL_SCRATCH);
            ck_assert_str_eq(c.select_metric, "valid_accuracy");
            ck_assert_str_eq(c.report_metric, "test_accuracy");
            ck_assert_int_eq(c.obj[1], NC_OBJ_LATENCY);
            ck_assert(nc_campaign_objective_minimized(c.obj[1]));
        }
    }
    closedir(d);
    ck_assert_int_ge(n, 3);
    ck_assert(seen_evo && seen_nsga && seen_mbv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("campaign_cfg");
    TCase *tc = tcase_create("cfg");
    tcase_add_test(tc, defaults_validate);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, unknown_names);
    tcase_add_test(tc, format_errors);
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, range_errors);
    tcase_add_test(tc, invalid_json_position);
    tcase_add_test(tc, load_errors);
    tcase_add_test(tc, examples_load);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
