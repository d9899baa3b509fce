/* mutex_hold: holds a mutex for HOLD ticks inside a /proc show function on purpose (busy, so the tick preempts the holder), to be read by several threads at once; and misuses it on purpose (unlock without holding it, lock it twice, leak it at thread exit, trylock from a task routine). */
#include <quartz/module.h>

#define HOLD 20 /* ticks the critical section lasts: longer than any time slice tested */

static DEFINE_MUTEX(mutex_hold_lock);
static volatile int inside; /* threads between lock and unlock: a real lock keeps it <= 1 */
static int entries, most_inside, waited;

/* /proc/mutex_hold: the critical section. */
static void hold_show(struct ProcFile *out, void *data)
{
    int n, seen, had_to_wait = 0;
    unsigned long start;
    (void)data;
    if (!mutex_trylock(&mutex_hold_lock)) {
        had_to_wait = 1;
        mutex_lock(&mutex_hold_lock);
    }
    inside++;
    if (inside > most_inside)
        most_inside = inside;
    n = ++entries;
    waited += had_to_wait;
    start = jiffies;
    while ((long)(jiffies - start) < HOLD)
        ; /* busy, holding the mutex: preempted by the tick, others must sleep */
    seen = inside;
    inside--;
    mutex_unlock(&mutex_hold_lock);
    proc_printf(out, "mutex_hold: entry %d saw %d inside%s\n", n, seen,
                had_to_wait ? " (waited)" : "");
}

/* /proc/mutex_hold_stats: read without the lock. */
static void stats_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "mutex_hold: %d entries, at most %d inside at once, %d waited, locked=%d\n",
                entries, most_inside, waited, mutex_is_locked(&mutex_hold_lock));
}

/* /proc/mutex_hold_unlock: unlocks without holding the mutex (a BUG, reported). */
static void unlock_show(struct ProcFile *out, void *data)
{
    (void)data;
    mutex_unlock(&mutex_hold_lock);
    proc_printf(out, "mutex_hold: unlock returned\n");
}

/* /proc/mutex_hold_twice: locks the mutex it already holds (a deadlock: panics). */
static void twice_show(struct ProcFile *out, void *data)
{
    (void)data;
    mutex_lock(&mutex_hold_lock);
    mutex_lock(&mutex_hold_lock);
    proc_printf(out, "mutex_hold: locked twice and lived\n");
}

/* /proc/mutex_hold_leak: returns holding the mutex (the thread exits holding it). */
static void leak_show(struct ProcFile *out, void *data)
{
    (void)data;
    mutex_lock(&mutex_hold_lock);
    proc_printf(out, "mutex_hold: returning with the mutex held\n");
}

/* /proc/mutex_hold_irq: a tq_timer routine tries the mutex (interrupt context: refused). */
static volatile int irq_result = -1;
static DECLARE_WAIT_QUEUE_HEAD(irq_done);
static void irq_routine(void *data)
{
    (void)data;
    irq_result = mutex_trylock(&mutex_hold_lock);
    wake_up(&irq_done);
}
static struct tq_struct irq_task = {.routine = irq_routine, .data = NULL};
static void irq_show(struct ProcFile *out, void *data)
{
    (void)data;
    irq_result = -1;
    queue_task(&irq_task, &tq_timer);
    wait_event(irq_done, irq_result != -1);
    proc_printf(out, "mutex_hold: trylock from a task routine returned %d, locked=%d\n", irq_result,
                mutex_is_locked(&mutex_hold_lock));
}

static const struct {
    const char *name;
    proc_show_fn show;
} files[] = {
    {"mutex_hold", hold_show},          {"mutex_hold_stats", stats_show},
    {"mutex_hold_unlock", unlock_show}, {"mutex_hold_twice", twice_show},
    {"mutex_hold_leak", leak_show},     {"mutex_hold_irq", irq_show},
};
#define NFILES ((int)(sizeof files / sizeof files[0]))

void cleanup_module(void)
{
    int i;
    for (i = 0; i < NFILES; i++)
        proc_remove(files[i].name);
    cancel_task_sync(&irq_task);
}

int init_module(void)
{
    int i;
    for (i = 0; i < NFILES; i++) {
        if (proc_create(files[i].name, files[i].show, NULL, THIS_MODULE) != 0) {
            while (i-- > 0) /* only ours: the name that failed may be another's */
                proc_remove(files[i].name);
            return -EBUSY;
        }
    }
    return 0;
}
