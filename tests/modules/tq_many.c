/* tq_many: registers 20 task queues of its own and leaves 40 tasks queued on another, more than `tq` and /proc/tq could print (they overran fixed arrays of 16 queues and 32 tasks).
 *   cat /proc/tq_many   drains tqm_queue and prints how many of its routines ran */
#include <quartz/module.h>

#define QUEUES 20
#define TASKS  40

static task_queue queues[QUEUES];
static DECLARE_TASK_QUEUE(tqm_queue);
static struct tq_struct tasks[TASKS];
static volatile int runs;

static void tqm_routine(void *data)
{
    (void)data;
    runs++;
}

static void show(struct ProcFile *out, void *data)
{
    (void)data;
    run_task_queue(&tqm_queue);
    proc_printf(out, "tq_many: %d routines ran\n", runs);
}

int init_module(void)
{
    int i;

    if (proc_create("tq_many", show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    for (i = 0; i < TASKS; i++) {
        INIT_TQUEUE(&tasks[i], tqm_routine, NULL);
        queue_task(&tasks[i], &tqm_queue);
    }
    for (i = 0; i < QUEUES; i++) {
        queues[i].name = "tqm_extra";
        run_task_queue(&queues[i]); /* an empty drain registers the queue */
    }
    return 0;
}

void cleanup_module(void)
{
    int i;

    proc_remove("tq_many");
    for (i = 0; i < TASKS; i++)
        cancel_task_sync(&tasks[i]);
}
