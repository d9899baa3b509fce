/* wq_bad_init: init_module creates a workqueue, queues work behind a sleeping item, then
 * fails without undoing any of it: the kernel cancels the items and tears the queue down
 * (none of the module's work runs again), and frees the module. */
#include <quartz/module.h>

static DECLARE_WAIT_QUEUE_HEAD(never);
static volatile int never_true;

static void blocker_fn(struct work_struct *w)
{
    (void)w;
    wait_event_timeout(never, never_true, 5); /* holds the queue for 5 ticks */
}
static void late_fn(struct work_struct *w)
{
    (void)w;
    printk("wq_bad_init: late_fn ran: it should have been cancelled\n");
}
static DECLARE_WORK(blocker, blocker_fn);
static DECLARE_WORK(late, late_fn);
static DECLARE_WORK(blocker_sys, blocker_fn);
static DECLARE_WORK(late_sys, late_fn);

int init_module(void)
{
    struct workqueue_struct *wq = alloc_workqueue("wq_bad_init", 0, 1);
    if (!wq)
        return -ENOMEM;
    queue_work(wq, &blocker);
    queue_work(wq, &late);
    schedule_work(&blocker_sys); /* and on system_wq */
    schedule_work(&late_sys);
    return -EINVAL; /* the bug: nothing undone */
}

void cleanup_module(void) {}
