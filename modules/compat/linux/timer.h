/* <linux/timer.h>: kernel timers as Linux 2.2, 2.4 and 2.6 (to 4.14) had them: struct
 * timer_list with ->function(unsigned long data), ->data and ->expires, init_timer,
 * add_timer, mod_timer, del_timer, del_timer_sync: Quartz's timers in their 2.4 form
 * (quartz/timer.h with QUARTZ_TIMER_2_4, the contract there). For 2.6 it is also what
 * <linux/workqueue.h> includes (every 2.6.19 work item embeds a timer). Today's
 * generation is not written yet. */
#ifndef QUARTZ_COMPAT_LINUX_TIMER_H
#define QUARTZ_COMPAT_LINUX_TIMER_H

#include "types.h"

#if QUARTZ_LINUX == 0x020200 || QUARTZ_LINUX == 0x020400 || QUARTZ_LINUX == 0x020600
#ifndef QUARTZ_TIMER_2_4
#define QUARTZ_TIMER_2_4
#endif
#include <quartz/timer.h>
#else
#error "<linux/timer.h> for today's Linux (timer_setup) is not written yet: use <quartz/timer.h>"
#endif

#endif /* QUARTZ_COMPAT_LINUX_TIMER_H */
