#include "train/json_field.h"

#include <math.h>
#include <string.h>

nc_status nc_json_str(nc_ctx *ctx, const cJSON *o, const char *k, char *dst,
                      size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: missing field '%s'", k);
    if (!cJSON_IsString(v))
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field '%s' must be a "
                       "string", k);
    if (strlen(v->valuestring) >= n)
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field '%s' is longer "
                       "than %zu characters", k, n - 1);
    strcpy(dst, v->valuestring);
    return NC_OK;
}

nc_status nc_json_num(nc_ctx *ctx, const cJSON *o, const char *k, int bool_ok,
                      double *dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: missing field '%s'", k);
    if (bool_ok && cJSON_IsBool(v)) {
        *dst = cJSON_IsTrue(v);
        return NC_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field '%s' must be a "
                       "number", k);
    *dst = v->valuedouble;
    return NC_OK;
}

nc_status nc_json_int(nc_ctx *ctx, const cJSON *o, const char *k, int bool_ok,
                      int *dst)
{
    double d = 0;
    nc_status st = nc_json_num(ctx, o, k, bool_ok, &d);
    if (st)
        return st;
    if (d != floor(d) || d < -2147483647.0 || d > 2147483647.0)
        return nc_fail(ctx, NC_ERR_FORMAT, "configuration: field '%s' must be an "
                       "integer", k);
    *dst = (int)d;
    return NC_OK;
}
