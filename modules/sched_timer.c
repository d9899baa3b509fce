/* sched_timer: the guide's counting module written for a Linux 2.4 kernel timer instead
 * of tq_timer: init_timer, .function/.data/.expires, add_timer; the function re-arms
 * itself every `interval` ticks; cleanup_module disarms it for good (lab 7 ports it).
 * /proc/sched_timer prints exactly what /proc/sched prints, and `interval` is the same
 * parameter (insmod sched_timer interval=5). */
#define QUARTZ_TIMER_2_4   /* the 2.4 form of struct timer_list: function(unsigned long) */
#include <quartz/module.h> /* 2.4: linux/kernel.h, module.h, proc_fs.h, timer.h */

/* The number of times the timer function has been called so far. Written by the
 * function (interrupt context), read by /proc/sched_timer (the reading thread): one
 * aligned int. */
static volatile int TimerIntrpt = 0;

/* Module parameter: the timer fires every `interval` ticks (default 1, like sched). */
static int interval = 1;
module_param(interval, int, 0444);
MODULE_PARM_DESC(interval, "ticks between two runs of the work (default 1)");

/* The timer. A static one starts all-zero; init_timer makes it ready (2.4 required it). */
static struct timer_list my_timer;

/* Called once per arming, in the tick's bottom half (interrupt context, interrupts on,
 * before tq_timer is drained): it must not sleep. The 2.4 form gets the timer's ->data. */
static void sched_timer_fn(unsigned long data)
{
    (void)data;
    /* LAB(7) BEGIN: count this run, then re-arm the timer to fire again `interval` ticks from now */
    TimerIntrpt++;
    /* Re-arm: run again `interval` ticks from now. No `die` flag and no wait queue: the
     * kernel's del_timer_sync does what sched.c's cleanup had to build by hand. */
    mod_timer(&my_timer, jiffies + interval);
    /* LAB(7) END */
}

static void sched_timer_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "Timer called %d times so far\n", TimerIntrpt);
    proc_printf(out, "interval: %d ticks\n", interval);
}

int init_module(void)
{
    if (interval < 1) {
        printk("sched_timer: interval must be at least 1 (got %d)\n", interval);
        return -EINVAL;
    }
    if (proc_create("sched_timer", sched_timer_show, NULL, THIS_MODULE) != 0)
        return -EBUSY;

    /* LAB(7) BEGIN: set up my_timer in Linux 2.4's form (init_timer, .function, .data, .expires) and arm it with add_timer */
    /* Linux 2.4, as the old text has it. */
    init_timer(&my_timer);
    my_timer.function = sched_timer_fn;
    my_timer.data = 0;
    my_timer.expires = jiffies + interval;
    add_timer(&my_timer);
    /* LAB(7) STUB: (void)sched_timer_fn; */
    /* LAB(7) END */
    return 0;
}

void cleanup_module(void)
{
    proc_remove("sched_timer");
    /* LAB(7) BEGIN: make sure the timer is neither armed nor running when this returns, although its function re-arms it */
    /* Disarm, and wait for a function that is running right now: on return the timer is
     * neither armed nor running, even though the function re-arms itself. (del_timer
     * alone returns at once; a function running on another CPU would re-arm the timer
     * after it: tests/modules/timer_del_running.c.) */
    del_timer_sync(&my_timer);
    /* LAB(7) STUB: (void)&my_timer; */
    /* LAB(7) END */
}
