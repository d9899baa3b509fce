/* <linux/sched.h>: sleeping and waking, jiffies and HZ, for modules built with --linux.
 *
 * 2.2: sleep_on, interruptible_sleep_on, wake_up and wake_up_interruptible take a
 * `struct wait_queue **` (<linux/wait.h>). sleep_on queues the caller and makes the
 * pointer non-NULL in one step, with interrupts off, then sleeps: a routine that tests
 * `q != NULL` and calls wake_up never misses it (on one CPU 2.2 had no window either).
 * ps and GDB's `threads` show the sleeper on a queue named after the module's variable.
 * 2.4: Quartz's wait queues (quartz/wait.h): sleep_on, wake_up; DECLARE_WAIT_QUEUE_HEAD.
 * In both: the interruptible_ forms behave as the plain ones (Quartz's sleep_on is not
 * ended by a signal; wake_up_interruptible wakes every sleeper). Thread context only for
 * the sleeps; wake_up from any context. */
#ifndef QUARTZ_COMPAT_LINUX_SCHED_H
#define QUARTZ_COMPAT_LINUX_SCHED_H

#include "types.h"
#include "wait.h"

#ifdef __cplusplus
extern "C" {
#endif

extern volatile unsigned long jiffies;
unsigned int quartz_hz(void);
#define HZ (quartz_hz())

#if QUARTZ_LINUX == 0x020200
void linux22_sleep_on(struct wait_queue **q);
void linux22_wake_up(struct wait_queue **q);
#define sleep_on               linux22_sleep_on
#define interruptible_sleep_on linux22_sleep_on
#define wake_up                linux22_wake_up
#define wake_up_interruptible  linux22_wake_up
#else
#define interruptible_sleep_on sleep_on
#define wake_up_interruptible  wake_up
#endif

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_SCHED_H */
