/* sched22_slow: the 2.2 edition's protocol with a routine that lets cleanup_module sleep
 * on its `struct wait_queue *` for 100 ticks before waking it, so that ps can see the
 * sleeper and /proc/sched22_slow the pointer's values (docs/the-guide.md). */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/tqueue.h>
#include <linux/sched.h>

static struct wait_queue *WaitQ = NULL;
static int ticks_asleep = 0;
static void slow_tick(void *);
static struct tq_struct Task = { NULL, 0, slow_tick, NULL };

static void slow_tick(void *unused)
{
  if (WaitQ != NULL && ++ticks_asleep >= 100) {
    wake_up(&WaitQ);
    return;
  }
  queue_task(&Task, &tq_timer);
}

/* The text at the offset in the page (no *start), as most 2.2 get_info functions did */
int slow_get_info(char *buffer, char **start, off_t offset, int length, int zero)
{
  return sprintf(buffer, "WaitQ %s\n", WaitQ == NULL ? "NULL" : "set");
}

struct proc_dir_entry Slow_Entry = {
  0, 12, "sched22_slow", S_IFREG | S_IRUGO, 1, 0, 0, 0, NULL, slow_get_info, NULL
};

int init_module()
{
  int rc = proc_register(&proc_root, &Slow_Entry);
  if (rc == 0)
    queue_task(&Task, &tq_timer);
  return rc;
}

void cleanup_module()
{
  proc_unregister(&proc_root, Slow_Entry.low_ino);
  sleep_on(&WaitQ);
  printk("<1>sched22_slow: woken after %d ticks, WaitQ %s\n", ticks_asleep,
         WaitQ == NULL ? "NULL" : "still set (2.2's sentinel)");
}
