/*
 * cmd_resume.c — `nasc resume RUN`: continues a run of any kind that can be
 * continued, through the kind's own command (its progress display and
 * result).
 */
#include "cli/cli.h"

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Continues run RUN from its last commit to the end and prints its\n"
    "result as the command that started it does. The run keeps its own\n"
    "configuration, seed and thread count (recorded when it started; a\n"
    "resume takes no new ones), so it ends exactly as an uninterrupted\n"
    "run would have:\n"
    "\n"
    "  training run (kind 'train')   from the end of its last finished\n"
    "                                epoch, to the same weights\n"
    "  search campaign ('search')    after its last stored trial, with\n"
    "                                exactly the trials of an\n"
    "                                uninterrupted campaign\n"
    "  DARTS run ('darts')           after its last committed epoch or\n"
    "                                DARTS-PT decision\n"
    "\n"
    "A run that is done, that failed for good (it diverged), or that\n"
    "another process is working on is refused with exit status 5,\n"
    "saying why; 'nasc status RUN' shows the same.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "end stdout with the JSON line of the command that started the "
    "run (see 'nasc train --help', 'nasc search --help', 'nasc "
    "darts --help')";

static int on_run(const nc_cli_args *a, void *opts, nc_cli_run *r)
{
    const nc_cli_kind *k = nc_cli_kind_find(r->info.kind);
    if (k && k->starter) {
        /* The configuration as the view read it from the run. */
        nc_cli_drive d = { .a = a, .ctx = &r->ctx, .db = r->db,
                           .cfg = &r->view.cfg, .resumed = &r->info,
                           .run = r->id };
        int rc = k->starter->drive(&d);
        return d.st ? nc_cli_fail_run(a->name, &r->ctx, d.st, d.run, a->db)
                    : rc;
    }
    fprintf(stderr, "nasc %s: run %lld is a '%s' run, which nasc resume "
            "cannot continue\n", a->name, (long long)r->id,
            r->info.kind ? r->info.kind : "?");
    return NC_EXIT_STATE;
}

const nc_cli_cmd nc_cli_cmd_resume = {
    .name = "resume", .usage = "RUN [OPTIONS]",
    .summary = "continue a training run, search campaign or DARTS run",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_QUIET | NC_CLI_RUN,
    .on_run = on_run,
};
