/* fault_init: queues a task and registers /proc/fault_init, then dereferences NULL in
 * init_module: the kernel must mark it failed, take the task and the file away, and let
 * every other module load and unload as before. */
#include <quartz/module.h>

static int ticks;
static void tick(void *data);
static struct tq_struct task = {.routine = tick, .data = NULL};
static void tick(void *data)
{
    (void)data;
    ticks++;
    queue_task(&task, &tq_timer); /* requeues itself: it would run forever */
}

static void show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "%d\n", ticks);
}

int init_module(void)
{
    queue_task(&task, &tq_timer);
    proc_create("fault_init", show, NULL, THIS_MODULE);
    printk("fault_init: about to fault\n");
    return *(volatile int *)0;
}

void cleanup_module(void) { printk("fault_init: cleanup_module must never run\n"); }
