/* sched_dwork: the guide's counting module, the modern way: a delayed work item on
 * system_wq requeues itself every `interval` ticks, and cleanup_module is one call,
 * cancel_delayed_work_sync: on return the item is neither pending (timer or queue) nor
 * running, even though it requeues itself. /proc/sched_dwork prints what /proc/sched
 * prints. */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

static void sched_dwork_fn(struct work_struct *work)
{
    TimerIntrpt++;
    schedule_delayed_work(to_delayed_work(work), interval); /* unconditionally */
}
static DECLARE_DELAYED_WORK(sched_dwork, sched_dwork_fn);

static void sched_dwork_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_dwork: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    if (proc_create("sched_dwork", sched_dwork_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    schedule_delayed_work(&sched_dwork, interval);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_dwork");
    cancel_delayed_work_sync(&sched_dwork);
}
