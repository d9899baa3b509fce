/* buggy_unload: a cleanup_module that sets the unload flag and returns WITHOUT waiting,
 * so that the kernel's check after cleanup_module finds the task still on tq_timer and
 * refuses to free the module. */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0; /* times the routine has run */
static volatile int die = 0;         /* set by cleanup_module */

static void buggy_tick(void *);

static struct tq_struct Task = {
    .routine = buggy_tick,
    .data = NULL,
};

/* Called after every timer interrupt; requeues itself until it sees the flag. */
static void buggy_tick(void *irrelevant)
{
    (void)irrelevant;
    TimerIntrpt++;
    if (die == 0)
        queue_task(&Task, &tq_timer);
}

static void buggy_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
}

int init_module(void)
{
    if (proc_create("buggy_unload", buggy_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("buggy_unload");

    /* THE BUG: we tell the routine to stop and return at once. Task is still queued on
     * tq_timer (almost always: only a tick landing in the few instructions between this
     * store and the return would have run it), so if the kernel freed us now, the next
     * tick would call buggy_tick in freed memory.
     *
     * Could the module do better on its own, say with a `stopped` flag set by buggy_tick
     * and polled here? No: buggy_tick would still be executing module code after that
     * store - the rest of its body, its epilogue, the `ret` back into the kernel's drain.
     * Whatever a routine writes, it writes before it has finished running, so module
     * code cannot announce its own completion. Only the code that called the routine
     * and saw it return - the kernel - can know it is done: that is cancel_task_sync
     * (sched_sync.c), and the check the kernel makes after cleanup_module returns. Here
     * that check finds Task still queued, names it, and keeps the module (state
     * "going" in lsmod) instead of freeing memory the timer still points into. At the
     * next tick buggy_tick runs (the module is still mapped), sees the flag and stops
     * requeuing; a second `rmmod buggy_unload` then finds nothing and frees it. */
    die = 1;
}
