/* sched24: the "Scheduling Tasks" example written against the Linux 2.4 edition's API
 * (GNU designators, DECLARE_WAIT_QUEUE_HEAD, a flag then sleep_on,
 * create_proc_read_entry), built unchanged with tools/build-module.sh --linux 2.4. */
/* clang-format off */

/* A module built outside the kernel's Makefile says what it is */
#define MODULE
#define LINUX
#define __KERNEL__

#include <linux/kernel.h>   /* We're doing kernel work */
#include <linux/module.h>   /* Specifically, a module */

#if CONFIG_MODVERSIONS==1
#define MODVERSIONS
#include <linux/modversions.h>
#endif

#include <linux/proc_fs.h>  /* /proc/sched */
#include <linux/tqueue.h>   /* tq_timer */
#include <linux/sched.h>    /* sleep_on, wake_up */

#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a,b,c) ((a)*65536+(b)*256+(c))
#endif

static int TickCount = 0;

/* Set by cleanup_module: the routine must stop requeueing and wake it */
static int unloading = 0;

static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void count_tick(void *);

static struct tq_struct Task = {
  routine: count_tick,  /* the function to run */
  data: NULL            /* its argument */
};

static struct proc_dir_entry *Sched_Entry;

static void count_tick(void *unused)
{
  TickCount++;

  if (unloading == 0)
    queue_task(&Task, &tq_timer);
  else
    wake_up(&WaitQ);
}

int sched_read_proc(char *page, char **start, off_t off, int count, int *eof,
                    void *data)
{
  static char text[80];
  int len;

  if (off > 0)
    return 0;

  len = sprintf(text, "Timer called %d times so far\n", TickCount);
  *start = text;
  return len;
}

int init_module()
{
  queue_task(&Task, &tq_timer);

  Sched_Entry = create_proc_read_entry("sched", 0444, NULL, sched_read_proc, NULL);
  if (Sched_Entry == NULL)
    return -ENOMEM;

  printk(KERN_ALERT "sched24: counting ticks in /proc/sched\n");
  return 0;
}

void cleanup_module()
{
  remove_proc_entry("sched", NULL);

  /* The edition's protocol: set the flag, then sleep. A tick that runs the routine
   * between the two wakes nobody, and nothing will wake us later (see sched24_race) */
  unloading = 1;
  sleep_on(&WaitQ);
}

MODULE_LICENSE("GPL");
