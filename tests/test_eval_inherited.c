/*
 * test_eval_inherited.c — the inherited-weights evaluator
 * (campaign/eval_inherited.c) on a tiny synthetic Fashion-MNIST-shaped data
 * set: an nb201 campaign trains its SPOS supernet (one epoch row with a
 * checkpoint per epoch), then scores each trial on the shared weights; two
 * campaigns with one config give the same trials; one killed during
 * supernet training (an SQLite trigger makes the second epoch's commit fail,
 * as a kill would) resumes from the first epoch's checkpoint and ends with
 * the same trials; one stopped between trials and continued does too; and
 * the sandwich rule and the mbv supernet run through the same path.
 */
#include "run/jobs.h"
#include "campaign/campaign.h"
#include "store/trials.h"
#include "tests/util/testutil.h"

#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *data_dir(void)
{
    static char dir[600];
    if (!dir[0]) {
        nc_test_path(dir, sizeof dir, "fmnist");
        nc_test_write_band_idx(dir, 160, 40);
    }
    return dir;
}

static nc_store *fresh_db(nc_ctx *ctx, const char *name, char *path, size_t n)
{
    nc_test_path(path, n, name);
    unlink(path);
    nc_store *db = NULL;
    ck_assert_msg(nc_store_open(ctx, path, 1, &db) == NC_OK, "%s", ctx->msg);
    return db;
}

static nc_campaign_cfg inh_cfg(const char *space, nc_supernet_kind kind)
{
    nc_campaign_cfg c = nc_campaign_cfg_defaults();
    strcpy(c.space, space);
    strcpy(c.dataset, "fashion-mnist");
    strcpy(c.data_dir, data_dir());
    c.supernet = kind;
    c.supernet_train.epochs = 2;
    c.supernet_train.batch = 20;
    c.supernet_train.lr = 0.05;
    c.super.nb201_c = 4;
    c.super.nb201_n = 1;
    c.super.valid = 40;
    c.super.recal_samples = 40;
    c.strategy = NC_STRATEGY_EVOLUTION;
    c.population = 3;
    c.sample = 2;
    c.evaluator = NC_EVAL_INHERITED;
    strcpy(c.select_metric, "valid_acc");
    strcpy(c.report_metric, "test_acc");
    c.n_obj = 1;
    c.obj[0] = NC_OBJ_ACCURACY;
    c.budget = 5;
    c.seed = 9;
    return c;
}

START_TEST(test_inherited_campaign)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char pa[600], pb[600];
    nc_store *da = fresh_db(&ctx, "inh_a.db", pa, sizeof pa);
    nc_campaign_cfg c = inh_cfg("nb201", NC_SUPERNET_SPOS);
    int64_t whole = -1;
    nc_campaign_result res;
    ck_assert_msg(nc_campaign_start(&ctx, da, &c, NULL, &whole, &res) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(res.trials, 5);
    ck_assert(res.best_obj[0] > 0 && res.best_obj[0] <= 1);
    /* The supernet's epochs are logged with the campaign, checkpoints too. */
    nc_epoch_metrics *m;
    int ne;
    ck_assert_int_eq(nc_store_epochs(&ctx, da, whole, &m, &ne), NC_OK);
    ck_assert_int_eq(ne, 2);
    ck_assert(isfinite(m[1].train_loss) && m[1].train_loss < m[0].train_loss);
    free(m);

    /* The same config in another log: the same trials, bit for bit. */
    nc_store *dbb = fresh_db(&ctx, "inh_b.db", pb, sizeof pb);
    int64_t again = -1;
    ck_assert(nc_campaign_start(&ctx, dbb, &c, NULL, &again, NULL) == NC_OK);
    nc_test_expect_same_trials(&ctx, da, whole, dbb, again, 5);
    nc_store_close(dbb);

    /* Killed during supernet training: epoch 2 cannot be committed. */
    dbb = fresh_db(&ctx, "inh_c.db", pb, sizeof pb);
    int64_t cut = -1;
    ck_assert(nc_campaign_create(&ctx, dbb, &c, &cut) == NC_OK);
    nc_test_exec_sql(pb, "CREATE TRIGGER cut BEFORE INSERT ON epochs WHEN NEW.epoch = 2 "
                 "BEGIN SELECT RAISE(ABORT, 'simulated kill'); END;");
    ck_assert_int_ne(nc_campaign_continue(&ctx, dbb, cut, NULL, -1, NULL), NC_OK);
    nc_ctx_clear(&ctx);
    ck_assert_int_eq(nc_store_epochs(&ctx, dbb, cut, &m, &ne), NC_OK);
    ck_assert_int_eq(ne, 1);
    free(m);
    nc_test_exec_sql(pb, "DROP TRIGGER cut;");
    /* Then stopped after two trials, and resumed to the end. */
    ck_assert_msg(nc_campaign_continue(&ctx, dbb, cut, NULL, 2, NULL) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_msg(nc_campaign_resume(&ctx, dbb, cut, NULL, NULL) == NC_OK, "%s",
                  ctx.msg);
    nc_test_expect_same_trials(&ctx, da, whole, dbb, cut, 5);
    ck_assert_int_eq(nc_store_epochs(&ctx, dbb, cut, &m, &ne), NC_OK);
    ck_assert_int_eq(ne, 2);
    free(m);
    /* Resuming a finished campaign is refused. */
    ck_assert_int_eq(nc_campaign_resume(&ctx, dbb, cut, NULL, NULL), NC_ERR_STATE);
    nc_test_expect_msg(&ctx, "already done");
    nc_store_close(dbb);
    nc_store_close(da);
}
END_TEST

/* The sandwich rule on nb201 and the once-for-all mbv supernet go through
 * the same evaluator. */
START_TEST(test_inherited_other)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    char p[600];
    nc_store *db = fresh_db(&ctx, "inh_o.db", p, sizeof p);
    nc_campaign_cfg c = inh_cfg("nb201", NC_SUPERNET_SANDWICH);
    c.budget = 3;
    c.supernet_train.epochs = 1;
    nc_campaign_result res;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, NULL, &res) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(res.trials, 3);
    c = inh_cfg("mbv", NC_SUPERNET_SPOS);
    c.budget = 3;
    c.supernet_train.epochs = 1;
    c.supernet_train.batch = 10;
    ck_assert_msg(nc_campaign_start(&ctx, db, &c, NULL, NULL, &res) == NC_OK,
                  "%s", ctx.msg);
    ck_assert_int_eq(res.trials, 3);
    ck_assert(res.best_obj[0] >= 0 && res.best_obj[0] <= 1);
    /* A space without a supernet is refused before a run exists. */
    c = inh_cfg("mlp", NC_SUPERNET_SPOS);
    int64_t run = -1;
    ck_assert_int_eq(nc_campaign_start(&ctx, db, &c, NULL, &run, NULL),
                     NC_ERR_INVAL);
    nc_test_expect_msg(&ctx, "supernet");
    ck_assert_int_eq(run, -1);
    nc_store_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eval_inherited");
    TCase *tc = tcase_create("eval_inherited");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_inherited_campaign);
    tcase_add_test(tc, test_inherited_other);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nc_test_remove_tree(nc_test_tmpdir());
    return failed ? 1 : 0;
}
