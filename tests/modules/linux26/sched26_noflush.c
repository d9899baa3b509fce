/* sched26_noflush: the 2.6 edition's work on the kernel's shared queue
 * (schedule_delayed_work), its cleanup without the flush: die = 1 and
 * cancel_delayed_work, no flush_scheduled_work. cancel_delayed_work does not wait: with
 * the work running, it returns 0 and the module would be freed under the function. Made
 * certain: cleanup waits until the work is inside its function (it sleeps 20 ms there).
 * rmmod's check before freeing finds the running item, names it and keeps the module;
 * the work then sees die and stops, and the next rmmod frees it. */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/delay.h>
#include <linux/init.h>

static int TimerIntrpt = 0;
static int die = 0;
static int in_work = 0;
static DECLARE_WAIT_QUEUE_HEAD(started);

static void intrpt_routine(void *);
static DECLARE_WORK(Task, intrpt_routine, NULL);

static void intrpt_routine(void *irrelevant)
{
  in_work = 1;
  wake_up(&started);
  msleep(20);
  TimerIntrpt++;
  in_work = 0;
  if (die == 0)
    schedule_delayed_work(&Task, 1);
}

int __init init_module()
{
  schedule_delayed_work(&Task, 1);
  return 0;
}

void __exit cleanup_module()
{
  wait_event(started, in_work);   /* the unlucky moment, made certain */
  die = 1;
  if (!cancel_delayed_work(&Task))
    printk(KERN_ALERT "sched26_noflush: cancel_delayed_work found no timer armed: the work "
           "was running\n");
  /* The bug: no flush_scheduled_work() */
}

MODULE_LICENSE("GPL");
