/* sched_work: the guide's counting module in today's edition: a kernel timer fires every
 * `interval` ticks (interrupt context) and queues a work item on the module's own
 * workqueue (alloc_workqueue, WQ_UNBOUND, max_active 1); the work counts, in process
 * context. Unload: timer_shutdown_sync (the timer is disarmed, its function has
 * returned, and it can never be re-armed), then cancel_work_sync, then destroy_workqueue.
 * /proc/sched_work prints what /proc/sched prints. */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

static struct workqueue_struct *sched_wq;
static struct timer_list sched_timer;

/* The worker thread runs this: process context, it could sleep. */
static void sched_work_fn(struct work_struct *work)
{
    (void)work;
    TimerIntrpt++;
}
static DECLARE_WORK(sched_work, sched_work_fn);

/* The tick's bottom half runs this: interrupt context. It only hands the work over. */
static void sched_timer_fn(struct timer_list *t)
{
    queue_work(sched_wq, &sched_work);
    mod_timer(t, jiffies + interval);
}

static void sched_work_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_work: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    sched_wq = alloc_workqueue("sched_work", WQ_UNBOUND, 1);
    if (!sched_wq)
        return -ENOMEM;
    if (proc_create("sched_work", sched_work_show, NULL, THIS_MODULE) != 0) {
        destroy_workqueue(sched_wq);
        return -EBUSY;
    }
    timer_setup(&sched_timer, sched_timer_fn, 0);
    mod_timer(&sched_timer, jiffies + interval);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_work");
    timer_shutdown_sync(&sched_timer); /* no timer function runs, or ever will */
    cancel_work_sync(&sched_work);     /* so nothing queues the work again */
    destroy_workqueue(sched_wq);
}
