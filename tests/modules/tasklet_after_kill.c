/* tasklet_after_kill: BROKEN ON PURPOSE. cleanup_module kills the tasklet before it
 * stops the timer that schedules it: the timer fires in between and schedules the
 * tasklet again. tasklet_kill does not prevent that (as in Linux); on SMP the tasklet
 * could then run after the module was freed. The kernel says so when it happens and its
 * check before freeing names the tasklet and refuses to free the module. (To make the
 * window certain, cleanup waits for the timer to have fired once after the kill.) */
#include <quartz/module.h>

static volatile int count = 0;
static volatile int killed = 0;
static volatile int fired_after_kill = 0;
static DECLARE_WAIT_QUEUE_HEAD(wq);

static void tak_fn(struct tasklet_struct *t)
{
    (void)t;
    count++;
}
static DECLARE_TASKLET(tak_tasklet, tak_fn);

static struct timer_list tak_timer;
static void tak_timer_fn(struct timer_list *t)
{
    tasklet_schedule(&tak_tasklet); /* after tasklet_kill too: not prevented */
    if (killed && !fired_after_kill) {
        fired_after_kill = 1;
        wake_up(&wq);
    }
    mod_timer(t, jiffies + 1);
}

int init_module(void)
{
    timer_setup(&tak_timer, tak_timer_fn, 0);
    mod_timer(&tak_timer, jiffies + 1);
    return 0;
}

void cleanup_module(void)
{
    tasklet_kill(&tak_tasklet); /* WRONG ORDER: the timer still schedules it */
    killed = 1;
    wait_event(wq, fired_after_kill);
    del_timer_sync(&tak_timer);
    printk("tasklet_after_kill: tasklet ran %d times\n", count);
}
