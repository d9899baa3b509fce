/* tq_corrupt: re-initialises a pending task with INIT_TQUEUE, and leaves tasks queued on a stack frame that is gone, each at the head of a drain batch with innocent tasks behind it.
 *
 * The drain must report the corrupt task (naming its routine when it can), drop it alone,
 * and run the innocent tasks behind it, in order.
 *   cat /proc/tq_corrupt_reinit   tqc_victim, tqc_good1, tqc_good2 on tqc_queue; the victim
 *                                 is re-initialised while pending; drain; print what ran
 *   cat /proc/tq_corrupt_stack    a task queued from a frame that has returned (and whose
 *                                 memory was reused), then tqc_good1, tqc_good2; drain
 *   cat /proc/tq_corrupt_timer    the same on tq_timer, with tqc_good_timer behind it;
 *                                 waits for the tick's drain */
#include <quartz/module.h>

static DECLARE_TASK_QUEUE(tqc_queue);
static char ran[64];
static int ran_len;
static volatile int good_timer_runs;

static void note(const char *what)
{
    while (*what && ran_len < (int)sizeof ran - 2)
        ran[ran_len++] = *what++;
    ran[ran_len++] = ' ';
    ran[ran_len] = 0;
}

static void tqc_victim(void *data)
{
    (void)data;
    note("victim");
}
static void tqc_good1(void *data)
{
    (void)data;
    note("good1");
}
static void tqc_good2(void *data)
{
    (void)data;
    note("good2");
}
static void tqc_stack_routine(void *data)
{
    (void)data;
    note("stack");
}
static void tqc_good_timer(void *data)
{
    (void)data;
    good_timer_runs++;
}

static struct tq_struct victim = {.routine = tqc_victim, .data = NULL};
static struct tq_struct good1 = {.routine = tqc_good1, .data = NULL};
static struct tq_struct good2 = {.routine = tqc_good2, .data = NULL};
static struct tq_struct good_timer = {.routine = tqc_good_timer, .data = NULL};

/* Queues a task that lives in this function's frame, and returns: the bug. */
static __attribute__((noinline)) void queue_from_a_frame(task_queue *q)
{
    struct tq_struct t;

    INIT_TQUEUE(&t, tqc_stack_routine, NULL);
    queue_task(&t, q);
    __asm__ volatile("" : : "r"(&t) : "memory");
}

/* The next call at the same depth reuses the frame. */
static __attribute__((noinline)) void scribble(void)
{
    volatile char junk[1024];
    int i;

    for (i = 0; i < (int)sizeof junk; i++)
        junk[i] = 0x5a;
}

static void reset(void)
{
    ran_len = 0;
    ran[0] = 0;
}

static void reinit_show(struct ProcFile *out, void *data)
{
    (void)data;
    reset();
    queue_task(&victim, &tqc_queue);
    queue_task(&good1, &tqc_queue);
    queue_task(&good2, &tqc_queue);
    INIT_TQUEUE(&victim, tqc_victim, NULL); /* while pending: the bug */
    run_task_queue(&tqc_queue);
    proc_printf(out, "tq_corrupt ran: %s\n", ran);
}

static void stack_show(struct ProcFile *out, void *data)
{
    (void)data;
    reset();
    queue_from_a_frame(&tqc_queue);
    queue_task(&good1, &tqc_queue);
    queue_task(&good2, &tqc_queue);
    scribble();
    run_task_queue(&tqc_queue);
    proc_printf(out, "tq_corrupt ran: %s\n", ran);
}

static void timer_show(struct ProcFile *out, void *data)
{
    unsigned long flags, start;
    int before = good_timer_runs;

    (void)data;
    /* No tick may drain tq_timer before the frame is reused: interrupts off meanwhile. */
    __asm__ volatile("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
    queue_from_a_frame(&tq_timer);
    queue_task(&good_timer, &tq_timer);
    scribble();
    __asm__ volatile("pushl %0; popfl" : : "r"(flags) : "memory", "cc");
    start = jiffies;
    while (good_timer_runs == before && jiffies - start < 50)
        __asm__ volatile("pause" ::: "memory");
    proc_printf(out, "tq_corrupt_timer: tqc_good_timer ran %d times\n", good_timer_runs - before);
}

int init_module(void)
{
    if (proc_create("tq_corrupt_reinit", reinit_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    if (proc_create("tq_corrupt_stack", stack_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_corrupt_reinit");
        return -EBUSY;
    }
    if (proc_create("tq_corrupt_timer", timer_show, NULL, THIS_MODULE) != 0) {
        proc_remove("tq_corrupt_stack");
        proc_remove("tq_corrupt_reinit");
        return -EBUSY;
    }
    return 0;
}

void cleanup_module(void)
{
    proc_remove("tq_corrupt_timer");
    proc_remove("tq_corrupt_stack");
    proc_remove("tq_corrupt_reinit");
    cancel_task_sync(&good_timer);
    cancel_task_sync(&good1);
    cancel_task_sync(&good2);
}
