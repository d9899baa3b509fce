/* taskletwork: the periodic work of tqwork, timerwork and cronwork done by a tasklet that a
 * self re-arming kernel timer schedules at every tick (how a driver's interrupt hands its
 * work on since Linux 2.4). `deferbench` compares it with the others. */
#include "periodic_work.h"

struct periodic_work taskletwork_work;

/* Interrupt context, after the timers in the same bottom half. */
static void taskletwork_fn(struct tasklet_struct *t)
{
    (void)t;
    periodic_work_run(&taskletwork_work);
}
static DECLARE_TASKLET(taskletwork_tasklet, taskletwork_fn);

static void taskletwork_timer_fn(struct timer_list *t)
{
    tasklet_schedule(&taskletwork_tasklet);
    mod_timer(t, jiffies + 1);
}
static DEFINE_TIMER(taskletwork_timer, taskletwork_timer_fn);

int init_module(void)
{
    mod_timer(&taskletwork_timer, jiffies + 1);
    return 0;
}

void cleanup_module(void)
{
    del_timer_sync(&taskletwork_timer); /* nothing schedules it any more */
    tasklet_kill(&taskletwork_tasklet); /* and it has run, or never will */
}
