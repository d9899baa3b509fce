/* tq_fault_drain: one routine of its private queue dereferences NULL in the middle of a drain run from a /proc show function (a thread).
 *
 * The fault returns the reading thread to the shell. The drain must not stay "draining"
 * (or every later sleep anywhere would panic, blaming tqf_bad): the rest of the batch
 * goes back to the front of the queue and runs, in order, at the next drain.
 *   cat /proc/tq_fault_drain   queues tqf_first, tqf_bad, tqf_second, tqf_third; drains
 *   cat /proc/tq_fault_log     drains the queue again and prints which routines ran */
#include <quartz/module.h>

static DECLARE_TASK_QUEUE(tqf_queue);
static char ran[64];
static int ran_len;

static void note(const char *what)
{
    while (*what && ran_len < (int)sizeof ran - 2)
        ran[ran_len++] = *what++;
    ran[ran_len++] = ' ';
    ran[ran_len] = 0;
}

static void tqf_first(void *data)
{
    (void)data;
    note("first");
}
static void tqf_second(void *data)
{
    (void)data;
    note("second");
}
static void tqf_third(void *data)
{
    (void)data;
    note("third");
}

static void tqf_bad(void *data)
{
    note("bad");
    *(volatile int *)data = 1; /* data is NULL: a page fault, in a thread */
}

static struct tq_struct tasks[] = {
    {.routine = tqf_first, .data = NULL},
    {.routine = tqf_bad, .data = NULL},
    {.routine = tqf_second, .data = NULL},
    {.routine = tqf_third, .data = NULL},
};

static void drain_show(struct ProcFile *out, void *data)
{
    unsigned i;

    (void)data;
    for (i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        queue_task(&tasks[i], &tqf_queue);
    run_task_queue(&tqf_queue);
    proc_printf(out, "tq_fault_drain: the drain returned (it should have faulted)\n");
}

static void log_show(struct ProcFile *out, void *data)
{
    (void)data;
    run_task_queue(&tqf_queue);
    proc_printf(out, "tq_fault_drain ran: %s\n", ran);
}

int init_module(void)
{
    if (proc_create("tq_fault_drain", drain_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    if (proc_create("tq_fault_log", log_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_fault_drain");
        return -EBUSY;
    }
    return 0;
}

void cleanup_module(void)
{
    unsigned i;

    proc_remove("tq_fault_log");
    proc_remove("tq_fault_drain");
    for (i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        cancel_task_sync(&tasks[i]);
}
