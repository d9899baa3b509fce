/* sched_spin: a test module like sched.c whose routine busy-waits across three ticks each
 * time it runs, to test rmmod while a routine is running over several ticks. */
#include <quartz/module.h>

/* How many ticks the routine spins for, each time it runs. */
#define SPIN_TICKS 3

static volatile int TimerIntrpt = 0;  /* times the routine has run */
static volatile int die = 0;          /* set by cleanup_module */
static volatile int routine_done = 0; /* set by the routine before its last wake_up */
static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void sched_spin_tick(void *);

static struct tq_struct Task = {
    .routine = sched_spin_tick,
    .data = NULL,
};

/* Runs after a tick, in interrupt context but with interrupts ON, so the timer keeps
 * ticking (jiffies advances) while we spin. Those ticks find tq_timer already being
 * drained and do not start a nested drain (they are counted as "delayed" in `tq`); our
 * requeued task runs at the first drain after we return. Spinning like this is bad
 * manners in a real routine; here it holds the routine inside module code for a while,
 * so that rmmod can arrive while it runs. */
static void sched_spin_tick(void *irrelevant)
{
    const unsigned long start = jiffies;

    (void)irrelevant;
    while (jiffies - start < SPIN_TICKS)
        __asm__ volatile("pause" ::: "memory"); /* a polite busy-wait */

    TimerIntrpt++;
    /* LAB(5) BEGIN: the routine's end of the unload protocol, as in your modules/sched.c (until then, the guide's: wake_up without a condition) */
    if (die == 0) {
        queue_task(&Task, &tq_timer);
    } else {
        routine_done = 1; /* the condition first, then the wake_up: see sched.c */
        wake_up(&WaitQ);
    }
    /* LAB(5) STUB: if (die == 0) queue_task(&Task, &tq_timer); else wake_up(&WaitQ); */
    /* LAB(5) END */
}

static void sched_spin_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
}

int init_module(void)
{
    if (proc_create("sched_spin", sched_spin_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_spin");
    /* LAB(5) BEGIN: cleanup_module's end of the protocol, as in your modules/sched.c (until then, the guide's module_sleep_on, which the watchdog rescues when it loses the wakeup) */
    /* The routine reads `die` only after its spin. If this thread was interrupted here
     * by a tick whose routine is spinning, that run sees die == 1 when the spin ends,
     * sets routine_done and wakes nobody (we are not queued yet): wait_event then sees
     * routine_done and returns at once. Otherwise the routine's next run ends by waking
     * us, at most about SPIN_TICKS + 1 ticks from now. */
    die = 1;
    wait_event(WaitQ, routine_done);
    /* LAB(5) STUB: die = 1; */
    /* LAB(5) STUB: (void)routine_done; */
    /* LAB(5) STUB: module_sleep_on(&WaitQ); */
    /* LAB(5) END */
}
