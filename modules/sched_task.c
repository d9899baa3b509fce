/* sched_task: the guide's counting module on Linux 2.4's keventd. A tq_timer routine
 * (interrupt context) counts the ticks and, every `interval` ticks, hands the work to
 * keventd with schedule_task: there it runs in process context (it could sleep). Unload:
 * stop the tick, then flush_scheduled_tasks, which returns once keventd has run
 * everything scheduled before it (2.4's kernel/context.c). */
#include <quartz/module.h>

static volatile int TimerIntrpt = 0;
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

static int ticks_waited = 0;
static volatile int die = 0;
static volatile int tick_done = 0;
static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void sched_task_work(void *);
static void sched_task_tick(void *);
static struct tq_struct Work = {.routine = sched_task_work, .data = NULL};
static struct tq_struct Tick = {.routine = sched_task_tick, .data = NULL};

/* keventd runs this, in process context. */
static void sched_task_work(void *unused)
{
    (void)unused;
    TimerIntrpt++;
}

/* After every tick, in interrupt context: count down, then schedule the work. */
static void sched_task_tick(void *unused)
{
    (void)unused;
    /* LAB(5) BEGIN: the tick routine's end of the unload protocol, as in your modules/sched.c (until then, the guide's: wake_up without a condition) */
    if (die) {
        tick_done = 1;
        wake_up(&WaitQ);
        return;
    }
    /* LAB(5) STUB: if (die) { */
    /* LAB(5) STUB:     wake_up(&WaitQ); */
    /* LAB(5) STUB:     return; */
    /* LAB(5) STUB: } */
    /* LAB(5) END */
    if (++ticks_waited >= interval) {
        ticks_waited = 0;
        schedule_task(&Work);
    }
    queue_task(&Tick, &tq_timer);
}

static void sched_task_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_task: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    if (proc_create("sched_task", sched_task_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    queue_task(&Tick, &tq_timer);
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_task");
    /* LAB(5) BEGIN: cleanup_module's end of the protocol, as in your modules/sched.c (until then, the guide's module_sleep_on, which the watchdog rescues when it loses the wakeup) */
    die = 1;
    wait_event(WaitQ, tick_done); /* the tick routine has stopped scheduling work */
    /* LAB(5) STUB: die = 1; */
    /* LAB(5) STUB: (void)tick_done; */
    /* LAB(5) STUB: module_sleep_on(&WaitQ); */
    /* LAB(5) END */
    flush_scheduled_tasks(); /* and keventd has run what it scheduled */
}
