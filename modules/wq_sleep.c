/* wq_sleep: work runs in process context. Each read of /proc/wq_sleep queues a work item
 * on system_wq whose function takes a mutex and sleeps 50 ms holding it: what a
 * tq_timer routine or a timer function may never do (the kernel panics, naming them),
 * and what keventd and the workqueues were made for. `ps` meanwhile shows the worker
 * kworker/0:0 asleep. */
#include <quartz/module.h>

static DEFINE_MUTEX(wq_sleep_lock);
static volatile int runs = 0;

static void wq_sleep_fn(struct work_struct *work)
{
    (void)work;
    mutex_lock(&wq_sleep_lock); /* may sleep: fine here */
    msleep(50);                 /* sleeps: fine here */
    runs++;
    printk("wq_sleep: run %d: slept 50 ms holding wq_sleep_lock, in the worker thread\n", runs);
    mutex_unlock(&wq_sleep_lock);
}

static DECLARE_WORK(wq_sleep_work, wq_sleep_fn);

static void wq_sleep_show(struct ProcFile *out, void *data)
{
    (void)data;
    const bool queued = schedule_work(&wq_sleep_work);
    proc_printf(out, "wq_sleep: %s; %d runs so far\n", queued ? "queued" : "already pending", runs);
}

int init_module(void)
{
    if (proc_create("wq_sleep", wq_sleep_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;
    return 0;
}

void cleanup_module(void)
{
    proc_remove("wq_sleep");
    cancel_work_sync(&wq_sleep_work); /* not pending, not running, on return */
}
