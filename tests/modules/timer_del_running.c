/* timer_del_running: BROKEN ON PURPOSE. cleanup_module calls del_timer (not
 * del_timer_sync) while the timer function is running, and the function re-arms itself
 * afterwards: the timer is armed again in the module's memory, and the kernel's check
 * before freeing finds it and refuses to free the module, naming the timer.
 *
 * On SMP Linux this happened when del_timer ran on one CPU while the function ran on
 * another. Quartz has one CPU, so the module makes the overlap happen the only way it
 * can there: once cleanup has begun, the function waits for the next tick with interrupts
 * on, and that tick's bottom half drains tq_timer, where a task of the module plays the
 * other CPU and calls del_timer. It returns 0 (nothing armed: the function is running),
 * and the function then re-arms the timer. */
#include <quartz/module.h>

static struct timer_list t;
static volatile int stopping = 0;
static volatile int deleted = 0;
static volatile int del_result = -1;
static DECLARE_WAIT_QUEUE_HEAD(wq);

static void other_cpu(void *unused)
{
    (void)unused;
    del_result = del_timer(&t); /* the function is running: 0 */
    deleted = 1;
    wake_up(&wq);
}
static struct tq_struct other = {.routine = other_cpu};

static void tdr_fn(struct timer_list *timer)
{
    if (stopping && !deleted) {
        /* Hand del_timer to "the other CPU", then keep running until it has been called. */
        queue_task(&other, &tq_timer);
        const unsigned long start = jiffies;
        while (!deleted && (long)(jiffies - start) < 50) {
        }
    }
    mod_timer(timer, jiffies + 1); /* re-arm, as a periodic function does */
}

int init_module(void)
{
    timer_setup(&t, tdr_fn, 0);
    mod_timer(&t, jiffies + 1);
    return 0;
}

void cleanup_module(void)
{
    stopping = 1;
    wait_event(wq, deleted);
    printk("timer_del_running: del_timer returned %d while the function ran\n", del_result);
}
