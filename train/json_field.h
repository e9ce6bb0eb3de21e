/*
 * json_field.h — reading the fields of a stored configuration (a cJSON
 * object) with messages that name the field, shared by every
 * configuration that the run log keeps as JSON (training runs, DARTS runs).
 *
 *     double lr;
 *     if (nc_json_num(ctx, o, "lr", 0, &lr)) ...ctx->msg: "configuration:
 *         field 'lr' must be a number"...
 *
 * Every reader fails with NC_ERR_FORMAT: "missing field 'k'" when k is
 * absent, or a message naming k and the expected type; *dst is unchanged
 * on failure.
 */
#ifndef NC_JSON_FIELD_H
#define NC_JSON_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "core/ctx.h"

/* A string of fewer than n characters into dst (n bytes). */
nc_status nc_json_str(nc_ctx *ctx, const cJSON *o, const char *k, char *dst,
                      size_t n);
/* A finite number; with bool_ok, true/false also read as 1/0 (training
 * configs store flags such as nesterov as JSON booleans). */
nc_status nc_json_num(nc_ctx *ctx, const cJSON *o, const char *k, int bool_ok,
                      double *dst);
/* An integer in int range (as nc_json_num, then checked). */
nc_status nc_json_int(nc_ctx *ctx, const cJSON *o, const char *k, int bool_ok,
                      int *dst);

#endif
