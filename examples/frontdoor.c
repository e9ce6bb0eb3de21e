/*
 * frontdoor.c — the worked example of nasc.h, as a program: build a net,
 * train it as a logged run, run a small search campaign.
 *
 *     cc frontdoor.c $(pkg-config --cflags --libs nasc) -o frontdoor
 *     ./frontdoor [DB [DATA_DIR]]
 *
 * DB is the run log to write (default frontdoor.db); DATA_DIR a directory
 * of Fashion-MNIST IDX files (default: the data set's usual place). With the
 * full data set it takes some seconds; tests/cli/install.sh runs it on a few
 * hundred samples. Exit status 0 on success, 1 with the library's message on
 * stderr otherwise.
 *
 * Keep it the same calls as the comment in nasc.h: that comment is what a
 * reader of the header sees, this is the proof that it compiles and runs.
 */
#include <stdio.h>

#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"
#include "nasc.h"

int main(int argc, char **argv)
{
    const char *dbpath = argc > 1 ? argv[1] : "frontdoor.db";
    const char *data_dir = argc > 2 ? argv[2] : "";
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = NULL;

    /* A net on its own: the built-in mlp sized for Fashion-MNIST. */
    nc_model_opts mo = nc_model_defaults();
    nc_dataset_facts("fashion-mnist", &mo.in, &mo.n_classes);
    nc_net *net;
    if (nc_model_build(&ctx, "mlp", NULL, &mo, 64, &net))
        goto fail;
    if (nc_net_init_params(net, 1)) {
        nc_net_free(net);
        goto fail;
    }
    printf("mlp: %zu parameters\n", nc_net_n_params(net));
    nc_net_free(net);

    /* Training is a run in a run log: it builds its own net from the
     * configuration, and nc_train_resume continues it after a kill. */
    if (nc_store_open(&ctx, dbpath, 1, &db))
        goto fail;
    nc_train_cfg tc = nc_train_cfg_defaults();
    snprintf(tc.model, sizeof tc.model, "mlp");
    snprintf(tc.data_dir, sizeof tc.data_dir, "%s", data_dir);
    tc.epochs = 1;
    tc.train_samples = 2000;
    int64_t run;
    nc_train_result tr;
    if (nc_train_start(&ctx, db, &tc, NULL, &run, &tr))
        goto fail;
    printf("run %lld: test accuracy %.3f\n", (long long)run,
           tr.test_accuracy);

    /* A campaign: two random architectures of the mlp space, each trained
     * from scratch for one epoch, on accuracy and size. */
    nc_campaign_cfg cc = nc_campaign_cfg_defaults();
    snprintf(cc.space, sizeof cc.space, "mlp");
    snprintf(cc.dataset, sizeof cc.dataset, "fashion-mnist");
    snprintf(cc.data_dir, sizeof cc.data_dir, "%s", data_dir);
    cc.strategy = NC_STRATEGY_RANDOM;
    cc.evaluator = NC_EVAL_SCRATCH;
    cc.scratch_train.epochs = 1;
    cc.scratch_valid = 50;
    cc.n_obj = 2;
    cc.obj[0] = NC_OBJ_ACCURACY;
    cc.obj[1] = NC_OBJ_PARAMS;
    cc.budget = 2;
    nc_campaign_result cr;
    if (nc_campaign_start(&ctx, db, &cc, NULL, &run, &cr))
        goto fail;
    printf("campaign %lld: %lld trials, best %s\n", (long long)run,
           (long long)cr.trials, cr.best_arch);
    nc_store_close(db);
    return 0;

fail:
    fprintf(stderr, "frontdoor: %s\n", ctx.msg);
    nc_store_close(db);
    return 1;
}
