/*
 * owner.c — owner strings of runs (owner.h).
 */
#include "run/owner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Field 22 of /proc/PID/stat (starttime), or 0 if it cannot be read. The
 * command name (field 2) may hold spaces and parentheses, so fields are
 * counted after its last ')'. */
static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* After ")": field 3 (state) is the first; starttime is field 22. */
    int field = 2;
    for (p++; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    return field == 22 ? strtoull(p, NULL, 10) : 0;
}

static void host_name(char *out, size_t n)
{
    if (gethostname(out, n) != 0 || !out[0])
        snprintf(out, n, "localhost");
    out[n - 1] = 0;
    /* ':' separates the owner's fields. */
    for (char *p = out; *p; p++)
        if (*p == ':')
            *p = '_';
}

void nc_owner_self(char out[NC_OWNER_MAX])
{
    char host[256];
    host_name(host, sizeof host);
    long pid = (long)getpid();
    snprintf(out, NC_OWNER_MAX, "%s:%ld:%llu", host, pid, start_time(pid));
}

/* Splits owner into its host, pid and start; 0 if malformed. */
static int parse(const char *owner, char *host, size_t n, long *pid,
                 unsigned long long *start)
{
    const char *c1 = owner ? strchr(owner, ':') : NULL;
    if (!c1 || (size_t)(c1 - owner) >= n)
        return 0;
    memcpy(host, owner, (size_t)(c1 - owner));
    host[c1 - owner] = 0;
    char *end;
    *pid = strtol(c1 + 1, &end, 10);
    if (*end != ':' || *pid <= 0)
        return 0;
    *start = strtoull(end + 1, &end, 10);
    return *end == 0;
}

int nc_owner_alive(const char *owner)
{
    char host[256], me[256];
    long pid;
    unsigned long long start;
    if (!owner || !*owner || !parse(owner, host, sizeof host, &pid, &start))
        return 0;
    host_name(me, sizeof me);
    if (strcmp(host, me) != 0)
        return 1;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    /* The pid lives; it is the owner only if it started when the owner
     * did (a reused pid is another process). */
    unsigned long long now = start_time(pid);
    return start == 0 || now == 0 || now == start;
}

void nc_owner_describe(const char *owner, char *out, size_t n)
{
    char host[256];
    long pid;
    unsigned long long start;
    if (parse(owner, host, sizeof host, &pid, &start))
        snprintf(out, n, "process %ld on host %s", pid, host);
    else
        snprintf(out, n, "\"%s\"", owner ? owner : "");
}
