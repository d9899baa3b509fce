/* routine_sleeps: its tq_timer routine calls msleep, which a routine must never do: the
 * kernel panics, naming the routine and its module. */
#include <quartz/module.h>

static void napping_routine(void *data)
{
    (void)data;
    msleep(10);
}

static struct tq_struct task = {.routine = napping_routine, .data = NULL};

int init_module(void)
{
    queue_task(&task, &tq_timer);
    return 0;
}

void cleanup_module(void) { cancel_task_sync(&task); }
