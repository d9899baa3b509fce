/* <linux/interrupt.h>: bottom halves and tasklets as Linux 2.4 had them, for --linux
 * 2.4 modules: mark_bh(IMMEDIATE_BH) after queue_task(&t, &tq_immediate) (the next
 * irq_exit drains tq_immediate), TIMER_BH, TQUEUE_BH; tasklets with 2.4's
 * DECLARE_TASKLET(name, func, data) and void func(unsigned long), tasklet_init,
 * tasklet_schedule, tasklet_hi_schedule, tasklet_kill, tasklet_disable/enable: Quartz's
 * own (quartz/interrupt.h, the contract there). For today's generation (--linux 6):
 * Quartz's tasklets in today's forms. Linux 2.2 had no tasklets, and the 2.6 generation
 * is not written yet: both are refused. */
#ifndef QUARTZ_COMPAT_LINUX_INTERRUPT_H
#define QUARTZ_COMPAT_LINUX_INTERRUPT_H

#include "types.h"

#if QUARTZ_LINUX == 0x020400
#include <quartz/interrupt.h>
#include <quartz/tqueue.h> /* tq_immediate */
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
#elif QUARTZ_LINUX == 0x020200
#error \
    "<linux/interrupt.h>: the --linux 2.2 headers offer no bottom halves or tasklets (docs/the-guide.md)"
#else
#error "<linux/interrupt.h> for Linux 2.6 is not written yet (docs/the-guide.md)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_INTERRUPT_H */
