/* Tasklets and Linux 2.4's bottom halves, module-facing API: struct tasklet_struct,
 * DECLARE_TASKLET (today's callback form), DECLARE_TASKLET_OLD and tasklet_init (the old
 * func/data form), tasklet_setup, from_tasklet, tasklet_schedule, tasklet_hi_schedule,
 * tasklet_kill, tasklet_disable, tasklet_disable_nosync, tasklet_enable; and mark_bh with
 * IMMEDIATE_BH, which makes the next irq_exit drain tq_immediate (quartz/tqueue.h).
 *
 * This header is C99 and C++. The machinery lives in kernel/lib/tasklet_core.h (C++);
 * the functions declared here are defined by the kernel (kernel/ktasklet.cpp).
 *
 * Rules for tasklets
 *   - tasklet_schedule(), tasklet_hi_schedule(): any context. A tasklet that is already
 *     scheduled stays scheduled once: scheduling it again before it runs changes nothing,
 *     and it runs once. It runs in the bottom half of the next interrupt's irq_exit
 *     (interrupt context, interrupts ON), after the timers, tq_timer and tq_immediate
 *     (scheduled from a bottom half itself, a timer function say: later in that same
 *     bottom half); hi tasklets before the others; in the order they were scheduled.
 *     Its function must
 *     not sleep (sleeping panics, naming it).
 *   - A tasklet never runs twice at once. Its function may schedule it again: it then
 *     runs at a later irq_exit, never in the same pass.
 *   - tasklet_disable(): any context; nests (a count). A disabled tasklet that is
 *     scheduled stays scheduled and runs once, after the tasklet_enable() that brings the
 *     count back to 0. tasklet_disable also waits for a function running in another
 *     context (thread context then); tasklet_disable_nosync does not wait.
 *     tasklet_enable() without a matching disable is reported and changes nothing.
 *   - tasklet_kill(): THREAD CONTEXT ONLY (from interrupt context, a tasklet function
 *     included, the kernel panics, naming the function). Waits until the tasklet is
 *     neither scheduled nor running: a scheduled one runs first (Linux's behaviour). It
 *     does NOT stop later scheduling, as in Linux: whatever schedules the tasklet (a timer,
 *     an interrupt handler) must be stopped first. A tasklet scheduled again after its
 *     tasklet_kill is reported once ("scheduled after tasklet_kill"), runs as in Linux,
 *     and keeps its module from being freed at rmmod, named (tests/modules/
 *     tasklet_after_kill.c): kill it again once nothing schedules it.
 *     A scheduled tasklet that is disabled would never run: tasklet_kill reports it and
 *     takes it off instead of waiting forever.
 *   - Freeing memory that holds a scheduled tasklet (kfree) is reported ("free of a
 *     scheduled tasklet") and the tasklet is taken off first. A module whose tasklet is
 *     scheduled or running, or whose function is, is not freed by rmmod.
 *   - A tasklet that is uninitialised, corrupted or freed is refused with a report.
 *
 * The two forms. Today's (Linux 5.9+): the function gets the tasklet, from_tasklet finds
 * the structure around it:
 *     static void my_fn(struct tasklet_struct *t) { struct dev *d = from_tasklet(d, t, tl); }
 *     static DECLARE_TASKLET(my_tasklet, my_fn);   or   tasklet_setup(&d->tl, my_fn);
 * The old one (Linux 2.4 to 5.8): the function gets an unsigned long:
 *     static void my_fn(unsigned long data);
 *     static DECLARE_TASKLET_OLD(my_tasklet, my_fn);   or   tasklet_init(&t, my_fn, data);
 * Linux keeps func and callback in a union; Quartz keeps two fields (same names), so
 * that both initialisers are plain C99 and C++ with no anonymous union.
 *
 * Linux 2.4's immediate queue:
 *     queue_task(&my_task, &tq_immediate);
 *     mark_bh(IMMEDIATE_BH);
 * runs my_task at the next irq_exit (interrupt context, interrupts on). mark_bh takes
 * IMMEDIATE_BH, TQUEUE_BH and TIMER_BH (any context); any other number is refused with
 * one line and changes nothing.
 */
#ifndef QUARTZ_INTERRUPT_API_H
#define QUARTZ_INTERRUPT_API_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
#define TASKLET_ZERO_INIT = 0
#else
#define TASKLET_ZERO_INIT
#endif

struct tasklet_struct {
    struct tasklet_struct *next TASKLET_ZERO_INIT; /* private: link while scheduled     */
    unsigned long state TASKLET_ZERO_INIT;         /* private: TASKLET_STATE_* bits     */
    int count TASKLET_ZERO_INIT;                   /* tasklet_disable depth (0: enabled) */
    int use_callback TASKLET_ZERO_INIT;            /* call callback(t), not func(data)  */
    void (*func)(unsigned long) TASKLET_ZERO_INIT; /* the old form                      */
    void (*callback)(struct tasklet_struct *) TASKLET_ZERO_INIT; /* today's form         */
    unsigned long data TASKLET_ZERO_INIT; /* the old form's argument           */
    /* kernel-private below; all-zero means "idle, never scheduled" */
    struct tasklet_struct *tl_prev TASKLET_ZERO_INIT; /* link while scheduled           */
    unsigned long tl_magic TASKLET_ZERO_INIT;         /* debug state, TASKLET_MAGIC_*    */
};

/* state bits: Linux's two (include/linux/interrupt.h: TASKLET_STATE_SCHED is bit 0,
 * TASKLET_STATE_RUN bit 1), then Quartz's own. */
#define TASKLET_STATE_SCHED      0x1UL   /* scheduled, not yet run                    */
#define TASKLET_STATE_RUN        0x2UL   /* reserved (the kernel keeps "running" apart) */
#define TASKLET_STATE_HI         0x100UL /* on the hi list                            */
#define TASKLET_STATE_KILLED     0x200UL /* tasklet_kill returned; not scheduled since */
#define TASKLET_STATE_AFTER_KILL 0x400UL /* scheduled again after tasklet_kill        */
#define TASKLET_STATE_BATCH      0x800UL /* taken by the run in progress              */

#define TASKLET_MAGIC_NONE  0x00000000UL
#define TASKLET_MAGIC_IDLE  0x7a5cd1e0UL
#define TASKLET_MAGIC_SCHED 0x7a5cb5e1UL
#define TASKLET_MAGIC_FREED 0x6b6b7a5cUL

#ifdef __cplusplus
#define __TASKLET_INIT(_count, _use_callback, _func, _callback)        \
    {                                                                  \
        0, 0, (_count), (_use_callback), (_func), (_callback), 0, 0, 0 \
    }
#else
#define __TASKLET_INIT(_count, _use_callback, _func, _callback)              \
    {                                                                        \
        .count = (_count), .use_callback = (_use_callback), .func = (_func), \
        .callback = (_callback)                                              \
    }
#endif
#define DECLARE_TASKLET(name, _callback) \
    struct tasklet_struct name = __TASKLET_INIT(0, 1, 0, _callback)
#define DECLARE_TASKLET_DISABLED(name, _callback) \
    struct tasklet_struct name = __TASKLET_INIT(1, 1, 0, _callback)
#define DECLARE_TASKLET_OLD(name, _func) struct tasklet_struct name = __TASKLET_INIT(0, 0, _func, 0)
#define DECLARE_TASKLET_DISABLED_OLD(name, _func) \
    struct tasklet_struct name = __TASKLET_INIT(1, 0, _func, 0)

/* container_of, Linux's: the structure that holds the tasklet. */
#define from_tasklet(var, callback_tasklet, tasklet_fieldname) \
    ((__typeof__(var))((char *)(callback_tasklet) -            \
                       __builtin_offsetof(__typeof__(*(var)), tasklet_fieldname)))

/* Defined by the kernel. */
void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long), unsigned long data);
void tasklet_setup(struct tasklet_struct *t, void (*callback)(struct tasklet_struct *));
void tasklet_schedule(struct tasklet_struct *t);
void tasklet_hi_schedule(struct tasklet_struct *t);
void tasklet_kill(struct tasklet_struct *t);
void tasklet_disable(struct tasklet_struct *t);
void tasklet_disable_nosync(struct tasklet_struct *t);
void tasklet_enable(struct tasklet_struct *t);

/* Linux 2.4's bottom-half numbers (include/linux/interrupt.h). */
#define TIMER_BH     0
#define TQUEUE_BH    1
#define IMMEDIATE_BH 9
void mark_bh(int nr);

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_INTERRUPT_API_H */
