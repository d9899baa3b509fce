/* tq_own_queue: keeps a task queue of its own (DECLARE_TASK_QUEUE in its data) and drains it once at load; nothing wrong, yet rmmod used to report it as "queued task 0x00000000" and refuse it forever.
 *
 * An empty, idle queue in a module is no leftover: rmmod must unload the module, and the
 * queue must leave the registry with it. */
#include <quartz/module.h>

static DECLARE_TASK_QUEUE(tqo_queue);
static volatile int runs;

static void tqo_routine(void *data)
{
    (void)data;
    runs++;
}

static struct tq_struct tqo_task = {.routine = tqo_routine, .data = NULL};

int init_module(void)
{
    queue_task(&tqo_task, &tqo_queue);
    run_task_queue(&tqo_queue);
    printk("tq_own_queue: drained its own queue, routine ran %d times\n", runs);
    return 0;
}

void cleanup_module(void) {}
