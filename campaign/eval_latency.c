/*
 * eval_latency.c — the latency objective of a campaign (campaign/evaluator.h).
 *
 * A measured latency differs from one run to the next, which would make a
 * resumed campaign's trials differ from an uninterrupted one's; so a
 * campaign measures (or loads) one latency table when it first runs, stores
 * the table's file text as the state blob "latency_table" of its run, and
 * every trial's latency is that table's prediction. The blob is the exact
 * text nc_latency_table_save writes, passed through a temporary file so
 * the one parser in campaign/latency.c reads it.
 */
#include "campaign/evaluator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/latency.h"
#include "data/dataset.h"

static const char BLOB[] = "latency_table";

/* Measurement settings of a table built at campaign start: one sample per
 * pass (a search ranks single-input latency), every configuration, and a
 * calibration on archs from a seed other than the campaign's proposals. */
enum { BUILD_REPEATS = 21, CALIB_ARCHS = 10 };

nc_status nc_eval_latency_check(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                                const nc_space *sp)
{
    if (strcmp(sp->name, "mbv") != 0)
        return nc_fail(ctx, NC_ERR_INVAL, "campaign: the latency objective is "
                       "predicted from a latency table, which only the mbv "
                       "space has (space is '%s')", sp->name);
    if (!cfg->latency_table[0])
        return NC_OK;
    nc_latency_table *t = NULL;
    nc_status st = nc_latency_table_load(ctx, cfg->latency_table, &t);
    nc_latency_table_free(t);
    return st;
}

/* A new empty file under $TMPDIR (or /tmp) named in path; its descriptor
 * is closed. */
static nc_status temp_path(nc_ctx *ctx, char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/nasc-latency-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot create a temporary file: %s",
                       path, strerror(errno));
    close(fd);
    return NC_OK;
}

static nc_status read_all(nc_ctx *ctx, const char *path, char **buf,
                          size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    size_t cap = 0;
    char *b = NULL;
    for (;;) {
        if (*len + 4096 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                return nc_fail(ctx, NC_ERR_NOMEM, "out of memory");
            }
            b = nb;
        }
        size_t got = fread(b + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return nc_fail(ctx, NC_ERR_IO, "%s: read failed", path);
    }
    *buf = b;
    return NC_OK;
}

static nc_status write_all(nc_ctx *ctx, const char *path, const void *b,
                           size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    size_t put = fwrite(b, 1, len, f);
    if (fclose(f) != 0 || put != len)
        return nc_fail(ctx, NC_ERR_IO, "%s: write failed", path);
    return NC_OK;
}

/* The table of the campaign's blob. */
static nc_status from_blob(nc_ctx *ctx, int64_t run, const void *b, size_t len,
                           nc_latency_table **out)
{
    char tmp[1100];
    nc_status st = temp_path(ctx, tmp, sizeof tmp);
    if (st)
        return st;
    if (!(st = write_all(ctx, tmp, b, len)))
        st = nc_latency_table_load(ctx, tmp, out);
    unlink(tmp);
    if (st)
        nc_ctx_prefix(ctx, "campaign %lld: stored latency table", (long long)run);
    return st;
}

/* Builds and calibrates a table on this machine for the campaign's input. */
static nc_status measure(nc_ctx *ctx, const nc_campaign_cfg *cfg,
                         const nc_space *sp, nc_latency_table **out)
{
    nc_shape in;
    int classes;
    nc_dataset_facts(cfg->dataset, &in, &classes);
    nc_status st = nc_latency_table_build(ctx, sp, in, classes, 1, cfg->threads,
                                          BUILD_REPEATS, 0, cfg->seed, out);
    if (!st)
        st = nc_latency_table_calibrate(ctx, *out, sp, in, classes,
                                        BUILD_REPEATS, CALIB_ARCHS,
                                        nc_eval_trial_seed(cfg->seed, -1));
    if (st) {
        nc_latency_table_free(*out);
        *out = NULL;
    }
    return st;
}

nc_status nc_eval_latency_open(nc_ctx *ctx, nc_run *handle,
                               const nc_campaign_cfg *cfg, const nc_space *sp,
                               nc_latency_table **out)
{
    int64_t run = nc_run_id(handle);
    *out = NULL;
    nc_status st = nc_eval_latency_check(ctx, cfg, sp);
    if (st)
        return st;
    void *blob = NULL;
    size_t len = 0;
    st = nc_run_state(ctx, handle, BLOB, &blob, &len);
    if (!st) {
        st = from_blob(ctx, run, blob, len, out);
        free(blob);
        return st;
    }
    if (st != NC_ERR_NOTFOUND)
        return st;
    nc_ctx_clear(ctx);

    /* First session: the file's text as it is, or a table measured now and
     * saved to text; stored before any trial uses it. */
    char *text = NULL;
    if (cfg->latency_table[0]) {
        st = read_all(ctx, cfg->latency_table, &text, &len);
    } else {
        nc_latency_table *t = NULL;
        char tmp[1100];
        if (!(st = measure(ctx, cfg, sp, &t)) &&
            !(st = temp_path(ctx, tmp, sizeof tmp))) {
            if (!(st = nc_latency_table_save(ctx, t, tmp)))
                st = read_all(ctx, tmp, &text, &len);
            unlink(tmp);
        }
        nc_latency_table_free(t);
    }
    if (!st)
        st = nc_run_state_put(ctx, handle, BLOB, text, len);
    /* Read back from what was stored, so this session predicts exactly as
     * every later one will. */
    if (!st)
        st = from_blob(ctx, run, text, len, out);
    free(text);
    return st;
}
