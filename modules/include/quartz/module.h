/* The module API of Quartz: everything a loadable module (.ko) may call, in C or C++.
 *
 * A module is an i386 ELF relocatable object built with tools/build-module.sh (see
 * docs/modules.md). Its undefined symbols resolve ONLY against what the kernel exports
 * (the names declared here) and what other loaded modules export with EXPORT_SYMBOL;
 * anything else is refused at insmod with "unknown symbol NAME". The names are Linux
 * 2.2/2.4's, so the Linux Kernel Module Programming Guide can be read beside a module.
 *
 * Every module defines, with C linkage (extern "C" in C++):
 *     int  init_module(void);     0 = loaded; a negative errno (-EINVAL, -ENOMEM,
 *                                 -EBUSY) = refused. Thread context (insmod): may sleep.
 *                                 On failure it must undo what it did; the kernel also
 *                                 undoes anything left pointing into the module.
 *     void cleanup_module(void);  called by rmmod, thread context, may sleep. On return,
 *                                 nothing may point into the module any more: no queued
 *                                 or running task, no sleeper on its wait queues, no
 *                                 /proc entry, no user of its exports. The kernel checks
 *                                 this before freeing the module's memory.
 * The module's name is its file name without ".ko". Modules get no global constructors
 * or destructors (C++: use constexpr/constinit objects with trivial destructors).
 *
 * Contexts, as the contracts below use them:
 *   thread context     insmod/rmmod (init_module, cleanup_module), /proc show functions
 *                      (run in the reading thread), threads. May sleep unless noted.
 *   interrupt context  interrupt handlers and task-queue routines (tq_timer's routines
 *                      run after each tick with interrupts ON, but in interrupt context):
 *                      must not sleep, must not allocate. Sleeping there panics, naming
 *                      the caller.
 */
#ifndef QUARTZ_MODULE_H
#define QUARTZ_MODULE_H

#include <stddef.h> /* size_t, NULL: from the freestanding compiler, not a C library */

#include <quartz/export.h>    /* EXPORT_SYMBOL(sym): publish sym to later modules            */
#include <quartz/tqueue.h>    /* struct tq_struct, task_queue, tq_timer, queue_task, ...      */
#include <quartz/timer.h>     /* struct timer_list, timer_setup, mod_timer, del_timer_sync, ... */
#include <quartz/interrupt.h> /* tasklets, mark_bh(IMMEDIATE_BH)                          */
#include <quartz/wait.h>      /* wait_queue_head_t, wake_up, sleep_on, wait_event, ...        */
#include <quartz/mutex.h>     /* struct mutex, DEFINE_MUTEX, mutex_lock, mutex_unlock, ...    */
#include <quartz/workqueue.h> /* work_struct, queue_work, cancel_work_sync, schedule_task, ... */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The module itself --------------------------------------------------------------
 * THIS_MODULE identifies the module being loaded (the loader resolves __this_module to
 * it). Pass it as the owner of what the module registers (proc_create), so the kernel
 * knows whom an entry belongs to. Any context; it is only an address. */
struct module;
extern struct module __this_module;
#define THIS_MODULE (&__this_module)

int init_module(void);
void cleanup_module(void);

/* ---- Parameters ------------------------------------------------------------------------
 * module_param(name, type, perm) makes the module's variable `name` settable at load time:
 * `insmod sched interval=5` (kernel shell) or `/sbin/insmod sched.ko interval=5` (the
 * params string of init_module(2)). type is int, uint (unsigned int), bool or charp
 * (char *); the variable must have exactly that type (a compile error otherwise) and be
 * a writable global (static is fine). The loader stores the values after relocation and
 * BEFORE init_module runs, so init_module sees them and may refuse bad ones (-EINVAL).
 * Linux's rules: name=value, name="two words", a bare name sets a bool to true; bools
 * take 1/0, y/n, Y/N, true/false; ints take decimal or 0x hex, 32-bit. An unknown name or
 * a bad value fails the load with EINVAL and one line ("interval: 'abc' is not an int"),
 * with nothing loaded. A charp points into a kernel-owned copy of the string that lives
 * as long as the module. perm is Linux's sysfs mode (0444: readable): a non-zero perm
 * shows the value in /proc/params; values cannot be changed after loading.
 * MODULE_PARM_DESC(name, text) describes one; /proc/params shows the text.
 * Both expand to data only (sections .quartz_params and .quartz_parm_desc). */
#include <stdbool.h> /* bool, for module_param(x, bool, ...) in C (freestanding header) */

struct quartz_param {
    const char *name;
    void *addr;
    unsigned int type; /* QUARTZ_PARAM_int ... */
    unsigned int perm;
};
struct quartz_param_desc {
    const char *name;
    const char *text;
};
#define QUARTZ_PARAM_int   0
#define QUARTZ_PARAM_uint  1
#define QUARTZ_PARAM_bool  2
#define QUARTZ_PARAM_charp 3
typedef int __quartz_param_type_int;
typedef unsigned int __quartz_param_type_uint;
typedef bool __quartz_param_type_bool;
typedef char *__quartz_param_type_charp;

#define module_param(name, type, perm)                                                           \
    static inline __attribute__((unused)) __quartz_param_type_##type *__param_check_##name(void) \
    {                                                                                            \
        return &(name); /* an error here: the variable's type is not `type` */                   \
    }                                                                                            \
    static const char __param_str_##name[] = #name;                                              \
    static const struct quartz_param __param_##name                                              \
        __attribute__((used, aligned(4), section(".quartz_params"))) = {                         \
            __param_str_##name, (void *)&(name), QUARTZ_PARAM_##type, (perm)}

#define MODULE_PARM_DESC(name, text)                                          \
    static const char __param_desc_str_##name[] = text;                       \
    static const struct quartz_param_desc __param_desc_##name __attribute__(( \
        used, aligned(4), section(".quartz_parm_desc"))) = {#name, __param_desc_str_##name}

/* Error numbers for init_module's return value (return -EINVAL etc.), Linux's values. */
#define ENOMEM 12
#define EBUSY  16
#define EINVAL 22

/* ---- Printing -------------------------------------------------------------------------
 * printk: any context (threads, interrupt handlers, task-queue routines); never sleeps,
 * output is polled to the serial port and the VGA screen. Linux's level prefix ("<1>",
 * KERN_ALERT in <linux/kernel.h>) at the start is stripped; nothing is filtered by level. Conversions: %d %i %u %x %X %p %s %c %%, a width (%5d), zero padding
 * (%08x), and the l / ll length modifiers (%lu for jiffies, %llu for 64-bit values).
 * No floating point. Returns the number of characters printed. */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Memory ----------------------------------------------------------------------------
 * kmalloc / kzalloc (zero-filled) / kfree: THREAD CONTEXT ONLY (the heap may map pages);
 * never from an interrupt handler or a task-queue routine. kmalloc returns NULL when out
 * of memory. kfree(NULL) does nothing; freeing a pointer kmalloc did not return, or
 * twice, panics with the reason. kfree poisons the memory and reports a tq_struct in it
 * that is still queued ("free of an active task"). */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* The compiler may emit calls to these for struct copies and array initialisers; they
 * are exported, with the usual C prototypes. Any context. (No memmove, strncmp, or any
 * other C library function: there is no C library in the kernel.) */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ---- Time ------------------------------------------------------------------------------
 * jiffies: ticks since boot, advanced by IRQ 0; read it anywhere (it is volatile; it
 * wraps, so compare with subtraction: `(long)(jiffies - then) >= 0`). Declared in
 * quartz/wait.h as well.
 * quartz_hz(), HZ: the tick rate now (19..1000, default 100). It can change at run time
 * (`hz N` in the shell), so HZ is a function call: usable in expressions, not in #if or
 * static initialisers. Any context.
 * msleep(ms): THREAD CONTEXT ONLY; sleeps at least ms milliseconds. From a task-queue
 * routine or an interrupt handler it panics, naming the caller. */
extern volatile unsigned long jiffies;
unsigned int quartz_hz(void);
#define HZ (quartz_hz())
void msleep(unsigned int ms);

/* ---- Task queues (quartz/tqueue.h has the full contract) ----------------------------------
 *   struct tq_struct t = { .routine = fn, .data = arg };   or INIT_TQUEUE(&t, fn, arg)
 *   queue_task(&t, &tq_timer)  any context; 1 if queued, 0 if already pending. The
 *                              routine runs once, after the next tick, in interrupt
 *                              context with interrupts on: it must not sleep. A routine
 *                              may requeue its own task (it runs at the next tick).
 *   cancel_task_sync(&t)       thread context; on return t is neither queued nor
 *                              running, even if its routine requeues itself. Never from
 *                              t's own routine (the kernel panics: deadlock).
 *   DECLARE_TASK_QUEUE(q), run_task_queue(&q)   a queue you drain yourself.
 *
 * ---- Wait queues (quartz/wait.h has the full contract) ----------------------------------
 *   DECLARE_WAIT_QUEUE_HEAD(wq), init_waitqueue_head(&wq)
 *   wake_up(&wq)                       any context, routines and handlers included.
 *   wait_event(wq, cond)               thread context; returns once cond is true; never
 *                                      loses a wake_up sent after cond became true.
 *   wait_event_timeout(wq, cond, ticks)  the same with a limit; 0 if it timed out.
 *   sleep_on(&wq), module_sleep_on(&wq)  thread context; the historical call, which
 *                                      loses a wake_up sent before it queued the caller
 *                                      (docs/wait-queues.md). Kept for the lesson.
 *   prepare_to_wait, prepare_to_wait_timeout, schedule, finish_wait: what wait_event is
 *                                      made of; thread context.
 *
 * ---- Workqueues (quartz/workqueue.h has the full contract) -------------------------------
 *   DECLARE_WORK(w, fn), INIT_WORK(&w, fn)   fn(struct work_struct *) runs in a worker
 *                                      thread: process context, it may sleep and lock.
 *   schedule_work(&w), queue_work(wq, &w)  any context; false if already pending.
 *   cancel_work_sync(&w)               thread context; on return w is neither pending nor
 *                                      running, even if it requeues itself.
 *   flush_work(&w), flush_workqueue(wq)  thread context; wait for what was queued.
 *   alloc_workqueue(fmt, flags, max_active, ...), create_workqueue(name),
 *   destroy_workqueue(wq)              thread context; destroy drains, then frees.
 *   schedule_task(&t), flush_scheduled_tasks()  Linux 2.4's keventd.
 *
 * ---- Mutexes (quartz/mutex.h has the full contract) ---------------------------------------
 *   DEFINE_MUTEX(m), mutex_init(&m)    a sleeping lock; ps shows its waiters on "m".
 *   mutex_lock(&m) / mutex_unlock(&m)  thread context; lock may sleep, and waiters get m
 *                                      in arrival order. Locking a mutex you hold panics
 *                                      ("deadlock"); unlocking one you do not hold prints
 *                                      a BUG line and changes nothing.
 *   mutex_trylock(&m)                  1 if taken, 0 if held; never sleeps.
 *   mutex_is_locked(&m)                any context; a snapshot.
 */

/* ---- /proc ------------------------------------------------------------------------------
 * proc_create(name, show, data, THIS_MODULE) registers /proc/NAME; `cat /proc/NAME` calls
 * show(out, data), which writes with proc_printf(out, fmt, ...) (printk's conversions).
 * proc_create/proc_remove: thread context (init_module, cleanup_module). proc_create
 * returns 0, or -1 if the name is taken, longer than 31 characters, or the table is
 * full. proc_remove returns 0, or -1 if there is no such entry. A module must remove its
 * entries in cleanup_module (and in init_module's failure path).
 * Show functions run in the reading thread (the shell, a `bg` or `every` job), which
 * holds a use count on the module meanwhile: rmmod waits for it (at most 5 s, then it
 * refuses), and a module that is not live is not entered. They may sleep, but briefly.
 * A fault in one stops that read and marks the module failed (docs/modules.md). */
struct ProcFile;
typedef void (*proc_show_fn)(struct ProcFile *out, void *data);
int proc_create(const char *name, proc_show_fn show, void *data, const void *owner);
int proc_remove(const char *name);
int proc_printf(struct ProcFile *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_MODULE_H */
