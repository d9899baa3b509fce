/* tq_heap_queue: frees task queues it allocated with kzalloc (one drained, one with a task still queued on it), and drains a queue declared on its stack.
 *
 * A freed or returned queue must leave the kernel's registry of queues, or the next
 * `sleep` or `tq` walks freed memory.
 *   cat /proc/tq_heap_idle    kzalloc a queue, queue a task, drain it, kfree it
 *   cat /proc/tq_heap_busy    kzalloc a queue, queue a task, kfree it without draining
 *                             (reported: "free of an active queue"; the task is taken off)
 *   cat /proc/tq_stack_queue  DECLARE_TASK_QUEUE in the function: queue, drain, return;
 *                             then queue again and cancel, and return */
#include <quartz/module.h>

static volatile int runs;

static void tqh_routine(void *data)
{
    (void)data;
    runs++;
}

static struct tq_struct tqh_task = {.routine = tqh_routine, .data = NULL};

static task_queue *new_queue(const char *name)
{
    task_queue *q = kzalloc(sizeof *q);

    if (q)
        q->name = name;
    return q;
}

static void idle_show(struct ProcFile *out, void *data)
{
    task_queue *q = new_queue("tqh_idle");

    (void)data;
    if (!q)
        return;
    queue_task(&tqh_task, q);
    run_task_queue(q);
    kfree(q);
    proc_printf(out, "tq_heap_queue: freed a drained queue; routine ran %d times\n", runs);
}

static void busy_show(struct ProcFile *out, void *data)
{
    task_queue *q = new_queue("tqh_busy");

    (void)data;
    if (!q)
        return;
    queue_task(&tqh_task, q);
    kfree(q); /* the bug: a task still queued on it */
    proc_printf(out, "tq_heap_queue: freed a busy queue; task still pending: %s\n",
                (tqh_task.sync & TQ_SYNC_PENDING) ? "yes" : "no");
}

static void stack_show(struct ProcFile *out, void *data)
{
    DECLARE_TASK_QUEUE(tqh_stackq);

    (void)data;
    queue_task(&tqh_task, &tqh_stackq);
    run_task_queue(&tqh_stackq);
    queue_task(&tqh_task, &tqh_stackq);
    cancel_task_sync(&tqh_task);
    proc_printf(out, "tq_heap_queue: stack queue drained and emptied; routine ran %d times\n",
                runs);
}

int init_module(void)
{
    if (proc_create("tq_heap_idle", idle_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    if (proc_create("tq_heap_busy", busy_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_heap_idle");
        return -EBUSY;
    }
    if (proc_create("tq_stack_queue", stack_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_heap_busy");
        proc_remove("tq_heap_idle");
        return -EBUSY;
    }
    return 0;
}

void cleanup_module(void)
{
    proc_remove("tq_stack_queue");
    proc_remove("tq_heap_busy");
    proc_remove("tq_heap_idle");
    cancel_task_sync(&tqh_task);
}
