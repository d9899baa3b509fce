/* <linux/workqueue.h>: work items and workqueues as each generation had them.
 *
 * 2.6 (--linux 2.6; Linux 2.6.19, the last before the work_struct split of 2.6.20):
 * struct work_struct { func, data, timer } with void func(void *data), the three-argument
 * DECLARE_WORK(n, f, d), INIT_WORK(w, f, d) and PREPARE_WORK(w, f, d); every item carries
 * its own timer, so queue_delayed_work takes a struct work_struct *. create_workqueue,
 * create_singlethread_workqueue, destroy_workqueue, queue_work, queue_delayed_work,
 * flush_workqueue, schedule_work, schedule_delayed_work, flush_scheduled_work,
 * cancel_delayed_work: Quartz's work items and delayed work (quartz/workqueue.h has the
 * contract; one worker thread per queue, named "NAME/0", shown by ps and `wq`) with a
 * layout of their own: Quartz's fields in Quartz's order, so a module uses them by name
 * (func, data, timer), never by position. The kernel's checks see these items and their
 * timers like any other: rmmod keeps a module whose item is pending, armed or running,
 * naming the module's function.
 *   queue_work, queue_delayed_work, schedule_*: any context; 1 if queued, 0 if the item
 *       was already pending. queue_delayed_work(wq, w, delay) arms w's timer at
 *       jiffies + delay (delay 0: after the next tick, as 2.6.19 did); when it fires, w
 *       is queued on wq.
 *   cancel_delayed_work(w): any context, never waits. As 2.6.19's: 1 if w's timer was
 *       armed (disarmed: w is no longer pending); else 0, and an item already queued (its
 *       timer fired) stays queued and runs, and a function running now goes on and may
 *       queue w again. flush_workqueue and flush_scheduled_work wait for what is queued
 *       or running; neither waits for a timer.
 *   flush_workqueue, flush_scheduled_work, create_*workqueue, destroy_workqueue: thread
 *       context. destroy_workqueue drains the queue first (2.6.19 flushed it too); a timer
 *       still armed then is disarmed and named (2.6.19's would have fired into freed
 *       memory).
 * Refused at build time, naming them: schedule_delayed_work_on,
 * cancel_rearming_delayed_work, cancel_rearming_delayed_workqueue,
 * execute_in_process_context, current_is_keventd, keventd_up. What 2.6.19 did not have
 * (work_pending, struct delayed_work, cancel_work_sync, ...) is an implicit declaration
 * or an unknown type: an error under -Werror.
 *
 * Today's generation (--linux 6): work items and workqueues as Linux has had them since
 * 2.6.20 and cmwq (2.6.36): struct work_struct, INIT_WORK, DECLARE_WORK, alloc_workqueue
 * with WQ_UNBOUND, create_workqueue, queue_work, schedule_work, flush_work,
 * cancel_work_sync, flush_workqueue, destroy_workqueue: Quartz's own (quartz/workqueue.h).
 * 2.2 and 2.4 had task queues (<linux/tqueue.h>). */
#ifndef QUARTZ_COMPAT_LINUX_WORKQUEUE_H
#define QUARTZ_COMPAT_LINUX_WORKQUEUE_H

#include "types.h"

#if QUARTZ_LINUX == 0x060000
#include <quartz/workqueue.h>
#elif QUARTZ_LINUX == 0x020600
#include "timer.h" /* struct timer_list, 2.6's (2.4's) form */

#ifdef __cplusplus
extern "C" {
#endif

struct workqueue_struct; /* made by create_workqueue */

/* Quartz's delayed work item (quartz/workqueue.h: struct delayed_work), its function of
 * 2.6's type, then the function's argument; kernel/compat/workqueue26.cpp checks that the
 * two layouts agree. The __wk_ fields are the kernel's. */
struct work_struct {
    void (*func)(void *); /* called with data, in the worker thread */
    void *__wk_next, *__wk_prev, *__wk_wq;
    unsigned long __wk_flags, __wk_seq, __wk_magic;
    struct timer_list timer; /* armed by queue_delayed_work */
    void *data;
};

/* WORK_FLAG_DATA_FORM and WORK_MAGIC_IDLE of quartz/workqueue.h. */
#define __QUARTZ_WORK26_FLAGS 0x4UL
#define __QUARTZ_WORK26_MAGIC 0x3017d1e0UL

#define __WORK_INITIALIZER(n, f, d)                                                            \
    {                                                                                          \
        .func = (f), .__wk_flags = __QUARTZ_WORK26_FLAGS, .__wk_magic = __QUARTZ_WORK26_MAGIC, \
        .data = (d)                                                                            \
    }
#define DECLARE_WORK(n, f, d) struct work_struct n = __WORK_INITIALIZER(n, f, d)
#define PREPARE_WORK(_work, _func, _data) \
    do {                                  \
        (_work)->func = (_func);          \
        (_work)->data = (_data);          \
    } while (0)
#define INIT_WORK(_work, _func, _data)               \
    do {                                             \
        (_work)->__wk_next = (_work)->__wk_prev = 0; \
        (_work)->__wk_wq = 0;                        \
        (_work)->__wk_flags = __QUARTZ_WORK26_FLAGS; \
        (_work)->__wk_seq = 0;                       \
        (_work)->__wk_magic = __QUARTZ_WORK26_MAGIC; \
        PREPARE_WORK((_work), (_func), (_data));     \
        init_timer(&(_work)->timer);                 \
    } while (0)

/* 2.6.19's names; the module that calls __create_workqueue is the queue's creator (rmmod
 * names a queue its module did not destroy). */
struct workqueue_struct *__create_workqueue(const char *name, int singlethread);
#define create_workqueue(name)              __create_workqueue((name), 0)
#define create_singlethread_workqueue(name) __create_workqueue((name), 1)
void destroy_workqueue(struct workqueue_struct *wq);
void flush_workqueue(struct workqueue_struct *wq);
void flush_scheduled_work(void);

/* Quartz's own queue_work and friends take its own work items and return bool. */
int linux26_queue_work(struct workqueue_struct *wq, struct work_struct *work);
int linux26_queue_delayed_work(struct workqueue_struct *wq, struct work_struct *work,
                               unsigned long delay);
int linux26_schedule_work(struct work_struct *work);
int linux26_schedule_delayed_work(struct work_struct *work, unsigned long delay);
int linux26_cancel_delayed_work(struct work_struct *work);
#define queue_work                          linux26_queue_work
#define queue_delayed_work                  linux26_queue_delayed_work
#define schedule_work                       linux26_schedule_work
#define schedule_delayed_work               linux26_schedule_delayed_work
#define cancel_delayed_work                 linux26_cancel_delayed_work

int schedule_delayed_work_on(int cpu, struct work_struct *work, unsigned long delay)
    __attribute__((unavailable("schedule_delayed_work_on is not supported by Quartz: it has one "
                               "CPU; use schedule_delayed_work")));
void cancel_rearming_delayed_work(struct work_struct *work) __attribute__((
    unavailable("cancel_rearming_delayed_work is not supported by the --linux 2.6 headers: "
                "stop the requeueing (a flag), then cancel_delayed_work and "
                "flush_scheduled_work")));
void cancel_rearming_delayed_workqueue(struct workqueue_struct *wq, struct work_struct *work)
    __attribute__((unavailable("cancel_rearming_delayed_workqueue is not supported by the "
                               "--linux 2.6 headers: stop the requeueing (a flag), then "
                               "cancel_delayed_work and flush_workqueue")));
int execute_in_process_context(void (*fn)(void *), void *data, void *ew) __attribute__((
    unavailable("execute_in_process_context is not supported by the --linux 2.6 headers")));
int current_is_keventd(void)
    __attribute__((unavailable("current_is_keventd is not supported by the --linux 2.6 headers")));
int keventd_up(void)
    __attribute__((unavailable("keventd_up is not supported by the --linux 2.6 headers")));

#ifdef __cplusplus
}
#endif
#else
#error "<linux/workqueue.h> did not exist before Linux 2.5.41: use task queues (<linux/tqueue.h>)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_WORKQUEUE_H */
