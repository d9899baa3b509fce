/* timerwork: the periodic work of tqwork and cronwork driven by a kernel timer that re-arms
 * itself for the next tick (Linux 2.4's way for a driver's periodic job, and today's).
 * `deferbench` compares it with the others, per activation and under load. */
#include "periodic_work.h"

struct periodic_work timerwork_work;

static void timerwork_fn(struct timer_list *t)
{
    periodic_work_run(&timerwork_work);
    mod_timer(t, jiffies + 1); /* interrupt context: the next tick */
}

static DEFINE_TIMER(timerwork_timer, timerwork_fn);

int init_module(void)
{
    mod_timer(&timerwork_timer, jiffies + 1);
    return 0;
}

void cleanup_module(void) { del_timer_sync(&timerwork_timer); }
