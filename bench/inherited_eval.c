/*
 * inherited_eval — scores architectures with the trained supernet of a
 * finished (or at least supernet-trained) campaign that uses the inherited
 * evaluator: the same recalibration and held-out samples as the campaign's
 * own trials, for architectures the campaign never proposed (a uniform
 * sample of the space, for rank correlation with stand-alone training).
 *
 *     build/bench/inherited_eval DB RUN < archs.txt
 *
 * Reads one architecture string per line on stdin and prints
 * "arch<TAB>valid_acc" per line. Loading the campaign (nc_run_load) finds
 * the supernet's last checkpoint in the run log; a campaign whose supernet
 * is not fully trained yet is refused (resume it first). It has no --seed-offset (bench/util/seed_offset.h): it
 * draws nothing itself, every seed it uses is the campaign's, recorded with
 * the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"
#include "campaign/campaign.h"
#include "campaign/evaluator.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: inherited_eval DB RUN < archs.txt\n");
        return 2;
    }
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db = NULL;
    int64_t run = strtoll(argv[2], NULL, 10);
    nc_campaign_cfg cfg;
    const nc_space *sp;
    const nc_job_vt *vt = NULL;
    void *job = NULL;
    if (nc_store_open(&ctx, argv[1], 0, &db) ||
        nc_campaign_cfg_of_run(&ctx, db, run, &cfg) ||
        !(sp = nc_space_find(cfg.space)) ||
        cfg.evaluator != NC_EVAL_INHERITED ||
        nc_run_load(&ctx, db, run, "search", &vt, &job)) {
        fprintf(stderr, "inherited_eval: %s\n",
                ctx.msg[0] ? ctx.msg : "not an inherited-evaluator campaign");
        nc_store_close(db);
        return 1;
    }
    char line[NC_ARCH_STR_MAX + 2];
    int rc = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        nc_arch a;
        nc_eval_result r;
        if (sp->parse(sp, &ctx, line, &a) ||
            nc_campaign_job_evaluate(&ctx, job, &a, &r)) {
            fprintf(stderr, "inherited_eval: %s\n", ctx.msg);
            rc = 1;
            break;
        }
        printf("%s\t%.9g\n", line, r.select);
        fflush(stdout);
    }
    vt->close(job);
    nc_store_close(db);
    return rc;
}
