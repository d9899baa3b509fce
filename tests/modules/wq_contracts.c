/* wq_contracts: reading /proc/wq_contracts checks the workqueue contracts from a module,
 * in the kernel: queue_work refuses a pending item, FIFO order, a running item requeued
 * runs again, non-reentrancy across two queues, cancel_work_sync of self-requeuing work,
 * flush_work, flush_workqueue, destroy_workqueue draining chained work, schedule_task and
 * flush_scheduled_tasks, and misuse on purpose: an uninitialised item, kfree of a pending
 * item, a queue that never drains. One line per check ("ok NAME" or "FAIL NAME: why"). */
#include <quartz/module.h>
#include <quartz/workqueue.h>

static struct ProcFile *out;
static int failures;
#define CHECK(name, cond)                                                       \
    do {                                                                        \
        if (cond) {                                                             \
            proc_printf(out, "ok %s\n", name);                                  \
        } else {                                                                \
            proc_printf(out, "FAIL %s: %s (line %d)\n", name, #cond, __LINE__); \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* A gate: a work item that sleeps until opened, so that what is queued behind it stays
 * pending for as long as a check needs. */
static DECLARE_WAIT_QUEUE_HEAD(gate_wq);
static volatile int gate_open;
static void gate_fn(struct work_struct *w)
{
    (void)w;
    wait_event(gate_wq, gate_open);
}
static DECLARE_WORK(gate, gate_fn);
static void close_gate(struct workqueue_struct *wq)
{
    gate_open = 0;
    queue_work(wq, &gate);
}
static void open_gate(void)
{
    gate_open = 1;
    wake_up(&gate_wq);
}

static int order[8];
static volatile int norder;
struct item {
    struct work_struct work;
    int id;
};
static void record_fn(struct work_struct *w)
{
    struct item *it = container_of(w, struct item, work);
    if (norder < 8)
        order[norder++] = it->id;
}

static volatile int again_runs;
static void again_fn(struct work_struct *w)
{
    if (++again_runs == 1)
        queue_work(system_wq, w); /* running: may be queued again */
}
static DECLARE_WORK(again, again_fn);

static volatile int inside, max_inside, slow_runs;
static void slow_fn(struct work_struct *w)
{
    (void)w;
    if (++inside > max_inside)
        max_inside = inside;
    msleep(30);
    slow_runs++;
    inside--;
}
static DECLARE_WORK(slow, slow_fn);

static volatile int spin_runs;
static void spin_fn(struct work_struct *w)
{
    spin_runs++;
    msleep(1);
    queue_work(system_wq, w); /* forever, until cancel_work_sync */
}
static DECLARE_WORK(spinner, spin_fn);

static struct workqueue_struct *chain_wq;
static volatile int chain_runs;
static void chained_fn(struct work_struct *w)
{
    (void)w;
    chain_runs++;
}
static DECLARE_WORK(chained, chained_fn);
static void chainer_fn(struct work_struct *w)
{
    (void)w;
    chain_runs++;
    msleep(10);
    queue_work(chain_wq, &chained); /* while destroy_workqueue drains: allowed */
}
static DECLARE_WORK(chainer, chainer_fn);

static struct workqueue_struct *forever_wq;
static volatile int forever_runs;
static void forever_fn(struct work_struct *w)
{
    forever_runs++;
    queue_work(forever_wq, w);
}
static DECLARE_WORK(forever, forever_fn);

static volatile int task_runs;
static void task_fn(void *p)
{
    (void)p;
    msleep(20); /* keventd: process context */
    task_runs++;
}
static struct tq_struct ktask = {.routine = task_fn, .data = NULL};
static void ktask_gate_fn(void *p)
{
    (void)p;
    wait_event(gate_wq, gate_open); /* keventd sleeps: process context */
}
static struct tq_struct ktask_gate = {.routine = ktask_gate_fn, .data = NULL};

static volatile int freed_ran;
static void freed_fn(struct work_struct *w)
{
    (void)w;
    freed_ran = 1;
}

static volatile int d_runs;
static void d_fn(struct work_struct *w)
{
    (void)w;
    d_runs++;
}
static DECLARE_DELAYED_WORK(dw, d_fn);
static volatile int dself_runs;
static void dself_fn(struct work_struct *w)
{
    dself_runs++;
    schedule_delayed_work(to_delayed_work(w), 1);
}
static DECLARE_DELAYED_WORK(dself, dself_fn);

static void contracts_show(struct ProcFile *o, void *data)
{
    (void)data;
    out = o;
    failures = 0;
    struct workqueue_struct *wq = alloc_workqueue("wqc_%d", WQ_UNBOUND, 1, 1);
    struct workqueue_struct *wq2 = create_singlethread_workqueue("wqc_two");
    CHECK("alloc_workqueue", wq != NULL && wq2 != NULL);
    if (!wq || !wq2)
        return;

    /* queue_work: false while pending; FIFO order */
    struct item a, b, c;
    INIT_WORK(&a.work, record_fn);
    INIT_WORK(&b.work, record_fn);
    INIT_WORK(&c.work, record_fn);
    a.id = 1, b.id = 2, c.id = 3;
    norder = 0;
    close_gate(wq);
    CHECK("queue_work_true", queue_work(wq, &a.work));
    CHECK("queue_work_false_if_pending", !queue_work(wq, &a.work) && work_pending(&a.work));
    queue_work(wq, &b.work);
    queue_work(wq, &c.work);
    open_gate();
    flush_workqueue(wq);
    CHECK("fifo_order", norder == 3 && order[0] == 1 && order[1] == 2 && order[2] == 3);
    CHECK("not_pending_after_run", !work_pending(&a.work));

    /* a running item queued again runs again after it returns */
    again_runs = 0;
    schedule_work(&again);
    flush_work(&again);
    flush_work(&again);
    CHECK("requeued_while_running_runs_again", again_runs == 2);

    /* non-reentrant: queued on a second queue while it runs on the first */
    inside = max_inside = slow_runs = 0;
    queue_work(wq, &slow);
    msleep(10); /* it is running now (sleeping inside) */
    CHECK("queue_while_running_elsewhere", queue_work(wq2, &slow));
    flush_workqueue(wq);
    flush_workqueue(wq2);
    CHECK("non_reentrant", slow_runs == 2 && max_inside == 1);

    /* flush_work waits for the last queueing; false when idle */
    slow_runs = 0;
    queue_work(wq, &slow);
    CHECK("flush_work_waits", flush_work(&slow) && slow_runs == 1);
    CHECK("flush_work_idle_false", !flush_work(&slow));

    /* cancel_work_sync of work that requeues itself */
    spin_runs = 0;
    schedule_work(&spinner);
    msleep(30);
    cancel_work_sync(&spinner);
    const int frozen = spin_runs;
    msleep(30);
    CHECK("cancel_work_sync_stops_self_requeuing",
          frozen > 0 && spin_runs == frozen && !work_pending(&spinner));
    CHECK("cancel_work_sync_idle_false", !cancel_work_sync(&spinner));

    /* cancel_work_sync of a pending item: true, and it never runs */
    norder = 0;
    close_gate(wq);
    queue_work(wq, &a.work);
    CHECK("cancel_work_sync_pending_true", cancel_work_sync(&a.work) && !work_pending(&a.work));
    open_gate();
    flush_workqueue(wq);
    CHECK("cancelled_never_runs", norder == 0);

    /* flush_workqueue waits for what was queued before it, not for what comes after */
    norder = 0;
    close_gate(wq);
    queue_work(wq, &a.work);
    queue_work(wq, &b.work);
    open_gate();
    flush_workqueue(wq);
    CHECK("flush_workqueue", norder == 2);

    /* schedule_task: keventd runs it in process context; flush_scheduled_tasks waits */
    task_runs = 0;
    gate_open = 0;
    schedule_task(&ktask_gate);
    CHECK("schedule_task_queues", schedule_task(&ktask) == 1);
    CHECK("schedule_task_pending_0", schedule_task(&ktask) == 0);
    open_gate();
    flush_scheduled_tasks();
    CHECK("flush_scheduled_tasks", task_runs == 1);

    /* misuse: an uninitialised item is refused (and reported) */
    static struct work_struct zeroed;
    CHECK("uninitialised_refused", !queue_work(wq, &zeroed) && !work_pending(&zeroed));

    /* misuse: kfree of memory holding a pending item: reported, taken off, never runs */
    struct item *heap = kmalloc(sizeof *heap);
    INIT_WORK(&heap->work, freed_fn);
    freed_ran = 0;
    close_gate(wq);
    queue_work(wq, &heap->work);
    kfree(heap);
    open_gate();
    flush_workqueue(wq);
    CHECK("kfree_pending_taken_off", !freed_ran);

    /* destroy_workqueue drains: pending work runs, and work it queues meanwhile */
    chain_wq = alloc_workqueue("wqc_chain", 0, 0);
    chain_runs = 0;
    close_gate(chain_wq);
    queue_work(chain_wq, &chainer);
    open_gate();
    destroy_workqueue(chain_wq);
    CHECK("destroy_drains_chained_work", chain_runs == 2 && !work_pending(&chained));

    /* a queue whose work requeues itself forever: reported, cancelled, destroyed */
    forever_wq = alloc_workqueue("wqc_forever", 0, 0);
    forever_runs = 0;
    queue_work(forever_wq, &forever);
    destroy_workqueue(forever_wq);
    CHECK("destroy_gives_up_on_endless_work", forever_runs >= 100 && !work_pending(&forever));

    /* delayed work: pending while its timer is armed; flush_workqueue does not wait */
    d_runs = 0;
    CHECK("queue_delayed_work_true", queue_delayed_work(wq, &dw, 50));
    CHECK("queue_delayed_work_false_if_pending",
          !queue_delayed_work(wq, &dw, 1) && delayed_work_pending(&dw));
    flush_workqueue(wq);
    CHECK("flush_workqueue_ignores_armed_timers", d_runs == 0 && delayed_work_pending(&dw));
    /* flush_delayed_work fires it now and waits */
    unsigned long start = jiffies;
    CHECK("flush_delayed_work_runs_it_now",
          flush_delayed_work(&dw) && d_runs == 1 && (long)(jiffies - start) < 50);
    /* cancel_delayed_work of an armed timer: true, and it never runs */
    queue_delayed_work(wq, &dw, 5);
    CHECK("cancel_delayed_work_true", cancel_delayed_work(&dw) && !delayed_work_pending(&dw));
    CHECK("cancel_delayed_work_idle_false", !cancel_delayed_work(&dw));
    msleep(100);
    CHECK("cancelled_delayed_never_runs", d_runs == 1);
    /* mod_delayed_work: moves a pending timer (true), or queues an idle item (false) */
    queue_delayed_work(wq, &dw, 500);
    CHECK("mod_delayed_work_pending_true", mod_delayed_work(wq, &dw, 1));
    msleep(100);
    CHECK("mod_delayed_work_moved_the_timer", d_runs == 2);
    CHECK("mod_delayed_work_idle_false", !mod_delayed_work(wq, &dw, 0));
    flush_workqueue(wq);
    CHECK("mod_delayed_work_zero_queues_now", d_runs == 3);
    /* the delay is counted in ticks */
    start = jiffies;
    queue_delayed_work(wq, &dw, 10);
    while (delayed_work_pending(&dw))
        msleep(1);
    flush_work(&dw.work);
    CHECK("delay_in_ticks", d_runs == 4 && (long)(jiffies - start) >= 10);
    /* cancel_delayed_work_sync of self-requeuing delayed work */
    dself_runs = 0;
    schedule_delayed_work(&dself, 1);
    msleep(100);
    cancel_delayed_work_sync(&dself);
    const int dfrozen = dself_runs;
    msleep(50);
    CHECK("cancel_delayed_work_sync_stops_self_requeuing",
          dfrozen > 0 && dself_runs == dfrozen && !delayed_work_pending(&dself));
    /* destroy_workqueue with a timer still armed: reported, disarmed */
    queue_delayed_work(wq, &dw, 500);
    destroy_workqueue(wq);
    CHECK("destroy_disarms_delayed_work", !delayed_work_pending(&dw));
    msleep(20);
    CHECK("destroyed_delayed_never_runs", d_runs == 4);

    destroy_workqueue(wq2);
    proc_printf(out, "wq_contracts: %s (%d failed)\n", failures ? "FAILED" : "all passed",
                failures);
}

int init_module(void)
{
    return proc_create("wq_contracts", contracts_show, NULL, THIS_MODULE) ? -EBUSY : 0;
}

void cleanup_module(void)
{
    proc_remove("wq_contracts");
    cancel_work_sync(&spinner);
    cancel_delayed_work_sync(&dself);
    cancel_delayed_work_sync(&dw);
}
