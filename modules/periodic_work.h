/* periodic_work.h: the one unit of periodic work every module of the side-by-side
 * comparison does (tqwork, cronwork, timerwork, ...), so that only the mechanism driving
 * it differs, and the record of when it ran that the kernel's `deferbench` reads. */
#ifndef QUARTZ_PERIODIC_WORK_H
#define QUARTZ_PERIODIC_WORK_H

#include <quartz/module.h>

/* Read by kernel/demo/deferbench.cpp through the module's exported-by-name symbol
 * NAME_work (its PeriodicWork keeps the same layout). Written by the activations only. */
struct periodic_work {
    volatile int runs;                 /* activations so far                          */
    volatile unsigned long last;       /* jiffies at the last activation (0: none yet)  */
    volatile unsigned long late_max;   /* most ticks an activation came after it was due */
    volatile unsigned long late_total; /* their sum, for the mean                        */
    unsigned int state;                /* the work itself: a pseudo-random step          */
};

/* One activation. Each is due one tick after the previous one: a gap of one tick is on
 * time, a gap of 1 + k ticks is k ticks late (a mechanism that runs twice in one tick is
 * not early: 0). */
static inline void periodic_work_run(struct periodic_work *w)
{
    const unsigned long now = jiffies;
    if (w->runs) {
        const unsigned long gap = now - w->last;
        const unsigned long late = gap > 1 ? gap - 1 : 0;
        if (late > w->late_max)
            w->late_max = late;
        w->late_total += late;
    }
    w->last = now;
    w->runs++;
    w->state = w->state * 1103515245u + 12345u;
}

#endif /* QUARTZ_PERIODIC_WORK_H */
