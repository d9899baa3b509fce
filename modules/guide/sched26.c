/* sched26: the "Scheduling Tasks" example written against the Linux 2.6 edition's API
 * (a workqueue of its own, the three-argument DECLARE_WORK, queue_delayed_work on a
 * work_struct, create_proc_entry then its fields, a die flag, cancel_delayed_work,
 * flush_workqueue, destroy_workqueue), built unchanged with tools/build-module.sh
 * --linux 2.6. */
/* clang-format off */

#include <linux/kernel.h>     /* printk, sprintf */
#include <linux/module.h>     /* a module */
#include <linux/proc_fs.h>    /* /proc/sched */
#include <linux/workqueue.h>  /* the work and its queue */
#include <linux/sched.h>      /* jiffies, HZ */
#include <linux/init.h>       /* __init, __exit */
#include <linux/interrupt.h>  /* what 2.6 modules of deferred work included */

#define SCHED_PROC_NAME "sched"
#define SCHED_WQ_NAME "WQsched26"
#define SCHED_DELAY 1           /* ticks between two runs of the work */

static int WorkRuns = 0;        /* how often tick_work ran */
static int stopping = 0;        /* set by cleanup_module: the work must not requeue */

static struct workqueue_struct *sched_wq;
static struct proc_dir_entry *sched_entry;

static void tick_work(void *);

/* A tentative definition, then the definition: C allows both, as 2.6's text had them */
static struct work_struct Tick;
static DECLARE_WORK(Tick, tick_work, NULL);

/* Runs in the queue's worker thread ("WQsched26/0"): counts, then queues itself again */
static void tick_work(void *unused)
{
  WorkRuns++;

  if (stopping == 0)
    queue_delayed_work(sched_wq, &Tick, SCHED_DELAY);
}

int sched_read(char *page, char **start, off_t off, int count, int *eof,
               void *data)
{
  static char text[80];
  int len;

  if (off > 0)
    return 0;

  len = sprintf(text, "Timer called %d times so far\n", WorkRuns);
  *start = text;
  return len;
}

int __init init_module()
{
  sched_entry = create_proc_entry(SCHED_PROC_NAME, 0644, NULL);
  if (sched_entry == NULL) {
    remove_proc_entry(SCHED_PROC_NAME, &proc_root);
    printk(KERN_ALERT "sched26: cannot create /proc/%s\n", SCHED_PROC_NAME);
    return -ENOMEM;
  }

  /* 2.6's way: the entry exists, the module fills it in */
  sched_entry->read_proc = sched_read;
  sched_entry->owner = THIS_MODULE;
  sched_entry->mode = S_IFREG | S_IRUGO;
  sched_entry->uid = 0;
  sched_entry->gid = 0;
  sched_entry->size = 80;

  sched_wq = create_workqueue(SCHED_WQ_NAME);
  queue_delayed_work(sched_wq, &Tick, SCHED_DELAY);

  printk(KERN_INFO "sched26: counting work runs in /proc/%s\n", SCHED_PROC_NAME);
  return 0;
}

void __exit cleanup_module()
{
  remove_proc_entry(SCHED_PROC_NAME, &proc_root);

  /* The edition's protocol: no new queueing, no armed timer, wait for the rest */
  stopping = 1;
  cancel_delayed_work(&Tick);
  flush_workqueue(sched_wq);
  destroy_workqueue(sched_wq);
}

MODULE_LICENSE("GPL");
