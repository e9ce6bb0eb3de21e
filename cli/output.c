#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int nc_cli_print_json(void *cjson)
{
    cJSON *j = cjson;
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s) {
        fprintf(stderr, "nasc: out of memory while writing JSON\n");
        return NC_EXIT_FAILURE;
    }
    /* One line, so that scripts can take the last line of stdout. */
    puts(s);
    free(s);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}

int nc_cli_print_result(const nc_train_result *res, int json)
{
    if (json) {
        /* The same object the run log stores as the run's result. */
        char *js = nc_train_result_to_json(res);
        if (!js)
            return nc_cli_print_json(NULL);
        int ok = printf("%s\n", js) > 0 && fflush(stdout) == 0;
        free(js);
        return ok ? NC_EXIT_OK : NC_EXIT_FAILURE;
    }
    printf("run             %lld\n", (long long)res->run);
    printf("epochs          %d\n", res->epochs_done);
    printf("test accuracy   %.2f%%\n", 100.0 * res->test_accuracy);
    printf("test loss       %.4f\n", res->test_loss);
    printf("train seconds   %.1f\n", res->train_seconds);
    printf("weights sha256  %s\n", res->weights_sha256);
    return fflush(stdout) == 0 ? NC_EXIT_OK : NC_EXIT_FAILURE;
}

const char *nc_cli_format_time(double t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !localtime_r(&tt, &tm) ||
        strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, n, "-");
    return buf;
}

void nc_cli_run_model(const nc_run_info *info, char *model, size_t n,
                      int *epochs)
{
    snprintf(model, n, "-");
    *epochs = 0;
    if (!info->kind || strcmp(info->kind, "train") != 0 || !info->config_json)
        return;
    /* Read through the library's own parser, so the CLI does not depend on
     * how the configuration names its fields. */
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_train_cfg cfg;
    if (nc_train_cfg_from_json(&ctx, info->config_json, &cfg) != NC_OK)
        return;
    snprintf(model, n, "%s", cfg.model);
    *epochs = cfg.epochs;
}
