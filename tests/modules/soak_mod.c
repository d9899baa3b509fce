/* soak_mod: a bit of everything a module may do at once, for the load/unload soak: a
 * /proc file whose read drains a private task queue of the module in the reading thread,
 * and a task that requeues itself on tq_timer, cancelled with cancel_task_sync. */
#include <quartz/module.h>

static DECLARE_TASK_QUEUE(soak_queue);
static int drained, ticks;

static void private_work(void *data) { (*(int *)data)++; }
static void tick(void *data);
static struct tq_struct tick_task = {.routine = tick, .data = NULL};
static void tick(void *data)
{
    (void)data;
    ticks++;
    queue_task(&tick_task, &tq_timer);
}

static void show(struct ProcFile *out, void *data)
{
    struct tq_struct work;
    (void)data;
    INIT_TQUEUE(&work, private_work, &drained);
    queue_task(&work, &soak_queue);
    run_task_queue(&soak_queue); /* in this thread: the queue is empty again after */
    proc_printf(out, "soak_mod: %d drained, %d ticks\n", drained, ticks);
}

int init_module(void)
{
    if (proc_create("soak_mod", show, NULL, THIS_MODULE))
        return -EBUSY;
    queue_task(&tick_task, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("soak_mod");
    cancel_task_sync(&tick_task);
}
