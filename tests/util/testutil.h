/*
 * testutil.h — small helpers shared by the Check test programs.
 */
#ifndef NC_TESTUTIL_H
#define NC_TESTUTIL_H

#include <stddef.h>

/* A fresh empty directory under $TMPDIR (or /tmp), made once per process;
 * the returned string is static storage. */
const char *nc_test_tmpdir(void);
/* path = tmpdir/name, in buf of size n; returns buf. */
char *nc_test_path(char *buf, size_t n, const char *name);
/* ../shared/data if it exists (tests that need it skip otherwise), or NULL. */
const char *nc_test_shared_data(void);
/* Writes n bytes to path; 0 on success. */
int nc_test_write_file(const char *path, const void *data, size_t n);

#endif
