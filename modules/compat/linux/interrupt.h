/* <linux/interrupt.h>: bottom halves and tasklets as Linux 2.4 had them, for --linux
 * 2.4 modules: mark_bh(IMMEDIATE_BH) after queue_task(&t, &tq_immediate) (the next
 * irq_exit drains tq_immediate), TIMER_BH, TQUEUE_BH; tasklets with 2.4's
 * DECLARE_TASKLET(name, func, data) and void func(unsigned long), tasklet_init,
 * tasklet_schedule, tasklet_hi_schedule, tasklet_kill, tasklet_disable/enable: Quartz's
 * own (quartz/interrupt.h, the contract there). For 2.6 (--linux 2.6): the same tasklets
 * (2.6.19's are 2.4's), without bottom halves: mark_bh is refused by name (Linux 2.5
 * removed it). For today's generation (--linux 6): Quartz's tasklets in today's forms.
 * Linux 2.2 had no tasklets: refused. */
#ifndef QUARTZ_COMPAT_LINUX_INTERRUPT_H
#define QUARTZ_COMPAT_LINUX_INTERRUPT_H

#include "types.h"

#if QUARTZ_LINUX == 0x020400 || QUARTZ_LINUX == 0x020600
#include <quartz/interrupt.h>
#if QUARTZ_LINUX == 0x020400
#include <quartz/tqueue.h> /* tq_immediate */
#else
#ifdef __cplusplus
extern "C" {
#endif
void __quartz_refused_mark_bh(void) __attribute__((unavailable(
    "mark_bh is not supported by the --linux 2.6 headers: bottom halves were removed in Linux "
    "2.5 (use a tasklet)")));
#ifdef __cplusplus
}
#endif
#undef mark_bh
#define mark_bh(nr) __quartz_refused_mark_bh()
#endif
/* 2.4's three-argument forms (Linux 2.4.0 include/linux/interrupt.h). */
#undef DECLARE_TASKLET
#undef DECLARE_TASKLET_DISABLED
#ifdef __cplusplus
#define DECLARE_TASKLET(name, func, data) \
    struct tasklet_struct name = {0, 0, 0, 0, (func), 0, (data), 0, 0}
#define DECLARE_TASKLET_DISABLED(name, func, data) \
    struct tasklet_struct name = {0, 0, 1, 0, (func), 0, (data), 0, 0}
#else
#define DECLARE_TASKLET(name, _func, _data) \
    struct tasklet_struct name = {.count = 0, .func = (_func), .data = (_data)}
#define DECLARE_TASKLET_DISABLED(name, _func, _data) \
    struct tasklet_struct name = {.count = 1, .func = (_func), .data = (_data)}
#endif
#elif QUARTZ_LINUX == 0x060000
/* Today's: DECLARE_TASKLET(name, callback) with void callback(struct tasklet_struct *),
 * tasklet_setup, from_tasklet, and the old form as DECLARE_TASKLET_OLD(name, func). */
#include <quartz/interrupt.h>
#else
#error \
    "<linux/interrupt.h>: the --linux 2.2 headers offer no bottom halves or tasklets (docs/the-guide.md)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_INTERRUPT_H */
