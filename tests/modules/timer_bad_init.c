/* timer_bad_init: arms a timer and schedules a (disabled, so still scheduled) tasklet in
 * init_module, then fails with -EINVAL without undoing either: the kernel must disarm the
 * timer and take the tasklet off before it frees the module, and nothing may run from the
 * freed memory afterwards. */
#include <quartz/module.h>

static void tbi_timer_fn(struct timer_list *t)
{
    (void)t;
    printk("timer_bad_init: timer function ran from a freed module\n");
}
static DEFINE_TIMER(tbi_timer, tbi_timer_fn);

static void tbi_tasklet_fn(struct tasklet_struct *t)
{
    (void)t;
    printk("timer_bad_init: tasklet ran from a freed module\n");
}
static DECLARE_TASKLET_DISABLED(tbi_tasklet, tbi_tasklet_fn);

int init_module(void)
{
    mod_timer(&tbi_timer, jiffies + 5);
    tasklet_schedule(&tbi_tasklet);
    return -EINVAL; /* and forgets both */
}

void cleanup_module(void) {}
