/* Task queues, module-facing API: struct tq_struct, task_queue, queue_task,
 * run_task_queue, cancel_task_sync and tq_timer, with the Linux 2.2/2.4 names.
 *
 * This header is C99 and C++: modules written in either language include it.
 * The machinery lives in kernel/lib/task_queue.h (C++); the functions declared here are
 * defined by the kernel (kernel glue instantiating quartz::TaskQueue with the real
 * interrupt guard).
 *
 * Rules for task queues
 *   - queue_task():      any context (thread or interrupt), interrupts on or off.
 *                        Never sleeps, never allocates. Returns 1 if the task was queued,
 *                        0 if it was already pending (on this or any other queue) or is
 *                        being cancelled right now. A task is never linked twice.
 *   - run_task_queue():  any context. Runs every task queued before the call, in FIFO
 *                        order (first queued runs first; Linux 2.2 was LIFO, 2.4 FIFO).
 *                        Routines run with the caller's interrupt state (the kernel drains
 *                        tq_timer with interrupts ON, as Linux did), in interrupt context
 *                        when called from an interrupt: they may not sleep.
 *                        If the queue is already being drained in the same thread (a tick
 *                        arriving while the previous drain is still running, a routine
 *                        draining its own queue) or the caller is an interrupt handler, no
 *                        nested drain starts: the call is counted in `delayed` and returns;
 *                        what was queued meanwhile runs at the next drain. If ANOTHER
 *                        thread is draining it, a calling thread waits (yields) until that
 *                        drain is over and then drains the queue itself: when the call
 *                        returns, every task it queued before the call has run.
 *                        A queue of your own drained from a thread: its routines run in
 *                        that thread (interrupts on, preemptible) and must not sleep
 *                        either. The kernel tracks the running routine per thread and per
 *                        interrupt level, so other threads may sleep meanwhile. A fault in
 *                        such a routine abandons the drain: the rest of the batch goes back
 *                        to the front of the queue and runs at the next drain.
 *   - cancel_task_sync(): thread context (it may wait for a running routine). On return the
 *                        task is neither pending nor running, even if its routine requeues
 *                        itself. Returns 1 if it was pending. If the routine runs in
 *                        another thread (a queue drained there), it waits for it, yielding
 *                        the CPU. Called from the task's own routine it would deadlock: the
 *                        kernel panics with a clear message.
 *   - A routine may requeue its own task: it runs at the next drain, never this one.
 *
 * Rules for queues that are not static globals (the kernel keeps a registry of every
 * queue it has seen, for `tq`, /proc/tq, might_sleep and the module unloader):
 *   - A queue in kmalloc'd memory may be freed when it is empty and no drain runs on it:
 *     kfree forgets it silently. Freeing a busy queue (tasks pending or a drain running)
 *     is reported ("free of an active queue"), its tasks are taken off, then it is
 *     forgotten.
 *   - A queue on a thread's stack (DECLARE_TASK_QUEUE in a function) is *transient*: the
 *     kernel drops it from the registry as soon as it is empty and not draining (at the
 *     end of a drain, or when its last task is cancelled). Its owner must empty it
 *     (drain it, or cancel its tasks) before the function returns.
 *   - A module's own queue that is empty and idle is no leftover at rmmod: the loader
 *     forgets it before freeing the module. A busy one keeps the module loaded.
 *
 * Initialising a task: every kernel-private field may be zero, so
 *     static struct tq_struct t = { .routine = f, .data = p };
 * or INIT_TQUEUE(&t, f, p) for a task in kmalloc'd or stack memory.
 */
#ifndef QUARTZ_TQUEUE_API_H
#define QUARTZ_TQUEUE_API_H

#ifdef __cplusplus
extern "C" {
#endif

struct task_queue_head;

/* <linux/tqueue.h> for Linux 2.4 makes this __attribute__((designated_init)): its fields
 * are in another order than 2.4's, so a positional initialiser must not compile. */
#ifndef QUARTZ_TQ_STRUCT_ATTR
#define QUARTZ_TQ_STRUCT_ATTR
#endif

/* In C++ every field carries a "= 0" default initialiser: the layout is the same, and
 * `{ .routine = f, .data = p }` compiles without -Wmissing-field-initializers there too.
 * Every field having one also makes the structs constant-initialisable: a namespace-scope
 * `tq_struct t;` or `task_queue q;` in a C++ module is zero-filled data, never a dynamic
 * constructor (.init_array) that the module loader would refuse. */
#ifdef __cplusplus
#define TQ_ZERO_INIT = 0
#else
#define TQ_ZERO_INIT
#endif

struct tq_struct {
    /* public: set by the owner before queueing */
    void (*routine)(void *) TQ_ZERO_INIT;
    void *data TQ_ZERO_INIT;

    /* kernel-private below; all-zero means "idle, never queued". Written only with the
     * queue's interrupt guard held (interrupts off). */
    struct tq_struct *tq_next TQ_ZERO_INIT;        /* link in its queue or drain batch */
    struct tq_struct *tq_prev TQ_ZERO_INIT;        /* link in its queue or drain batch */
    struct task_queue_head *tq_queue TQ_ZERO_INIT; /* queue it is pending on, or NULL  */
    unsigned long sync TQ_ZERO_INIT;               /* bit 0 pending; bits 8.. cancels  */
    unsigned long tq_magic TQ_ZERO_INIT;           /* debug-objects state, TQ_MAGIC_*  */
} QUARTZ_TQ_STRUCT_ATTR;

/* Values of tq_magic. 0 is a valid never-used task (static initialiser). */
#define TQ_MAGIC_NONE    0x00000000UL
#define TQ_MAGIC_IDLE    0x7451d1e0UL /* used before, not pending                   */
#define TQ_MAGIC_PENDING 0x7451b5e1UL /* on a queue or in a drain's batch           */
#define TQ_MAGIC_FREED   0x6b6b7451UL /* stamped by tq_debug_mark_freed (kfree)     */

#define TQ_SYNC_PENDING     0x1UL
#define TQ_SYNC_CANCEL_ONE  0x100UL /* one cancel_task_sync in progress           */
#define TQ_SYNC_CANCEL_MASK (~0xffUL)

/* Initialise (or re-initialise) a task that is not queued. */
#define INIT_TQUEUE(_tq, _routine, _data) \
    do {                                  \
        (_tq)->routine = (_routine);      \
        (_tq)->data = (_data);            \
        (_tq)->tq_next = 0;               \
        (_tq)->tq_prev = 0;               \
        (_tq)->tq_queue = 0;              \
        (_tq)->sync = 0;                  \
        (_tq)->tq_magic = TQ_MAGIC_NONE;  \
    } while (0)

/* A queue head. All-zero is a valid empty queue; the name is only for /proc/tq. */
struct task_queue_head {
    const char *name TQ_ZERO_INIT;                   /* constant; for the tq command     */
    struct tq_struct *head TQ_ZERO_INIT;             /* FIFO of pending tasks; IRQs off  */
    struct tq_struct *tail TQ_ZERO_INIT;             /* IRQs off                         */
    struct tq_struct *batch TQ_ZERO_INIT;            /* rest of the batch being drained  */
    struct tq_struct *batch_tail TQ_ZERO_INIT;       /* its last task (valid if batch)   */
    struct tq_struct *running TQ_ZERO_INIT;          /* task whose routine runs now      */
    void (*running_routine)(void *) TQ_ZERO_INIT;    /* ...and its routine               */
    unsigned long drain_ctx TQ_ZERO_INIT;            /* drainer's (thread, irq level)    */
    unsigned long queued TQ_ZERO_INIT;               /* pending: head list + batch       */
    int draining TQ_ZERO_INIT;                       /* a drain is in progress           */
    int registered TQ_ZERO_INIT;                     /* on the registry of queues        */
    struct task_queue_head *next_queue TQ_ZERO_INIT; /* registry link                  */
    /* statistics */
    unsigned long drains TQ_ZERO_INIT;             /* drains run to completion         */
    unsigned long tasks_run TQ_ZERO_INIT;          /* routines called                  */
    unsigned long delayed TQ_ZERO_INIT;            /* drains refused: already draining */
    unsigned long skipped TQ_ZERO_INIT;            /* ticks the kernel did not drain   */
    unsigned long long longest_drain TQ_ZERO_INIT; /* Hooks::now() units (rdtsc)       */
};
/* Every field is written with the guard held (interrupts off), except `running`,
 * cleared by the drain with a single store after each routine. `running_routine` is
 * meaningful only while `running` is set (it is cleared when the drain ends), and
 * `batch_tail` only while `batch` is set (the drain does not clear it per task). */

typedef struct task_queue_head task_queue;

/* `DECLARE_TASK_QUEUE(my_queue);` defines an empty queue named "my_queue". */
#define TASK_QUEUE_INIT(_name) \
    {                          \
        .name = #_name         \
    }
#define DECLARE_TASK_QUEUE(_name) task_queue _name = TASK_QUEUE_INIT(_name)

/* Defined by the kernel. */
extern task_queue tq_timer; /* drained after every timer tick (IRQ0) */
/* Linux 2.4's immediate queue: drained at the next irq_exit after mark_bh(IMMEDIATE_BH)
 * (quartz/interrupt.h), in interrupt context with interrupts on. */
extern task_queue tq_immediate;
int queue_task(struct tq_struct *task, task_queue *queue);
void run_task_queue(task_queue *queue);
int cancel_task_sync(struct tq_struct *task);

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_TQUEUE_API_H */
