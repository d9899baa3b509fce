/* sched_wq26: the guide's counting module as its 2.6 edition tells it: a workqueue of its
 * own (create_workqueue) and a delayed work item that requeues itself every `interval`
 * ticks with queue_delayed_work. Unload: set `die` (the work stops requeuing), then
 * cancel_delayed_work (a pending timer is disarmed), flush_workqueue (a run in progress,
 * or queued, finishes and sees `die`), destroy_workqueue. /proc/sched_wq26 prints what
 * /proc/sched prints. */
#include <quartz/module.h>

#define MY_WORK_QUEUE_NAME "sched_wq26"

static volatile int TimerIntrpt = 0;
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

static volatile int die = 0; /* set this to 1 for shutdown */
static struct workqueue_struct *my_workqueue;

static void intrpt_routine(struct work_struct *work);
static DECLARE_DELAYED_WORK(Task, intrpt_routine);

/* Runs in the queue's worker thread "sched_wq26/0", in process context. */
static void intrpt_routine(struct work_struct *work)
{
    (void)work;
    TimerIntrpt++;
    /* If cleanup wants us to die, do not requeue */
    if (die == 0)
        queue_delayed_work(my_workqueue, &Task, interval);
}

static void sched_wq26_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_wq26: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    my_workqueue = create_workqueue(MY_WORK_QUEUE_NAME);
    if (!my_workqueue)
        return -ENOMEM;
    if (proc_create("sched_wq26", sched_wq26_show, NULL, THIS_MODULE) != 0) {
        destroy_workqueue(my_workqueue);
        return -EBUSY;
    }
    queue_delayed_work(my_workqueue, &Task, interval);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_wq26");
    die = 1;                       /* keep intrpt_routine from queueing itself */
    cancel_delayed_work(&Task);    /* no "new ones" */
    flush_workqueue(my_workqueue); /* wait till all "old ones" finished */
    destroy_workqueue(my_workqueue);
}
