/* tqwork: the guide's SECOND way: the same periodic work as cronwork, driven by a task
 * that requeues itself on tq_timer, so it runs at every tick with no process involved.
 * `cronbench` compares the instructions each way spends per activation. */
#include "periodic_work.h"

struct periodic_work tqwork_work;

static void tqwork_tick(void *);
static struct tq_struct Task = {.routine = tqwork_tick, .data = NULL};

/* Interrupt context, interrupts on: do the work, come back at the next tick. */
static void tqwork_tick(void *irrelevant)
{
    (void)irrelevant;
    periodic_work_run(&tqwork_work);
    queue_task(&Task, &tq_timer);
}

int init_module(void)
{
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void) { cancel_task_sync(&Task); }
