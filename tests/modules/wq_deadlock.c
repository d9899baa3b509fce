/* wq_deadlock: a work function that waits for itself, on purpose. mode=cancel: it calls
 * cancel_work_sync on its own item; mode=flush: flush_workqueue of its own queue;
 * mode=flushwork: flush_work of itself. Each would never return: the kernel panics,
 * naming the function. mode=irq: a tq_timer routine (interrupt context) calls
 * cancel_work_sync, which may sleep: the kernel panics, naming the routine. */
#include <quartz/module.h>

static char *mode = "cancel";
module_param(mode, charp, 0444);

static struct workqueue_struct *deadlock_wq;

static void deadlock_fn(struct work_struct *w)
{
    if (strcmp(mode, "cancel") == 0)
        cancel_work_sync(w);
    else if (strcmp(mode, "flush") == 0)
        flush_workqueue(deadlock_wq);
    else
        flush_work(w);
}
static DECLARE_WORK(deadlock_work, deadlock_fn);

static void deadlock_tick(void *unused)
{
    (void)unused;
    cancel_work_sync(&deadlock_work); /* waiting, in interrupt context */
}
static struct tq_struct tick = {.routine = deadlock_tick, .data = NULL};

int init_module(void)
{
    deadlock_wq = alloc_workqueue("wq_deadlock", 0, 1);
    if (!deadlock_wq)
        return -ENOMEM;
    if (strcmp(mode, "irq") == 0)
        queue_task(&tick, &tq_timer);
    else
        queue_work(deadlock_wq, &deadlock_work);
    return 0;
}

void cleanup_module(void)
{
    cancel_work_sync(&deadlock_work);
    destroy_workqueue(deadlock_wq);
}
