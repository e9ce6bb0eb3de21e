#include "core/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nc_ctx_init(nc_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

nc_status nc_fail(nc_ctx *ctx, nc_status st, const char *fmt, ...)
{
    if (!ctx)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    ctx->status = st;
    return st;
}

void nc_ctx_prefix(nc_ctx *ctx, const char *fmt, ...)
{
    if (!ctx)
        return;
    char pre[NC_MSG_MAX], old[NC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->msg, sizeof old);
    /* Truncation keeps the start of the message, which says where. */
    size_t n = strlen(pre);
    if (n >= sizeof ctx->msg - 2)
        n = sizeof ctx->msg - 3;
    memcpy(ctx->msg, pre, n);
    ctx->msg[n] = ':';
    ctx->msg[n + 1] = ' ';
    size_t room = sizeof ctx->msg - n - 2;
    size_t m = strnlen(old, room - 1);
    memcpy(ctx->msg + n + 2, old, m);
    ctx->msg[n + 2 + m] = '\0';
}

void nc_ctx_clear(nc_ctx *ctx)
{
    ctx->status = NC_OK;
    ctx->msg[0] = '\0';
}

const char *nc_status_name(nc_status st)
{
    static const char *const names[] = {
        "ok", "invalid", "nomem", "io", "format", "range", "db",
        "checksum", "version", "notfound", "state", "numeric", "stopped",
    };
    if ((unsigned)st < sizeof names / sizeof names[0])
        return names[st];
    return "unknown";
}
