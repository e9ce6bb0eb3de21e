#include "tests/util/testutil.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char *nc_test_tmpdir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/nasc-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

char *nc_test_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", nc_test_tmpdir(), name);
    return buf;
}

const char *nc_test_shared_data(void)
{
    static const char *const cands[] = { "../shared/data", "../../shared/data" };
    const char *env = getenv("NC_SHARED_DATA");
    struct stat st;
    if (env && stat(env, &st) == 0)
        return env;
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode))
            return cands[i];
    return NULL;
}

int nc_test_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) != 0 || w != n) ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void nc_test_remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void expect_msg(const nc_ctx *ctx, const char *needle)
{
    ck_assert_msg(strstr(ctx->msg, needle) != NULL,
                  "message \"%s\" lacks \"%s\"", ctx->msg, needle);
}

char *tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    return nc_test_path(b, sizeof buf[0], name);
}

void write_bytes(const char *path, const void *b, size_t n, int gz)
{
    if (!gz) {
        ck_assert_int_eq(nc_test_write_file(path, b, n), 0);
        return;
    }
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    if (n)
        ck_assert_int_eq(gzwrite(g, b, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

unsigned char *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}
