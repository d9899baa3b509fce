/* sched24_race: WRONG ON PURPOSE: the 2.4 edition's unload with a tick forced between
 * setting the flag and sleep_on, so the routine's wake_up comes too early and is lost;
 * only the kernel's sleep_on watchdog ends the sleep (docs/the-guide.md). */
/* clang-format off */
#define MODULE
#define __KERNEL__

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/tqueue.h>
#include <linux/sched.h>

static int TickCount = 0;
static int unloading = 0;
static DECLARE_WAIT_QUEUE_HEAD(WaitQ);

static void count_tick(void *);
static struct tq_struct Task = { routine: count_tick, data: NULL };

static void count_tick(void *unused)
{
  TickCount++;
  if (unloading == 0)
    queue_task(&Task, &tq_timer);
  else
    wake_up(&WaitQ);   /* nobody sleeps yet: this wake-up is lost */
}

int sched_read_proc(char *page, char **start, off_t off, int count, int *eof, void *data)
{
  /* No *start: the text sits at the offset in the page, and *eof says it is all */
  *eof = 1;
  return sprintf(page, "Timer called %d times so far\n", TickCount);
}

int init_module()
{
  queue_task(&Task, &tq_timer);
  if (create_proc_read_entry("sched", 0444, NULL, sched_read_proc, NULL) == NULL)
    return -ENOMEM;
  return 0;
}

void cleanup_module()
{
  unsigned long then;

  remove_proc_entry("sched", NULL);
  unloading = 1;
  /* The tick the race needs: the routine runs here, sees the flag, wakes nobody */
  then = jiffies;
  while (jiffies == then)
    ;
  printk(KERN_INFO "sched24_race: a tick ran between the flag and sleep_on\n");
  sleep_on(&WaitQ);
}

MODULE_LICENSE("GPL");
