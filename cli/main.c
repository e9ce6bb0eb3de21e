#include "cli/cli.h"

#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *f);
    const char *summary;
} command;

static const command COMMANDS[] = {
    { "train", nc_cli_train, nc_cli_train_help,
      "train a model as a new run in the run log" },
    { "resume", nc_cli_resume, nc_cli_resume_help,
      "continue a training run, search campaign or DARTS run" },
    { "eval", nc_cli_eval, nc_cli_eval_help,
      "evaluate a run's newest checkpoint" },
    { "runs", nc_cli_runs, nc_cli_runs_help, "list the runs in a run log" },
    { "show", nc_cli_show, nc_cli_show_help,
      "show a run's configuration, epochs and result" },
    { "search", nc_cli_search, nc_cli_search_help,
      "run a search campaign from a campaign file" },
    { "darts", nc_cli_darts, nc_cli_darts_help,
      "differentiable search (DARTS, DARTS-PT) of an nb201 cell" },
    { "status", nc_cli_status, nc_cli_status_help,
      "show a search campaign's progress and best trial" },
    { "report", nc_cli_report, nc_cli_report_help,
      "leaderboard, Pareto front and CSV of a campaign" },
    { "proxies", nc_cli_proxies, nc_cli_proxies_help,
      "score architectures with zero-cost proxies, as CSV" },
    { "latency-table", nc_cli_latency, nc_cli_latency_help,
      "measure a space's layer-wise latency table for campaigns" },
};

enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static const command *find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: nasc COMMAND [OPTIONS]\n"
        "       nasc help COMMAND | nasc --help | nasc --version\n"
        "\n"
        "nasc trains, searches and compresses neural networks on the CPU,\n"
        "logging every run to a SQLite run log (--db, default runs.db) so that\n"
        "a killed run can be resumed.\n"
        "\n"
        "Commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-13s  %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f,
        "\n"
        "'nasc COMMAND --help' describes a command's options. Every command\n"
        "takes --json for one line of JSON on stdout.\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "nasc: unknown command '%s'\n", name);
    fprintf(stderr, "Try 'nasc --help' for the list of commands.\n");
    return NC_EXIT_USAGE;
}

static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return NC_EXIT_OK;
    }
    if (argc > 2) {
        fprintf(stderr, "nasc help: unexpected argument '%s'\n", argv[2]);
        return NC_EXIT_USAGE;
    }
    const command *c = find(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    c->help(stdout);
    return NC_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return NC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return NC_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("nasc %s\n", NC_VERSION);
        return NC_EXIT_OK;
    }
    if (strcmp(name, "help") == 0)
        return help(argc - 1, argv + 1);
    if (name[0] == '-') {
        fprintf(stderr, "nasc: unknown option '%s'\n", name);
        fprintf(stderr, "Try 'nasc --help'.\n");
        return NC_EXIT_USAGE;
    }
    const command *c = find(name);
    if (!c)
        return unknown_command(name);
    /* The command sees itself as argv[0], as getopt expects. */
    return c->run(argc - 1, argv + 1);
}
