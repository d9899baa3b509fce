/* sched_yield(). */
#ifndef _SCHED_H
#define _SCHED_H

/* Give the CPU to another runnable process, if there is one. Returns 0. */
int sched_yield(void);

#endif
