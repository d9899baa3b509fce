/* sched: the guide's "Scheduling Tasks" example: a task on tq_timer counts the ticks,
 * /proc/sched reports the count, and rmmod waits (wait_event, no lost wakeup) until the
 * task has taken itself off the queue. The parameter `interval` (insmod sched
 * interval=5) makes the routine do its work every interval-th tick. */
#include <quartz/module.h> /* the guide: linux/kernel.h, module.h, proc_fs.h, tqueue.h, sched.h */

/* The number of times the timer interrupt has been called so far. Written by the routine
 * (interrupt context), read by /proc/sched (the shell's thread): one aligned int, so a
 * reader sees either the old or the new value. */
static volatile int TimerIntrpt = 0;

/* Module parameter: the routine does its work (counts, and looks at `die`) once every
 * `interval` ticks; between, it only requeues itself. Set by insmod before init_module
 * runs, read-only after (0444: /proc/params shows it). */
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

/* Ticks since the work last ran: written by the routine only. */
static int ticks_waited = 0;

/* Set by cleanup_module to tell the routine it is time to die (the guide's `die`). */
static volatile int die = 0;

/* Set by the routine, BEFORE it calls wake_up, once it has stopped requeuing itself:
 * the condition cleanup_module waits for. The guide had no such flag (sleep_on cannot
 * test one); it is what closes the lost-wakeup race. */
static volatile int routine_done = 0;

/* Used by cleanup to prevent the module from being unloaded while sched_tick is still
 * in the task queue. */
static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void sched_tick(void *);

/* The task queue structure for this task, from quartz/tqueue.h. The private fields (the
 * guide's `next` and `sync`) start at zero: "not in a task queue yet". */
static struct tq_struct Task = {
    .routine = sched_tick, /* The function to run */
    .data = NULL,          /* The void* parameter for that function */
};

/* This function will be called on every timer interrupt (the guide's intrpt_routine).
 * It runs in interrupt context with interrupts on: it must not sleep. Notice the void*
 * pointer - task functions can be used for more than one purpose, each time getting a
 * different parameter. */
static void sched_tick(void *irrelevant)
{
    (void)irrelevant;

    /* Not our tick yet: come back at the next one. (Requeuing here even once `die` is
     * set is what makes rmmod take up to `interval` ticks: the work below notices.) */
    if (++ticks_waited < interval) {
        queue_task(&Task, &tq_timer);
        return;
    }
    ticks_waited = 0;

    /* Increment the counter */
    TimerIntrpt++;

    /* LAB(5) BEGIN: requeue while die == 0; once die is set, stop requeuing, set routine_done, then wake_up(&WaitQ) */
    if (die == 0) {
        /* Put ourselves back in the task queue: we run again after the next tick. */
        queue_task(&Task, &tq_timer);
    } else {
        /* cleanup_module wants us to die: do not requeue, say so, and wake it. The
         * condition is set first, so that wake_up cannot come too early: if cleanup
         * has not yet queued itself on WaitQ, wait_event will see routine_done. */
        routine_done = 1;
        wake_up(&WaitQ); /* Now cleanup_module can return */
    }
    /* LAB(5) STUB: queue_task(&Task, &tq_timer); */
    /* LAB(5) END */
    /* From here to the return into the kernel's drain we still execute module code.
     * The kernel knows which routine it is running and does not free the module until
     * that routine has returned (it checks after cleanup_module). */
}

/* Put data into the proc fs file (the guide's procfile_read). Runs in the shell's
 * thread when someone types `cat /proc/sched`. */
static void sched_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

/* Initialize the module - register the proc file, start the task. */
int init_module(void)
{
    /* The guide queued the task first and then registered the proc file, returning the
     * registration's error: had that failed, the module would have been freed with
     * the task still on tq_timer (see bad_init.c). We register first, so the failure
     * path has nothing to undo. */
    if (interval < 1) {
        printk("sched: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    if (proc_create("sched", sched_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;

    /* Put the task in the tq_timer task queue, so it will be executed at the next
     * timer interrupt. */
    queue_task(&Task, &tq_timer);
    return 0;
}

/* Cleanup */
void cleanup_module(void)
{
    /* Unregister our /proc file */
    proc_remove("sched");

    /* Tell the routine it is time to die, then sleep until sched_tick has been called
     * one last time. This is necessary, because otherwise we'd deallocate the memory
     * holding sched_tick and Task while tq_timer still references them.
     *
     * The guide wrote module_sleep_on(&WaitQ) here. If the tick runs between `die = 1`
     * and the moment sleep_on has queued us, its wake_up finds nobody, the routine stops
     * requeuing itself, and we sleep forever (sched_legacy.c keeps that version).
     * wait_event queues us FIRST and then tests routine_done, in a loop: whichever way
     * the tick falls, either we see routine_done or the wake_up finds us queued. */
    /* LAB(5) BEGIN: tell the routine to die, then sleep until it has run one last time (wait_event on WaitQ for routine_done) */
    die = 1;
    wait_event(WaitQ, routine_done);
    /* LAB(5) STUB: (void)die; (void)routine_done; (void)WaitQ; */
    /* LAB(5) END */
}
