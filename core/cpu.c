/*
 * cpu.c — the cores available to the process (core/cpu.h).
 */
#include "core/cpu.h"

#include <sched.h>
#include <unistd.h>

int nc_cpu_count(void)
{
    /* The affinity mask, not the cores online: a process pinned to one core
     * of eight would otherwise start eight threads that share it. */
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1 << 20 ? (int)n : 1;
}
