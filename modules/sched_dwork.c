/* sched_dwork: the guide's counting module, the modern way: a delayed work item on
 * system_wq requeues itself every `interval` ticks, and cleanup_module is one call that
 * leaves the item neither pending (timer or queue) nor running, even though it requeues
 * itself (lab 7 ports it). /proc/sched_dwork prints what /proc/sched prints. With work_ms=N each run first sleeps N ms (a slow job: process context may
 * sleep), which makes an rmmod during a run likely (lab 7's grader uses it). */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");
static int work_ms = 0;
module_param(work_ms, int, 0444);
MODULE_PARM_DESC(work_ms, "milliseconds each run sleeps before it counts (default 0)");

static void sched_dwork_fn(struct work_struct *work)
{
    if (work_ms > 0)
        msleep(work_ms); /* the slow part of the job */
    /* LAB(7) BEGIN: count this run, then queue the item again to run `interval` ticks from now */
    TimerIntrpt++;
    schedule_delayed_work(to_delayed_work(work), interval); /* unconditionally */
    /* LAB(7) STUB: (void)work; */
    /* LAB(7) END */
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
    if (work_ms < 0 || work_ms > 1000) {
        printk("sched_dwork: work_ms must be 0 to 1000 (got %d)\n", work_ms);
        return -EINVAL;
    }
    if (proc_create("sched_dwork", sched_dwork_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    /* LAB(7) BEGIN: queue the delayed work item on the system workqueue, to run `interval` ticks from now */
    schedule_delayed_work(&sched_dwork, interval);
    /* LAB(7) STUB: (void)&sched_dwork; */
    /* LAB(7) END */
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_dwork");
    /* LAB(7) BEGIN: make sure the item is neither pending (its timer or the queue) nor running when this returns, although it requeues itself */
    /* One call: it stops the timer, takes the item off the queue, waits for a run in
     * progress, and keeps that run from queueing the item again. */
    cancel_delayed_work_sync(&sched_dwork);
    /* LAB(7) END */
}
