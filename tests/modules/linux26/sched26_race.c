/* sched26_race: the 2.6 edition's module with its cleanup as printed (die = 1,
 * cancel_delayed_work, flush_workqueue, destroy_workqueue), and the window that protocol
 * leaves open on SMP or with kernel preemption made certain: the work has read die == 0
 * when cleanup sets it, so cancel_delayed_work finds no timer armed and the work queues
 * itself again; flush_workqueue waits for that run, not for the timer it armed. Linux
 * 2.6.19's destroy_workqueue freed the queue under that timer (and rmmod the module);
 * Quartz's destroy_workqueue disarms it and names it, and the module is freed safely. */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/init.h>

static int TimerIntrpt = 0;
static int die = 0;             /* the edition's flag */
static int unloading = 0;       /* cleanup has begun: the work stops in its window */
static int in_window = 0;       /* the work has read die == 0 */
static DECLARE_WAIT_QUEUE_HEAD(window);
static DECLARE_WAIT_QUEUE_HEAD(die_set);

static struct workqueue_struct *my_workqueue;
static void intrpt_routine(void *);
static DECLARE_WORK(Task, intrpt_routine, NULL);

static void intrpt_routine(void *irrelevant)
{
  TimerIntrpt++;
  if (die == 0) {
    if (unloading) {            /* the unlucky moment, made certain */
      in_window = 1;
      wake_up(&window);
      wait_event(die_set, die);
    }
    queue_delayed_work(my_workqueue, &Task, 100);
  }
}

int __init init_module()
{
  my_workqueue = create_workqueue("WQsched26_race");
  queue_delayed_work(my_workqueue, &Task, 100);
  return 0;
}

void __exit cleanup_module()
{
  unloading = 1;
  wait_event(window, in_window);

  die = 1;
  wake_up(&die_set);
  if (!cancel_delayed_work(&Task))
    printk(KERN_ALERT "sched26_race: cancel_delayed_work found no timer armed: the work "
           "was running\n");
  flush_workqueue(my_workqueue);
  destroy_workqueue(my_workqueue);
  printk(KERN_ALERT "sched26_race: the work ran %d times\n", TimerIntrpt);
}

MODULE_LICENSE("GPL");
