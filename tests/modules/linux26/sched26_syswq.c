/* sched26_syswq: the 2.6 edition's module, its own queue torn down as printed, and a
 * second work item on the kernel's shared queue (schedule_delayed_work) that its cleanup
 * forgets: destroy_workqueue waits only for the module's own queue. rmmod's check before
 * freeing names the item still pending on "events" and keeps the module; once the item
 * has seen die and stopped, the next rmmod frees it. */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/init.h>

static int TimerIntrpt = 0;
static int StatsRuns = 0;
static int die = 0;

static struct workqueue_struct *my_workqueue;
static void intrpt_routine(void *);
static void stats_routine(void *);
static DECLARE_WORK(Task, intrpt_routine, NULL);
static DECLARE_WORK(Stats, stats_routine, NULL);

static void intrpt_routine(void *irrelevant)
{
  TimerIntrpt++;
  if (die == 0)
    queue_delayed_work(my_workqueue, &Task, 1);
}

static void stats_routine(void *irrelevant)
{
  StatsRuns++;
  if (die == 0)
    schedule_delayed_work(&Stats, 50);
}

int __init init_module()
{
  my_workqueue = create_workqueue("WQsched26_syswq");
  queue_delayed_work(my_workqueue, &Task, 1);
  schedule_delayed_work(&Stats, 50);
  return 0;
}

void __exit cleanup_module()
{
  die = 1;
  cancel_delayed_work(&Task);
  flush_workqueue(my_workqueue);
  destroy_workqueue(my_workqueue);
  /* The bug: Stats is on the shared queue; nothing here cancels or waits for it */
}

MODULE_LICENSE("GPL");
