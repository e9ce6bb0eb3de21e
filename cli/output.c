/*
 * output.c — what every command prints with: one JSON line, local times,
 * the clock of the progress displays.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int nc_cli_print_json_text(char *s)
{
    if (!s) {
        fprintf(stderr, "nasc: out of memory while writing JSON\n");
        return NC_EXIT_FAILURE;
    }
    /* One line, so that scripts can take the last line of stdout. */
    puts(s);
    free(s);
    return nc_cli_flush();
}

int nc_cli_print_json(void *cjson)
{
    cJSON *j = cjson;
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return nc_cli_print_json_text(s);
}

void *nc_cli_json_num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void *nc_cli_epoch_json(const nc_epoch_metrics *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "epoch", m->epoch) ||
        !cJSON_AddNumberToObject(o, "step", (double)m->step) ||
        !cJSON_AddItemToObject(o, "lr", nc_cli_json_num(m->lr)) ||
        !cJSON_AddItemToObject(o, "train_loss", nc_cli_json_num(m->train_loss)) ||
        !cJSON_AddItemToObject(o, "train_accuracy",
                               nc_cli_json_num(m->train_accuracy)) ||
        !cJSON_AddItemToObject(o, "valid_loss", nc_cli_json_num(m->valid_loss)) ||
        !cJSON_AddItemToObject(o, "valid_accuracy",
                               nc_cli_json_num(m->valid_accuracy)) ||
        !cJSON_AddItemToObject(o, "seconds", nc_cli_json_num(m->seconds))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

void nc_cli_print_epoch(const nc_epoch_metrics *m)
{
    printf("epoch %d: train loss %.4f, train accuracy %.2f%%", m->epoch,
           m->train_loss, 100 * m->train_accuracy);
    if (isfinite(m->valid_loss))
        printf(", valid loss %.4f", m->valid_loss);
    if (isfinite(m->valid_accuracy))
        printf(", valid accuracy %.2f%%", 100 * m->valid_accuracy);
    printf("\n");
}

int nc_cli_flush(void)
{
    return fflush(stdout) == 0 && !ferror(stdout) ? NC_EXIT_OK
                                                  : NC_EXIT_FAILURE;
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

double nc_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
