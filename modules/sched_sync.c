/* sched_sync: the guide's example unloaded the modern way: cleanup_module calls
 * cancel_task_sync (Linux's cancel_work_sync), with no flag and no wait queue. */
#include <quartz/module.h>

/* The number of times the timer interrupt has been called so far. */
static volatile int TimerIntrpt = 0;

static void sched_sync_tick(void *);

static struct tq_struct Task = {
    .routine = sched_sync_tick,
    .data = NULL,
};

/* Called after every timer interrupt, in interrupt context (must not sleep). It requeues
 * itself unconditionally: stopping it is cancel_task_sync's job, not the routine's. */
static void sched_sync_tick(void *irrelevant)
{
    (void)irrelevant;
    TimerIntrpt++;
    queue_task(&Task, &tq_timer);
}

static void sched_sync_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
}

int init_module(void)
{
    if (proc_create("sched_sync", sched_sync_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_sync");

    /* On return Task is neither queued nor running, even though its routine requeues
     * itself: the kernel (which calls the routine and sees it return) does the waiting,
     * so no module code has to announce its own completion. If the routine is not
     * running right now this returns at once, without waiting for a tick. */
    cancel_task_sync(&Task);
}
