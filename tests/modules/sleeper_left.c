/* sleeper_left: its cleanup_module forgets the kernel worker it put to sleep on the
 * module's wait queue (a work item on system_wq waiting for a flag nobody sets): the
 * kernel's check before freeing (lab 5's registry_leftovers, threads_waiting_in_range)
 * must name the sleeping thread and its queue, and refuse to free the module. */
#include <quartz/module.h>

static DECLARE_WAIT_QUEUE_HEAD(left_wait);
static volatile int released;

static void sleeper_fn(struct work_struct *w)
{
    (void)w;
    printk("sleeper_left: the worker sleeps on left_wait\n");
    wait_event(left_wait, released); /* kworker/0:0 sleeps here, inside the module */
}
static DECLARE_WORK(sleeper_work, sleeper_fn);

int init_module(void)
{
    schedule_work(&sleeper_work);
    return 0;
}

void cleanup_module(void)
{
    /* The bug: neither `released = 1; wake_up(&left_wait);` nor cancel_work_sync. */
}
