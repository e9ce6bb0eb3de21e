/*
 * main.c — `nasc`: the table of commands and the top-level options.
 */
#include "cli/cli.h"

#include <string.h>

/* Every command, in the order `nasc --help` lists them. */
static const nc_cli_cmd *const COMMANDS[] = {
    &nc_cli_cmd_train, &nc_cli_cmd_resume, &nc_cli_cmd_eval, &nc_cli_cmd_runs,
    &nc_cli_cmd_show, &nc_cli_cmd_status, &nc_cli_cmd_search,
    &nc_cli_cmd_darts, &nc_cli_cmd_report, &nc_cli_cmd_proxies,
    &nc_cli_cmd_latency, &nc_cli_cmd_export, &nc_cli_cmd_inspect,
    &nc_cli_cmd_infer,
};

enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static const nc_cli_cmd *find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i]->name, name) == 0)
            return COMMANDS[i];
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
        fprintf(f, "  %-13s  %s\n", COMMANDS[i]->name, COMMANDS[i]->summary);
    fprintf(f,
        "\n"
        "'nasc COMMAND --help' describes a command's options. Every command\n"
        "takes --json for one line of JSON on stdout. The commands that\n"
        "compute use as many threads as nasc has cores (%d here) unless told\n"
        "otherwise (--threads; nasc proxies: --workers); a run records its\n"
        "count, and 'nasc resume' keeps it.\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_default_threads(), nc_cli_exit_codes_help);
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
    const nc_cli_cmd *c = find(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    nc_cli_help(stdout, c);
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
    const nc_cli_cmd *c = find(name);
    if (!c)
        return unknown_command(name);
    /* The command sees itself as argv[0], as getopt expects. */
    return nc_cli_dispatch(c, argc - 1, argv + 1);
}
