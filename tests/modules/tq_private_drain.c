/* tq_private_drain: drains a private queue from a /proc show function (a thread) with a routine that spins for ticks, so the reading thread is preempted while its routine runs.
 *
 * The guide invites a queue you drain yourself (DECLARE_TASK_QUEUE, run_task_queue). Drained
 * from a thread, its routine runs in that thread; while it runs, OTHER threads must still be
 * free to sleep, and cancel_task_sync from another thread must wait for the routine (not
 * panic with a false "deadlock").
 *   cat /proc/tq_private_drain    queues tqp_slow on tqp_queue and drains it: tqp_slow
 *                                 spins SPIN_TICKS ticks (the thread is preempted meanwhile)
 *   cat /proc/tq_private_state    whether tqp_slow is running right now
 *   cat /proc/tq_private_cancel   from another thread: waits until tqp_slow has started,
 *                                 then cancel_task_sync(&tqp_task) and prints what it saw */
#include <quartz/module.h>

#define SPIN_TICKS 30

static DECLARE_TASK_QUEUE(tqp_queue);
static volatile int started, finished, runs;

static void tqp_slow(void *data)
{
    unsigned long start = jiffies;

    (void)data;
    started = 1;
    while (jiffies - start < SPIN_TICKS)
        __asm__ volatile("pause" ::: "memory");
    runs++;
    finished = 1;
}

static struct tq_struct tqp_task = {.routine = tqp_slow, .data = NULL};

static void drain_show(struct ProcFile *out, void *data)
{
    (void)data;
    started = finished = 0;
    queue_task(&tqp_task, &tqp_queue);
    run_task_queue(&tqp_queue);
    proc_printf(out, "tq_private_drain: drained, tqp_slow ran %d times\n", runs);
}

static void state_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "tq_private_state: tqp_slow running %d\n", started && !finished);
}

static void cancel_show(struct ProcFile *out, void *data)
{
    unsigned long start = jiffies;
    int r, running;

    (void)data;
    /* Preemptible busy-wait: the drain runs in another thread. */
    while (!started && jiffies - start < 500)
        __asm__ volatile("pause" ::: "memory");
    if (!started) {
        proc_printf(out, "tq_private_cancel: tqp_slow never started\n");
        return;
    }
    running = !finished;
    r = cancel_task_sync(&tqp_task);
    proc_printf(out,
                "tq_private_cancel: tqp_slow running %d; cancel returned %d, "
                "tqp_slow finished %d\n",
                running, r, finished);
}

int init_module(void)
{
    if (proc_create("tq_private_drain", drain_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    if (proc_create("tq_private_cancel", cancel_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_private_drain");
        return -EBUSY;
    }
    if (proc_create("tq_private_state", state_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_private_cancel");
        proc_remove("tq_private_drain");
        return -EBUSY;
    }
    return 0;
}

void cleanup_module(void)
{
    proc_remove("tq_private_state");
    proc_remove("tq_private_cancel");
    proc_remove("tq_private_drain");
    cancel_task_sync(&tqp_task);
}
