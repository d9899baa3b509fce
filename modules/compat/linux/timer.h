/* <linux/timer.h>: kernel timers as Linux 2.2 and 2.4 had them: struct timer_list with
 * ->function(unsigned long data), ->data and ->expires, init_timer, add_timer, mod_timer,
 * del_timer, del_timer_sync: Quartz's timers in their 2.4 form (quartz/timer.h with
 * QUARTZ_TIMER_2_4, the contract there). The 2.6 and today's generations are not written
 * yet. */
#ifndef QUARTZ_COMPAT_LINUX_TIMER_H
#define QUARTZ_COMPAT_LINUX_TIMER_H

#include "types.h"

#if QUARTZ_LINUX == 0x020200 || QUARTZ_LINUX == 0x020400
#ifndef QUARTZ_TIMER_2_4
#define QUARTZ_TIMER_2_4
#endif
#include <quartz/timer.h>
#else
#error "<linux/timer.h> for Linux 2.6 and 6 is not written yet (docs/the-guide.md)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_TIMER_H */
