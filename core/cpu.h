/*
 * cpu.h — what the machine offers this process: the number of cores it may
 * run on, the default thread count of nasc's commands.
 *
 *     int threads = nc_cpu_count();   // 2 on a 2-core machine; 1 under
 *                                     // `taskset -c 0`
 */
#ifndef NC_CPU_H
#define NC_CPU_H

/* The cores this process may run on: the CPUs in its affinity mask
 * (sched_getaffinity, so taskset, cgroups' cpusets and container limits
 * that pin CPUs count), or, where the mask cannot be read, the cores online
 * (sysconf). Always >= 1. Reads the system each call; keeps no state. */
int nc_cpu_count(void);

#endif
