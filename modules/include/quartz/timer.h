/* Kernel timers, module-facing API: struct timer_list, timer_setup, from_timer,
 * DEFINE_TIMER, add_timer, mod_timer, del_timer, del_timer_sync, timer_shutdown_sync,
 * timer_pending, and Linux 2.4's form (init_timer, .function/.data/.expires).
 *
 * This header is C99 and C++: modules written in either language include it. The
 * machinery lives in kernel/lib/timer_core.h (C++); the functions declared here are
 * defined by the kernel (kernel/ktimer.cpp).
 *
 * Rules for timers
 *   - A timer's function runs once per arming, in the tick's bottom half, after the tick
 *     at which jiffies reaches ->expires (an ->expires already in the past: after the
 *     next tick). It runs in INTERRUPT CONTEXT with interrupts ON, before tq_timer is
 *     drained (Linux's TIMER_BH before TQUEUE_BH; see docs/timers.md): it must not sleep
 *     (msleep, wait_event, mutex_lock, kmalloc panic, naming the function).
 *   - A timer never runs twice at once. Its function may re-arm its own timer
 *     (mod_timer(t, jiffies + 1), add_timer): it then runs again at a later tick, never
 *     in the same pass.
 *   - add_timer():      any context. The timer must not be pending (a report, and
 *                       nothing changed, otherwise). Arms it at ->expires.
 *   - mod_timer():      any context. Arms (or moves) the timer to `expires`. Returns 1
 *                       if it was pending, 0 if not.
 *   - del_timer():      any context. Disarms; returns 1 if it was pending. It does NOT
 *                       wait for a function running right now: after del_timer the
 *                       function may still be running, and may re-arm the timer.
 *   - del_timer_sync(): THREAD CONTEXT ONLY. On return the timer is neither pending nor
 *                       running, even if its function re-arms it. Returns 1 if it was
 *                       pending. Called from the timer's own function, or from any
 *                       interrupt context, it could never complete: the kernel panics,
 *                       naming the function. This is what cleanup_module must call.
 *   - timer_shutdown_sync(): like del_timer_sync, and every later add_timer/mod_timer
 *                       of that timer is refused (silently but for one debug line), so a
 *                       function that re-arms itself cannot bring it back. timer_setup
 *                       (or init_timer) makes it usable again.
 *   - timer_pending():  any context; 1 while armed and not yet run.
 *   - Freeing memory that holds an armed timer (kfree) is reported ("free of an active
 *     timer", the function named) and the timer is disarmed first. A module whose timer
 *     is armed, or whose timer function runs, is not freed by rmmod (it stays, naming
 *     the timer). A timer that is uninitialised, corrupted or freed is refused with a
 *     report (debug-objects, like Linux's CONFIG_DEBUG_OBJECTS_TIMERS).
 *
 * Today's form (Linux 4.15+):
 *     static void my_fn(struct timer_list *t) { struct dev *d = from_timer(d, t, timer); ... }
 *     timer_setup(&d->timer, my_fn, 0);
 *     mod_timer(&d->timer, jiffies + HZ);
 *   or for a static timer: static DEFINE_TIMER(my_timer, my_fn);
 *
 * Linux 2.4's form, so the old text reads as it was written: define QUARTZ_TIMER_2_4
 * before including this header (or <quartz/module.h>), and
 *     static void my_fn(unsigned long data);
 *     init_timer(&t); t.function = my_fn; t.data = x; t.expires = jiffies + HZ; add_timer(&t);
 * In that mode ->function has the 2.4 type void (*)(unsigned long), at the same place in
 * the struct; init_timer (and add_timer/mod_timer, which are macros there) set the flag
 * TIMER_DATA_FORM, and the kernel calls function(data) instead of function(timer). This
 * is Linux 4.14's cast-and-data approach seen from the other side: one field, two types,
 * the caller's form recorded in ->flags. The choice is per source file; one file cannot
 * mix the two forms (a second field would have needed a second name, and the old text
 * says `.function`).
 */
#ifndef QUARTZ_TIMER_API_H
#define QUARTZ_TIMER_API_H

#ifdef __cplusplus
extern "C" {
#endif

/* In C++ every field carries a "= 0" default initialiser (see quartz/tqueue.h). */
#ifdef __cplusplus
#define TIMER_ZERO_INIT = 0
#else
#define TIMER_ZERO_INIT
#endif

struct timer_list {
    /* public: set by the owner */
    unsigned long expires TIMER_ZERO_INIT; /* absolute, in jiffies */
#ifdef QUARTZ_TIMER_2_4
    void (*function)(unsigned long) TIMER_ZERO_INIT; /* Linux 2.4: called with ->data */
#else
    void (*function)(struct timer_list *) TIMER_ZERO_INIT; /* called with the timer */
#endif
    unsigned int flags TIMER_ZERO_INIT; /* TIMER_* below */
    unsigned long data TIMER_ZERO_INIT; /* Linux 2.4: the argument of ->function */

    /* kernel-private below; all-zero means "idle, never armed". Written only with
     * interrupts off. */
    struct timer_list *tl_next TIMER_ZERO_INIT; /* link in the armed list or due batch */
    struct timer_list *tl_prev TIMER_ZERO_INIT; /* link in the armed list or due batch */
    unsigned long tl_state TIMER_ZERO_INIT;     /* TIMER_STATE_* bits                    */
    unsigned long tl_magic TIMER_ZERO_INIT;     /* debug-objects state, TIMER_MAGIC_*    */
};

/* ->flags. Linux's values (include/linux/timer.h, 5.x): accepted and without effect on
 * one CPU with no idle tick. TIMER_DATA_FORM is Quartz's own: set by init_timer. */
#define TIMER_DEFERRABLE 0x00080000U
#define TIMER_PINNED     0x00100000U
#define TIMER_IRQSAFE    0x00200000U
#define TIMER_DATA_FORM  0x80000000U /* call function(data), the 2.4 form */

/* Values of tl_magic. 0 is a valid never-used timer (static initialiser). */
#define TIMER_MAGIC_NONE    0x00000000UL
#define TIMER_MAGIC_IDLE    0x71e3d1e0UL /* initialised or used before, not armed */
#define TIMER_MAGIC_PENDING 0x71e3b5e1UL /* armed: on the list or in a due batch  */
#define TIMER_MAGIC_FREED   0x6b6b71e3UL /* stamped by timer_debug_mark_freed     */

/* tl_state bits */
#define TIMER_STATE_PENDING  0x1UL /* armed                                         */
#define TIMER_STATE_BATCH    0x2UL /* armed and taken into the due batch of a run   */
#define TIMER_STATE_SHUTDOWN 0x4UL /* timer_shutdown_sync: arming refused           */
#define TIMER_STATE_TOLD     0x8UL /* the refusal was reported once                 */

/* container_of, Linux's: the structure that holds the timer. */
#define from_timer(var, callback_timer, timer_fieldname) \
    ((__typeof__(var))((char *)(callback_timer) -        \
                       __builtin_offsetof(__typeof__(*(var)), timer_fieldname)))

/* A static timer ready for mod_timer/add_timer (today's form). */
#ifdef __cplusplus
#define __TIMER_INITIALIZER(_function, _flags)  \
    {                                           \
        0, (_function), (_flags), 0, 0, 0, 0, 0 \
    }
#else
#define __TIMER_INITIALIZER(_function, _flags)     \
    {                                              \
        .function = (_function), .flags = (_flags) \
    }
#endif
#define DEFINE_TIMER(_name, _function) struct timer_list _name = __TIMER_INITIALIZER(_function, 0)

/* Defined by the kernel. */
void timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *), unsigned int flags);
void add_timer(struct timer_list *timer);
int mod_timer(struct timer_list *timer, unsigned long expires);
int del_timer(struct timer_list *timer);
int del_timer_sync(struct timer_list *timer);
int timer_shutdown_sync(struct timer_list *timer);
int timer_pending(const struct timer_list *timer);
/* Linux 2.4's init_timer: makes the timer idle and records the 2.4 form. */
void init_timer_data_form(struct timer_list *timer);

#ifdef QUARTZ_TIMER_2_4
#define init_timer(timer) init_timer_data_form(timer)
/* The flag is set again on every arming, so a timer the old text armed without
 * init_timer (a zeroed static one) is still called with its data. `timer` is evaluated
 * twice. */
#define add_timer(timer)          ((timer)->flags |= TIMER_DATA_FORM, add_timer(timer))
#define mod_timer(timer, expires) ((timer)->flags |= TIMER_DATA_FORM, mod_timer((timer), (expires)))
#endif

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_TIMER_API_H */
