/* sched22: the "Scheduling Tasks" example written against the Linux 2.2 edition's API
 * (task on tq_timer, /proc/sched, rmmod sleeps until the routine lets go), built
 * unchanged with tools/build-module.sh --linux 2.2 (docs/the-guide.md). */
/* clang-format off */

/* Standard in kernel modules */
#include <linux/kernel.h>   /* We're doing kernel work */
#include <linux/module.h>   /* Specifically, a module */

/* Deal with CONFIG_MODVERSIONS */
#if CONFIG_MODVERSIONS==1
#define MODVERSIONS
#include <linux/modversions.h>
#endif

#include <linux/proc_fs.h>  /* We're using the /proc file system */
#include <linux/tqueue.h>   /* We schedule tasks here */
#include <linux/sched.h>    /* We also need the ability to put ourselves to sleep
                             * and wake up later */

/* In 2.2.3 /usr/include/linux/version.h includes a macro for this, but 2.0.35
 * doesn't - so I add it here if necessary. */
#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a,b,c) ((a)*65536+(b)*256+(c))
#endif

/* How many ticks the routine has counted */
static int TickCount = 0;

/* cleanup_module sleeps here. The routine tests the pointer itself: NULL until
 * cleanup_module is asleep on it, and from then on it must stop requeueing. */
static struct wait_queue *WaitQ = NULL;

static void count_tick(void *);

/* The task: next, sync, routine, data, in that order */
static struct tq_struct Task = {
  NULL,       /* next: linked by queue_task */
  0,          /* sync: must be zero */
  count_tick, /* the function to run */
  NULL        /* its argument */
};

/* Runs after every timer tick, in interrupt context: it must not sleep */
static void count_tick(void *unused)
{
  TickCount++;

  if (WaitQ != NULL)
    wake_up(&WaitQ);              /* cleanup_module is waiting for us */
  else
    queue_task(&Task, &tq_timer); /* again at the next tick */
}

/* /proc/sched's get_info function: the whole text at once, from a buffer of its own */
int sched_get_info(char *buffer, char **buffer_location, off_t offset,
                   int buffer_length, int zero)
{
  static char text[80];
  int len;

  if (offset > 0)   /* everything was given on the first call */
    return 0;

  len = sprintf(text, "Timer was called %d times so far\n", TickCount);
  *buffer_location = text;
  return len;
}

struct proc_dir_entry Sched_Proc_Entry =
  {
    0,                 /* inode number: proc_register gives one */
    5,                 /* length of the name */
    "sched",           /* the name */
    S_IFREG | S_IRUGO, /* a regular file anyone may read */
    1,                 /* links */
    0, 0,              /* uid and gid: root's */
    80,                /* the size ls reports */
    NULL,              /* inode operations: none */
    sched_get_info,    /* the read function */
    NULL               /* fill_inode */
  };

/* Initialize the module */
int init_module()
{
  /* Start the count at the next tick */
  queue_task(&Task, &tq_timer);

#if LINUX_VERSION_CODE > KERNEL_VERSION(2,2,0)
  return proc_register(&proc_root, &Sched_Proc_Entry);
#else
  return proc_register_dynamic(&proc_root, &Sched_Proc_Entry);
#endif
}

/* Cleanup */
void cleanup_module()
{
  proc_unregister(&proc_root, Sched_Proc_Entry.low_ino);

  /* Sleep until count_tick has seen WaitQ != NULL and woken us: after that it never
   * queues itself again, so the module's memory may go */
  sleep_on(&WaitQ);
}
