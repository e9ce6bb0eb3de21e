/*
 * owner.h — who works on a run: an owner string "host:pid:start" for this
 * process, and whether the process an owner string names still lives. The
 * run layer claims runs with it (run/run.h); whoever shows a run's owner
 * (nc_run_info.owner) says who it is and whether it still works with it.
 *
 * Example:
 *     char who[128];
 *     nc_owner_describe(info.owner, who, sizeof who);
 *     printf("%s (%s)\n", who, nc_owner_alive(info.owner) ? "live" : "gone");
 */
#ifndef NC_RUN_OWNER_H
#define NC_RUN_OWNER_H

#include <stddef.h>

enum { NC_OWNER_MAX = 320 };

/* This process as "host:pid:start" (start: the process's start time in
 * clock ticks since boot, from /proc, or 0 where /proc is missing), so that
 * a reused pid is not taken for the old owner. */
void nc_owner_self(char out[NC_OWNER_MAX]);

/* 1 if the process owner names may still be working: it lives on this
 * host with the same start time, or it is on another host (which cannot be
 * checked from here). 0 if it is gone, or owner is empty or unreadable. */
int nc_owner_alive(const char *owner);

/* "process 1234 on host h" for messages, into out. */
void nc_owner_describe(const char *owner, char *out, size_t n);

#endif
