/* sched22_badinit: WRONG ON PURPOSE: the 2.2 edition's init order (the task queued
 * before /proc) with a registration that fails; the kernel must take the task off 2.2's
 * tq_timer before freeing the module (docs/deferred-work.md, the init-order flaw). */
/* clang-format off */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/tqueue.h>

static void badinit_tick(void *);
static struct tq_struct Task = { NULL, 0, badinit_tick, NULL };

static void badinit_tick(void *unused)
{
  queue_task(&Task, &tq_timer);
}

int badinit_get_info(char *buffer, char **start, off_t offset, int length, int zero)
{
  return 0;
}

/* A name with a '/': Quartz's /proc has no directories, so proc_register fails */
struct proc_dir_entry Bad_Entry = {
  0, 9, "net/sched", S_IFREG | S_IRUGO, 1, 0, 0, 0, NULL, badinit_get_info, NULL
};

int init_module()
{
  queue_task(&Task, &tq_timer);
  return proc_register(&proc_root, &Bad_Entry);
}

void cleanup_module()
{
}
