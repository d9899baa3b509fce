/* tqwork: the guide's SECOND way: the same periodic work as cronwork, driven by a task
 * that requeues itself on tq_timer, so it runs at every tick with no process involved.
 * `cronbench` compares the instructions each way spends per activation. */
#include <quartz/module.h>

int tqwork_runs = 0;
static unsigned int tqwork_state = 1;

static void tqwork_tick(void *);
static struct tq_struct Task = {.routine = tqwork_tick, .data = NULL};

static void tqwork_do_work(void)
{
    tqwork_runs++;
    tqwork_state = tqwork_state * 1103515245u + 12345u;
}

/* Interrupt context, interrupts on: do the work, come back at the next tick. */
static void tqwork_tick(void *irrelevant)
{
    (void)irrelevant;
    tqwork_do_work();
    queue_task(&Task, &tq_timer);
}

int init_module(void)
{
    queue_task(&Task, &tq_timer);
    return 0;
}

void cleanup_module(void) { cancel_task_sync(&Task); }
