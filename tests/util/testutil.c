#include "tests/util/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
