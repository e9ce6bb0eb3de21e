/*
 * ctx.h — status codes and the context every nasc call carries.
 *
 * The library never prints and never exits: a function that fails returns a
 * non-zero nc_status and leaves a human-readable message in its nc_ctx, which
 * the caller (normally cli/) prints. The context also holds the settings that
 * would otherwise be globals: the thread count and the verbosity.
 *
 *     nc_ctx ctx;
 *     nc_ctx_init(&ctx);
 *     if (nc_dataset_load(&ctx, "fashion-mnist", dir, 1, &ds) != NC_OK)
 *         fprintf(stderr, "nasc: %s\n", ctx.msg);
 */
#ifndef NC_CTX_H
#define NC_CTX_H

#include <stddef.h>
#include <stdint.h>

typedef enum nc_status {
    NC_OK = 0,
    NC_ERR_INVAL,       /* a bad argument, option or architecture string */
    NC_ERR_NOMEM,       /* allocation failed or a size would overflow */
    NC_ERR_IO,          /* open/read/write failed (missing file, full disk) */
    NC_ERR_FORMAT,      /* a file is truncated, corrupt or has a wrong magic */
    NC_ERR_RANGE,       /* a value is out of its allowed range */
    NC_ERR_DB,          /* SQLite reported an error */
    NC_ERR_CHECKSUM,    /* stored data does not match its checksum */
    NC_ERR_VERSION,     /* a file or database from a newer/unknown version */
    NC_ERR_NOTFOUND,    /* a run, checkpoint or name that does not exist */
    NC_ERR_STATE,       /* the operation does not fit the object's state */
    NC_ERR_NUMERIC,     /* NaN or Inf where a finite value is required */
    NC_ERR_STOPPED      /* work stopped on request (a progress hook) */
} nc_status;

enum { NC_MSG_MAX = 512 };

typedef struct nc_ctx {
    nc_status status;       /* last failure, NC_OK if none */
    char msg[NC_MSG_MAX];   /* message of the last failure */
    int verbose;            /* 0 quiet, 1 progress */
} nc_ctx;

/* Sets defaults: no error, quiet. */
void nc_ctx_init(nc_ctx *ctx);

/* Records a failure: formats the message into ctx->msg, sets ctx->status and
 * returns st, so callers can write `return nc_fail(ctx, NC_ERR_IO, ...)`.
 * ctx may be NULL (the message is then dropped). */
nc_status nc_fail(nc_ctx *ctx, nc_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the current message (for adding where it happened). */
void nc_ctx_prefix(nc_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears status and message. */
void nc_ctx_clear(nc_ctx *ctx);

/* A short stable name for a status ("io", "format", ...). */
const char *nc_status_name(nc_status st);


#endif
