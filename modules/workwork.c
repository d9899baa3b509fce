/* workwork: the periodic work of tqwork, timerwork and cronwork driven by a delayed work
 * item on system_wq that requeues itself for the next tick: the timer fires in the tick's
 * bottom half and queues the item, and kworker/0:0 runs it in process context.
 * `deferbench` compares it with the others, per activation and under load. */
#include "periodic_work.h"

struct periodic_work workwork_work;

static void workwork_fn(struct work_struct *work)
{
    periodic_work_run(&workwork_work);
    schedule_delayed_work(to_delayed_work(work), 1); /* the next tick */
}

static DECLARE_DELAYED_WORK(workwork_dwork, workwork_fn);

int init_module(void)
{
    schedule_delayed_work(&workwork_dwork, 1);
    return 0;
}

void cleanup_module(void) { cancel_delayed_work_sync(&workwork_dwork); }
