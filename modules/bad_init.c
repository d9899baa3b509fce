/* bad_init: an init_module that queues a task on tq_timer and then fails with -EINVAL,
 * leaving the task queued: the kernel must undo it before freeing the module. */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;

static void bad_init_tick(void *);

static struct tq_struct Task = {
    .routine = bad_init_tick,
    .data = NULL,
};

/* Requeues itself forever: if the kernel freed the module without taking Task off
 * tq_timer, the next tick would jump into freed (unmapped) memory. */
static void bad_init_tick(void *irrelevant)
{
    (void)irrelevant;
    TimerIntrpt++;
    queue_task(&Task, &tq_timer);
}

int init_module(void)
{
    queue_task(&Task, &tq_timer);
    printk("bad_init: queued bad_init_tick on tq_timer, now failing with -EINVAL\n");

    /* THE BUG: a failing init_module must undo what it did (here: cancel_task_sync(&Task)
     * before returning), because cleanup_module is never called for a module that did
     * not load. The Linux of the guide freed the module anyway: a use-after-free at the next tick.
     * Quartz's loader finds what still points into the module and undoes it. */
    return -EINVAL;
}

/* Never called: init_module fails. Present because every module has one. */
void cleanup_module(void) {}
