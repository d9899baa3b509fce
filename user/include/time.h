/* struct timespec and nanosleep(). */
#ifndef _TIME_H
#define _TIME_H
#include <sys/types.h>
#include <quartz/abi.h>

struct timespec {
  time_t tv_sec;
  long tv_nsec;
};
_Static_assert(sizeof(struct timespec) == sizeof(struct quartz_timespec), "timespec");

/* Sleep for *REQ; if woken early, *REM (if not NULL) gets what was left. 0 or -1 (errno). */
int nanosleep(const struct timespec* req, struct timespec* rem);
/* The time since boot (CLOCK_MONOTONIC, or CLOCK_REALTIME: Quartz has no date), in ticks'
 * resolution. 0 or -1 (errno). */
typedef int clockid_t;
int clock_gettime(clockid_t clock, struct timespec* ts);

#endif
