/* dwork_cancel_noflush: the broken unload the 2.6 text warns about: cleanup_module calls
 * cancel_delayed_work, with no flush and no `die` flag, while the work requeues itself.
 * If the work is running at that moment, cancel_delayed_work finds nothing pending and
 * returns false; the run then requeues the item, and the module would be freed under it.
 * The race is made to happen every time: cleanup waits until the work is inside its
 * function (sleeping 20 ms) before it cancels. The kernel's check before freeing finds
 * the running item (and, later, the requeued one), names it, and refuses to free. */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;
static volatile int in_work = 0;
static DECLARE_WAIT_QUEUE_HEAD(started);

static void noflush_fn(struct work_struct *work)
{
    in_work = 1;
    wake_up(&started);
    msleep(20);
    TimerIntrpt++;
    in_work = 0;
    schedule_delayed_work(to_delayed_work(work), 1); /* unconditionally */
}
static DECLARE_DELAYED_WORK(noflush_work, noflush_fn);

static void noflush_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", 1);
}

int init_module(void)
{
    if (proc_create("dwork_cancel_noflush", noflush_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    schedule_delayed_work(&noflush_work, 1);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("dwork_cancel_noflush");
    wait_event(started, in_work); /* the unlucky moment, made certain */
    if (!cancel_delayed_work(&noflush_work))
        printk("dwork_cancel_noflush: cancel_delayed_work found nothing pending: the work "
               "was running\n");
    /* The bug: no flush_delayed_work, no cancel_delayed_work_sync. */
}
