/* sched22_forgets: WRONG ON PURPOSE: a 2.2-style module whose cleanup_module returns with
 * its task still on 2.2's tq_timer (it never waits); the kernel must refuse to free it,
 * naming the task (docs/the-guide.md). */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/tqueue.h>

static int TickCount = 0;
static void forget_tick(void *);
static struct tq_struct Task = { NULL, 0, forget_tick, NULL };

static void forget_tick(void *unused)
{
  TickCount++;
  queue_task(&Task, &tq_timer);
}

int init_module()
{
  queue_task(&Task, &tq_timer);
  return 0;
}

void cleanup_module()
{
  printk("sched22_forgets: leaving with the task queued (%d ticks)\n", TickCount);
}
