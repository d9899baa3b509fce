/* sched_tasklet: the guide's counting module in today's edition: a kernel timer
 * (timer_setup) fires every `interval` ticks and schedules a tasklet (DECLARE_TASKLET,
 * the callback form), and the tasklet counts. /proc/sched_tasklet prints exactly what
 * /proc/sched prints. The unload is safe in this order: del_timer_sync first (nothing
 * schedules the tasklet any more), then tasklet_kill (it is neither scheduled nor
 * running). The other order is tests/modules/tasklet_after_kill.c. */
#include <quartz/module.h>

/* Counted by the tasklet (interrupt context), read by /proc/sched_tasklet. */
static volatile int TimerIntrpt = 0;

static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

/* The deferred work: runs at the irq_exit after the timer scheduled it, after the timers
 * and the task queues, in interrupt context with interrupts on. */
static void sched_tasklet_fn(struct tasklet_struct *t)
{
    (void)t;
    TimerIntrpt++;
}
static DECLARE_TASKLET(counting_tasklet, sched_tasklet_fn);

/* The timer only schedules the tasklet and re-arms itself. */
static struct timer_list tick_timer;
static void sched_tasklet_timer(struct timer_list *t)
{
    tasklet_schedule(&counting_tasklet);
    mod_timer(t, jiffies + interval);
}

static void sched_tasklet_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_tasklet: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    if (proc_create("sched_tasklet", sched_tasklet_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    timer_setup(&tick_timer, sched_tasklet_timer, 0);
    mod_timer(&tick_timer, jiffies + interval);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_tasklet");
    /* First what schedules the tasklet, then the tasklet: tasklet_kill does not stop a
     * later tasklet_schedule. */
    del_timer_sync(&tick_timer);
    tasklet_kill(&counting_tasklet);
}
