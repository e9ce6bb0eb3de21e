/*
 * testutil.h — small helpers shared by the Check test programs.
 */
#ifndef NC_TESTUTIL_H
#define NC_TESTUTIL_H

#include <stddef.h>

#include "core/ctx.h"

/* A fresh empty directory under $TMPDIR (or /tmp), made once per process;
 * the returned string is static storage. */
const char *nc_test_tmpdir(void);
/* path = tmpdir/name, in buf of size n; returns buf. */
char *nc_test_path(char *buf, size_t n, const char *name);
/* ../shared/data if it exists (tests that need it skip otherwise), or NULL. */
const char *nc_test_shared_data(void);
/* Writes n bytes to path; 0 on success. */
int nc_test_write_file(const char *path, const void *data, size_t n);
/* Removes dir and everything under it (the tmpdir, at the end of main). */
void nc_test_remove_tree(const char *dir);

/* For the data-reader tests (test_idx.c, test_data.c). These fail the
 * running Check test on any error. */
/* Fails unless ctx->msg contains needle. */
void expect_msg(const nc_ctx *ctx, const char *needle);
/* nc_test_path(name) in one of 8 static buffers, used in turn. */
char *tpath(const char *name);
/* Writes n bytes to path, gzip-compressed if gz. */
void write_bytes(const char *path, const void *b, size_t n, int gz);
/* The whole file, in malloc'd memory (one spare byte); its size in *n. */
unsigned char *read_whole(const char *path, size_t *n);

#endif
