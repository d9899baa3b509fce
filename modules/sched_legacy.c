/* sched_legacy: the guide's example exactly as it was written, with sleep_on (the guide's
 * module_sleep_on) in cleanup_module, for the lab on the lost-wakeup race. */
#include <quartz/module.h>

/* The number of times the timer interrupt has been called so far. */
static volatile int TimerIntrpt = 0;

/* Set to 1 by cleanup_module for shutdown (the guide's `die`). */
static volatile int die = 0;

/* Used by cleanup to prevent the module from being unloaded while sched_legacy_tick is
 * still in the task queue. */
static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void sched_legacy_tick(void *);

static struct tq_struct Task = {
    .routine = sched_legacy_tick, /* The function to run */
    .data = NULL,                 /* The void* parameter for that function */
};

/* Called after every timer interrupt, in interrupt context (must not sleep). */
static void sched_legacy_tick(void *irrelevant)
{
    (void)irrelevant;

    /* Increment the counter */
    TimerIntrpt++;

    /* If cleanup wants us to die */
    if (die == 0)
        queue_task(&Task, &tq_timer); /* Put ourselves back in the task queue */
    else
        wake_up(&WaitQ); /* Now cleanup_module can return */
}

static void sched_legacy_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
}

int init_module(void)
{
    /* /proc first, then the task: a failure leaves nothing queued (see sched.c). */
    if (proc_create("sched_legacy", sched_legacy_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_legacy");

    /* Sleep until sched_legacy_tick is called one last time. THE RACE: the flag is set
     * here, and sleep_on queues us only inside the call below. If a tick runs the
     * routine in between, it sees die == 1, calls wake_up on an empty WaitQ (nobody to
     * wake), and does not requeue itself - so no further wake_up will ever come, and
     * rmmod would sleep forever. sleep_on cannot be fixed: the test of the condition
     * happens in its caller, before it queues anyone. Linux removed it in 3.15.
     *
     * Quartz's watchdog (watchdog=MS on the command line, default 2000 ms) reports a
     * sleep_on sleeper that no wake_up has reached and releases it; rmmod then returns.
     * That is safe only because the routine, having seen the flag, has already let go
     * of the task; the kernel checks that before freeing us anyway.
     * The fix is sched.c: wait_event(WaitQ, routine_done). */
    die = 1;
    sleep_on(&WaitQ); /* the guide: module_sleep_on(&WaitQ), the same function */
}
