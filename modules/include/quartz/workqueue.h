/* Workqueues, module-facing API: struct work_struct, struct delayed_work, INIT_WORK,
 * DECLARE_WORK, INIT_DELAYED_WORK, DECLARE_DELAYED_WORK, queue_work, schedule_work,
 * queue_delayed_work, schedule_delayed_work, mod_delayed_work, cancel_work_sync,
 * cancel_delayed_work, cancel_delayed_work_sync, flush_work, flush_delayed_work,
 * flush_workqueue, alloc_workqueue, create_workqueue, destroy_workqueue and system_wq,
 * with Linux's names and contracts
 * (kernel/workqueue.c and include/linux/workqueue.h of Linux 2.6.20 onwards; the work
 * function takes the work item, as since 2.6.20). Linux 2.4's keventd (schedule_task,
 * flush_scheduled_tasks) is at the end.
 *
 * This header is C99 and C++: modules written in either language include it. The state
 * machine lives in kernel/lib/work_core.h (C++), the worker threads in kernel/workqueue.cpp.
 *
 * How work runs. Every workqueue has one worker thread of its own (this kernel has one
 * CPU, so one worker per queue is what Linux 2.6's per-CPU threads were here): it takes
 * the items queued on it in FIFO order and calls each item's function in process
 * context, with interrupts on: a work function may sleep (msleep, wait_event), take a
 * mutex, kmalloc. `ps` shows the worker by name: system_wq's is "kworker/0:0";
 * alloc_workqueue's are "kworker/0:N" ("kworker/u:N" with WQ_UNBOUND); create_workqueue
 * ("NAME") names its worker "NAME/0" and create_singlethread_workqueue "NAME", as 2.6 did.
 * `wq` and /proc/workqueues list queues, workers, pending items (by function) and counts.
 *
 * Rules
 *   - queue_work(), schedule_work():  any context (thread, interrupt handler, task-queue
 *                  routine, timer function, another work item). Never sleeps. Returns
 *                  true if queued, false if the item was already pending (on any queue)
 *                  or a cancel_work_sync of it is in progress. An item is never queued
 *                  twice; it runs once per queueing that returned true.
 *   - Non-reentrant: one item never runs twice at once, even when queued on two queues
 *                  (the second worker waits for the first run to return). An item that
 *                  is running may be queued again: it runs again after it returns.
 *   - A work function may free its own work item (nothing touches it after the call),
 *                  requeue it, or queue others. It must not cancel_work_sync or flush_work
 *                  itself, nor flush_workqueue or destroy_workqueue its own queue: that
 *                  would wait for itself. The kernel panics, naming it.
 *   - cancel_work_sync(), flush_work(), flush_workqueue(), destroy_workqueue(),
 *     alloc_workqueue(), create_*workqueue(): thread context only (they may sleep; from an
 *                  interrupt handler or a task-queue routine the kernel panics, naming it).
 *   - cancel_work_sync(w): on return w is neither pending nor running, even if its
 *                  function requeues it (queue_work refuses it meanwhile). True if it
 *                  was pending.
 *   - flush_work(w): waits until the last queueing of w (pending at the call, or running
 *                  then) has finished running. True if it waited, false if w was idle.
 *   - flush_workqueue(wq): waits until every item queued on wq before the call has run.
 *                  Items queued meanwhile (a work requeuing itself) are not waited for.
 *   - destroy_workqueue(wq): drains wq (items queued by its own work items while it
 *                  drains still run; queue_work from anywhere else is refused with a
 *                  report), stops its worker and frees it. A queue that keeps requeuing
 *                  work for 100 rounds is reported, the rest cancelled, and destroyed.
 *   - Debug objects (Linux CONFIG_DEBUG_OBJECTS_WORK): an item must be initialised
 *                  (INIT_WORK or DECLARE_WORK) before use; an uninitialised, corrupt or
 *                  freed item is refused with a one-line report. kfree of memory holding
 *                  a pending item reports "free of an active work item" (naming its
 *                  function) and takes it off its queue.
 *   - Delayed work (struct delayed_work: a work item and the timer that queues it):
 *                  queue_delayed_work(wq, dw, delay) arms the timer; when it fires (in the
 *                  tick's bottom half) the item is queued on wq. It is pending from the
 *                  call until it runs: a second queue_delayed_work returns false and
 *                  leaves the first timer as it was (mod_delayed_work moves it). delay 0
 *                  queues at once. cancel_delayed_work: any context, never waits: true if
 *                  it was pending (timer disarmed or item taken off); the function may
 *                  still be running on return, and may requeue itself.
 *                  cancel_delayed_work_sync: thread context, like cancel_work_sync.
 *                  flush_delayed_work: fires a pending timer now, then flush_work.
 *                  flush_workqueue does not wait for timers that have not fired.
 *   - Modules: rmmod refuses to free a module while an item whose memory or function
 *                  lies in it is pending or running, or a workqueue it created is not
 *                  destroyed; each is named on one line and the module stays.
 */
#ifndef QUARTZ_WORKQUEUE_API_H
#define QUARTZ_WORKQUEUE_API_H

#include <stdbool.h>
#include <stddef.h>

#include <quartz/timer.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
#define WQ_ZERO_INIT = 0
#else
#define WQ_ZERO_INIT
#endif

struct work_struct;
struct workqueue_struct; /* opaque: made by alloc_workqueue */
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
    /* public: the function to run; it receives the item (container_of to get yours) */
    work_func_t func WQ_ZERO_INIT;

    /* kernel-private below. Written only with interrupts off. */
    struct work_struct *wk_next WQ_ZERO_INIT;    /* link on its queue's list          */
    struct work_struct *wk_prev WQ_ZERO_INIT;    /* link on its queue's list          */
    struct workqueue_struct *wk_wq WQ_ZERO_INIT; /* queue it is pending on, or NULL   */
    unsigned long wk_flags WQ_ZERO_INIT;         /* WORK_FLAG_*; bits 8..: cancels    */
    unsigned long wk_seq WQ_ZERO_INIT;           /* its ticket on wk_wq while pending */
    unsigned long wk_magic WQ_ZERO_INIT;         /* debug-objects state: WORK_MAGIC_* */
};

/* Values of wk_magic. 0 means never initialised: refused (INIT_WORK first). */
#define WORK_MAGIC_NONE    0x00000000UL
#define WORK_MAGIC_IDLE    0x3017d1e0UL /* initialised, not pending                  */
#define WORK_MAGIC_PENDING 0x3017b5e1UL /* on a queue's list, or its timer armed     */
#define WORK_MAGIC_FREED   0x6b6b3017UL /* stamped by kfree                          */

#define WORK_FLAG_PENDING     0x1UL   /* queued, or (delayed) its timer armed          */
#define WORK_FLAG_DELAYED     0x2UL   /* pending on its queue's delayed list           */
#define WORK_FLAG_DATA_FORM   0x4UL   /* Linux 2.6.19's form: see below                */
#define WORK_FLAG_CANCEL_ONE  0x100UL /* one cancel_work_sync in progress              */
#define WORK_FLAG_CANCEL_MASK (~0xffUL)
/* WORK_FLAG_DATA_FORM, set by <linux/workqueue.h>'s INIT_WORK and DECLARE_WORK for
 * --linux 2.6 modules (like timers' TIMER_DATA_FORM): the item is a struct delayed_work
 * followed by a `void *data`, and func is a void (*)(void *) called with that data. */

#define __WORK_INITIALIZER(n, f)                                                         \
    {                                                                                    \
        .func = (f), .wk_next = 0, .wk_prev = 0, .wk_wq = 0, .wk_flags = 0, .wk_seq = 0, \
        .wk_magic = WORK_MAGIC_IDLE                                                      \
    }
/* `DECLARE_WORK(my_work, my_func);` defines an initialised work item. */
#define DECLARE_WORK(n, f) struct work_struct n = __WORK_INITIALIZER(n, f)

/* Initialise (or re-initialise) an item that is not pending: kmalloc'd, on a stack, or a
 * static one. Re-initialising a pending item is a bug the worker reports. */
#define INIT_WORK(_w, _f)                 \
    do {                                  \
        (_w)->func = (_f);                \
        (_w)->wk_next = 0;                \
        (_w)->wk_prev = 0;                \
        (_w)->wk_wq = 0;                  \
        (_w)->wk_flags = 0;               \
        (_w)->wk_seq = 0;                 \
        (_w)->wk_magic = WORK_MAGIC_IDLE; \
    } while (0)

/* Is it queued (or, for delayed work, its timer armed)? A snapshot, any context. */
#define work_pending(w) ((((w)->wk_flags) & WORK_FLAG_PENDING) != 0)

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

/* ---- Delayed work ---- */
struct delayed_work {
    struct work_struct work;
    struct timer_list timer; /* its function queues `work` on the queue it was given */
};
/* The timer function of every delayed work item (Linux's delayed_work_timer_fn). */
void delayed_work_timer_fn(struct timer_list *timer);

#ifdef __cplusplus
#define __DELAYED_WORK_INITIALIZER(n, f)                                                 \
    {                                                                                    \
        __WORK_INITIALIZER((n).work, (f)), __TIMER_INITIALIZER(delayed_work_timer_fn, 0) \
    }
#else
#define __DELAYED_WORK_INITIALIZER(n, f)                       \
    {                                                          \
        .work = __WORK_INITIALIZER((n).work, (f)),             \
        .timer = __TIMER_INITIALIZER(delayed_work_timer_fn, 0) \
    }
#endif
#define DECLARE_DELAYED_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f)
#define INIT_DELAYED_WORK(_dw, _f)                            \
    do {                                                      \
        INIT_WORK(&(_dw)->work, (_f));                        \
        timer_setup(&(_dw)->timer, delayed_work_timer_fn, 0); \
    } while (0)
/* The delayed_work that holds a work item (in its function: to_delayed_work(work)). */
#define to_delayed_work(w)       container_of((w), struct delayed_work, work)
#define delayed_work_pending(dw) work_pending(&(dw)->work)

/* alloc_workqueue flags (Linux's values, include/linux/workqueue.h). Every flag is
 * accepted; with one worker per queue on one CPU they change nothing but the worker's
 * name (WQ_UNBOUND: "kworker/u:N"). */
#define WQ_UNBOUND         (1U << 1)
#define WQ_FREEZABLE       (1U << 2)
#define WQ_MEM_RECLAIM     (1U << 3)
#define WQ_HIGHPRI         (1U << 4)
#define WQ_CPU_INTENSIVE   (1U << 5)
#define WQ_SYSFS           (1U << 6)
#define WQ_POWER_EFFICIENT (1U << 7)
#define __WQ_ORDERED       (1U << 17)
#define __WQ_LEGACY        (1U << 18)
#define WQ_MAX_ACTIVE      512

/* Creates a workqueue and its worker thread. fmt is printf-style (printk's conversions)
 * and names the queue (at most 23 characters are kept). max_active 0 means the default;
 * outside 0..WQ_MAX_ACTIVE it is clamped with a warning (one worker runs one item at a
 * time anyway). NULL (with a one-line reason) if out of memory or flags has unknown bits.
 * Thread context. */
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
    __attribute__((format(printf, 1, 4)));
#define alloc_ordered_workqueue(fmt, flags, ...) \
    alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##__VA_ARGS__)
/* Linux 2.6's calls (today macros over alloc_workqueue, as in Linux). */
#define create_workqueue(name) alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name) \
    alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, (name))
void destroy_workqueue(struct workqueue_struct *wq);

/* The kernel's own queue (Linux's "events"), run by the worker "kworker/0:0". */
extern struct workqueue_struct *system_wq;

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool schedule_work(struct work_struct *work); /* queue_work(system_wq, work) */
bool cancel_work_sync(struct work_struct *work);
bool flush_work(struct work_struct *work);
void flush_workqueue(struct workqueue_struct *wq);

/* delay in jiffies. Any context, except the _sync and flush calls (thread context). */
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
                        unsigned long delay);
bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay);
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
bool cancel_delayed_work(struct delayed_work *dwork);
bool cancel_delayed_work_sync(struct delayed_work *dwork);
bool flush_delayed_work(struct delayed_work *dwork);

/* ---- Linux 2.4's keventd (kernel/context.c) -------------------------------------------
 * schedule_task(t): any context. Queues the tq_struct on the kernel's tq_context queue,
 *                   drained by the thread "keventd" in process context: its routine may
 *                   sleep (unlike tq_timer's). 1 if queued, 0 if it was already pending.
 * flush_scheduled_tasks(): thread context, never from a keventd routine (deadlock: the
 *                   kernel panics, naming it). Returns once every task scheduled before
 *                   the call has run (2.4 queued a dummy task and waited for keventd to
 *                   run it, twice; here one ticket is enough: the drain is FIFO).
 * current_is_keventd(): 1 in keventd, else 0. */
struct tq_struct;
int schedule_task(struct tq_struct *task);
void flush_scheduled_tasks(void);
int current_is_keventd(void);

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_WORKQUEUE_API_H */
